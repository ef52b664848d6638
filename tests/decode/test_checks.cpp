// icl-test: also-without-blas
// Task decodability: every documented error, and the tiled kernel against a direct O(n²d)
// leave-one-out kNN on random data (many tiles, all tile sizes, thread counts).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/random.hpp"
#include "icl/decode/knn.hpp"

#if ICL_HAS_OPENMP
#include <omp.h>
#endif

namespace {

using Catch::Contains;
using icl::decode::decode_params;
using icl::decode::dissimilarity;

/// Direct leave-one-out kNN in double: sort the other points by (distance, index), vote, ties to
/// the lowest label.
std::vector<int> direct_predictions(const std::vector<double>& x, std::size_t n, std::size_t d,
                                    const std::vector<int>& y, std::size_t k, dissimilarity kind) {
  std::vector<int> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, std::size_t>> others;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double sq = 0, dot = 0, ni = 0, nj = 0;
      for (std::size_t c = 0; c < d; ++c) {
        const double a = x[i * d + c], b = x[j * d + c];
        sq += (a - b) * (a - b);
        dot += a * b;
        ni += a * a;
        nj += b * b;
      }
      others.emplace_back(kind == dissimilarity::euclidean ? sq : 1.0 - dot / std::sqrt(ni * nj), j);
    }
    std::sort(others.begin(), others.end());
    std::vector<int> labels;
    for (std::size_t r = 0; r < k; ++r) labels.push_back(y[others[r].second]);
    std::sort(labels.begin(), labels.end());
    int best = labels[0], best_votes = 0;
    for (std::size_t r = 0; r < k;) {
      std::size_t e = r;
      while (e < k && labels[e] == labels[r]) ++e;
      if (static_cast<int>(e - r) > best_votes) {
        best_votes = static_cast<int>(e - r);
        best = labels[r];
      }
      r = e;
    }
    out[i] = best;
  }
  return out;
}

struct random_data {
  std::vector<double> x;
  std::vector<int> y;
};

double normal(icl::counter_rng& rng) {
  const double u1 = 1.0 - rng.uniform01(), u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// n points in d dimensions, 4 classes {-2, 0, 5, 9}, class means apart by a modest shift.
random_data make_data(std::size_t n, std::size_t d, std::uint64_t seed) {
  icl::counter_rng rng(seed);
  random_data out;
  out.x.resize(n * d);
  out.y.resize(n);
  const int labels[] = {-2, 0, 5, 9};
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = static_cast<std::size_t>(rng.uniform_below(4));
    out.y[i] = labels[c];
    for (std::size_t j = 0; j < d; ++j) out.x[i * d + j] = normal(rng) + (j % 4 == c ? 1.0 : 0.0) + 0.3;
  }
  return out;
}

}  // namespace

TEST_CASE("task_decodability equals a direct leave-one-out kNN for every tile size", "[decode][tiles]") {
  const std::size_t n = 157, d = 9;
  const auto data = make_data(n, d, 7);
  const auto X = icl::make_matrix_view(data.x.data(), n, d);
  for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
    for (const std::size_t k : {1, 4, 7, 129, 156}) {  // k > 128: heap-ordered candidate lists
      const auto expected = direct_predictions(data.x, n, d, data.y, k, kind);
      for (const std::size_t block : {1, 2, 5, 16, 100, 156, 157, 1000}) {
        INFO("dissimilarity " << icl::to_string(kind) << " k " << k << " block " << block);
        decode_params p;
        p.k = k;
        p.dissimilarity = kind;
        p.block_rows = block;
        REQUIRE(icl::decode::task_decodability(X, data.y, p).predictions == expected);
      }
    }
  }
}

