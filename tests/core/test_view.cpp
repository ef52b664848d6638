// matrix_view and tensor_view: accessors, factories, sub-views, conversions, half precision
// helpers and the argument checks shared by every metric.
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace {

// 0, 1, 2, ... as T.
template <class T>
std::vector<T> iota_values(std::size_t count) {
  std::vector<T> v(count);
  for (std::size_t k = 0; k < count; ++k) v[k] = static_cast<T>(static_cast<float>(k));
  return v;
}

}  // namespace

static_assert(icl::is_element_type_v<float> && icl::is_element_type_v<double> && icl::is_element_type_v<icl::f16> &&
              icl::is_element_type_v<icl::bf16> && icl::is_element_type_v<const float>);
static_assert(!icl::is_element_type_v<int> && !icl::is_element_type_v<long double>);
static_assert(std::is_same_v<icl::detail::compute_t<double>, double>);
static_assert(std::is_same_v<icl::detail::compute_t<const double>, double>);
static_assert(std::is_same_v<icl::detail::compute_t<float>, float>);
static_assert(std::is_same_v<icl::detail::compute_t<icl::f16>, float>);
static_assert(std::is_same_v<icl::detail::compute_t<icl::bf16>, float>);
// Mutable views convert to const views; never the other way round.
static_assert(std::is_convertible_v<icl::matrix_view<float>, icl::matrix_view<const float>>);
static_assert(!std::is_convertible_v<icl::matrix_view<const float>, icl::matrix_view<float>>);
static_assert(!std::is_convertible_v<icl::matrix_view<float>, icl::matrix_view<const double>>);
static_assert(std::is_convertible_v<icl::tensor_view<float, 3>, icl::tensor_view<const float, 3>>);
static_assert(!std::is_convertible_v<icl::tensor_view<const float, 3>, icl::tensor_view<float, 3>>);

TEMPLATE_TEST_CASE("make_matrix_view gives a row-major contiguous view", "[core][view]", float, double, icl::f16,
                   icl::bf16) {
  const auto values = iota_values<TestType>(12);
  const auto X = icl::make_matrix_view(values.data(), 3, 4);
  STATIC_REQUIRE(std::is_same_v<decltype(X), const icl::matrix_view<const TestType>>);
  CHECK(X.data() == values.data());
  CHECK(X.rows() == 3);
  CHECK(X.cols() == 4);
  CHECK(X.row_stride() == 4);
  CHECK(X.col_stride() == 1);
  CHECK_FALSE(X.empty());
  CHECK(X.rows_contiguous());
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(X.row_data(i) == values.data() + 4 * i);
    for (std::size_t j = 0; j < 4; ++j) CHECK(&X(i, j) == &values[4 * i + j]);
  }
}

TEMPLATE_TEST_CASE("make_matrix_view with strides", "[core][view]", float, double) {
  // Column-major 3 x 4 with leading dimension 5: element (i, j) at i + 5 j.
  const auto values = iota_values<TestType>(20);
  const auto X = icl::make_matrix_view(values.data(), 3, 4, 1, 5);
  CHECK(X.row_stride() == 1);
  CHECK(X.col_stride() == 5);
  CHECK_FALSE(X.rows_contiguous());
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(X(i, j) == values[i + 5 * j]);
  }
  // A single column is contiguous whatever its column stride.
  CHECK(icl::make_matrix_view(values.data(), 3, 1, 1, 5).rows_contiguous());

  // Negative and zero strides: rows in reverse order, and a row repeated (broadcast).
  const auto reversed = icl::make_matrix_view(values.data() + 8, 3, 4, -4, 1);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(reversed(i, j) == values[(2 - i) * 4 + j]);
  }
  const auto repeated = icl::make_matrix_view(values.data(), 5, 4, 0, 1);
  for (std::size_t i = 0; i < 5; ++i) CHECK(repeated(i, 3) == values[3]);
}

TEST_CASE("empty and default matrix views", "[core][view]") {
  const icl::matrix_view<const double> none;
  CHECK(none.data() == nullptr);
  CHECK(none.rows() == 0);
  CHECK(none.cols() == 0);
  CHECK(none.empty());
  const double value = 1.0;
  CHECK(icl::make_matrix_view(&value, 0, 5).empty());
  CHECK(icl::make_matrix_view(&value, 5, 0).empty());
  CHECK_FALSE(icl::make_matrix_view(&value, 1, 1).empty());
}

