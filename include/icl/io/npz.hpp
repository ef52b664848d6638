#ifndef ICL_IO_NPZ_HPP
#define ICL_IO_NPZ_HPP

/// Reader of NumPy .npz archives (numpy.savez and numpy.savez_compressed): a zip archive of .npy
/// members, stored or deflate-compressed, with zip64 records where present.
///
/// The archive is memory-mapped read-only and only its central directory is read on opening;
/// get() parses one member. A stored member is viewed in place in the mapping (storage::mapped)
/// when its data is aligned to its item size, else copied (storage::copied); a deflate member is
/// inflated with zlib into an owned 64-byte aligned buffer (storage::inflated) whose CRC-32 is
/// checked. Member names are listed without their ".npy" suffix.
///
/// Errors: icl::io::file_error when the file cannot be opened; icl::io::format_error
/// "<path>: ..." for what is not a zip archive, a truncated directory, duplicate member names,
/// encrypted members or compression methods other than stored (0) and deflate (8), member data
/// past the end of the file, corrupt deflate data; "<path>:<member>: ..." for every .npy error
/// of a member; and "<path>: no member 'x' (members: ...)" for a missing name.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "icl/io/array.hpp"
#include "icl/io/detail/mapped_file.hpp"
#include "icl/io/detail/npy_impl.hpp"
#include "icl/io/detail/zip_impl.hpp"

namespace icl::io {

class npz_archive;
npz_archive parse_npz(const unsigned char* bytes, std::size_t size, const std::string& source);

class npz_archive {
 public:
  /// Maps the archive at `path` and reads its directory.
  explicit npz_archive(const std::string& path) : image_(detail::mapped_image(path)) { read_directory(); }

  /// Member names without ".npy", in archive order.
  std::vector<std::string> names() const { return order_; }
  std::size_t size() const noexcept { return order_.size(); }
  /// True when the archive holds `name` (with or without ".npy").
  bool contains(const std::string& name) const { return find(name) != nullptr; }

  /// The member `name` (with or without ".npy") as an array; see the header comment for where
  /// its bytes live and for the errors.
  array get(const std::string& name) const {
    const detail::zip_entry* e = find(name);
    if (e == nullptr)
      throw_error<format_error>(source(), "no member '", name, "' (members: ", detail::joined_names(order_), ")");
    const std::string member_source = source() + ":" + strip_npy(e->name);
    if (e->flags & 0x1u) throw_error<format_error>(member_source, "the member is encrypted");
    const std::uint64_t offset = detail::zip_data_offset(image_.bytes, image_.size, *e, member_source);
    const unsigned char* data = image_.bytes + offset;
    if (e->method == 0) {
      if (e->compressed_size != e->uncompressed_size) {
        throw_error<format_error>(member_source, "stored member declares ", e->compressed_size, " compressed but ",
                                  e->uncompressed_size, " uncompressed bytes");
      }
      return detail::parse_npy_image(data, static_cast<std::size_t>(e->compressed_size), member_source, image_.owner,
                                     image_.where);
    }
    if (e->method == 8) {
      std::shared_ptr<unsigned char> buffer =
          detail::inflate_member(data, e->compressed_size, e->uncompressed_size, e->crc, member_source);
      const unsigned char* p = buffer.get();
      return detail::parse_npy_image(p, static_cast<std::size_t>(e->uncompressed_size), member_source,
                                     std::shared_ptr<const void>(std::move(buffer)), storage::inflated);
    }
    throw_error<format_error>(member_source, "compression method ", e->method,
                              " is not supported (only stored and deflate)");
  }

  /// The path (or the source name given to parse_npz).
  const std::string& source() const noexcept { return image_.source; }

 private:
  friend npz_archive parse_npz(const unsigned char* bytes, std::size_t size, const std::string& source);
  explicit npz_archive(detail::byte_image image) : image_(std::move(image)) { read_directory(); }

  static std::string strip_npy(const std::string& name) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) return name.substr(0, name.size() - 4);
    return name;
  }

  void read_directory() {
    std::vector<detail::zip_entry> entries = detail::read_zip_directory(image_.bytes, image_.size, source());
    for (auto& e : entries) {
      if (!e.name.empty() && e.name.back() == '/') continue;  // a directory entry
      std::string key = strip_npy(e.name);
      if (members_.count(key) != 0) throw_error<format_error>(source(), "duplicate member name '", key, "'");
      order_.push_back(key);
      members_.emplace(std::move(key), std::move(e));
    }
  }

  const detail::zip_entry* find(const std::string& name) const {
    auto it = members_.find(name);
    if (it == members_.end()) it = members_.find(strip_npy(name));
    return it == members_.end() ? nullptr : &it->second;
  }

  detail::byte_image image_;
  std::map<std::string, detail::zip_entry> members_;
  std::vector<std::string> order_;
};

/// Reads the directory of an .npz image held in memory. Arrays of stored members view `bytes`
/// (storage::external): the caller keeps them alive while the archive and its arrays are used.
inline npz_archive parse_npz(const unsigned char* bytes, std::size_t size, const std::string& source) {
  return npz_archive(detail::external_image(bytes, size, source));
}

}  // namespace icl::io

#endif  // ICL_IO_NPZ_HPP