TEST_CASE("pairwise_decodability equals a direct kNN on each pair's points", "[decode][pairwise][tiles]") {
  const std::size_t n = 400, d = 6;
  const auto data = make_data(n, d, 23);
  const auto X = icl::make_matrix_view(data.x.data(), n, d);
  for (const std::size_t k : {3, 130}) {  // sorted and heap-ordered candidate lists
    decode_params p;
    p.k = k;
    p.block_rows = 37;
    const auto r = icl::decode::pairwise_decodability(X, data.y, p);
    REQUIRE(r.classes == std::vector<int>{-2, 0, 5, 9});
    for (std::size_t a = 0; a < 4; ++a) {
      for (std::size_t b = a + 1; b < 4; ++b) {
        std::vector<double> xs;
        std::vector<int> ys;
        for (std::size_t i = 0; i < n; ++i) {
          if (data.y[i] != r.classes[a] && data.y[i] != r.classes[b]) continue;
          ys.push_back(data.y[i]);
          xs.insert(xs.end(), data.x.begin() + static_cast<std::ptrdiff_t>(i * d),
                    data.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
        }
        const auto pred = direct_predictions(xs, ys.size(), d, ys, k, dissimilarity::euclidean);
        std::size_t right = 0;
        for (std::size_t i = 0; i < ys.size(); ++i) right += pred[i] == ys[i] ? 1 : 0;
        INFO("k " << k << " pair " << a << ", " << b);
        REQUIRE(r(a, b) == Approx(static_cast<double>(right) / static_cast<double>(ys.size())).epsilon(1e-15));
      }
    }
  }
}

TEST_CASE("distance ties between neighbours go to the smaller index", "[decode][ties]") {
  // Points on a line: 0 at the origin, two at distance 1 on each side (indices 1..4 as below).
  // Point 0's nearest two are 1 and 2 (both at 1): the smaller indices win over 3 and 4 (also at 1).
  const std::vector<double> x = {0, 1, -1, 1, -1, 10, 11};
  const std::vector<int> y = {0, 1, 1, 2, 2, 2, 2};
  decode_params p;
  p.k = 2;
  p.block_rows = 3;
  const auto nb = icl::decode::loo_neighbors(icl::make_matrix_view(x.data(), 7, 1), p);
  REQUIRE(nb.index(0, 0) == 1);
  REQUIRE(nb.index(0, 1) == 2);
  REQUIRE(nb.distance(0, 1) == 1.0);
  // Point 1 (at 1) has point 3 at 0 and point 0 at 1.
  REQUIRE(nb.index(1, 0) == 3);
  REQUIRE(nb.index(1, 1) == 0);
  const auto r = icl::decode::task_decodability(icl::make_matrix_view(x.data(), 7, 1), y, p);
  REQUIRE(r.predictions[0] == 1);  // neighbours 1 and 2, both label 1
}

#if ICL_HAS_OPENMP
TEST_CASE("task_decodability gives the same result at any thread count", "[decode][threads]") {
  const std::size_t n = 300, d = 17;
  const auto data = make_data(n, d, 11);
  const auto X = icl::make_matrix_view(data.x.data(), n, d);
  decode_params p;
  p.k = 6;
  p.block_rows = 40;
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = icl::decode::task_decodability(X, data.y, p);
  const auto pair_one = icl::decode::pairwise_decodability(X, data.y, p);
  omp_set_num_threads(4);
  const auto four = icl::decode::task_decodability(X, data.y, p);
  const auto pair_four = icl::decode::pairwise_decodability(X, data.y, p);
  omp_set_num_threads(before);
  REQUIRE(one.predictions == four.predictions);
  REQUIRE(one.per_class == four.per_class);
  for (std::size_t v = 0; v < pair_one.values.size(); ++v) {
    if (!std::isnan(pair_one.values[v])) REQUIRE(pair_one.values[v] == pair_four.values[v]);
  }
}
#endif

TEST_CASE("task_decodability rejects bad input", "[decode][errors]") {
  const std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};  // 6 x 2
  const auto X = icl::make_matrix_view(x.data(), 6, 2);
  const std::vector<int> y = {1, 1, 1, 2, 2, 2};
  const char* fn = "icl::decode::task_decodability: ";

  REQUIRE_THROWS_AS(icl::decode::task_decodability(X, std::vector<int>{1, 2, 1}, 2), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(X, std::vector<int>{1, 2, 1}, 2),
                      Contains(std::string(fn) + "labels has 3 entries but H has 6 rows"));
  REQUIRE_THROWS_AS(icl::decode::task_decodability(X, std::vector<int>(6, 4), 2), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(X, std::vector<int>(6, 4), 2),
                      Contains(std::string(fn) + "labels hold 1 distinct class(es), need at least 2"));
  REQUIRE_THROWS_AS(icl::decode::task_decodability(X, y, 0), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(X, y, 0),
                      Contains(std::string(fn) + "k = 0 must satisfy 1 <= k <= n - 1 = 5 (n = 6 points)"));
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(X, y, 6), Contains(std::string(fn) + "k = 6 must satisfy"));
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(X, y, 60), Contains("k = 60 must satisfy 1 <= k <= n - 1 = 5"));
  REQUIRE_NOTHROW(icl::decode::task_decodability(X, y, 5));  // k = n − 1: every other point votes

  const auto empty = icl::make_matrix_view(x.data(), 0, 2);
  REQUIRE_THROWS_AS(icl::decode::task_decodability(empty, std::vector<int>{}, 1), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(empty, std::vector<int>{}, 1),
                      Contains(std::string(fn) + "H is empty (0 x 2)"));
  const auto no_features = icl::make_matrix_view(x.data(), 6, 0);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(no_features, y, 1), Contains("H is empty (6 x 0)"));

  std::vector<double> bad = x;
  bad[7] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_AS(icl::decode::task_decodability(icl::make_matrix_view(bad.data(), 6, 2), y, 2), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(icl::make_matrix_view(bad.data(), 6, 2), y, 2),
                      Contains(std::string(fn) + "H (3, 1) is nan (NaN/Inf not allowed)"));
  std::vector<float> inf(x.begin(), x.end());
  inf[10] = -std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(icl::make_matrix_view(inf.data(), 6, 2), y, 2),
                      Contains(std::string(fn) + "H (5, 0) is -inf (NaN/Inf not allowed)"));

  std::vector<double> zero = x;
  zero[4] = zero[5] = 0.0;
  decode_params cosine;
  cosine.k = 2;
  cosine.dissimilarity = dissimilarity::cosine;
  REQUIRE_THROWS_AS(icl::decode::task_decodability(icl::make_matrix_view(zero.data(), 6, 2), y, cosine),
                    icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(icl::make_matrix_view(zero.data(), 6, 2), y, cosine),
                      Contains(std::string(fn) + "row 2 of H is zero (cosine distance undefined)"));
  // Euclidean distance is defined for a zero row.
  REQUIRE_NOTHROW(icl::decode::task_decodability(icl::make_matrix_view(zero.data(), 6, 2), y, 2));

  // Values whose squared norm leaves the float range.
  std::vector<float> huge(x.begin(), x.end());
  huge[2] = 3e38f;
  REQUIRE_THROWS_AS(icl::decode::task_decodability(icl::make_matrix_view(huge.data(), 6, 2), y, 2), icl::error);
  REQUIRE_THROWS_WITH(icl::decode::task_decodability(icl::make_matrix_view(huge.data(), 6, 2), y, 2),
                      Contains(std::string(fn) + "row 1 of H has squared norm"));

  REQUIRE_THROWS_WITH(icl::decode::loo_neighbors(X, decode_params{7}),
                      Contains("icl::decode::loo_neighbors: k = 7 must satisfy 1 <= k <= n - 1 = 5"));
}

