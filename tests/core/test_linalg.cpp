// icl-test: also-without-blas
// product_abt and product_aat_upper (BLAS GEMM/SYRK, or Eigen without BLAS) against a naive
// triple loop, on odd sizes with leading dimensions larger than the widths.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <vector>

#include "icl/core/linalg.hpp"
#include "icl/core/random.hpp"

namespace {

// A row-major rows x cols block with leading dimension ld >= cols. Entries are uniform in
// [-1, 1); the padding holds a sentinel that must never be read into a result.
template <class C>
std::vector<C> random_block(std::size_t rows, std::size_t cols, std::size_t ld, std::uint64_t seed) {
  icl::counter_rng rng(seed, rows * 1000 + cols);
  std::vector<C> out(rows * ld + 1, static_cast<C>(1.0e30));
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) out[i * ld + j] = static_cast<C>(2.0 * rng.uniform01() - 1.0);
  }
  return out;
}

// Relative tolerance per term: the rounding of a k-term dot product in C is bounded by about
// k * eps * sum |a_l b_l|; blocked BLAS kernels do better, so a few eps per term is ample.
template <class C>
constexpr double tolerance_per_term() {
  return std::is_same_v<C, double> ? 1e-14 : 1e-6;
}

// Checks out(i, j) against the double-precision dot product of row i of A and row j of B.
template <class C>
void check_product(const std::vector<C>& a, std::size_t lda, const std::vector<C>& b, std::size_t ldb,
                   std::size_t k, const std::vector<C>& out, std::size_t ldo, std::size_t rows_a, std::size_t rows_b,
                   bool upper_only) {
  for (std::size_t i = 0; i < rows_a; ++i) {
    for (std::size_t j = upper_only ? i : 0; j < rows_b; ++j) {
      double exact = 0.0, magnitude = 0.0;
      for (std::size_t l = 0; l < k; ++l) {
        const double term = static_cast<double>(a[i * lda + l]) * static_cast<double>(b[j * ldb + l]);
        exact += term;
        magnitude += std::abs(term);
      }
      INFO("element (" << i << ", " << j << ") of " << rows_a << " x " << rows_b << ", k = " << k);
      const double got = static_cast<double>(out[i * ldo + j]);
      CHECK(std::abs(got - exact) <= tolerance_per_term<C>() * (static_cast<double>(k) * magnitude + 1e-300));
    }
  }
}

// The padding columns [width, ld) of every row of out must be left as they were.
template <class C>
void check_padding_untouched(const std::vector<C>& out, std::size_t rows, std::size_t width, std::size_t ld,
                             C sentinel) {
  std::size_t touched = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = width; j < ld; ++j) touched += out[i * ld + j] == sentinel ? 0 : 1;
  }
  CHECK(touched == 0);
}

// (rows_a, rows_b, k): odd, prime and larger-than-a-kernel-tile sizes, and k = 1.
const std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> shapes{
    {1, 1, 1}, {1, 5, 7}, {7, 5, 3}, {13, 17, 29}, {9, 3, 1}, {65, 33, 130}, {101, 67, 257}};

}  // namespace

TEMPLATE_TEST_CASE("product_abt matches a naive triple loop", "[core][linalg]", float, double) {
  using C = TestType;
  const C sentinel = static_cast<C>(-7.25);
  for (const auto& [rows_a, rows_b, k] : shapes) {
    const std::size_t lda = k + 3, ldb = k + 1, ldo = rows_b + 2;
    const auto a = random_block<C>(rows_a, k, lda, 1);
    const auto b = random_block<C>(rows_b, k, ldb, 2);
    std::vector<C> out(rows_a * ldo, sentinel);
    icl::detail::product_abt(a.data(), rows_a, lda, b.data(), rows_b, ldb, k, out.data(), ldo);
    check_product(a, lda, b, ldb, k, out, ldo, rows_a, rows_b, false);
    check_padding_untouched(out, rows_a, rows_b, ldo, sentinel);

    // Contiguous operands (leading dimension = width) take the same path.
    const auto a_tight = random_block<C>(rows_a, k, k, 3);
    const auto b_tight = random_block<C>(rows_b, k, k, 4);
    std::vector<C> tight(rows_a * rows_b, sentinel);
    icl::detail::product_abt(a_tight.data(), rows_a, k, b_tight.data(), rows_b, k, k, tight.data(), rows_b);
    check_product(a_tight, k, b_tight, k, k, tight, rows_b, rows_a, rows_b, false);

    // A·Aᵀ through the general product: B may be the same memory as A.
    const std::size_t ldg = rows_a + 1;
    std::vector<C> gram(rows_a * ldg, sentinel);
    icl::detail::product_abt(a.data(), rows_a, lda, a.data(), rows_a, lda, k, gram.data(), ldg);
    check_product(a, lda, a, lda, k, gram, ldg, rows_a, rows_a, false);
    check_padding_untouched(gram, rows_a, rows_a, ldg, sentinel);
  }
}

TEMPLATE_TEST_CASE("product_aat_upper matches a naive triple loop", "[core][linalg]", float, double) {
  using C = TestType;
  const C sentinel = static_cast<C>(-7.25);
  for (const auto& shape : shapes) {
    const std::size_t rows = std::get<0>(shape), k = std::get<2>(shape);
    const std::size_t lda = k + 5, ldo = rows + 3;
    const auto a = random_block<C>(rows, k, lda, 5);
    std::vector<C> out(rows * ldo, sentinel);
    icl::detail::product_aat_upper(a.data(), rows, lda, k, out.data(), ldo);
    check_product(a, lda, a, lda, k, out, ldo, rows, rows, true);
    check_padding_untouched(out, rows, rows, ldo, sentinel);

    // The upper triangle agrees with the general product to rounding: both are within
    // tol * k * sum |a_il a_jl| <= tol * k * k of the exact value. The diagonal is a sum of
    // squares, so non-negative.
    std::vector<C> full(rows * ldo, sentinel);
    icl::detail::product_abt(a.data(), rows, lda, a.data(), rows, lda, k, full.data(), ldo);
    for (std::size_t i = 0; i < rows; ++i) {
      CHECK(out[i * ldo + i] >= C(0));
      for (std::size_t j = i; j < rows; ++j) {
        const double x = static_cast<double>(out[i * ldo + j]);
        const double y = static_cast<double>(full[i * ldo + j]);
        CHECK(std::abs(x - y) <= 2 * tolerance_per_term<C>() * static_cast<double>(k) * static_cast<double>(k));
      }
    }
  }
}

TEMPLATE_TEST_CASE("products of empty operands", "[core][linalg]", float, double) {
  using C = TestType;
  const C sentinel = static_cast<C>(3.0);
  std::vector<C> a(12, C(1)), out(16, sentinel);
  // No rows: nothing is written.
  icl::detail::product_abt<C>(a.data(), 0, 3, a.data(), 4, 3, 3, out.data(), 4);
  icl::detail::product_abt<C>(a.data(), 4, 3, a.data(), 0, 3, 3, out.data(), 4);
  icl::detail::product_aat_upper<C>(a.data(), 0, 3, 3, out.data(), 4);
  for (C v : out) CHECK(v == sentinel);
  // Depth 0: every product is the empty sum, 0.
  icl::detail::product_abt<C>(a.data(), 4, 3, a.data(), 4, 3, 0, out.data(), 4);
  for (C v : out) CHECK(v == C(0));
  std::fill(out.begin(), out.end(), sentinel);
  icl::detail::product_aat_upper<C>(a.data(), 4, 3, 0, out.data(), 4);
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = i; j < 4; ++j) CHECK(out[i * 4 + j] == C(0));
  }
}
