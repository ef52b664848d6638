#include "common.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>

#include "icl/core/widen.hpp"

namespace icl_tool {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join_path(const std::string& base, const std::string& path) {
  if (base.empty() || path.empty() || path[0] == '/') return path;
  return base.back() == '/' ? base + path : base + "/" + path;
}

bool looks_inline(const std::string& spec) {
  const auto first = spec.find_first_not_of(" \t\r\n");
  return first != std::string::npos && spec[first] == '[';
}

json parse_json_spec(const std::string& spec, const std::string& base_dir, const std::string& what) {
  if (looks_inline(spec)) {
    try {
      return json::parse(spec);
    } catch (const json::exception& e) {
      throw input_error(what + ": inline list '" + spec + "' is not valid JSON (" + e.what() + ")");
    }
  }
  const std::string path = join_path(base_dir, spec);
  std::ifstream in(path);
  if (!in) throw input_error(path + ": cannot open the file (" + what + ")");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw input_error(path + ": not valid JSON (" + e.what() + ")");
  }
}

int checked_int(std::int64_t v, const std::string& what, std::size_t index) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    throw input_error(what + ": entry " + std::to_string(index) + " = " + std::to_string(v) + " does not fit in int");
  }
  return static_cast<int>(v);
}

std::int64_t json_integer(const json& v, const std::string& what, std::size_t index) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  throw input_error(what + ": entry " + std::to_string(index) + " (" + v.dump() + ") is not an integer");
}

/// Rows of an integer array (1-D: one shared row; 2-D: one row per prompt) from a loaded array.
std::vector<std::vector<std::int64_t>> integer_rows(const icl::io::array& a, const std::string& what, bool& shared) {
  if (!a.is_integer()) {
    throw input_error(a.source() + ": " + what + " must be an integer array, got dtype " + icl::io::dtype_name(a.type()));
  }
  if (a.rank() != 1 && a.rank() != 2) {
    throw input_error(a.source() + ": " + what + " must be 1-D or 2-D, got shape " + shape_string(a.shape()));
  }
  const std::vector<std::int64_t> flat = a.integers();
  std::vector<std::vector<std::int64_t>> rows;
  if (a.rank() == 1) {
    shared = true;
    rows.push_back(flat);
  } else {
    shared = false;
    const std::size_t r = a.shape()[0], c = a.shape()[1];
    rows.resize(r);
    for (std::size_t i = 0; i < r; ++i) rows[i].assign(flat.begin() + static_cast<std::ptrdiff_t>(i * c),
                                                       flat.begin() + static_cast<std::ptrdiff_t>((i + 1) * c));
  }
  return rows;
}

std::vector<std::vector<std::int64_t>> json_rows(const json& value, const std::string& what, bool& shared) {
  if (!value.is_array()) throw input_error(what + ": expected a JSON array, got " + value.dump());
  std::vector<std::vector<std::int64_t>> rows;
  const bool nested = !value.empty() && value[0].is_array();
  shared = !nested;
  if (!nested) {
    rows.emplace_back();
    for (std::size_t i = 0; i < value.size(); ++i) rows[0].push_back(json_integer(value[i], what, i));
    return rows;
  }
  for (std::size_t p = 0; p < value.size(); ++p) {
    if (!value[p].is_array()) throw input_error(what + ": row " + std::to_string(p) + " is not an array");
    rows.emplace_back();
    for (std::size_t i = 0; i < value[p].size(); ++i) rows.back().push_back(json_integer(value[p][i], what, i));
  }
  return rows;
}

std::vector<std::vector<std::int64_t>> any_rows(const json& value, const std::string& base_dir, const std::string& what,
                                                bool& shared) {
  if (value.is_array()) return json_rows(value, what, shared);
  if (!value.is_string()) throw input_error(what + ": expected a tensor reference or an array, got " + value.dump());
  const std::string spec = value.get<std::string>();
  if (looks_inline(spec) || ends_with(spec, ".json")) return json_rows(parse_json_spec(spec, base_dir, what), what, shared);
  return integer_rows(load_tensor(spec, base_dir), what, shared);
}

}  // namespace

