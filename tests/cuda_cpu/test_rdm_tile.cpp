// The device RDM's arithmetic (icl/cuda/detail/rdm_tile.hpp) run on the CPU over the kernels'
// index space (per-row statistics, the tile schedule, one "thread" per tile entry, Gram tiles in
// cuBLAS's column-major layout) and compared with the CPU library's compute_rdm.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "icl/core/condensed.hpp"
#include "icl/cuda/detail/rdm_tile.hpp"
#include "icl/cuda/detail/results.hpp"
#include "icl/rsa/rdm.hpp"
#include "support/views.hpp"

namespace {

namespace device = icl::detail::device;
using icl::rsa::dissimilarity;

/// The row-statistics kernel (one row per thread): mean (correlation), centred squared norm, status.
struct row_stats {
  std::vector<double> mean, squared;
  std::vector<device::row_status> status;
};

template <class T>
row_stats gather(icl::matrix_view<const T> X, dissimilarity d) {
  const std::size_t n = X.rows(), dims = X.cols();
  row_stats out{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0), {}};
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0.0;
    for (std::size_t j = 0; j < dims; ++j) sum += static_cast<double>(X(i, j));
    if (device::centers_rows(d)) out.mean[i] = device::row_mean(sum, dims);
    for (std::size_t j = 0; j < dims; ++j) {
      const double v = static_cast<double>(X(i, j)) - out.mean[i];
      out.squared[i] += v * v;
    }
    const bool finite = std::isfinite(sum) && std::isfinite(out.squared[i]);
    out.status.push_back(device::rdm_row_status(device::rdm_map_of(d), finite, out.squared[i]));
  }
  return out;
}

/// The device path of compute_rdm on the CPU, with tiles of b rows. `column_major` stores each
/// Gram tile as cuBLAS does (element (r, c) at r + c·ld, ld = rows + 1), else row-major.
template <class T>
std::vector<double> tiled_rdm(icl::matrix_view<const T> X, dissimilarity d, std::size_t b, bool column_major) {
  const std::size_t n = X.rows(), dims = X.cols();
  const device::rdm_map map = device::rdm_map_of(d);
  const row_stats stats = gather(X, d);
  const std::vector<double>& mean = stats.mean;
  std::vector<double> factor(n);
  for (std::size_t i = 0; i < n; ++i) factor[i] = device::rdm_row_factor(map, stats.status[i], stats.squared[i]);
  // The rows in the compute type (centred for correlation), as the product reads them.
  std::vector<T> rows(n * dims);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < dims; ++j) {
      rows[i * dims + j] = device::centered_value<T>(static_cast<double>(X(i, j)), mean[i]);
    }
  }
  std::vector<double> out(n * (n - 1) / 2, -1.0);
  const device::rdm_schedule schedule{n, b};
  std::vector<T> gram;
  for (std::size_t t = 0; t < schedule.tiles(); ++t) {
    const device::rdm_tile tile = schedule.tile(t);
    const std::size_t ld = column_major ? tile.rows + 1 : tile.cols;
    gram.assign(column_major ? ld * tile.cols : tile.rows * ld, T(0));
    for (std::size_t r = 0; r < tile.rows; ++r) {
      for (std::size_t c = 0; c < tile.cols; ++c) {
        T g = 0;
        for (std::size_t j = 0; j < dims; ++j) g += rows[(tile.i0 + r) * dims + j] * rows[(tile.j0 + c) * dims + j];
        gram[column_major ? r + c * ld : r * ld + c] = g;
      }
    }
    const auto ldi = static_cast<std::ptrdiff_t>(ld);
    device::finish_tile(map, tile, n, gram.data(), column_major ? 1 : ldi, column_major ? ldi : 1, factor.data(),
                        1.0 / static_cast<double>(dims), out.data());
  }
  return out;
}

std::vector<double> normal_values(std::size_t count, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> v(count);
  for (double& x : v) x = normal(engine);
  return v;
}

