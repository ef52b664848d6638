#ifndef ICL_IO_SAFETENSORS_HPP
#define ICL_IO_SAFETENSORS_HPP

/// Reader of .safetensors files: dtypes F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32,
/// U64 and BOOL, the header JSON read with nlohmann-json, and "__metadata__" (string to string).
///
/// The file is memory-mapped read-only; the whole header is checked on opening (every tensor's
/// byte range inside the data and equal to shape x itemsize, no two ranges overlapping, no
/// duplicate key). Tensors are C order and viewed in place (storage::mapped) when their first
/// byte is aligned to the item size, else copied (storage::copied). Holes between tensors are
/// allowed.
///
/// Errors: icl::io::file_error when the file cannot be opened; icl::io::format_error
/// "<path>: <what is wrong>" for a file shorter than 8 bytes, a header length past the end, JSON
/// that does not parse, duplicate keys, a tensor entry without dtype/shape/data_offsets, an
/// unsupported dtype, negative or non-integer extents and offsets, offsets out of range or in the
/// wrong order, a shape whose byte count differs from the range (or overflows size_t), and
/// overlapping tensors; "<path>: no tensor 'x' (tensors: ...)" for a missing name.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "icl/io/array.hpp"
#include "icl/io/detail/mapped_file.hpp"
#include "icl/io/detail/safetensors_impl.hpp"

namespace icl::io {

class safetensors_file;
safetensors_file parse_safetensors(const unsigned char* bytes, std::size_t size, const std::string& source);

class safetensors_file {
 public:
  /// Maps the file at `path` and checks its header.
  explicit safetensors_file(const std::string& path) : safetensors_file(detail::mapped_image(path)) {}

  /// Tensor names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(header_.tensors.size());
    for (const auto& entry : header_.tensors) out.push_back(entry.first);
    return out;
  }
  std::size_t size() const noexcept { return header_.tensors.size(); }
  bool contains(const std::string& name) const { return header_.tensors.count(name) != 0; }

  /// The tensor `name`, viewing the mapping where aligned (see the header comment).
  array get(const std::string& name) const {
    const auto it = header_.tensors.find(name);
    if (it == header_.tensors.end()) {
      throw_error<format_error>(source(), "no tensor '", name, "' (tensors: ", detail::joined_names(names()), ")");
    }
    const detail::safetensors_entry& e = it->second;
    return detail::make_array(e.type, e.shape, false, image_.bytes + e.begin, static_cast<std::size_t>(e.length),
                              image_.owner, source() + ":" + name, image_.where);
  }

  /// The "__metadata__" map (empty when the file has none).
  const std::map<std::string, std::string>& metadata() const noexcept { return header_.metadata; }
  /// The path (or the source name given to parse_safetensors).
  const std::string& source() const noexcept { return image_.source; }

 private:
  friend safetensors_file parse_safetensors(const unsigned char* bytes, std::size_t size, const std::string& source);
  explicit safetensors_file(detail::byte_image image)
      : image_(std::move(image)), header_(detail::parse_safetensors_header(image_.bytes, image_.size, image_.source)) {}

  detail::byte_image image_;
  detail::safetensors_header header_;
};

/// Parses a .safetensors image held in memory; its arrays view `bytes` (storage::external), which
/// the caller keeps alive while they are used.
inline safetensors_file parse_safetensors(const unsigned char* bytes, std::size_t size, const std::string& source) {
  return safetensors_file(detail::external_image(bytes, size, source));
}

}  // namespace icl::io

#endif  // ICL_IO_SAFETENSORS_HPP
