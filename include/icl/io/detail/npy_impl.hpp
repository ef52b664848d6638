#ifndef ICL_IO_DETAIL_NPY_IMPL_HPP
#define ICL_IO_DETAIL_NPY_IMPL_HPP

/// The .npy parser: magic, version, header length, the header (a Python dict literal with the
/// keys 'descr', 'fortran_order' and 'shape'), and the data, which must hold exactly
/// shape x itemsize bytes.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "icl/io/array.hpp"
#include "icl/io/detail/bytes.hpp"

namespace icl::io::detail {

struct npy_header {
  io::dtype type = dtype::f32;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::size_t data_offset = 0;  ///< bytes from the start of the file to the first element
};

/// Reads the Python literal of an .npy header. Every read is bounds-checked against `end`.
class npy_header_parser {
 public:
  npy_header_parser(const char* begin, const char* end, const std::string& source)
      : p_(begin), end_(end), source_(source) {}

  npy_header parse() {
    npy_header h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    expect('{', "the header does not start with '{'");
    for (;;) {
      skip_space();
      if (peek() == '}') {
        ++p_;
        break;
      }
      const std::string key = read_string("a header key");
      skip_space();
      expect(':', "expected ':' after header key '" + key + "'");
      skip_space();
      if (key == "descr") {
        if (have_descr) throw_error<format_error>(source_, "header key 'descr' appears twice");
        have_descr = true;
        if (peek() == '[')
          throw_error<format_error>(source_, "structured dtypes (a list in 'descr') are not supported");
        h.type = parse_descr(read_string("the 'descr' value"));
      } else if (key == "fortran_order") {
        if (have_order) throw_error<format_error>(source_, "header key 'fortran_order' appears twice");
        have_order = true;
        h.fortran_order = read_bool();
      } else if (key == "shape") {
        if (have_shape) throw_error<format_error>(source_, "header key 'shape' appears twice");
        have_shape = true;
        h.shape = read_shape();
      } else {
        throw_error<format_error>(source_, "unknown header key '", key, "'");
      }
      skip_space();
      if (peek() == ',') {
        ++p_;
      } else if (peek() != '}') {
        throw_error<format_error>(source_, "expected ',' or '}' after the value of header key '", key, "'");
      }
    }
    skip_space();
    if (p_ != end_) throw_error<format_error>(source_, "unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape) {
      throw_error<format_error>(source_, "the header lacks the key '",
                                !have_descr   ? "descr"
                                : !have_order ? "fortran_order"
                                              : "shape",
                                "'");
    }
    return h;
  }

  /// '<f4', '|b1', ... -> dtype. Big-endian and unknown dtypes are format errors.
  io::dtype parse_descr(const std::string& d) const {
    if (d.size() < 3) throw_error<format_error>(source_, "unknown dtype '", d, "'");
    const char order = d[0];
    const std::string code = d.substr(1);
    io::dtype t{};
    if (code == "f2") t = dtype::f16;
    else if (code == "f4") t = dtype::f32;
    else if (code == "f8") t = dtype::f64;
    else if (code == "i1") t = dtype::i8;
    else if (code == "i2") t = dtype::i16;
    else if (code == "i4") t = dtype::i32;
    else if (code == "i8") t = dtype::i64;
    else if (code == "u1") t = dtype::u8;
    else if (code == "u2") t = dtype::u16;
    else if (code == "u4") t = dtype::u32;
    else if (code == "u8") t = dtype::u64;
    else if (code == "b1") t = dtype::boolean;
    else
      throw_error<format_error>(source_, "unsupported dtype '", d, "' (supported: f2, f4, f8, i1-i8, u1-u8, b1)");
    const bool single_byte = dtype_size(t) == 1;
    if (order == '>' && !single_byte) throw_error<format_error>(source_, "big-endian dtype '", d, "' is not supported");
    if (order == '|' && !single_byte)
      throw_error<format_error>(source_, "dtype '", d, "' has no byte order ('|') but several bytes");
    if (order != '<' && order != '|' && order != '>' && order != '=') {
      throw_error<format_error>(source_, "unknown byte order in dtype '", d, "'");
    }
    return t;
  }