template <class T>
void require_same_rdm(const std::vector<double>& got, const std::vector<double>& expected) {
  const double margin = sizeof(T) == 4 ? 2e-5 : 1e-12;
  REQUIRE(got.size() == expected.size());
  const double epsilon = sizeof(T) == 4 ? 1e-5 : 1e-12;
  for (std::size_t k = 0; k < got.size(); ++k) {
    INFO("condensed position " << k << ": " << got[k] << " against " << expected[k]);
    // NaN exactly where the CPU library has NaN, the values within the tolerance elsewhere.
    const Approx near = Approx(expected[k]).epsilon(epsilon).margin(margin);
    REQUIRE((std::isnan(expected[k]) ? std::isnan(got[k]) : got[k] == near));
  }
}

}  // namespace

TEST_CASE("the tile schedule covers each pair of the upper triangle once, in condensed order", "[cuda_cpu]") {
  for (const std::size_t n : {2, 3, 7, 16, 17, 40}) {
    for (const std::size_t b : {1, 2, 3, 7, 16, 64}) {
      INFO("n " << n << " b " << b);
      const device::rdm_schedule schedule{n, b};
      std::vector<int> seen(n * (n - 1) / 2, 0);
      std::size_t previous_i0 = 0, previous_j0 = 0;
      for (std::size_t t = 0; t < schedule.tiles(); ++t) {
        const device::rdm_tile tile = schedule.tile(t);
        REQUIRE(tile.j0 >= tile.i0);
        REQUIRE(tile.rows == std::min(b, n - tile.i0));
        REQUIRE(tile.cols == std::min(b, n - tile.j0));
        if (t > 0) {
          // The CPU library's loop order: row blocks outer, column blocks from the diagonal.
          REQUIRE((tile.i0 > previous_i0 || tile.j0 > previous_j0));
        }
        previous_i0 = tile.i0;
        previous_j0 = tile.j0;
        for (std::size_t r = 0; r < tile.rows; ++r) {
          for (std::size_t c = 0; c < tile.cols; ++c) {
            if (!tile.holds_pair(r, c)) continue;
            const std::size_t i = tile.i0 + r, j = tile.j0 + c;
            const std::size_t position = device::pair_position(n, i, j);
            REQUIRE(position == icl::detail::condensed_index(n, i, j));
            ++seen[position];
          }
        }
      }
      REQUIRE(schedule.tiles() == schedule.blocks() * (schedule.blocks() + 1) / 2);
      for (const int count : seen) REQUIRE(count == 1);
    }
  }
}

