// The device kNN's and ranks' arithmetic (icl/cuda/detail/knn_topk.hpp, ranks.hpp) run on the
// CPU over the kernels' index space and compared with the CPU library: per-row top-k lists kept
// over distance tiles (each row meets every column block, its own excluded), their merge, the
// vote and the decodability; average ranks from a sorted sequence through two scans.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "icl/core/labels.hpp"
#include "icl/core/rank.hpp"
#include "icl/cuda/detail/knn_topk.hpp"
#include "icl/cuda/detail/ranks.hpp"
#include "icl/cuda/detail/results.hpp"
#include "icl/decode/knn.hpp"
#include "support/views.hpp"

namespace {

namespace device = icl::detail::device;
using icl::decode::dissimilarity;

/// Every row's k nearest neighbours on the CPU as the device keeps them: tiles of b × b Gram
/// entries (in the compute type T), each row of block I offered the tile's row for every column
/// block J. With `split`, even and odd column blocks fill two lists per row that are merged.
struct tiled_knn {
  std::vector<double> dist;
  std::vector<std::uint32_t> index;
  std::vector<std::size_t> decisions;
};

template <class T>
tiled_knn run_tiled_knn(icl::matrix_view<const T> X, const std::vector<std::size_t>& codes, std::size_t classes,
                           dissimilarity kind, std::size_t k, std::size_t b, bool split) {
  const std::size_t n = X.rows(), dims = X.cols();
  const bool cosine = kind == dissimilarity::cosine;
  std::vector<T> rows(n * dims);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < dims; ++j) rows[i * dims + j] = X(i, j);
  }
  // The row-terms kernel.
  std::vector<double> a(n), s(n);
  const double limit = static_cast<double>(std::numeric_limits<T>::max()) / 4.0;
  for (std::size_t i = 0; i < n; ++i) {
    double norm2 = 0.0;
    for (std::size_t j = 0; j < dims; ++j) {
      const auto v = static_cast<double>(rows[i * dims + j]);
      norm2 += v * v;
    }
    REQUIRE(device::knn_status(cosine, norm2, limit) == device::knn_row_status::usable);
    a[i] = device::knn_offset(cosine, norm2);
    s[i] = device::knn_scale(cosine, norm2);
  }
  const device::knn_terms terms{a.data(), s.data(), device::knn_coefficient(cosine)};

  tiled_knn out;
  out.dist.assign(n * k, 0.0);
  out.index.assign(n * k, 0);
  std::vector<double> dist2(split ? n * k : 0);
  std::vector<std::uint32_t> index2(split ? n * k : 0);
  std::vector<device::topk_list<std::uint32_t>> lists(n), lists2(n);
  for (std::size_t i = 0; i < n; ++i) {
    lists[i] = {out.dist.data() + i * k, out.index.data() + i * k, 0, k};
    if (split) lists2[i] = {dist2.data() + i * k, index2.data() + i * k, 0, k};
  }
  std::vector<T> tile;
  for (std::size_t i0 = 0; i0 < n; i0 += b) {
    const std::size_t rows_i = std::min(b, n - i0);
    for (std::size_t j0 = 0, block = 0; j0 < n; j0 += b, ++block) {
      const std::size_t cols = std::min(b, n - j0);
      tile.assign(rows_i * cols, T(0));  // column-major, ld = rows_i (cuBLAS)
      for (std::size_t r = 0; r < rows_i; ++r) {
        for (std::size_t c = 0; c < cols; ++c) {
          T g = 0;
          for (std::size_t j = 0; j < dims; ++j) g += rows[(i0 + r) * dims + j] * rows[(j0 + c) * dims + j];
          tile[r + c * rows_i] = g;
        }
      }
      for (std::size_t r = 0; r < rows_i; ++r) {
        auto& list = split && block % 2 == 1 ? lists2[i0 + r] : lists[i0 + r];
        device::offer_tile_row(terms, i0 + r, j0, cols, tile.data() + r, static_cast<std::ptrdiff_t>(rows_i), list);
      }
    }
  }
  if (split) {
    std::vector<double> merged_dist(n * k);
    std::vector<std::uint32_t> merged_index(n * k);
    for (std::size_t i = 0; i < n; ++i) {
      device::topk_list<std::uint32_t> merged{merged_dist.data() + i * k, merged_index.data() + i * k, 0, k};
      device::topk_merge(lists[i], lists2[i], merged);
      REQUIRE(merged.count == k);
    }
    out.dist = merged_dist;
    out.index = merged_index;
  } else {
    for (std::size_t i = 0; i < n; ++i) REQUIRE(lists[i].count == k);
  }
  // The vote kernel: with per-class scratch and without; the same decision.
  std::vector<unsigned> votes(classes, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t* neighbours = out.index.data() + i * k;
    const std::size_t with_scratch = device::knn_vote(neighbours, k, codes.data(), votes.data());
    const std::size_t without = device::knn_vote(neighbours, k, codes.data(), static_cast<unsigned*>(nullptr));
    REQUIRE(with_scratch == without);
    out.decisions.push_back(with_scratch);
  }
  for (const unsigned v : votes) REQUIRE(v == 0);
  return out;
}

