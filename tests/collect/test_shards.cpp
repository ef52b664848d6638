// The collector's grown RDM against icl::rsa::compute_rdm, and shards fed by concurrent
// threads and merged against one collector fed in prompt order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <thread>
#include <vector>

#include "icl/collect/collector.hpp"
#include "support.hpp"

namespace {

using icl::collect::precision;
using icl::collect::prompt_collector;
using icl::rsa::dissimilarity;

constexpr std::array<dissimilarity, 5> all_dissimilarities = {
    dissimilarity::euclidean, dissimilarity::sqeuclidean, dissimilarity::sqeuclidean_per_feature,
    dissimilarity::correlation, dissimilarity::cosine};

/// The collector's stored rows of `layer` at `position`, widened to double (prompt order).
std::vector<double> stored_rows(const prompt_collector& c, std::size_t layer, std::size_t position) {
  return c.visit_states(
      [&](auto H) {
        std::vector<double> out;
        for (std::size_t i = 0; i < H.extent(1); ++i) {
          for (std::size_t k = 0; k < H.extent(2); ++k) out.push_back(icl::detail::to_double(H(layer, i, k)));
        }
        return out;
      },
      position);
}

void require_close(const std::vector<double>& got, const std::vector<double>& want, double rel) {
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    INFO("pair " << k << ": " << got[k] << " vs " << want[k]);
    CHECK(std::abs(got[k] - want[k]) <= rel * std::max(std::abs(want[k]), 1e-300));
  }
}

template <class In>
void check_grown(precision stored, std::size_t position) {
  const auto set = icl_test::make_set(17, 21, 3, 2, 24, 3);
  for (dissimilarity dis : all_dissimilarities) {
    INFO("dissimilarity " << icl::to_string(dis) << ", stored " << icl::to_string(stored));
    auto config = icl_test::config_of(set, stored);
    config.grown_rdm = dis;
    config.grown_rdm_position = position;
    prompt_collector c(config);
    // Out of index order: the grown RDM is re-laid in prompt order by sort().
    for (std::size_t i = set.prompts.size(); i-- > 0;) {
      const auto t = icl_test::typed<In>(set, set.prompts[i]);
      c.add_prompt(icl_test::info_of(set.prompts[i]), t.hidden());
      CHECK(c.memory().grown_rdm ==
            set.layers * (c.prompts() * (c.prompts() - 1) / 2 * sizeof(double) + c.prompts() * 2 * sizeof(double)));
    }
    c.sort();
    const std::size_t t = position == icl::collect::last_position ? set.positions - 1 : position;
    for (std::size_t l = 0; l < set.layers; ++l) {
      const std::vector<double> rows = stored_rows(c, l, t);
      const auto X = icl::make_matrix_view(rows.data(), set.prompts.size(), set.width);
      const icl::rsa::rdm want = icl::rsa::compute_rdm(X, dis);
      const icl::rsa::rdm got = c.grown_rdm(l);
      CHECK(got.n() == want.n());
      require_close(got.condensed(), want.condensed(), 1e-10);
    }
  }
}

}  // namespace

TEST_CASE("grown RDM: equal to compute_rdm on the stored rows, every dissimilarity", "[collect]") {
  SECTION("float input, f16 storage") { check_grown<float>(precision::f16, icl::collect::last_position); }
  SECTION("double input, f16 storage") { check_grown<double>(precision::f16, 0); }
  SECTION("float input, f32 storage") { check_grown<float>(precision::f32, 1); }
  SECTION("double input, f64 storage") { check_grown<double>(precision::f64, icl::collect::last_position); }
  SECTION("double input, bf16 storage") { check_grown<double>(precision::bf16, 0); }
}