TEMPLATE_TEST_CASE("tiles finished on the CPU equal compute_rdm for every dissimilarity", "[cuda_cpu]", float, double) {
  for (const std::size_t n : {2, 5, 17, 33}) {
    for (const std::size_t dims : {1, 3, 13}) {
      const std::vector<double> values = normal_values(n * dims, static_cast<unsigned>(7 * n + dims));
      for (const auto& X : icl_test::all_layouts<TestType>(values, n, dims)) {
        for (const dissimilarity d : {dissimilarity::euclidean, dissimilarity::sqeuclidean,
                                      dissimilarity::sqeuclidean_per_feature, dissimilarity::correlation,
                                      dissimilarity::cosine}) {
          if (d == dissimilarity::correlation && dims == 1) continue;  // every row is constant
          const std::vector<double> expected = icl::rsa::compute_rdm(X.view, d).condensed();
          for (const std::size_t b : {std::size_t{1}, std::size_t{3}, std::size_t{7}, n, n + 5}) {
            INFO(icl::rsa::to_string(d) << " n " << n << " d " << dims << " b " << b << " col_stride "
                                        << X.view.col_stride());
            require_same_rdm<TestType>(tiled_rdm(X.view, d, b, true), expected);
            require_same_rdm<TestType>(tiled_rdm(X.view, d, b, false), expected);
          }
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("unusable rows give NaN where compute_rdm propagates them", "[cuda_cpu]", float, double) {
  const std::size_t n = 9, dims = 4;
  std::vector<double> values = normal_values(n * dims, 3);
  for (std::size_t j = 0; j < dims; ++j) {
    values[2 * dims + j] = 0.0;  // row 2: all zeros (cosine undefined)
    values[5 * dims + j] = 1.5;  // row 5: constant (correlation undefined)
  }
  values[7 * dims + 1] = std::numeric_limits<double>::quiet_NaN();  // row 7: NaN
  values[8 * dims + 3] = std::numeric_limits<double>::infinity();   // row 8: Inf
  icl::rsa::rdm_params params;
  params.nan = icl::nan_policy::propagate;
  for (const auto& X : icl_test::all_layouts<TestType>(values, n, dims)) {
    for (const dissimilarity d : {dissimilarity::euclidean, dissimilarity::sqeuclidean,
                                  dissimilarity::sqeuclidean_per_feature, dissimilarity::correlation,
                                  dissimilarity::cosine}) {
      INFO(icl::rsa::to_string(d));
      const std::vector<double> expected = icl::rsa::compute_rdm(X.view, d, params).condensed();
      require_same_rdm<TestType>(tiled_rdm(X.view, d, 4, true), expected);
    }
  }
}

TEMPLATE_TEST_CASE("unusable rows raise what compute_rdm raises", "[cuda_cpu]", float, double) {
  const std::size_t n = 6, dims = 3;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  // Each case: (row, column, value) written over normal data.
  const std::vector<std::vector<std::array<double, 3>>> cases = {
      {},
      {{2, 0, 0.0}, {2, 1, 0.0}, {2, 2, 0.0}},                    // a zero row
      {{1, 0, 2.0}, {1, 1, 2.0}, {1, 2, 2.0}},                    // a constant row
      {{4, 1, nan}},                                              // NaN
      {{1, 0, 0.0}, {1, 1, 0.0}, {1, 2, 0.0}, {3, 2, -inf}},      // a zero row before an Inf row
      {{0, 0, 1.0}, {0, 1, 1.0}, {0, 2, 1.0}, {5, 0, inf}, {5, 2, nan}}};
  for (std::size_t c = 0; c < cases.size(); ++c) {
    std::vector<double> values = normal_values(n * dims, 21);
    for (const auto& entry : cases[c]) {
      values[static_cast<std::size_t>(entry[0]) * dims + static_cast<std::size_t>(entry[1])] = entry[2];
    }
    const auto X = icl_test::column_major_padded<TestType>(values, n, dims);
    for (const dissimilarity d : {dissimilarity::euclidean, dissimilarity::correlation, dissimilarity::cosine}) {
      INFO("case " << c << " " << icl::rsa::to_string(d));
      std::string expected = "(none)", got = "(none)";
      try {
        (void)icl::rsa::compute_rdm(X.view, d);
      } catch (const icl::invalid_argument& e) {
        expected = e.what();
      }
      const row_stats stats = gather(X.view, d);
      const auto first_bad = [&](std::size_t i) {
        std::size_t j = 0;
        while (j < dims && std::isfinite(static_cast<double>(X.view(i, j)))) ++j;
        return std::pair<std::size_t, double>(j, j < dims ? static_cast<double>(X.view(i, j)) : 0.0);
      };
      try {
        device::raise_rdm_row_errors("icl::rsa::compute_rdm", d, icl::nan_policy::raise, stats.status.data(), n,
                                     first_bad);
      } catch (const icl::invalid_argument& e) {
        got = e.what();
      }
      REQUIRE(got == expected);
      device::raise_rdm_row_errors("icl::rsa::compute_rdm", d, icl::nan_policy::propagate, stats.status.data(), n,
                                   first_bad);
    }
  }
}

TEST_CASE("the row status follows the CPU library's policy", "[cuda_cpu]") {
  using device::rdm_map;
  using device::row_status;
  REQUIRE(device::rdm_row_status(rdm_map::cosine, true, 0.0) == row_status::zero_norm);
  REQUIRE(device::rdm_row_status(rdm_map::euclidean, true, 0.0) == row_status::usable);
  REQUIRE(device::rdm_row_status(rdm_map::sqeuclidean, false, 1.0) == row_status::non_finite);
  REQUIRE(std::isnan(device::rdm_row_factor(rdm_map::cosine, row_status::zero_norm, 0.0)));
  REQUIRE(device::rdm_row_factor(rdm_map::cosine, row_status::usable, 4.0) == 0.5);
  REQUIRE(device::rdm_row_factor(rdm_map::euclidean, row_status::usable, 4.0) == 4.0);
  // Rounding below zero is clamped; a NaN stays NaN.
  REQUIRE(device::rdm_entry(rdm_map::sqeuclidean, 1.0 + 1e-16, 1.0, 1.0, 1.0) == 0.0);
  REQUIRE(std::isnan(device::clamp_at_zero(std::numeric_limits<double>::quiet_NaN())));
}
