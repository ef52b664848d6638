// Leave-one-out kNN task decodability against scikit-learn (tests/data/decode_*.txt, written by
// tests/data/make_decode_fixtures.py: one KNeighborsClassifier fit per held-out point).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "icl/decode/knn.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

using icl::decode::decode_params;
using icl::decode::dissimilarity;

std::vector<double> as_doubles(const std::vector<int>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace

TEMPLATE_TEST_CASE("task_decodability matches scikit-learn on three clusters", "[decode]", float, double) {
  const icl_test::fixture_file f("decode_clustered.txt");
  const std::size_t n = f.shape("X")[0], d = f.shape("X")[1];
  const std::vector<int> y = f.ints("y");
  const std::vector<int> classes = f.ints("classes");
  for (const auto& X : icl_test::all_layouts<TestType>(f.values("X"), n, d)) {
    for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
      for (const std::size_t k : {1, 5, 10}) {
        // The default tile (one tile here) and small tiles: 7 rows (18 blocks, a short last one) and 64.
        for (const std::size_t block : {0, 7, 64}) {
          const std::string key = std::string(icl::to_string(kind)) + "_k" + std::to_string(k);
          INFO(key << " block " << block << " col_stride " << X.view.col_stride());
          decode_params p;
          p.k = k;
          p.dissimilarity = kind;
          p.block_rows = block;
          const auto r = icl::decode::task_decodability(X.view, y, p);
          REQUIRE(r.predictions == f.ints("pred_" + key));
          REQUIRE(r.overall == Approx(f.scalar("td_" + key)).epsilon(1e-15));
          icl_test::require_close<TestType>(r.per_class, f.values("per_class_" + key));
          REQUIRE(r.classes == classes);
          REQUIRE(r.class_counts == std::vector<std::size_t>{45, 40, 35});
          REQUIRE(r.k == k);
          REQUIRE(r.dissimilarity == kind);
        }
      }
    }
    // The API.md form: k neighbours, Euclidean.
    const auto r10 = icl::decode::task_decodability(X.view, y);
    REQUIRE(r10.overall == Approx(f.scalar("td_euclidean_k10")).epsilon(1e-15));
    REQUIRE(icl::decode::task_decodability(X.view, y, 5).predictions == f.ints("pred_euclidean_k5"));
  }
}

TEMPLATE_TEST_CASE("loo_neighbors gives the exact nearest neighbours", "[decode]", float, double) {
  const icl_test::fixture_file f("decode_clustered.txt");
  const std::size_t n = f.shape("X")[0], d = f.shape("X")[1];
  const auto& x = f.values("X");
  for (const auto& X : icl_test::all_layouts<TestType>(x, n, d)) {
    for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
      decode_params p;
      p.k = 5;
      p.dissimilarity = kind;
      p.block_rows = 16;
      const auto nb = icl::decode::loo_neighbors(X.view, p);
      REQUIRE(nb.n == n);
      REQUIRE(nb.k == 5);
      const std::string key = std::string("neighbors_") + std::string(icl::to_string(kind)) + "_k5";
      std::vector<double> got(nb.indices.begin(), nb.indices.end());
      REQUIRE(got == as_doubles(f.ints(key)));
      // Distances against a direct evaluation in double on the values the view holds.
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t r = 0; r < 5; ++r) {
          const std::size_t j = nb.index(i, r);
          double dot = 0, ni = 0, nj = 0, sq = 0;
          for (std::size_t c = 0; c < d; ++c) {
            const double a = static_cast<double>(X.view(i, c)), b = static_cast<double>(X.view(j, c));
            dot += a * b;
            ni += a * a;
            nj += b * b;
            sq += (a - b) * (a - b);
          }
          const double expected = kind == dissimilarity::euclidean ? std::sqrt(sq) : 1.0 - dot / std::sqrt(ni * nj);
          // Gram-form rounding: relative to the norms, not to the (possibly small) distance.
          const double scale = kind == dissimilarity::euclidean ? std::sqrt(ni + nj) : 1.0;
          REQUIRE(nb.distance(i, r) == Approx(expected).margin(icl_test::tolerance<TestType>() * scale));
          if (r > 0) REQUIRE(nb.distance(i, r) >= nb.distance(i, r - 1));
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("task_decodability: vote ties go to the lowest label", "[decode][ties]", float, double) {
  const icl_test::fixture_file f("decode_ties.txt");
  const std::size_t n = f.shape("X")[0], d = f.shape("X")[1];
  const std::vector<int> y = f.ints("y");
  for (const auto& X : icl_test::all_layouts<TestType>(f.values("X"), n, d)) {
    for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
      for (const std::size_t k : {2, 4, 10}) {
        const std::string key = std::string(icl::to_string(kind)) + "_k" + std::to_string(k);
        INFO(key);
        if (k < 10) REQUIRE(f.scalar("ties_" + key) > 0);  // the data exercises the rule
        decode_params p;
        p.k = k;
        p.dissimilarity = kind;
        p.block_rows = 13;
        const auto r = icl::decode::task_decodability(X.view, y, p);
        REQUIRE(r.predictions == f.ints("pred_" + key));
        REQUIRE(r.overall == Approx(f.scalar("td_" + key)).epsilon(1e-15));
        icl_test::require_close<TestType>(r.per_class, f.values("per_class_" + key));
        REQUIRE(r.classes == std::vector<int>{-1, 4});
      }
    }
  }
}

namespace {

/// Rows far from the origin (a common offset of 1000 + c in column c) with small steps of 0.5 and
/// ten duplicated rows: every value and every squared distance is exact in float and in double,
/// distances tie often, and the float Gram form errs by units, far more than the gaps of 0.25.
std::vector<double> offset_rows(std::size_t n, std::size_t d) {
  std::vector<double> x(n * d);
  std::uint32_t state = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < d; ++c) {
      state = state * 1664525u + 1013904223u;
      x[i * d + c] = 1000.0 + static_cast<double>(c) + 0.5 * static_cast<double>(static_cast<int>(state >> 30) - 1);
    }
  }
  for (std::size_t r = 0; r < 10; ++r) std::copy_n(x.begin() + r * d, d, x.begin() + (n - 10 + r) * d);
  return x;
}