/// Small integers: every Gram product is exact in float, so distances equal the CPU library's to
/// the bit, and the lattice gives many equal distances (and duplicate points: distance 0).
std::vector<double> lattice_values(std::size_t n, std::size_t dims, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> digit(-2, 2);
  std::vector<double> v(n * dims);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < dims; ++j) v[i * dims + j] = j == 0 ? 1.0 + static_cast<double>(i % 2) : digit(engine);
  }
  for (std::size_t j = 0; j < dims; ++j) v[(n - 1) * dims + j] = v[3 * dims + j];  // a duplicate of row 3
  return v;
}

std::vector<int> some_labels(std::size_t n, unsigned seed) {
  std::mt19937 engine(seed);
  const int values[] = {-1, 4, 7};
  std::uniform_int_distribution<int> pick(0, 2);
  std::vector<int> y(n);
  for (auto& label : y) label = values[pick(engine)];
  return y;
}

/// Returns how many neighbours tied in distance with the next one (ties broken by index).
template <class T>
std::size_t check_against_library(const icl_test::typed_matrix<T>& X, const std::vector<int>& labels) {
  const std::size_t n = X.view.rows();
  const auto enc = icl::detail::encode_labels("test", labels, n, 2, "H");
  std::size_t ties = 0;
  for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
    for (const std::size_t k : {std::size_t{1}, std::size_t{2}, std::size_t{4}, std::size_t{7}, n - 1}) {
      if (k >= n) continue;
      icl::decode::decode_params params;
      params.k = k;
      params.dissimilarity = kind;
      const auto expected = icl::decode::task_decodability(X.view, labels, params);
      const auto neighbours = icl::decode::loo_neighbors(X.view, params);
      for (const std::size_t b : {std::size_t{1}, std::size_t{3}, std::size_t{8}, n}) {
        for (const bool split : {false, true}) {
          INFO(icl::to_string(kind) << " k " << k << " b " << b << " split " << split << " col_stride "
                                    << X.view.col_stride());
          const auto got = run_tiled_knn(X.view, enc.codes, enc.n_classes(), kind, k, b, split);
          for (std::size_t q = 0; q < n * k; ++q) {
            REQUIRE(got.index[q] == neighbours.indices[q]);
            ties += q % k + 1 < k && got.dist[q] == got.dist[q + 1] ? 1 : 0;
            const double d = kind == dissimilarity::euclidean ? std::sqrt(std::max(got.dist[q], 0.0)) : got.dist[q];
            REQUIRE(d == Approx(neighbours.distances[q]).margin(1e-12));
          }
          const auto result = device::decodability_from_decisions(enc, got.decisions, k, kind);
          REQUIRE(result.predictions == expected.predictions);
          REQUIRE(result.per_class == expected.per_class);
          REQUIRE((result.overall == expected.overall && result.classes == expected.classes &&
                   result.class_counts == expected.class_counts && result.k == expected.k &&
                   result.dissimilarity == expected.dissimilarity));
        }
      }
    }
  }
  return ties;
}