TEST_CASE("row_range, block and transposed share the storage", "[core][view]") {
  // 5 x 6, row-major, padded to a row stride of 8.
  std::vector<double> values(5 * 8);
  std::iota(values.begin(), values.end(), 0.0);
  const auto X = icl::make_matrix_view(values.data(), 5, 6, 8, 1);

  const auto rows = X.row_range(1, 3);
  CHECK(rows.rows() == 3);
  CHECK(rows.cols() == 6);
  CHECK(rows.row_stride() == 8);
  CHECK(rows.col_stride() == 1);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 6; ++j) CHECK(&rows(i, j) == &X(i + 1, j));
  }

  const auto b = X.block(2, 1, 3, 4);
  CHECK(b.rows() == 3);
  CHECK(b.cols() == 4);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(&b(i, j) == &X(i + 2, j + 1));
  }

  const auto t = X.transposed();
  CHECK(t.rows() == 6);
  CHECK(t.cols() == 5);
  CHECK(t.row_stride() == 1);
  CHECK(t.col_stride() == 8);
  for (std::size_t i = 0; i < 6; ++i) {
    for (std::size_t j = 0; j < 5; ++j) CHECK(&t(i, j) == &X(j, i));
  }
  // Sub-views compose: a block of the transpose is the transpose of the block.
  const auto tb = t.block(1, 2, 4, 3);
  const auto bt = X.block(2, 1, 3, 4).transposed();
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 3; ++j) CHECK(&tb(i, j) == &bt(i, j));
  }
  CHECK(&t.transposed()(4, 5) == &X(4, 5));
}

TEST_CASE("a mutable view converts to a const view and writes through", "[core][view]") {
  std::vector<float> values(6, 0.0f);
  const icl::matrix_view<float> writable(values.data(), 2, 3, 3, 1);
  writable(1, 2) = 7.5f;
  CHECK(values[5] == 7.5f);
  const icl::matrix_view<const float> readable = writable;
  CHECK(readable.data() == values.data());
  CHECK(readable.rows() == 2);
  CHECK(readable.cols() == 3);
  CHECK(readable.row_stride() == 3);
  CHECK(readable.col_stride() == 1);
  CHECK(readable(1, 2) == 7.5f);

  icl::tensor_view<float, 2> writable_tensor(values.data(), {2, 3}, {3, 1});
  writable_tensor(0, 1) = -1.0f;
  const icl::tensor_view<const float, 2> readable_tensor = writable_tensor;
  CHECK(readable_tensor(0, 1) == -1.0f);
  CHECK(readable_tensor.extents() == writable_tensor.extents());
  CHECK(readable_tensor.strides() == writable_tensor.strides());
}

TEMPLATE_TEST_CASE("make_tensor_view uses C-order strides", "[core][view]", float, double, icl::f16, icl::bf16) {
  // [layers = 2, n = 3, d = 4]
  const auto values = iota_values<TestType>(24);
  const auto H = icl::make_tensor_view(values.data(), std::array<std::size_t, 3>{2, 3, 4});
  STATIC_REQUIRE(std::is_same_v<decltype(H), const icl::tensor_view<const TestType, 3>>);
  CHECK(H.data() == values.data());
  CHECK(H.extent(0) == 2);
  CHECK(H.extent(1) == 3);
  CHECK(H.extent(2) == 4);
  CHECK(H.stride(0) == 12);
  CHECK(H.stride(1) == 4);
  CHECK(H.stride(2) == 1);
  for (std::size_t l = 0; l < 2; ++l) {
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 4; ++j) CHECK(&H(l, i, j) == &values[12 * l + 4 * i + j]);
    }
  }

  // 4-D attention [layers, heads, T, T] and 1-D.
  const auto A = icl::make_tensor_view(values.data(), std::array<std::size_t, 4>{1, 2, 3, 4});
  CHECK(A.strides() == std::array<std::ptrdiff_t, 4>{24, 12, 4, 1});
  const auto v = icl::make_tensor_view(values.data(), std::array<std::size_t, 1>{24});
  CHECK(v.stride(0) == 1);
  CHECK(&v(23) == &values[23]);
}

TEST_CASE("tensor_view operator[], matrix(i) and as_matrix", "[core][view]") {
  std::vector<double> values(2 * 3 * 4);
  std::iota(values.begin(), values.end(), 0.0);
  const auto H = icl::make_tensor_view(values.data(), std::array<std::size_t, 3>{2, 3, 4});

  const icl::tensor_view<const double, 2> layer = H[1];
  CHECK(layer.extents() == std::array<std::size_t, 2>{3, 4});
  CHECK(layer.strides() == std::array<std::ptrdiff_t, 2>{4, 1});
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(&layer(i, j) == &H(1, i, j));
  }
  const icl::tensor_view<const double, 1> row = H[1][2];
  CHECK(row.extent(0) == 4);
  CHECK(&row(3) == &H(1, 2, 3));

  const icl::matrix_view<const double> m = H.matrix(1);
  CHECK(m.rows() == 3);
  CHECK(m.cols() == 4);
  CHECK(m.row_stride() == 4);
  CHECK(m.col_stride() == 1);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(&m(i, j) == &H(1, i, j));
  }
  const icl::matrix_view<const double> same = layer.as_matrix();
  CHECK(same.data() == m.data());
  CHECK(same.rows() == 3);
  CHECK(same.cols() == 4);
  CHECK(same.row_stride() == 4);
  CHECK(same.col_stride() == 1);

  // Explicit strides: the same numbers stored [d, n, layers] (Fortran order of [layers, n, d]).
  std::vector<double> fortran(values.size());
  for (std::size_t l = 0; l < 2; ++l) {
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 4; ++j) fortran[l + 2 * i + 6 * j] = H(l, i, j);
    }
  }
  const auto F = icl::make_tensor_view(fortran.data(), std::array<std::size_t, 3>{2, 3, 4},
                                       std::array<std::ptrdiff_t, 3>{1, 2, 6});
  for (std::size_t l = 0; l < 2; ++l) {
    const auto fm = F.matrix(l);
    CHECK(fm.row_stride() == 2);
    CHECK(fm.col_stride() == 6);
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 4; ++j) {
        CHECK(F(l, i, j) == H(l, i, j));
        CHECK(fm(i, j) == H(l, i, j));
        CHECK(F[l](i, j) == H(l, i, j));
      }
    }
  }
}