TEST_CASE("grown RDM: the suite uses it and agrees with compute_rdm", "[collect]") {
  const auto set = icl_test::make_set(20, 4);
  auto config = icl_test::config_of(set, precision::f64);
  config.grown_rdm = dissimilarity::correlation;
  prompt_collector c(config);
  for (const auto& p : set.prompts) icl_test::feed(c, set, p, false);
  icl::collect::suite_params params;
  params.permutation.permutations = 100;
  params.decodability = params.probes = params.separability = false;
  params.keep_rdms = true;
  const auto grown = c.run_suite(params);
  params.use_grown_rdm = false;
  const auto batch = c.run_suite(params);
  CHECK(grown.used_grown_rdm);
  CHECK_FALSE(batch.used_grown_rdm);
  REQUIRE(grown.rdms.size() == set.layers);
  for (std::size_t l = 0; l < set.layers; ++l) {
    require_close(grown.rdms[l].condensed(), batch.rdms[l].condensed(), 1e-10);
    CHECK(grown.rsa[l].statistic == Approx(batch.rsa[l].statistic).epsilon(1e-12));
  }
  // A zero row under cosine is refused as compute_rdm refuses it; nothing is kept.
  auto cosine = config;
  cosine.grown_rdm = dissimilarity::cosine;
  prompt_collector z(cosine);
  const std::vector<double> zeros(set.layers * set.positions * set.width, 0.0);
  const auto view = icl::make_tensor_view(zeros.data(), std::array<std::size_t, 3>{set.layers, set.positions, set.width});
  CHECK_THROWS_WITH(z.add_prompt({}, view), Catch::Contains("prompt 0 layer 0: the grown RDM's row is all zeros"));
  CHECK(z.prompts() == 0);
  CHECK(z.memory().states == 0);
}

TEST_CASE("shards: 4 threads feeding their own shards, merged, equal one collector fed in order", "[collect]") {
  const auto set = icl_test::make_set(40, 8);
  auto config = icl_test::config_of(set, precision::f16);
  config.grown_rdm = dissimilarity::correlation;

  prompt_collector sequential(config);
  for (const auto& p : set.prompts) icl_test::feed(sequential, set, p);

  prompt_collector merged(config);
  std::vector<prompt_collector> shards;
  for (int w = 0; w < 4; ++w) shards.push_back(merged.make_shard());
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      // Worker w takes prompts w, w + 4, ..., in decreasing order.
      for (std::size_t i = set.prompts.size(); i-- > 0;) {
        if (i % 4 == w) icl_test::feed(shards[w], set, set.prompts[i]);
      }
    });
  }
  for (std::thread& t : workers) t.join();
  for (std::size_t w : {2, 0, 3, 1}) {
    merged.merge(std::move(shards[w]));
    CHECK(shards[w].prompts() == 0);
    CHECK(shards[w].memory().states == 0);
  }
  CHECK(merged.prompts() == sequential.prompts());
  CHECK(merged.memory().states == sequential.memory().states);
  CHECK(merged.memory().grown_rdm == sequential.memory().grown_rdm);
  merged.sort();
  CHECK(merged.prompt_indices() == sequential.prompt_indices());
  CHECK(merged.labels() == sequential.labels());
  for (std::size_t t = 0; t < set.positions; ++t) {
    for (std::size_t l = 0; l < set.layers; ++l) CHECK(stored_rows(merged, l, t) == stored_rows(sequential, l, t));
  }
  for (std::size_t l = 0; l < set.layers; ++l) {
    CHECK(merged.grown_rdm(l).condensed() == sequential.grown_rdm(l).condensed());
  }

  icl::collect::suite_params params;
  params.permutation.permutations = 300;
  params.decode.k = 5;
  const auto a = merged.run_suite(params), b = sequential.run_suite(params);
  CHECK(a.prompt_indices == b.prompt_indices);
  for (std::size_t l = 0; l < set.layers; ++l) {
    CHECK(a.rsa[l].statistic == b.rsa[l].statistic);
    CHECK(a.rsa[l].p_value == b.rsa[l].p_value);
    CHECK(a.probes[l].fold_scores == b.probes[l].fold_scores);
    CHECK(a.geometry[l].separability == b.geometry[l].separability);
  }
  CHECK(a.decodability.curve.values == b.decodability.curve.values);
  CHECK(a.effective_dimension.values == b.effective_dimension.values);
  CHECK(a.cka_consecutive.values == b.cka_consecutive.values);
  CHECK(a.attention.previous_token->values == b.attention.previous_token->values);
  CHECK(a.attention.induction->values == b.attention.induction->values);
  CHECK(a.attention.ratio->values == b.attention.ratio->values);
  CHECK(a.attention.ratio->zero_denominator_count == b.attention.ratio->zero_denominator_count);
  CHECK(a.attention.ratio_of_sums->values == b.attention.ratio_of_sums->values);
}
