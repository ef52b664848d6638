// Reader for the reference fixtures under tests/data (written by
// tests/data/make_rsa_fixtures.py).
//
// File format (text):
//   - a line whose first non-blank character is '#' is a comment; blank lines are ignored;
//   - a record starts with a header line  "@ NAME KIND NDIM D0 D1 ... D{NDIM-1}",
//     KIND is "f8" (double) or "i8" (integer), NDIM may be 0 (a scalar, one value);
//   - the header is followed by prod(shape) values separated by blanks or newlines,
//     in C (row-major) order; doubles are written with "%.17g" and read back exactly,
//     non-finite values as "nan", "inf", "-inf".
//
// Any malformed input (unknown kind, bad number, too few or too many values, duplicate
// name) raises std::runtime_error naming the file and, where there is one, the line.
//
// Usage:
//   icl_test::fixture_file f("rsa_rdm.txt");   // relative to ICL_TEST_DATA_DIR
//   const std::vector<double>& x = f.values("X");
//   const std::vector<std::size_t>& shape = f.shape("X");   // {12, 7}
#pragma once

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifndef ICL_TEST_DATA_DIR
#error "ICL_TEST_DATA_DIR must be defined as a string literal naming the tests/data directory"
#endif

namespace icl_test {

class fixture_file {
 public:
  // Reads and checks the whole file.  A relative file_name is taken relative to
  // ICL_TEST_DATA_DIR; an absolute one (starting with '/') is used as given.
  explicit fixture_file(const std::string& file_name) : path_(resolve(file_name)) {
    std::ifstream in(path_);
    if (!in) {
      throw std::runtime_error("fixture_file: cannot open '" + path_ + "'");
    }
    parse(in);
  }

  bool has(const std::string& name) const { return records_.count(name) != 0; }

  // All values of a record, in C order.
  const std::vector<double>& values(const std::string& name) const { return find(name).values; }

  // The record's shape; empty for a scalar (NDIM 0).
  const std::vector<std::size_t>& shape(const std::string& name) const {
    return find(name).shape;
  }

  // A single value: the record must have NDIM 0 or hold exactly one value.
  double scalar(const std::string& name) const {
    const record& r = find(name);
    if (r.values.size() != 1) {
      throw std::runtime_error(where(name) + " is not a scalar (it holds " +
                               std::to_string(r.values.size()) + " values)");
    }
    return r.values.front();
  }

  // The values converted to int; every value must be an integer within int's range.
  std::vector<int> ints(const std::string& name) const {
    const record& r = find(name);
    std::vector<int> out;
    out.reserve(r.values.size());
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      const double v = r.values[i];
      const bool integral = std::isfinite(v) && std::floor(v) == v &&
                            v >= static_cast<double>(std::numeric_limits<int>::min()) &&
                            v <= static_cast<double>(std::numeric_limits<int>::max());
      if (!integral) {
        std::ostringstream msg;
        msg.precision(17);
        msg << where(name) << ": value " << i << " (" << v << ") is not an integer in int range";
        throw std::runtime_error(msg.str());
      }
      out.push_back(static_cast<int>(v));
    }
    return out;
  }

  const std::string& path() const { return path_; }

 private:
  struct record {
    std::string kind;
    std::vector<std::size_t> shape;
    std::vector<double> values;
    std::size_t expected = 0;  // prod(shape)
    std::size_t header_line = 0;
  };

  static std::string resolve(const std::string& file_name) {
    if (!file_name.empty() && file_name.front() == '/') return file_name;
    return std::string(ICL_TEST_DATA_DIR) + "/" + file_name;
  }

  std::string where(const std::string& name) const {
    return "fixture_file '" + path_ + "', key '" + name + "'";
  }

  std::runtime_error parse_error(std::size_t line_no, const std::string& what) const {
    return std::runtime_error("fixture_file '" + path_ + "', line " + std::to_string(line_no) +
                              ": " + what);
  }

  const record& find(const std::string& name) const {
    const auto it = records_.find(name);
    if (it == records_.end()) throw std::runtime_error(where(name) + ": no such record");
    return it->second;
  }

