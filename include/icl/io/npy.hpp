#ifndef ICL_IO_NPY_HPP
#define ICL_IO_NPY_HPP

/// Reader of NumPy .npy files (format versions 1.0, 2.0 and 3.0).
///
/// dtypes: <f2 (f16), <f4, <f8, <i1..<i8, <u1..<u8 and |b1 ('|' and '<' byte orders; '>' only
/// for one-byte types), C and Fortran order. The file is memory-mapped read-only and the array
/// views the mapping in place (storage::mapped); data that is not aligned to its item size
/// (never the case for files numpy writes) is copied (storage::copied). The data must hold
/// exactly shape x itemsize bytes.
///
/// Errors: icl::io::file_error when the file cannot be opened or mapped; icl::io::format_error
/// "<path>: <what is wrong>" for a wrong magic, an unsupported version, a header length past the
/// end, a header that does not parse, a big-endian, structured or unknown dtype, a shape whose
/// element or byte count overflows size_t, and a data size other than shape x itemsize.

#include <cstddef>
#include <memory>
#include <string>

#include "icl/io/array.hpp"
#include "icl/io/detail/mapped_file.hpp"
#include "icl/io/detail/npy_impl.hpp"

namespace icl::io {

/// Reads an .npy file (memory-mapped; the array keeps the mapping alive).
inline array read_npy(const std::string& path) {
  auto file = detail::map_file(path);
  const unsigned char* bytes = file->data();
  const std::size_t size = file->size();
  return detail::parse_npy_image(bytes, size, path, std::shared_ptr<const void>(std::move(file)), storage::mapped);
}

/// Parses an .npy image held in memory. The array views `bytes` (storage::external): the caller
/// keeps them alive as long as the array and any view of it are used. `source` names the buffer
/// in error messages.
inline array parse_npy(const unsigned char* bytes, std::size_t size, const std::string& source) {
  return detail::parse_npy_image(bytes, size, source, nullptr, storage::external);
}

}  // namespace icl::io

#endif  // ICL_IO_NPY_HPP
