// The schema tables of docs/cli.md, read back for the tests of the program's JSON output: every
// table that follows a `<!-- schema: NAME -->` line, and a check of JSON objects against one.
#ifndef ICL_TESTS_CLI_SCHEMA_CHECK_HPP
#define ICL_TESTS_CLI_SCHEMA_CHECK_HPP

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "program_runner.hpp"

namespace icl_cli_test {

/// A field of a documented JSON object: its name and whether every instance has it.
struct documented_field {
  std::string name;
  bool always = false;
};

inline std::vector<std::string> table_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = line.find('|');
  while (start != std::string::npos) {
    const std::size_t end = line.find('|', start + 1);
    if (end == std::string::npos) break;
    std::string cell = line.substr(start + 1, end - start - 1);
    const auto first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
    cells.push_back(first == std::string::npos ? std::string() : cell.substr(first, last - first + 1));
    start = end;
  }
  return cells;
}

/// The tables of docs/cli.md that follow a `<!-- schema: NAME -->` line: NAME -> fields (the
/// first `code` of the "field" or "key" column; "always" in the "present" column).
inline std::map<std::string, std::vector<documented_field>> documented_schemas() {
  std::map<std::string, std::vector<documented_field>> out;
  const std::string marker = "<!-- schema: ";
  std::istringstream in(read_text(ICL_CLI_DOCS));
  std::string current;
  std::size_t name_column = 0, present_column = 0;
  bool header = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(marker, 0) == 0) {
      current = line.substr(marker.size(), line.find(" -->") - marker.size());
      header = true;
      continue;
    }
    if (current.empty()) continue;
    if (line.empty() || line[0] != '|') {
      if (!header) current.clear();
      continue;
    }
    const auto cells = table_cells(line);
    if (header) {
      header = false;
      name_column = present_column = cells.size();
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (cells[c] == "field" || cells[c] == "key") name_column = c;
        if (cells[c] == "present") present_column = c;
      }
      out[current];  // a schema with no rows is caught by the checks
      continue;
    }
    if (name_column >= cells.size()) continue;
    const std::string& cell = cells[name_column];
    const auto open = cell.find('`');
    if (open == std::string::npos || cell.rfind("---", 0) == 0) continue;
    documented_field f;
    f.name = cell.substr(open + 1, cell.find('`', open + 1) - open - 1);
    f.always = present_column < cells.size() && cells[present_column] == "always";
    out[current].push_back(f);
  }
  return out;
}

/// Every instance holds the `always` fields and only documented fields; together the instances
/// hold every documented field but those in `not_exercised`.
inline void check_schema(const std::map<std::string, std::vector<documented_field>>& schemas, const std::string& name,
                         const std::vector<json>& instances, const std::set<std::string>& not_exercised = {}) {
  INFO("schema " << name);
  REQUIRE(schemas.count(name) == 1);
  const auto& fields = schemas.at(name);
  REQUIRE_FALSE(fields.empty());
  REQUIRE_FALSE(instances.empty());
  std::set<std::string> documented, seen;
  for (const auto& f : fields) documented.insert(f.name);
  for (const json& object : instances) {
    REQUIRE(object.is_object());
    for (const auto& f : fields) {
      INFO("field " << f.name);
      if (f.always) CHECK(object.contains(f.name));
    }
    for (auto it = object.begin(); it != object.end(); ++it) {
      INFO("undocumented field " << it.key());
      CHECK(documented.count(it.key()) == 1);
      seen.insert(it.key());
    }
  }
  for (const auto& f : fields) {
    INFO("documented field never written: " << f.name);
    CHECK((seen.count(f.name) == 1 || not_exercised.count(f.name) == 1));
  }
}

}  // namespace icl_cli_test

#endif  // ICL_TESTS_CLI_SCHEMA_CHECK_HPP
