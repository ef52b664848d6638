#ifndef ICL_IO_DETAIL_SAFETENSORS_IMPL_HPP
#define ICL_IO_DETAIL_SAFETENSORS_IMPL_HPP

/// The .safetensors parser: an 8-byte little-endian header length N, N bytes of JSON
/// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
///  "__metadata__": {"key": "value"}}, then the data; offsets are relative to the data start.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "icl/io/array.hpp"
#include "icl/io/detail/bytes.hpp"

namespace icl::io::detail {

struct safetensors_entry {
  io::dtype type = dtype::f32;
  std::vector<std::size_t> shape;
  std::uint64_t begin = 0;  ///< offset of the first byte from the start of the file
  std::uint64_t length = 0;
};

struct safetensors_header {
  std::map<std::string, safetensors_entry> tensors;
  std::map<std::string, std::string> metadata;
};

inline io::dtype safetensors_dtype(const std::string& name, const std::string& source, const std::string& tensor) {
  static const std::pair<const char*, io::dtype> table[] = {
      {"F16", dtype::f16}, {"BF16", dtype::bf16}, {"F32", dtype::f32}, {"F64", dtype::f64},
      {"I8", dtype::i8},   {"I16", dtype::i16},   {"I32", dtype::i32}, {"I64", dtype::i64},
      {"U8", dtype::u8},   {"U16", dtype::u16},   {"U32", dtype::u32}, {"U64", dtype::u64},
      {"BOOL", dtype::boolean}};
  for (const auto& [text, type] : table) {
    if (name == text) return type;
  }
  throw_error<format_error>(source, "tensor '", tensor, "' has the unsupported dtype '", name,
                            "' (supported: F16, BF16, F32, F64, I8-I64, U8-U64, BOOL)");
}

/// A non-negative JSON integer, or format_error.
inline std::uint64_t json_unsigned(const nlohmann::json& v, const std::string& source, const std::string& tensor,
                                   const char* what) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    throw_error<format_error>(source, "tensor '", tensor, "' has a negative ", what);
  }
  throw_error<format_error>(source, "tensor '", tensor, "' has a ", what, " that is not an integer");
}

/// Parses the JSON header; rejects duplicate keys at any depth and nesting deeper than 8.
inline nlohmann::json parse_safetensors_json(const char* begin, const char* end, const std::string& source) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using event_t = nlohmann::json::parse_event_t;
    if (depth > 8) throw_error<format_error>(source, "the JSON header nests deeper than 8 levels");
    if (event == event_t::object_start) {
      keys.emplace_back();
    } else if (event == event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == event_t::key && !keys.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(key).second)
        throw_error<format_error>(source, "duplicate key '", key, "' in the JSON header");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(begin, end, callback);
  } catch (const nlohmann::json::exception& e) {
    throw_error<format_error>(source, "the JSON header does not parse (", e.what(), ")");
  }
}

