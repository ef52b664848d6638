// icl::mpi::merge of the attention accumulators: each rank adds its own prompts (even and uneven
// splits, a rank without prompts; C-order and permuted strided tensors, float and double), and
// the merged accumulator on every rank gives the results of one accumulator fed every prompt.
// Merging accumulators that differ in normalize fails on every rank, naming the rank.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include <mpi.h>

#include "icl/attention/bias.hpp"
#include "icl/attention/heads.hpp"
#include "icl/attention/in_context_heads.hpp"
#include "icl/attention/ratio.hpp"
#include "icl/core/random.hpp"
#include "icl/mpi/attention.hpp"
#include "sums_support.hpp"
#include "support/attention.hpp"
#include "support/views.hpp"

namespace {

constexpr std::size_t L = 2, H = 3, T = 6, prompts = 7;

/// Prompt p's attention [L, H, T, T]: causal rows of positive weights summing to one.
std::vector<double> attention(std::size_t p) {
  icl::counter_rng rng(40 + p, 0);
  std::vector<double> a(L * H * T * T, 0.0);
  for (std::size_t u = 0; u < L * H; ++u)
    for (std::size_t q = 0; q < T; ++q) {
      double s = 0.0;
      for (std::size_t k = 0; k <= q; ++k) s += (a[(u * T + q) * T + k] = 0.1 + rng.uniform01());
      for (std::size_t k = 0; k <= q; ++k) a[(u * T + q) * T + k] /= s;
    }
  return a;
}

void require_same(const icl::attention::head_map& got, const icl::attention::head_map& expected, double tol) {
  REQUIRE(got.layers == expected.layers);
  REQUIRE(got.heads == expected.heads);
  REQUIRE(got.zero_denominator == expected.zero_denominator);
  for (std::size_t i = 0; i < got.values.size(); ++i) REQUIRE(got.values[i] == Approx(expected.values[i]).epsilon(tol));
}

}  // namespace

TEMPLATE_TEST_CASE("mpi merge of the attention accumulators equals one process", "[mpi][attention]", float, double) {
  const double tol = icl_test::tolerance<TestType>();
  const std::vector<std::size_t> sources{5}, relevant{1, 3}, irrelevant{0, 2, 4}, labels{1, 3};
  const std::vector<int> classes{0, 1};
  for (const bool permuted : {false, true}) {
    std::vector<icl_test::typed_attention<TestType>> A;
    for (std::size_t p = 0; p < prompts; ++p) A.push_back(icl_test::make_attention<TestType>(attention(p), L, H, T, permuted));
    icl::attention::ratio_accumulator ratio_all;
    icl::attention::previous_token_accumulator prev_all;
    icl::attention::induction_accumulator induction_all;
    icl::attention::label_bias_accumulator bias_all;
    icl::attention::label_score_accumulator score_all(2);
    const auto add = [&](std::size_t p, auto& ratio, auto& prev, auto& induction, auto& bias, auto& score) {
      ratio.add(A[p].view, sources, relevant, irrelevant);
      prev.add(A[p].view);
      induction.add(A[p].view, labels);
      bias.add(A[p].view, labels, classes);
      score.add(p % 2, icl::attention::previous_token_score(A[p].view));
    };
    for (std::size_t p = 0; p < prompts; ++p) add(p, ratio_all, prev_all, induction_all, bias_all, score_all);
    for (const auto& counts : sums_test::splits(prompts)) {
      INFO("permuted " << permuted << ", rank 0 prompts " << counts[0]);
      icl::attention::ratio_accumulator ratio;
      icl::attention::previous_token_accumulator prev;
      icl::attention::induction_accumulator induction;
      icl::attention::label_bias_accumulator bias;
      icl::attention::label_score_accumulator score(2);
      const std::size_t first = sums_test::first_row(counts);
      for (std::size_t p = first; p < first + counts[static_cast<std::size_t>(sums_test::rank())]; ++p) {
        add(p, ratio, prev, induction, bias, score);
      }
      icl::mpi::merge(MPI_COMM_WORLD, ratio);
      icl::mpi::merge(MPI_COMM_WORLD, prev);
      icl::mpi::merge(MPI_COMM_WORLD, induction);
      icl::mpi::merge(MPI_COMM_WORLD, bias);
      icl::mpi::merge(MPI_COMM_WORLD, score);
      REQUIRE(ratio.prompts() == prompts);
      require_same(ratio.result(), ratio_all.result(), tol);
      require_same(ratio.ratio_of_sums(), ratio_all.ratio_of_sums(), tol);
      require_same(prev.result(), prev_all.result(), tol);
      require_same(induction.result(), induction_all.result(), tol);
      const auto b = bias.result(), b_all = bias_all.result();
      REQUIRE(b.prompts == b_all.prompts);
      REQUIRE(b.profile_prompts == b_all.profile_prompts);
      icl_test::require_close<TestType>(b.recency_excess, b_all.recency_excess);
      icl_test::require_close<TestType>(b.recency_profile, b_all.recency_profile);
      const auto s = score.result(), s_all = score_all.result();
      for (std::size_t k = 0; k < 2; ++k) require_same(s[k], s_all[k], tol);
      REQUIRE(score.prompts(1) == score_all.prompts(1));
    }
  }
}

TEST_CASE("mpi merge of accumulators with other settings fails on every rank", "[mpi][attention][errors]") {
  const int last = sums_test::ranks() - 1;
  if (last == 0) return;  // needs two ranks
  icl::attention::ratio_accumulator acc(sums_test::rank() != last);
  const auto a = icl_test::make_attention<double>(attention(0), L, H, T, false);
  acc.add(a.view, {5}, {1}, {0});
  REQUIRE_THROWS_WITH(icl::mpi::merge(MPI_COMM_WORLD, acc),
                      Catch::Contains("icl::attention::ratio_accumulator::merge: accumulators differ in normalize") &&
                          Catch::Contains("(rank " + std::to_string(last) + ")"));
  REQUIRE(acc.prompts() == 1);
}