/// The k nearest neighbours of every row of x (n x d) by exact squared Euclidean distance in
/// double, ties by index: n·k indices, row by row. Adds to `*ties`, when given, the rows whose
/// k-th and (k+1)-th distances are equal.
std::vector<std::size_t> exact_neighbors(const std::vector<double>& x, std::size_t n, std::size_t d, std::size_t k,
                                         std::size_t* ties = nullptr) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, std::size_t>> all;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double sq = 0.0;
      for (std::size_t c = 0; c < d; ++c) sq += (x[i * d + c] - x[j * d + c]) * (x[i * d + c] - x[j * d + c]);
      all.emplace_back(sq, j);
    }
    std::sort(all.begin(), all.end());
    for (std::size_t r = 0; r < k; ++r) out.push_back(all[r].second);
    if (ties != nullptr && k < all.size() && all[k - 1].first == all[k].first) ++*ties;
  }
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("kNN near ties: a pair's distance does not depend on the tile that holds it", "[decode][ties]",
                   float, double) {
  const std::size_t n = 90, d = 48;
  const std::vector<double> x = offset_rows(n, d);
  std::vector<int> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<int>((i * 7) % 3);
  // The reference: exact squared distances (small multiples of 0.25), neighbours by (distance, index).
  std::size_t ties = 0;  // the data exercises the rule: tied distances straddle the k-th place
  for (const auto& X : icl_test::all_layouts<TestType>(x, n, d)) {
    // k = 40 and n - 1: lists longer than tile_limit's inline array, and beyond the sorted lists.
    for (const std::size_t k : {std::size_t{1}, std::size_t{5}, std::size_t{12}, std::size_t{40}, n - 1}) {
      const std::vector<std::size_t> expected = exact_neighbors(x, n, d, k, &ties);
      std::vector<int> first_predictions;
      std::vector<double> first_pairwise;
      for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
        for (const std::size_t block : {0, 1, 4, 7, 32}) {
          INFO("k " << k << " " << icl::to_string(kind) << " block " << block << " col_stride " << X.view.col_stride());
          decode_params p;
          p.k = k;
          p.dissimilarity = kind;
          p.block_rows = block;
          const auto nb = icl::decode::loo_neighbors(X.view, p);
          const auto r = icl::decode::task_decodability(X.view, y, p);
          // pairwise_decodability needs k + 1 points in every two classes (60 here).
          const bool pairwise = k + 1 <= 2 * n / 3;
          const auto pw = pairwise ? icl::decode::pairwise_decodability(X.view, y, p) : icl::decode::pairwise_result{};
          if (kind == dissimilarity::euclidean) REQUIRE(nb.indices == expected);
          // Both: the same decisions and pairwise values from every tiling.
          if (block == 0) {
            first_predictions = r.predictions;
            first_pairwise = pw.values;
          } else {
            REQUIRE(r.predictions == first_predictions);
            for (std::size_t q = 0; q < pw.values.size(); ++q) {
              if (!std::isnan(first_pairwise[q])) REQUIRE(pw.values[q] == first_pairwise[q]);
            }
          }
        }
      }
    }
  }
  REQUIRE(ties > 0);
}