/// Parses and checks the header of a .safetensors image of `size` bytes: every tensor's byte
/// range lies in the data, matches shape x itemsize, and no two ranges overlap.
inline safetensors_header parse_safetensors_header(const unsigned char* bytes, std::size_t size,
                                                   const std::string& source) {
  if (size < 8)
    throw_error<format_error>(source, "not a .safetensors file (", size,
                              " bytes, too short for the 8-byte header length)");
  const std::uint64_t header_length = read_le64(bytes);
  if (!fits(8, header_length, size)) {
    throw_error<format_error>(source, "header length ", header_length, " runs past the end of the file (", size,
                              " bytes)");
  }
  if (header_length < 2 || bytes[8] != '{') {
    throw_error<format_error>(source,
                              "not a .safetensors file (the header after the 8-byte length is not a JSON object)");
  }
  const auto* text = reinterpret_cast<const char*>(bytes + 8);
  const nlohmann::json json = parse_safetensors_json(text, text + header_length, source);
  if (!json.is_object()) throw_error<format_error>(source, "the JSON header is not an object");

  const std::uint64_t data_start = 8 + header_length;
  const std::uint64_t data_size = size - data_start;
  safetensors_header out;
  for (const auto& [name, value] : json.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw_error<format_error>(source, "'__metadata__' is not an object");
      for (const auto& [key, text_value] : value.items()) {
        if (!text_value.is_string())
          throw_error<format_error>(source, "'__metadata__' value of '", key, "' is not a string");
        out.metadata.emplace(key, text_value.get<std::string>());
      }
      continue;
    }
    if (!value.is_object()) throw_error<format_error>(source, "tensor '", name, "' is not described by a JSON object");
    const auto dtype_it = value.find("dtype");
    const auto shape_it = value.find("shape");
    const auto offsets_it = value.find("data_offsets");
    if (dtype_it == value.end() || shape_it == value.end() || offsets_it == value.end()) {
      throw_error<format_error>(source, "tensor '", name, "' lacks '",
                                dtype_it == value.end()   ? "dtype"
                                : shape_it == value.end() ? "shape"
                                                          : "data_offsets",
                                "'");
    }
    if (!dtype_it->is_string())
      throw_error<format_error>(source, "tensor '", name, "' has a dtype that is not a string");
    safetensors_entry e;
    e.type = safetensors_dtype(dtype_it->get<std::string>(), source, name);
    if (!shape_it->is_array()) throw_error<format_error>(source, "tensor '", name, "' has a shape that is not a list");
    if (shape_it->size() > 64) throw_error<format_error>(source, "tensor '", name, "' has more than 64 dimensions");
    for (const auto& extent : *shape_it) {
      const std::uint64_t v = json_unsigned(extent, source, name, "shape extent");
      if (v > std::numeric_limits<std::size_t>::max())
        throw_error<format_error>(source, "tensor '", name, "' has an extent above size_t");
      e.shape.push_back(static_cast<std::size_t>(v));
    }
    if (!offsets_it->is_array() || offsets_it->size() != 2) {
      throw_error<format_error>(source, "tensor '", name, "' has data_offsets that are not a [begin, end] pair");
    }
    const std::uint64_t begin = json_unsigned((*offsets_it)[0], source, name, "data offset");
    const std::uint64_t end = json_unsigned((*offsets_it)[1], source, name, "data offset");
    if (end < begin)
      throw_error<format_error>(source, "tensor '", name, "' has data_offsets [", begin, ", ", end,
                                "] with end < begin");
    if (end > data_size) {
      throw_error<format_error>(source, "tensor '", name, "' has data_offsets [", begin, ", ", end,
                                "] past the end of the data (", data_size, " bytes)");
    }
    std::size_t count = 1;
    if (std::find(e.shape.begin(), e.shape.end(), std::size_t{0}) != e.shape.end()) {
      count = 0;
    } else {
      for (std::size_t extent : e.shape) {
        if (count > std::numeric_limits<std::size_t>::max() / extent) {
          throw_error<format_error>(source, "tensor '", name, "' has shape ", shape_string(e.shape),
                                    " with more elements than size_t can count");
        }
        count *= extent;
      }
    }
    const std::size_t item = dtype_size(e.type);
    if (count > std::numeric_limits<std::size_t>::max() / item || count * item != end - begin) {
      throw_error<format_error>(source, "tensor '", name, "' has shape ", shape_string(e.shape), " of ",
                                dtype_name(e.type), " but data_offsets [", begin, ", ", end, "] hold ", end - begin,
                                " bytes");
    }
    e.begin = data_start + begin;
    e.length = end - begin;
    out.tensors.emplace(name, std::move(e));
  }

  // No two tensors share a byte.
  std::vector<std::pair<std::uint64_t, const std::string*>> ranges;
  for (const auto& [name, e] : out.tensors) {
    if (e.length > 0) ranges.emplace_back(e.begin, &name);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t k = 1; k < ranges.size(); ++k) {
    const auto& previous = out.tensors.at(*ranges[k - 1].second);
    if (previous.begin + previous.length > ranges[k].first) {
      throw_error<format_error>(source, "tensors '", *ranges[k - 1].second, "' and '", *ranges[k].second,
                                "' overlap in the data");
    }
  }
  return out;
}

}  // namespace icl::io::detail

#endif  // ICL_IO_DETAIL_SAFETENSORS_IMPL_HPP