icl::io::array load_tensor(const std::string& reference, const std::string& base_dir) {
  try {
    return icl::io::load(reference, base_dir);
  } catch (const icl::io::format_error& e) {
    throw input_error(e.what());
  } catch (const icl::invalid_argument& e) {
    throw input_error(reference + ": " + e.what());
  } catch (const icl::error& e) {
    throw input_error(reference + ": " + e.what());
  } catch (const std::system_error& e) {
    throw input_error(join_path(base_dir, reference) + ": " + e.what());
  }
}

void require_float(const icl::io::array& a, std::size_t rank, const std::string& what) {
  if (!a.is_floating()) {
    throw input_error(a.source() + ": " + what + " must be floating (f16, bf16, f32 or f64), got dtype " +
                      icl::io::dtype_name(a.type()));
  }
  if (a.rank() != rank) {
    throw input_error(a.source() + ": " + what + " must have " + std::to_string(rank) + " dimensions, got shape " +
                      shape_string(a.shape()));
  }
}

icl::io::array load_float_tensor(const std::string& reference, const std::string& base_dir, std::size_t rank,
                                 const std::string& what) {
  icl::io::array a = load_tensor(reference, base_dir);
  require_float(a, rank, what);
  return a;
}

std::vector<int> int_list_from_json(const json& value, const std::string& what) {
  bool shared = false;
  const auto rows = json_rows(value, what, shared);
  if (!shared) throw input_error(what + ": expected a flat list of integers");
  std::vector<int> out;
  for (std::size_t i = 0; i < rows[0].size(); ++i) out.push_back(checked_int(rows[0][i], what, i));
  return out;
}

std::vector<int> read_int_list(const std::string& spec, const std::string& base_dir, const std::string& what) {
  bool shared = false;
  const auto rows = any_rows(json(spec), base_dir, what, shared);
  if (!shared) {
    throw input_error(spec + ": " + what + " must be a 1-D list, got " + std::to_string(rows.size()) + " rows");
  }
  std::vector<int> out;
  for (std::size_t i = 0; i < rows[0].size(); ++i) out.push_back(checked_int(rows[0][i], spec + ": " + what, i));
  return out;
}

position_lists positions_from_json(const json& value, const std::string& base_dir, const std::string& what) {
  bool shared = false;
  const auto rows = any_rows(value, base_dir, what, shared);
  position_lists out;
  out.shared = shared;
  for (const auto& row : rows) {
    out.lists.emplace_back();
    for (const std::int64_t v : row) {
      if (v >= 0) out.lists.back().push_back(static_cast<std::size_t>(v));
    }
  }
  return out;
}

position_lists read_positions(const std::string& spec, const std::string& base_dir, const std::string& what) {
  return positions_from_json(json(spec), base_dir, what);
}

std::vector<std::vector<int>> read_int_rows(const json& value, const std::string& base_dir, const std::string& what) {
  bool shared = false;
  const auto rows = any_rows(value, base_dir, what, shared);
  std::vector<std::vector<int>> out;
  for (const auto& row : rows) {
    out.emplace_back();
    for (std::size_t i = 0; i < row.size(); ++i) out.back().push_back(checked_int(row[i], what, i));
  }
  return out;
}

std::vector<double> read_double_list(const std::string& spec, const std::string& base_dir, const std::string& what) {
  if (looks_inline(spec) || ends_with(spec, ".json")) {
    const json v = parse_json_spec(spec, base_dir, what);
    if (!v.is_array()) throw input_error(what + ": expected a JSON array of numbers");
    std::vector<double> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_number()) throw input_error(what + ": entry " + std::to_string(i) + " is not a number");
      out.push_back(v[i].get<double>());
    }
    return out;
  }
  const icl::io::array a = load_tensor(spec, base_dir);
  if (a.rank() != 1) {
    throw input_error(a.source() + ": " + what + " must be 1-D, got shape " + shape_string(a.shape()));
  }
  if (!a.is_floating() && !a.is_integer()) {
    throw input_error(a.source() + ": " + what + " must be numeric, got dtype " + icl::io::dtype_name(a.type()));
  }
  return a.doubles();
}