/// Average ranks as the device computes them: a sort of (value, position) — stable, or with the
/// positions of each run reversed — then the two scans and the scatter.
std::vector<double> scanned_ranks(const std::vector<double>& x, bool reverse_ties) {
  const std::size_t m = x.size();
  std::vector<std::uint32_t> position(m);
  std::iota(position.begin(), position.end(), 0U);
  std::stable_sort(position.begin(), position.end(), [&](std::uint32_t p, std::uint32_t q) {
    return x[p] < x[q] || (reverse_ties && x[p] == x[q] && p > q);
  });
  std::vector<double> sorted(m);
  for (std::size_t u = 0; u < m; ++u) sorted[u] = x[position[u]];
  std::vector<std::size_t> first(m), last(m);
  for (std::size_t u = 0; u < m; ++u) {
    first[u] = std::max(u == 0 ? 0 : first[u - 1], device::run_first_candidate(sorted.data(), u));
  }
  for (std::size_t u = m; u-- > 0;) {
    last[u] = std::min(u + 1 == m ? m : last[u + 1], device::run_last_candidate(sorted.data(), m, u));
  }
  std::vector<double> out(m, -1.0);
  for (std::size_t u = 0; u < m; ++u) {
    device::scatter_rank(position.data(), u, first[u], last[u], out.data());
    REQUIRE(device::centered_rank(first[u], last[u], m) == out[position[u]] - 0.5 * static_cast<double>(m + 1));
  }
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("top-k over distance tiles gives the CPU library's neighbours and decisions", "[cuda_cpu]", float,
                   double) {
  for (const std::size_t n : {5, 23}) {
    const std::size_t dims = 3;
    const auto labels = some_labels(n, static_cast<unsigned>(n));
    for (const auto& X : icl_test::all_layouts<TestType>(lattice_values(n, dims, 11), n, dims)) {
      REQUIRE(check_against_library(X, labels) > 0);
    }
  }
}

TEST_CASE("top-k over distance tiles on continuous data", "[cuda_cpu]") {
  const std::size_t n = 41, dims = 6;
  std::mt19937 engine(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> values(n * dims);
  for (double& v : values) v = normal(engine);
  (void)check_against_library(icl_test::row_major<double>(values, n, dims), some_labels(n, 9));
}

TEMPLATE_TEST_CASE("unusable rows raise what task_decodability raises", "[cuda_cpu]", float, double) {
  const std::size_t n = 5, dims = 2;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<int> labels = {0, 1, 0, 1, 1};
  // Each case: (row, column, value) written over rows 1 + i + j; 1e20 overflows float's range.
  const std::vector<std::vector<std::array<double, 3>>> cases = {
      {},
      {{3, 0, 0.0}, {3, 1, 0.0}},
      {{2, 1, nan}},
      {{0, 0, 0.0}, {0, 1, 0.0}, {4, 0, -inf}},
      {{1, 0, 1e20}},
      {{1, 0, 1e20}, {3, 1, nan}}};
  for (std::size_t c = 0; c < cases.size(); ++c) {
    std::vector<double> values(n * dims);
    for (std::size_t q = 0; q < values.size(); ++q) values[q] = static_cast<double>(1 + q % 3);
    for (const auto& entry : cases[c]) {
      values[static_cast<std::size_t>(entry[0]) * dims + static_cast<std::size_t>(entry[1])] = entry[2];
    }
    const auto X = icl_test::row_major<TestType>(values, n, dims);
    for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
      INFO("case " << c << " " << icl::to_string(kind));
      icl::decode::decode_params params;
      params.k = 2;
      params.dissimilarity = kind;
      std::string expected = "(none)", got = "(none)";
      try {
        (void)icl::decode::task_decodability(X.view, labels, params);
      } catch (const icl::invalid_argument& e) {
        expected = std::string("invalid: ") + e.what();
      } catch (const icl::error& e) {
        expected = std::string("error: ") + e.what();
      }
      std::vector<double> norm2(n, 0.0);
      std::vector<device::knn_row_status> status;
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < dims; ++j) {
          const auto v = static_cast<double>(X.view(i, j));
          norm2[i] += v * v;
        }
        const double limit = device::knn_norm_limit<TestType>();
        status.push_back(device::knn_status(kind == dissimilarity::cosine, norm2[i], limit));
      }
      const auto first_bad = [&](std::size_t i) {
        std::size_t j = 0;
        while (j < dims && std::isfinite(static_cast<double>(X.view(i, j)))) ++j;
        return std::pair<std::size_t, double>(j, j < dims ? static_cast<double>(X.view(i, j)) : 0.0);
      };
      try {
        device::raise_knn_row_errors("icl::decode::task_decodability", status.data(), norm2.data(), n, dims, first_bad);
      } catch (const icl::invalid_argument& e) {
        got = std::string("invalid: ") + e.what();
      } catch (const icl::error& e) {
        got = std::string("error: ") + e.what();
      }
      REQUIRE(got == expected);
    }
  }
}

