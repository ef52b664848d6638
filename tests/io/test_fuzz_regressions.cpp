// Replays the fuzz corpus (fuzz/corpus/<reader>/) and every crashing input the fuzzers ever
// found (fuzz/regressions/<reader>/) through the fuzz targets' bodies: each parser must succeed
// or throw icl::io::format_error, never crash or read out of bounds (the ASan build checks the
// latter). Also feeds every prefix of each corpus file (truncations at every byte).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../../fuzz/targets.hpp"
#include "io/support.hpp"

namespace {

namespace fs = std::filesystem;

using runner = int (*)(const std::uint8_t*, std::size_t);

std::vector<fs::path> files_in(const std::string& folder) {
  std::vector<fs::path> out;
  const fs::path dir = fs::path(ICL_TEST_DATA_DIR) / ".." / ".." / "fuzz" / folder;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.' &&
        entry.path().filename() != "README.md") {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Runs the target on a heap copy of exactly the input's size, so that ASan sees any over-read.
void replay(runner run, const icl_io_test::bytes& input) {
  std::vector<std::uint8_t> copy(input.begin(), input.end());
  run(copy.empty() ? nullptr : copy.data(), copy.size());
}

void replay_folder(const char* reader, runner run, bool require_some) {
  const auto corpus = files_in(std::string("corpus/") + reader);
  if (require_some) REQUIRE_FALSE(corpus.empty());
  for (const auto& path : corpus) {
    INFO(path.string());
    const auto input = icl_io_test::read_file(path.string());
    for (std::size_t n = 0; n <= input.size(); ++n) {
      replay(run, icl_io_test::bytes(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(n)));
    }
  }
  for (const auto& path : files_in(std::string("regressions/") + reader)) {
    INFO(path.string());
    replay(run, icl_io_test::read_file(path.string()));
  }
}

}  // namespace

TEST_CASE("fuzz corpus and regressions: npy", "[io][fuzz]") { replay_folder("npy", icl_fuzz::run_npy, true); }

TEST_CASE("fuzz corpus and regressions: npz", "[io][fuzz]") { replay_folder("npz", icl_fuzz::run_npz, true); }

TEST_CASE("fuzz corpus and regressions: safetensors", "[io][fuzz]") {
  replay_folder("safetensors", icl_fuzz::run_safetensors, true);
}

TEST_CASE("the fuzz targets accept valid files and survive an empty input", "[io][fuzz]") {
  // A valid file parses (no format_error is swallowed): the sum of its values comes back.
  const auto npy = icl_io_test::read_file(icl_io_test::data_path("scalar.npy"));
  REQUIRE(icl_fuzz::exercise(icl::io::parse_npy(npy.data(), npy.size(), "s")) == 2.5);
  REQUIRE(icl_fuzz::run_npy(nullptr, 0) == 0);
  REQUIRE(icl_fuzz::run_npz(nullptr, 0) == 0);
  REQUIRE(icl_fuzz::run_safetensors(nullptr, 0) == 0);
}