std::string shape_string(const std::vector<std::size_t>& shape) {
  if (shape.empty()) return "() (a scalar)";
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? " x " : "") + std::to_string(shape[i]);
  return s;
}

void progress::begin(std::string what, std::string unit, std::size_t total) {
  what_ = std::move(what);
  unit_ = std::move(unit);
  total_ = total;
  start_ = std::chrono::steady_clock::now();
  last_ = start_;
  printed_ = false;
}

void progress::step(std::size_t done) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // Short runs stay silent: a line at most every half second, and the last step only when the
  // computation took that long.
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (elapsed < 0.5 || (done < total_ && printed_ && since_last < 0.5)) return;
  printed_ = true;
  last_ = now;
  char buffer[256];
  if (done < total_ && done > 0) {
    const double left = elapsed / static_cast<double>(done) * static_cast<double>(total_ - done);
    std::snprintf(buffer, sizeof buffer, "%s %zu of %zu, elapsed %.1f s, about %.1f s left", unit_.c_str(), done,
                  total_, elapsed, left);
  } else {
    std::snprintf(buffer, sizeof buffer, "%s %zu of %zu, elapsed %.1f s", unit_.c_str(), done, total_, elapsed);
  }
  std::cerr << "icl-metrics: " << what_ << ": " << buffer << '\n';
}

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json numbers(const std::vector<double>& v) {
  json out = json::array();
  for (const double x : v) out.push_back(number(x));
  return out;
}

namespace {

std::string csv_cell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (const char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  if (v.is_number_float()) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", v.get<double>());
    return buffer;
  }
  return v.dump();
}

}  // namespace

std::string rows_to_csv(const json& rows) {
  std::vector<std::string> columns;
  std::map<std::string, bool> seen;
  for (const auto& row : rows) {
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (!seen[it.key()]) {
        seen[it.key()] = true;
        columns.push_back(it.key());
      }
    }
  }
  std::ostringstream out;
  for (std::size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << csv_cell(json(columns[c]));
  out << '\n';
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      out << (c ? "," : "");
      if (row.contains(columns[c])) out << csv_cell(row[columns[c]]);
    }
    out << '\n';
  }
  return out.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw icl::error("cannot open " + path + " for writing");
  out << text;
  out.close();
  if (!out) throw icl::error("cannot write " + path);
}

void write_result(const json& result, const output_options& opts) {
  std::string text;
  if (opts.format == "csv") {
    text = rows_to_csv(result.at("rows"));
  } else {
    text = result.dump(2) + "\n";
  }
  if (opts.path.empty() || opts.path == "-") {
    std::cout << text;
    std::cout.flush();
  } else {
    write_file(opts.path, text);
  }
}

void progress::note(const std::string& line) const {
  if (!quiet_) std::cerr << "icl-metrics: " << line << '\n';
}

void view_float_matrix(const icl::io::array& a, float_matrix& out) {
  const std::size_t rows = a.shape()[0], cols = a.shape()[1];
  switch (a.type()) {
    case icl::io::dtype::f64:
      out.is_double = true;
      out.d = a.matrix<double>();
      return;
    case icl::io::dtype::f32: out.f = a.matrix<float>(); return;
    default: {  // f16 / bf16
      out.converted.resize(rows * cols);
      const auto widen = [&](auto X) {
        for (std::size_t i = 0; i < rows; ++i) {
          float* row = out.converted.data() + i * cols;
          if (X.rows_contiguous()) {
            icl::detail::widen_to_float(X.row_data(i), cols, row);
          } else {
            for (std::size_t j = 0; j < cols; ++j) row[j] = static_cast<float>(X(i, j));
          }
        }
      };
      if (a.type() == icl::io::dtype::f16) {
        widen(a.matrix<icl::f16>());
      } else {
        widen(a.matrix<icl::bf16>());
      }
      out.f = icl::make_matrix_view(static_cast<const float*>(out.converted.data()), rows, cols);
      return;
    }
  }
}

}  // namespace icl_tool