 private:
  char peek() const {
    if (p_ == end_) throw_error<format_error>(source_, "the header ends early");
    return *p_;
  }
  void expect(char c, const std::string& what) {
    if (peek() != c) throw_error<format_error>(source_, what);
    ++p_;
  }
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  std::string read_string(const char* what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') throw_error<format_error>(source_, "expected a quoted string for ", what);
    ++p_;
    std::string out;
    while (peek() != quote) {
      if (*p_ == '\\') throw_error<format_error>(source_, "escape sequences in header strings are not supported");
      out += *p_++;
    }
    ++p_;
    return out;
  }
  bool read_bool() {
    if (end_ - p_ >= 4 && std::memcmp(p_, "True", 4) == 0) {
      p_ += 4;
      return true;
    }
    if (end_ - p_ >= 5 && std::memcmp(p_, "False", 5) == 0) {
      p_ += 5;
      return false;
    }
    throw_error<format_error>(source_, "'fortran_order' is neither True nor False");
  }
  std::vector<std::size_t> read_shape() {
    expect('(', "'shape' is not a tuple");
    std::vector<std::size_t> shape;
    for (;;) {
      skip_space();
      if (peek() == ')') {
        ++p_;
        break;
      }
      if (peek() < '0' || peek() > '9')
        throw_error<format_error>(source_, "'shape' holds something other than non-negative integers");
      std::size_t value = 0;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        const auto digit = static_cast<std::size_t>(*p_ - '0');
        if (value > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
          throw_error<format_error>(source_, "a 'shape' extent does not fit in size_t");
        }
        value = value * 10 + digit;
        ++p_;
      }
      if (p_ != end_ && *p_ == 'L') ++p_;  // Python 2 long literal
      if (shape.size() >= 64) throw_error<format_error>(source_, "'shape' has more than 64 dimensions");
      shape.push_back(value);
      skip_space();
      if (peek() == ',') {
        ++p_;
      } else if (peek() != ')') {
        throw_error<format_error>(source_, "expected ',' or ')' in 'shape'");
      }
    }
    return shape;
  }

  const char* p_;
  const char* end_;
  const std::string& source_;
};

/// Parses the preamble and header of an .npy image of `size` bytes.
inline npy_header parse_npy_header(const unsigned char* bytes, std::size_t size, const std::string& source) {
  static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 6 || std::memcmp(bytes, magic, 6) != 0) {
    throw_error<format_error>(source, "not an .npy file (wrong magic; expected \\x93NUMPY)");
  }
  if (size < 10)
    throw_error<format_error>(source, "truncated: the file ends inside the .npy preamble (", size, " bytes)");
  const unsigned major = bytes[6];
  const unsigned minor = bytes[7];
  std::size_t preamble = 0;
  std::uint64_t header_length = 0;
  if (major == 1) {
    preamble = 10;
    header_length = read_le16(bytes + 8);
  } else if (major == 2 || major == 3) {
    if (size < 12)
      throw_error<format_error>(source, "truncated: the file ends inside the .npy preamble (", size, " bytes)");
    preamble = 12;
    header_length = read_le32(bytes + 8);
  } else {
    throw_error<format_error>(source, "unsupported .npy format version ", major, ".", minor,
                              " (supported: 1.0, 2.0, 3.0)");
  }
  if (minor != 0)
    throw_error<format_error>(source, "unsupported .npy format version ", major, ".", minor,
                              " (supported: 1.0, 2.0, 3.0)");
  if (!fits(preamble, header_length, size)) {
    throw_error<format_error>(source, "header length ", header_length, " runs past the end of the file (", size,
                              " bytes)");
  }
  const auto* text = reinterpret_cast<const char*>(bytes + preamble);
  npy_header h = npy_header_parser(text, text + header_length, source).parse();
  h.data_offset = preamble + static_cast<std::size_t>(header_length);
  return h;
}

/// Parses a whole .npy image; the array views `bytes` (kept alive by `owner`, if any) unless the
/// data is misaligned for its dtype, in which case it is copied.
inline array parse_npy_image(const unsigned char* bytes, std::size_t size, const std::string& source,
                             std::shared_ptr<const void> owner, io::storage where) {
  if (bytes == nullptr && size != 0) throw_error<format_error>(source, "null buffer of ", size, " bytes");
  npy_header h = parse_npy_header(bytes, size, source);
  const std::size_t count = checked_element_count(source, h.shape);
  const std::size_t item = dtype_size(h.type);
  if (count > std::numeric_limits<std::size_t>::max() / item) {
    throw_error<format_error>(source, "shape ", shape_string(h.shape), " of ", dtype_name(h.type),
                              " has more bytes than size_t can count");
  }
  const std::size_t nbytes = count * item;
  const std::size_t available = size - h.data_offset;
  if (available < nbytes) {
    throw_error<format_error>(source, "truncated: shape ", shape_string(h.shape), " of ", dtype_name(h.type), " needs ",
                              nbytes, " data bytes, the file holds ", available);
  }
  if (available > nbytes) {
    throw_error<format_error>(source, "shape ", shape_string(h.shape), " of ", dtype_name(h.type), " needs ", nbytes,
                              " data bytes, the file holds ", available, " (", available - nbytes, " trailing bytes)");
  }
  return make_array(h.type, std::move(h.shape), h.fortran_order, bytes + h.data_offset, nbytes, std::move(owner),
                    source, where);
}

}  // namespace icl::io::detail

#endif  // ICL_IO_DETAIL_NPY_IMPL_HPP