TEST_CASE("f16 and bf16 widen exactly", "[core][view]") {
  // Values exactly representable in binary16 (11 significant bits, max 65504, min normal
  // 2^-14, min subnormal 2^-24) round-trip through to_double unchanged.
  for (double x : {0.0, -0.0, 1.0, -1.5, 0.333251953125, 1023.5, 65504.0, 6.103515625e-05, 5.9604644775390625e-08}) {
    const icl::f16 h(static_cast<float>(x));
    CHECK(icl::detail::to_double(h) == x);
    CHECK(icl::detail::to_compute<float>(h) == static_cast<float>(x));
    CHECK(icl::detail::to_compute<double>(h) == x);
  }
  // bfloat16: 8 significant bits and the exponent range of float (max (2 - 2^-7) 2^127, min
  // normal 2^-126).
  for (double x : {0.0, 1.0, -2.5, 0.1171875, 256.0, -65536.0, 3.3895313892515355e38, 1.1754943508222875e-38}) {
    const icl::bf16 b(static_cast<float>(x));
    CHECK(icl::detail::to_double(b) == x);
    CHECK(icl::detail::to_compute<float>(b) == static_cast<float>(x));
    CHECK(icl::detail::to_compute<double>(b) == x);
  }
  // Rounding to half happens once, at conversion; widening adds nothing.
  const icl::f16 third(1.0f / 3.0f);
  CHECK(icl::detail::to_double(third) == 0.333251953125);
  const icl::bf16 third_b(1.0f / 3.0f);
  CHECK(icl::detail::to_double(third_b) == 0.333984375);
  // Float and double pass through unchanged.
  CHECK(icl::detail::to_double(0.1f) == static_cast<double>(0.1f));
  CHECK(icl::detail::to_double(0.1) == 0.1);
  CHECK(icl::detail::to_compute<float>(0.1) == 0.1f);
  CHECK(icl::detail::to_compute<double>(0.1f) == static_cast<double>(0.1f));
}

TEST_CASE("check_matrix rejects null data and overflowing shapes", "[core][view]") {
  const char* fn = "icl::test::function";
  const double value = 0.0;
  CHECK_NOTHROW(icl::detail::check_matrix(fn, "X", icl::make_matrix_view(&value, 1, 1)));
  // An empty view may have a null pointer.
  CHECK_NOTHROW(icl::detail::check_matrix(fn, "X", icl::matrix_view<const double>()));
  CHECK_NOTHROW(icl::detail::check_matrix(fn, "X", icl::make_matrix_view<double>(nullptr, 0, 7)));

  const auto null_view = icl::make_matrix_view<float>(nullptr, 3, 4);
  REQUIRE_THROWS_AS(icl::detail::check_matrix(fn, "X", null_view), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::detail::check_matrix(fn, "X", null_view),
                      Catch::StartsWith("icl::test::function: ") &&
                          Catch::Contains("X has a null data pointer with shape 3 x 4"));

  const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;
  const auto overflowing = icl::make_matrix_view(&value, huge, 3);
  REQUIRE_THROWS_AS(icl::detail::check_matrix(fn, "Y", overflowing), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::detail::check_matrix(fn, "Y", overflowing),
                      Catch::StartsWith("icl::test::function: ") && Catch::Contains("Y overflows size_t") &&
                          Catch::Contains(std::to_string(huge) + " x 3"));
  // icl::invalid_argument is a std::invalid_argument, so generic handlers catch it too.
  REQUIRE_THROWS_AS(icl::detail::check_matrix(fn, "X", null_view), std::invalid_argument);
}

TEST_CASE("block of an empty view is empty and reads nothing", "[core][view]") {
  CHECK(icl::matrix_view<const double>().block(0, 0, 0, 0).empty());
}