TEST_CASE("pairwise_decodability rejects pairs smaller than k + 1", "[decode][errors][pairwise]") {
  std::vector<double> x(10 * 2);
  for (std::size_t v = 0; v < x.size(); ++v) x[v] = static_cast<double>((v * 7) % 13);
  const auto X = icl::make_matrix_view(x.data(), 10, 2);
  const std::vector<int> y = {3, 3, 3, 3, 3, 3, -1, -1, 8, 8};
  decode_params p;
  p.k = 4;
  REQUIRE_THROWS_AS(icl::decode::pairwise_decodability(X, y, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::pairwise_decodability(X, y, p),
                      Contains("icl::decode::pairwise_decodability: classes -1 and 8 have 4 points together, need "
                               "at least k + 1 = 5"));
  p.k = 3;
  const auto r = icl::decode::pairwise_decodability(X, y, p);
  REQUIRE(r.classes == std::vector<int>{-1, 3, 8});
  REQUIRE(std::isnan(r(1, 1)));
  REQUIRE_THROWS_WITH(icl::decode::pairwise_decodability(X, std::vector<int>(10, 1), p),
                      Contains("icl::decode::pairwise_decodability: labels hold 1 distinct class(es)"));
  REQUIRE_THROWS_WITH(icl::decode::pairwise_decodability(X, y, decode_params{10}),
                      Contains("icl::decode::pairwise_decodability: k = 10 must satisfy"));
}

TEST_CASE("decodability curves reject mismatched layers", "[decode][errors][layers]") {
  std::vector<double> h(3 * 6 * 2);
  for (std::size_t v = 0; v < h.size(); ++v) h[v] = static_cast<double>((v * 5) % 11);
  const std::vector<int> y = {0, 0, 0, 1, 1, 1};
  const auto H = icl::make_tensor_view<double, 3>(h.data(), {3, 6, 2});
  decode_params p;
  p.k = 2;
  REQUIRE(icl::decode::decodability_curve(H, y, p).curve.layers() == 3);
  REQUIRE_THROWS_AS(icl::decode::decodability_curve(H, std::vector<int>{0, 1, 0, 1, 0}, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::decode::decodability_curve(H, std::vector<int>{0, 1, 0, 1, 0}, p),
                      Contains("icl::decode::decodability_curve: H has 6 rows per layer but labels has 5 entries"));
  const auto none = icl::make_tensor_view<double, 3>(h.data(), {0, 6, 2});
  REQUIRE_THROWS_WITH(icl::decode::decodability_curve(none, y, p),
                      Contains("icl::decode::decodability_curve: H has no layers"));

  icl::decode::decodability_tracker tracker(y, p);
  REQUIRE_THROWS_WITH(tracker.peak_layer(), Contains("icl::layer_curve::peak_layer"));
  tracker.add_layer(icl::make_matrix_view(h.data(), 6, 2));
  REQUIRE_THROWS_AS(tracker.add_layer(icl::make_matrix_view(h.data(), 5, 2)), icl::invalid_argument);
  REQUIRE_THROWS_WITH(tracker.add_layer(icl::make_matrix_view(h.data(), 5, 2)),
                      Contains("icl::decode::decodability_tracker::add_layer: layer 1 has 5 rows but labels has 6 "
                               "entries"));
  REQUIRE_THROWS_WITH(tracker.add_layer(icl::make_matrix_view(h.data(), 6, 1)),
                      Contains("icl::decode::decodability_tracker::add_layer: layer 1 has 1 features but layer 0 had 2"));
  REQUIRE(tracker.curve().layers() == 1);
  REQUIRE_THROWS_WITH(icl::decode::decodability_tracker(std::vector<int>{2, 2, 2}),
                      Contains("icl::decode::decodability_tracker: labels hold 1 distinct class(es)"));
}
