// The device kNN's segment lists (icl/cuda/detail/knn_segments.hpp) run on the CPU over the
// kernels' index space: one "thread" per (tile row, column segment) offering its columns of a
// column-major b × b Gram tile, then one per row merging its segment lists and voting. Compared
// with icl::decode::loo_neighbors and task_decodability.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include "icl/core/labels.hpp"
#include "icl/cuda/detail/knn_segments.hpp"
#include "icl/cuda/detail/results.hpp"
#include "icl/decode/knn.hpp"

namespace {

namespace device = icl::detail::device;

template <class T>
void check_segments(const std::vector<T>& x, std::size_t n, std::size_t d, const std::vector<int>& labels,
                    icl::decode::dissimilarity kind) {
  const auto X = icl::make_matrix_view(x.data(), n, d);
  const auto enc = icl::detail::encode_labels("test", labels, n, 2, "H");
  const bool cosine = kind == icl::decode::dissimilarity::cosine;
  // The row-terms kernel.
  std::vector<double> a(n), s(n);
  for (std::size_t i = 0; i < n; ++i) {
    double norm2 = 0.0;
    for (std::size_t j = 0; j < d; ++j) norm2 += static_cast<double>(X(i, j)) * static_cast<double>(X(i, j));
    a[i] = device::knn_offset(cosine, norm2);
    s[i] = device::knn_scale(cosine, norm2);
  }
  const device::knn_terms terms{a.data(), s.data(), device::knn_coefficient(cosine)};
  for (const std::size_t k : {std::size_t{1}, std::size_t{5}, n - 1}) {
    icl::decode::decode_params params;
    params.k = k;
    params.dissimilarity = kind;
    const auto expected = icl::decode::loo_neighbors(X, params);
    const auto expected_result = icl::decode::task_decodability(X, labels, params);
    for (const std::size_t b : {std::size_t{1}, std::size_t{4}, n}) {
      for (const std::size_t segments : {std::size_t{1}, std::size_t{3}, std::size_t{8}}) {
        INFO("k " << k << " b " << b << " segments " << segments);
        std::vector<double> dist(n * segments * k);
        std::vector<std::size_t> index(n * segments * k), count(n * segments, 0);
        const device::segment_lists<std::size_t> lists{dist.data(), index.data(), count.data(), segments, k};
        std::vector<T> tile;
        for (std::size_t i0 = 0; i0 < n; i0 += b) {
          const std::size_t rows = std::min(b, n - i0);
          for (std::size_t j0 = 0; j0 < n; j0 += b) {
            const std::size_t cols = std::min(b, n - j0);
            tile.assign(rows * cols, T(0));  // column-major, ld = rows (cuBLAS)
            for (std::size_t r = 0; r < rows; ++r) {
              for (std::size_t c = 0; c < cols; ++c) {
                for (std::size_t j = 0; j < d; ++j) tile[r + c * rows] += X(i0 + r, j) * X(j0 + c, j);
              }
            }
            for (std::size_t seg = 0; seg < segments; ++seg) {
              for (std::size_t r = 0; r < rows; ++r) {
                device::offer_tile_segment(terms, lists, i0, r, rows, j0, cols, seg, tile.data());
              }
            }
          }
        }
        std::vector<double> dist_scratch(2 * k);
        std::vector<std::size_t> index_scratch(2 * k), decisions(n);
        for (std::size_t i = 0; i < n; ++i) {
          const auto merged = device::merge_segments(lists, i, dist_scratch.data(), index_scratch.data());
          REQUIRE(merged.count == k);
          for (std::size_t q = 0; q < k; ++q) REQUIRE(merged.index[q] == expected.indices[i * k + q]);
          decisions[i] = device::knn_vote(merged.index, k, enc.codes.data(), static_cast<unsigned*>(nullptr));
        }
        const auto result = device::decodability_from_decisions(enc, decisions, k, kind);
        REQUIRE(result.predictions == expected_result.predictions);
        REQUIRE(result.per_class == expected_result.per_class);
      }
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("segment lists merged per row give the CPU library's neighbours and decisions", "[cuda_cpu]", float,
                   double) {
  const std::size_t n = 19, d = 3;
  std::mt19937 engine(4);
  std::uniform_int_distribution<int> digit(-2, 2);
  std::vector<TestType> x(n * d);
  for (auto& v : x) v = static_cast<TestType>(digit(engine));
  for (std::size_t i = 0; i < n; ++i) x[i * d] = static_cast<TestType>(1 + i % 2);  // no zero row
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>((i * 5) % 3);
  check_segments(x, n, d, labels, icl::decode::dissimilarity::euclidean);
  check_segments(x, n, d, labels, icl::decode::dissimilarity::cosine);
}