TEMPLATE_TEST_CASE("kNN: tiles wider than the noted candidates of one list give the same neighbours", "[decode][ties]",
                   float, double) {
  // A list's second filter pass visits only the candidates its first pass noted, up to 128 of
  // them, and every entry of the tile row when more qualify (a list that fills within the tile:
  // all its first k candidates qualify). n = 300: with k = 200 and one 300-row tile the fallback
  // runs; with k = 5, or tiles of 7 rows, the noted candidates suffice.
  const std::size_t n = 300, d = 24;
  const std::vector<double> x = offset_rows(n, d);
  const auto X = icl_test::row_major<TestType>(x, n, d);
  for (const std::size_t k : {std::size_t{5}, std::size_t{200}}) {
    const std::vector<std::size_t> expected = exact_neighbors(x, n, d, k);
    for (const std::size_t block : {0, 7, 150}) {
      INFO("k " << k << " block " << block);
      decode_params p;
      p.k = k;
      p.block_rows = block;
      REQUIRE(icl::decode::loo_neighbors(X.view, p).indices == expected);
    }
  }
}

TEST_CASE("kNN default tile: all rows up to 16 MiB of tile, else the fewest equal blocks", "[decode]") {
  using icl::decode::detail::default_block_rows;
  CHECK(default_block_rows<float>(1) == 1);
  CHECK(default_block_rows<float>(2000) == 2000);
  CHECK(default_block_rows<float>(2048) == 2048);
  CHECK(default_block_rows<float>(2049) == 1025);  // two blocks, not 2048 + 1
  CHECK(default_block_rows<float>(5000) == 1667);
  CHECK(default_block_rows<double>(1448) == 1448);
  CHECK(default_block_rows<double>(1449) == 725);
  for (const std::size_t n : {std::size_t{2049}, std::size_t{4097}, std::size_t{20000}, std::size_t{50001}}) {
    const std::size_t b = default_block_rows<float>(n), blocks = (n + b - 1) / b;
    INFO("n " << n << " b " << b);
    CHECK(b <= 2048);
    CHECK(blocks == (n + 2047) / 2048);  // the fewest blocks of at most 2048 rows
    CHECK(n - (blocks - 1) * b >= b - blocks);  // the last block is short by fewer rows than there are blocks
  }
}

TEMPLATE_TEST_CASE("task_decodability on four classes of unequal size", "[decode]", float, double) {
  const icl_test::fixture_file f("decode_four.txt");
  const std::vector<int> y = f.ints("y");
  for (const auto& X : icl_test::all_layouts<TestType>(f, "X")) {
    for (const std::size_t k : {3, 10}) {
      const auto r = icl::decode::task_decodability(X.view, y, k);
      REQUIRE(r.predictions == f.ints("pred_k" + std::to_string(k)));
      REQUIRE(r.overall == Approx(f.scalar("td_k" + std::to_string(k))).epsilon(1e-15));
      icl_test::require_close<TestType>(r.per_class, f.values("per_class_k" + std::to_string(k)));
      REQUIRE(r.classes == f.ints("classes"));
    }
  }
}

TEST_CASE("task_decodability reads f16 and bf16 as their float values", "[decode][half]") {
  const icl_test::fixture_file f("decode_clustered.txt");
  const std::size_t n = f.shape("X")[0], d = f.shape("X")[1];
  const std::vector<int> y = f.ints("y");
  const auto& x = f.values("X");
  std::vector<icl::f16> h(x.begin(), x.end());
  std::vector<icl::bf16> b(x.begin(), x.end());
  std::vector<float> hf(h.begin(), h.end()), bf(b.begin(), b.end());
  decode_params p;
  p.k = 5;
  p.block_rows = 32;
  const auto rh = icl::decode::task_decodability(icl::make_matrix_view(h.data(), n, d), y, p);
  const auto rhf = icl::decode::task_decodability(icl::make_matrix_view(hf.data(), n, d), y, p);
  REQUIRE(rh.predictions == rhf.predictions);
  REQUIRE(rh.per_class == rhf.per_class);
  const auto rb = icl::decode::task_decodability(icl::make_matrix_view(b.data(), n, d), y, p);
  const auto rbf = icl::decode::task_decodability(icl::make_matrix_view(bf.data(), n, d), y, p);
  REQUIRE(rb.predictions == rbf.predictions);
  REQUIRE(rb.overall == rbf.overall);
}
