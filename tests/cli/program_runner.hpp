// What every test of the icl-metrics program uses: running the program on tests/data/cli and
// reading its output. Each test file of this folder is its own executable (icl_cli_test in
// CMakeLists.txt), so the helpers are inline.
#ifndef ICL_TESTS_CLI_PROGRAM_RUNNER_HPP
#define ICL_TESTS_CLI_PROGRAM_RUNNER_HPP

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace icl_cli_test {

namespace fs = std::filesystem;
using json = nlohmann::json;

inline const std::string program = ICL_CLI_PROGRAM;
inline const std::string data = std::string(ICL_TEST_DATA_DIR) + "cli/";

struct run_result {
  int code = -1;
  std::string out, err;
};

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline fs::path work_dir() {
  const fs::path dir = fs::path(ICL_CLI_WORK_DIR);
  fs::create_directories(dir);
  return dir;
}

/// Runs the program with `args` (a shell fragment) from the data directory.
inline run_result run(const std::string& args) {
  static int counter = 0;  // one program run per file name within this executable
  const fs::path dir = work_dir();
  const std::string stem = "run" + std::to_string(++counter);
  const fs::path out = dir / (stem + ".out"), err = dir / (stem + ".err");
  const std::string command =
      "cd '" + data + "' && '" + program + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(command.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

/// Runs the program with `args` and requires that it succeeds (its error output is shown on
/// failure).
inline run_result run_ok(const std::string& args) {
  run_result r = run(args);
  INFO(r.err);
  REQUIRE(r.code == 0);
  return r;
}

/// Runs the program with `first`, then with `second`, and requires that both succeed (their
/// error output is shown on failure).
inline std::pair<run_result, run_result> run_both(const std::string& first, const std::string& second) {
  std::pair<run_result, run_result> r{run(first), run(second)};
  INFO(r.first.err << r.second.err);
  REQUIRE(r.first.code == 0);
  REQUIRE(r.second.code == 0);
  return r;
}

inline json parse(const std::string& text) {
  INFO(text);
  return json::parse(text);
}

inline void check_close(const json& got, const std::vector<double>& expected, double rel, double abs_tol = 0.0) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("entry " << i);
    REQUIRE(got[i].is_number());
    CHECK(got[i].get<double>() == Approx(expected[i]).epsilon(rel).margin(abs_tol));
  }
}

/// A [layers][heads] JSON grid against a row-major reference.
inline void check_grid(const json& got, const std::vector<double>& expected, double rel) {
  std::vector<double> flat;
  for (const auto& row : got) {
    for (const auto& v : row) flat.push_back(v.is_number() ? v.get<double>() : std::nan(""));
  }
  REQUIRE(flat.size() == expected.size());
  for (std::size_t i = 0; i < flat.size(); ++i) {
    INFO("entry " << i);
    CHECK(flat[i] == Approx(expected[i]).epsilon(rel));
  }
}

inline std::size_t line_count(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += c == '\n';
  return n;
}

inline std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

}  // namespace icl_cli_test

#endif  // ICL_TESTS_CLI_PROGRAM_RUNNER_HPP
