#include "head_inputs.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>

namespace icl_tool {

namespace {

json parse_document(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw input_error(path + ": cannot open the file (" + what + ")");
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded()) throw input_error(path + ": not valid JSON (" + what + ")");
  return doc;
}

/// A non-negative integer of a JSON head entry.
std::size_t head_index(const json& v, const std::string& what, std::size_t entry) {
  const bool integral = v.is_number_unsigned() ||
                        (v.is_number_integer() && v.get<std::int64_t>() >= 0) ||
                        (v.is_number_float() && v.get<double>() >= 0.0 && v.get<double>() == std::floor(v.get<double>()) &&
                         v.get<double>() < 9.0e15);
  if (!integral) {
    throw input_error(what + ": head " + std::to_string(entry) + " holds " + v.dump() +
                      ", not a non-negative integer");
  }
  return v.is_number_float() ? static_cast<std::size_t>(v.get<double>()) : v.get<std::size_t>();
}

head_list heads_from_json(const json& value, const std::string& what) {
  if (!value.is_array()) throw input_error(what + ": expected an array of (layer, head) pairs, got " + value.dump());
  head_list out;
  for (std::size_t k = 0; k < value.size(); ++k) {
    const json& e = value[k];
    if (e.is_object() && e.contains("layer") && e.contains("head")) {
      out.emplace_back(head_index(e["layer"], what, k), head_index(e["head"], what, k));
    } else if (e.is_array() && e.size() == 2) {
      out.emplace_back(head_index(e[0], what, k), head_index(e[1], what, k));
    } else {
      throw input_error(what + ": head " + std::to_string(k) + " (" + e.dump() +
                        ") is neither [layer, head] nor {\"layer\", \"head\"}");
    }
  }
  return out;
}

}  // namespace

std::optional<json_field> read_json_field(const std::string& spec, const std::string& what) {
  const std::string marker = ".json:";
  const auto colon = spec.find(marker);
  if (colon == std::string::npos) return std::nullopt;
  const std::string path = spec.substr(0, colon + marker.size() - 1);
  return json_field{path, spec.substr(colon + marker.size()), parse_document(path, what)};
}

std::optional<json> json_input(const std::string& spec, const std::string& what) {
  const auto first = spec.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (spec[first] == '[' || spec[first] == '{')) {
    try {
      return json::parse(spec);
    } catch (const json::exception& e) {
      throw input_error(what + ": inline JSON '" + spec + "' is not valid (" + e.what() + ")");
    }
  }
  const std::string suffix = ".json";
  if (spec.size() >= suffix.size() && spec.compare(spec.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return parse_document(spec, what);
  }
  const auto field = read_json_field(spec, what);
  if (!field) return std::nullopt;
  const json& doc = field->document;
  const json& holder = doc.is_object() && doc.contains("result") && doc["result"].is_object() ? doc["result"] : doc;
  if (!holder.is_object() || !holder.contains(field->key)) {
    throw input_error(field->path + ": has no field '" + field->key + "' (" + what + ")");
  }
  return holder[field->key];
}

head_list read_head_list(const std::string& spec, const std::string& what) {
  if (const auto value = json_input(spec, what)) return heads_from_json(*value, spec + ": " + what);
  const icl::io::array a = load_tensor(spec);
  if (!a.is_integer() || a.rank() != 2 || a.shape()[1] != 2) {
    throw input_error(a.source() + ": " + what + " must be an integer array [k, 2] of (layer, head) pairs, got " +
                      icl::io::dtype_name(a.type()) + " of shape " + shape_string(a.shape()));
  }
  const std::vector<std::int64_t> flat = a.integers();
  head_list out;
  for (std::size_t k = 0; k < a.shape()[0]; ++k) {
    const std::int64_t layer = flat[2 * k], head = flat[2 * k + 1];
    if (layer < 0 || head < 0) {
      throw input_error(a.source() + ": " + what + " head " + std::to_string(k) + " = (" + std::to_string(layer) +
                        ", " + std::to_string(head) + ") is negative");
    }
    out.emplace_back(static_cast<std::size_t>(layer), static_cast<std::size_t>(head));
  }
  return out;
}

icl::attention::head_map read_score_grid(const std::string& spec, const std::string& what) {
  icl::attention::head_map m;
  if (const auto value = json_input(spec, what)) {
    if (!value->is_array() || value->empty() || !(*value)[0].is_array()) {
      throw input_error(spec + ": " + what + " must be an array of rows [layers][heads]");
    }
    m.layers = value->size();
    m.heads = (*value)[0].size();
    for (std::size_t l = 0; l < m.layers; ++l) {
      const json& row = (*value)[l];
      if (!row.is_array() || row.size() != m.heads) {
        throw input_error(spec + ": " + what + " row " + std::to_string(l) + " does not hold " +
                          std::to_string(m.heads) + " scores like row 0");
      }
      for (std::size_t h = 0; h < m.heads; ++h) {
        if (!row[h].is_number() && !row[h].is_null()) {
          throw input_error(spec + ": " + what + " (" + std::to_string(l) + ", " + std::to_string(h) + ") is " +
                            row[h].dump() + ", not a number");
        }
        m.values.push_back(row[h].is_null() ? std::numeric_limits<double>::quiet_NaN() : row[h].get<double>());
      }
    }
    return m;
  }
  const icl::io::array a = load_tensor(spec);
  if (a.rank() != 2 || !(a.is_floating() || a.is_integer())) {
    throw input_error(a.source() + ": " + what + " must be a numeric array [layers, heads], got " +
                      icl::io::dtype_name(a.type()) + " of shape " + shape_string(a.shape()));
  }
  m.layers = a.shape()[0];
  m.heads = a.shape()[1];
  m.values = a.doubles();
  return m;
}

json head_pairs(const head_list& heads) {
  json out = json::array();
  for (const auto& [layer, head] : heads) out.push_back(json::array({layer, head}));
  return out;
}

}  // namespace icl_tool
