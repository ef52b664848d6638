// The should_stop hook of permutation_test and bootstrap_compare: the same results with a hook
// that never stops, icl::error "...: interrupted after k of N ..." when it does, asked on the
// calling thread between batches.
#include <catch2/catch.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/rsa/inference.hpp"

using icl::rsa::comparison;
using icl::rsa::rdm;

namespace {

// Two RDMs of n conditions with a loose relation (finite, no constant vector).
std::pair<rdm, rdm> pair_of(std::size_t n) {
  std::vector<double> a;
  std::vector<double> b;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      a.push_back(static_cast<double>((i * 7 + j * 3) % 11) + 0.1 * static_cast<double>(j - i));
      b.push_back(static_cast<double>((i * 5 + j * 2) % 13) + 0.2 * static_cast<double>(j - i));
    }
  }
  return {rdm(n, a), rdm(n, b)};
}

}  // namespace

TEST_CASE("permutation_test: a hook that never stops changes nothing", "[rsa][inference]") {
  const auto [a, b] = pair_of(12);
  for (const comparison c : {comparison::spearman, comparison::kendall_tau_b, comparison::pearson}) {
    icl::rsa::permutation_params plain;
    plain.permutations = 3001;
    plain.seed = 5;
    plain.keep_null = true;
    icl::rsa::permutation_params hooked = plain;
    std::size_t calls = 0;
    const auto caller = std::this_thread::get_id();
    bool same_thread = true;
    hooked.should_stop = [&] {
      ++calls;
      same_thread = same_thread && std::this_thread::get_id() == caller;
      return false;
    };
    const auto expected = icl::rsa::permutation_test(a, b, c, plain);
    const auto got = icl::rsa::permutation_test(a, b, c, hooked);
    CHECK(got.statistic == expected.statistic);
    CHECK(got.p_value == expected.p_value);
    CHECK(got.null_distribution == expected.null_distribution);
    CHECK(calls >= 1);
    CHECK(same_thread);
  }
}

TEST_CASE("permutation_test: should_stop returning true throws icl::error", "[rsa][inference]") {
  const auto [a, b] = pair_of(10);
  icl::rsa::permutation_params p;
  p.permutations = 100000;
  std::size_t calls = 0;
  p.should_stop = [&] { return ++calls == 2; };
  try {
    icl::rsa::permutation_test(a, b, comparison::spearman, p);
    FAIL("no exception");
  } catch (const icl::error& e) {
    const std::string message = e.what();
    CHECK(message.rfind("icl::rsa::permutation_test: interrupted after ", 0) == 0);
    CHECK(message.find(" of 100000 permutations") != std::string::npos);
    CHECK(message.find("after 0 of") == std::string::npos);  // one batch ran before the stop
  }
  CHECK(calls == 2);
  // Stopped before the first batch: nothing ran.
  p.should_stop = [] { return true; };
  CHECK_THROWS_WITH(icl::rsa::permutation_test(a, b, comparison::spearman, p),
                    "icl::rsa::permutation_test: interrupted after 0 of 100000 permutations");
  // The hook's own exception goes through unchanged.
  p.should_stop = []() -> bool { throw std::runtime_error("from the hook"); };
  CHECK_THROWS_WITH(icl::rsa::permutation_test(a, b, comparison::spearman, p), "from the hook");
}

TEST_CASE("bootstrap_compare: the should_stop hook", "[rsa][inference]") {
  const auto [a, b] = pair_of(11);
  icl::rsa::bootstrap_params plain;
  plain.samples = 700;
  plain.seed = 3;
  icl::rsa::bootstrap_params hooked = plain;
  hooked.should_stop = [] { return false; };
  const auto expected = icl::rsa::bootstrap_compare(a, b, comparison::spearman, plain);
  const auto got = icl::rsa::bootstrap_compare(a, b, comparison::spearman, hooked);
  CHECK(got.ci_low == expected.ci_low);
  CHECK(got.ci_high == expected.ci_high);
  CHECK(got.standard_error == expected.standard_error);
  CHECK(got.skipped == expected.skipped);
  hooked.should_stop = [] { return true; };
  CHECK_THROWS_AS(icl::rsa::bootstrap_compare(a, b, comparison::spearman, hooked), icl::error);
  CHECK_THROWS_WITH(icl::rsa::bootstrap_compare(a, b, comparison::spearman, hooked),
                    "icl::rsa::bootstrap_compare: interrupted after 0 of 700 samples");
}
