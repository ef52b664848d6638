#ifndef ICL_IO_DETAIL_BYTES_HPP
#define ICL_IO_DETAIL_BYTES_HPP

/// Little-endian field reads and overflow-checked offset arithmetic for the file parsers.

#include <cstddef>
#include <cstdint>
#include <limits>

namespace icl::io::detail {

inline std::uint16_t read_le16(const unsigned char* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

inline std::uint32_t read_le32(const unsigned char* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

inline std::uint64_t read_le64(const unsigned char* p) noexcept {
  return static_cast<std::uint64_t>(read_le32(p)) | (static_cast<std::uint64_t>(read_le32(p + 4)) << 32);
}

/// True when [offset, offset + length) lies inside a buffer of `size` bytes (no overflow).
inline bool fits(std::uint64_t offset, std::uint64_t length, std::size_t size) noexcept {
  const auto total = static_cast<std::uint64_t>(size);
  return offset <= total && length <= total - offset;
}

}  // namespace icl::io::detail

#endif  // ICL_IO_DETAIL_BYTES_HPP