TEST_CASE("the top-k list breaks distance ties by index and its merge keeps the k best", "[cuda_cpu]") {
  double da[3], db[3], dm[4];
  std::uint32_t xa[3], xb[3], xm[4];
  device::topk_list<std::uint32_t> a{da, xa, 0, 3}, b{db, xb, 0, 3}, merged{dm, xm, 0, 4};
  REQUIRE(a.offer(1.0, 9));
  REQUIRE(a.offer(1.0, 4));
  REQUIRE(a.offer(0.5, 7));
  REQUIRE_FALSE(a.offer(1.0, 12));  // a tie with the 3rd, at a larger index
  REQUIRE(a.offer(1.0, 6));         // a tie at a smaller index drops (1.0, 9)
  REQUIRE(xa[0] == 7);
  REQUIRE(xa[1] == 4);
  REQUIRE(xa[2] == 6);
  REQUIRE(b.offer(1.0, 5));
  REQUIRE(b.offer(2.0, 1));
  device::topk_merge(a, b, merged);
  REQUIRE(merged.count == 4);
  REQUIRE(xm[0] == 7);
  REQUIRE(xm[1] == 4);
  REQUIRE(xm[2] == 5);
  REQUIRE(xm[3] == 6);
  // A vote tie goes to the lowest class.
  const std::size_t codes[] = {2, 1, 2, 1, 0};
  const std::uint32_t nb[] = {0, 1, 2, 3, 4};
  REQUIRE(device::knn_vote(nb, 4, codes, static_cast<unsigned*>(nullptr)) == 1);
  REQUIRE(device::knn_vote(nb, 5, codes, static_cast<unsigned*>(nullptr)) == 1);
  REQUIRE(device::knn_vote(nb, 1, codes, static_cast<unsigned*>(nullptr)) == 2);
}

TEST_CASE("average ranks from the scans equal icl::average_ranks", "[cuda_cpu]") {
  std::mt19937 engine(17);
  std::uniform_int_distribution<int> small(-3, 3);
  // 5000 values take the CPU library's radix-sort path, the others its comparison sort.
  for (const std::size_t m : {1, 2, 3, 10, 257, 5000}) {
    std::vector<double> x(m);
    for (double& v : x) v = 0.5 * small(engine);
    if (m > 3) {
      x[0] = -0.0;
      x[1] = 0.0;
      x[2] = std::numeric_limits<double>::infinity();
      x[3] = -std::numeric_limits<double>::infinity();
    }
    const std::vector<double> expected = icl::average_ranks(x);
    for (const bool reverse_ties : {false, true}) {
      INFO("m " << m << " reverse_ties " << reverse_ties);
      REQUIRE(scanned_ranks(x, reverse_ties) == expected);
    }
    icl::detail::rank_workspace workspace;
    const auto& twice = icl::detail::doubled_ranks(x.data(), m, workspace);
    for (std::size_t t = 0; t < m; ++t) REQUIRE(static_cast<double>(twice[t]) == 2.0 * expected[t]);
  }
  std::vector<double> constant(100, 2.5);
  REQUIRE(scanned_ranks(constant, false) == std::vector<double>(100, 50.5));
}
