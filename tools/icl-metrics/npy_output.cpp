#include "npy_output.hpp"

#include <cstring>

#include "common.hpp"

namespace icl_tool {

namespace {

template <class T>
void write_array(const std::string& path, const std::vector<std::size_t>& shape, const T* data, const char* descr) {
  std::size_t count = 1;
  std::string dims;
  for (const std::size_t extent : shape) {
    count *= extent;
    dims += (dims.empty() ? "" : ", ") + std::to_string(extent);
  }
  if (shape.size() == 1) dims += ',';  // (d,) for one dimension, as Python writes a 1-tuple
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // The magic, version and length take 10 bytes; the header ends in '\n' and pads to 64 bytes.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  const std::size_t offset = bytes.size();
  bytes.resize(offset + count * sizeof(T));
  if (count > 0) std::memcpy(&bytes[offset], data, count * sizeof(T));
  write_file(path, bytes);
}

}  // namespace

void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const double* data) {
  write_array(path, shape, data, "<f8");
}

void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data) {
  write_array(path, shape, data, "<f4");
}

void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const icl::f16* data) {
  write_array(path, shape, data, "<f2");
}

}  // namespace icl_tool