  // Parses one whitespace-free token as a double with std::strtod (which also reads
  // "nan", "inf", "-inf"); the whole token must be consumed.
  double parse_double(const std::string& token, std::size_t line_no) const {
    const char* begin = token.c_str();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(begin, &end);
    if (end == begin || *end != '\0') {
      throw parse_error(line_no, "'" + token + "' is not a number");
    }
    // ERANGE on underflow still yields the nearest representable value (a denormal
    // or zero), which is what the writer meant; only overflow is an error.
    if (errno == ERANGE && std::isinf(v)) {
      throw parse_error(line_no, "'" + token + "' is out of double range");
    }
    return v;
  }

  static std::size_t parse_size(const std::string& token, bool& ok) {
    ok = !token.empty();
    std::size_t v = 0;
    for (const char c : token) {
      if (c < '0' || c > '9') {
        ok = false;
        return 0;
      }
      const std::size_t digit = static_cast<std::size_t>(c - '0');
      if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
        ok = false;
        return 0;
      }
      v = v * 10 + digit;
    }
    return v;
  }

  void finish(const std::string& name) const {
    if (name.empty()) return;
    const record& r = records_.at(name);
    if (r.values.size() != r.expected) {
      throw std::runtime_error("fixture_file '" + path_ + "', record '" + name + "' (line " +
                               std::to_string(r.header_line) + "): expected " +
                               std::to_string(r.expected) + " values, found " +
                               std::to_string(r.values.size()));
    }
  }

  void parse(std::istream& in) {
    std::string line;
    std::string current;  // name of the record being filled, empty before the first
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const std::size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      std::istringstream tokens(line);
      if (line[first] == '@') {
        finish(current);
        current = parse_header(tokens, line_no);
        continue;
      }
      if (current.empty()) throw parse_error(line_no, "values before the first '@' header");
      record& r = records_[current];
      std::string token;
      while (tokens >> token) {
        if (r.values.size() == r.expected) {
          throw parse_error(line_no, "record '" + current + "' has more than " +
                                         std::to_string(r.expected) + " values");
        }
        const double v = parse_double(token, line_no);
        if (r.kind == "i8" && !(std::isfinite(v) && std::floor(v) == v)) {
          throw parse_error(line_no, "record '" + current + "' is i8 but '" + token +
                                         "' is not an integer");
        }
        r.values.push_back(v);
      }
    }
    if (in.bad()) throw std::runtime_error("fixture_file '" + path_ + "': read error");
    finish(current);
  }

  // "@ NAME KIND NDIM D0 ..."; returns the new record's name.
  std::string parse_header(std::istringstream& tokens, std::size_t line_no) {
    std::string at, name, kind, ndim_token;
    if (!(tokens >> at >> name >> kind >> ndim_token) || at != "@") {
      throw parse_error(line_no, "header must read '@ NAME KIND NDIM D0 D1 ...'");
    }
    if (kind != "f8" && kind != "i8") {
      throw parse_error(line_no, "record '" + name + "' has unknown kind '" + kind + "'");
    }
    bool ok = false;
    const std::size_t ndim = parse_size(ndim_token, ok);
    if (!ok || ndim > 32) throw parse_error(line_no, "bad NDIM '" + ndim_token + "'");
    record r;
    r.kind = kind;
    r.header_line = line_no;
    r.expected = 1;
    for (std::size_t k = 0; k < ndim; ++k) {
      std::string dim_token;
      if (!(tokens >> dim_token)) {
        throw parse_error(line_no, "record '" + name + "' lists fewer than NDIM dimensions");
      }
      const std::size_t dim = parse_size(dim_token, ok);
      if (!ok) throw parse_error(line_no, "bad dimension '" + dim_token + "'");
      if (dim != 0 && r.expected > std::numeric_limits<std::size_t>::max() / dim) {
        throw parse_error(line_no, "record '" + name + "' has too many elements");
      }
      r.expected *= dim;
      r.shape.push_back(dim);
    }
    std::string extra;
    if (tokens >> extra) {
      throw parse_error(line_no, "record '" + name + "' has more than NDIM dimensions");
    }
    if (records_.count(name) != 0) {
      throw parse_error(line_no, "duplicate record '" + name + "'");
    }
    r.values.reserve(r.expected < (std::size_t{1} << 24) ? r.expected : 0);
    records_.emplace(name, std::move(r));
    return name;
  }

  std::string path_;
  std::map<std::string, record> records_;
};

}  // namespace icl_test
