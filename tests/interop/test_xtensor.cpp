// icl::from_xtensor: containers, adaptors and strided views become views of the same storage
// whose elements are the expression's, metrics on them equal metrics on a copy, and a wrong
// number of dimensions is rejected.
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xfixed.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "icl/core/random.hpp"
#include "icl/interop/xtensor.hpp"
#include "icl/rsa/rdm.hpp"
#include "support/interop.hpp"

namespace {

using icl::rsa::dissimilarity;

// Distinct values in [-1, 1) written in the expression's own iteration order.
template <class E>
void fill_random(E& e, std::uint64_t seed) {
  using value = typename E::value_type;
  icl::counter_rng rng(seed);
  for (auto& v : e) v = static_cast<value>(static_cast<float>(2.0 * rng.uniform01() - 1.0));
}

template <class T>
std::vector<T> random_buffer(std::size_t count, std::uint64_t seed) {
  std::vector<T> out(count);
  icl::counter_rng rng(seed);
  for (auto& v : out) v = static_cast<T>(static_cast<float>(2.0 * rng.uniform01() - 1.0));
  return out;
}

// from_xtensor(e) reads e(i, j) at (i, j), refers to e's storage, and gives the same RDMs as a copy.
template <class E>
void check_matrix_adapter(const E& e) {
  using value = std::remove_cv_t<typename E::value_type>;
  const auto view = icl::from_xtensor(e);
  STATIC_REQUIRE(std::is_same_v<decltype(view), const icl::matrix_view<const value>>);
  REQUIRE(e.dimension() == 2);
  REQUIRE(view.rows() == e.shape()[0]);
  REQUIRE(view.cols() == e.shape()[1]);
  CHECK(view.data() == e.data() + e.data_offset());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < view.rows(); ++i) {
    for (std::size_t j = 0; j < view.cols(); ++j) mismatches += view(i, j) == e(i, j) ? 0 : 1;
  }
  CHECK(mismatches == 0);
  icl_test::check_rdm_matches_copy(view);
}

// from_xtensor<3>(e) reads e(l, i, j) at (l, i, j); every layer's RDM matches a copy's.
template <class E>
void check_tensor3_adapter(const E& e) {
  using value = std::remove_cv_t<typename E::value_type>;
  const auto view = icl::from_xtensor<3>(e);
  STATIC_REQUIRE(std::is_same_v<decltype(view), const icl::tensor_view<const value, 3>>);
  for (std::size_t k = 0; k < 3; ++k) REQUIRE(view.extent(k) == e.shape()[k]);
  CHECK(view.data() == e.data() + e.data_offset());
  std::size_t mismatches = 0;
  for (std::size_t l = 0; l < view.extent(0); ++l) {
    for (std::size_t i = 0; i < view.extent(1); ++i) {
      for (std::size_t j = 0; j < view.extent(2); ++j) mismatches += view(l, i, j) == e(l, i, j) ? 0 : 1;
    }
  }
  CHECK(mismatches == 0);
  for (std::size_t l = 0; l < view.extent(0); ++l) icl_test::check_rdm_matches_copy(view.matrix(l));
}

// from_xtensor(x) is well-formed for an argument of type T.
template <class T, class = void>
struct can_view : std::false_type {};
template <class T>
struct can_view<T, std::void_t<decltype(icl::from_xtensor(std::declval<T>()))>> : std::true_type {};
template <class T, class = void>
struct can_view3 : std::false_type {};
template <class T>
struct can_view3<T, std::void_t<decltype(icl::from_xtensor<3>(std::declval<T>()))>> : std::true_type {};

using adaptor_2d = decltype(xt::adapt(std::declval<std::vector<double>&>(), std::array<std::size_t, 2>{}));

}  // namespace

// Named containers, adaptors of user memory and views are accepted; a temporary owning
// container (which would leave the view dangling) is not.
static_assert(can_view<xt::xarray<double>&>::value);
static_assert(can_view<const xt::xtensor<float, 2>&>::value);
static_assert(can_view<adaptor_2d>::value);
static_assert(!can_view<xt::xarray<double>>::value);
static_assert(!can_view<xt::xtensor<float, 2>>::value);
static_assert(!can_view<xt::xtensor_fixed<double, xt::xshape<2, 3>>>::value);
static_assert(!can_view<const xt::xarray<double>&&>::value);
static_assert(can_view3<xt::xtensor<float, 3>&>::value);
static_assert(!can_view3<xt::xtensor<float, 3>>::value);

TEMPLATE_TEST_CASE("from_xtensor views xarray, xtensor and xtensor_fixed in either layout", "[interop][xtensor]",
                   float, double) {
  SECTION("xarray, row-major") {
    xt::xarray<TestType> a = xt::xarray<TestType>::from_shape({7, 5});
    fill_random(a, 1);
    icl_test::check_strides(icl::from_xtensor(a), 5, 1);
    check_matrix_adapter(a);
  }
  SECTION("xarray, column-major") {
    xt::xarray<TestType, xt::layout_type::column_major> a =
        xt::xarray<TestType, xt::layout_type::column_major>::from_shape({7, 5});
    fill_random(a, 2);
    icl_test::check_strides(icl::from_xtensor(a), 1, 7);
    check_matrix_adapter(a);
  }
  SECTION("xtensor, both layouts") {
    xt::xtensor<TestType, 2> row_major = xt::xtensor<TestType, 2>::from_shape({6, 9});
    fill_random(row_major, 3);
    check_matrix_adapter(row_major);
    xt::xtensor<TestType, 2, xt::layout_type::column_major> col_major =
        xt::xtensor<TestType, 2, xt::layout_type::column_major>::from_shape({6, 9});
    fill_random(col_major, 4);
    check_matrix_adapter(col_major);
  }
  SECTION("xtensor_fixed") {
    xt::xtensor_fixed<TestType, xt::xshape<4, 6>> fixed;
    fill_random(fixed, 5);
    check_matrix_adapter(fixed);
  }
  SECTION("const container") {
    xt::xarray<TestType> a = xt::xarray<TestType>::from_shape({5, 4});
    fill_random(a, 6);
    const xt::xarray<TestType>& c = a;
    check_matrix_adapter(c);
  }
}

TEMPLATE_TEST_CASE("from_xtensor views xt::adapt over user memory", "[interop][xtensor]", float, double, icl::f16,
                   icl::bf16) {
  std::vector<TestType> buffer = random_buffer<TestType>(200, 11);
  SECTION("adapt a pointer, C order") {
    auto a = xt::adapt(buffer.data(), 8 * 6, xt::no_ownership(), std::vector<std::size_t>{8, 6});
    const auto view = icl::from_xtensor(a);
    CHECK(view.data() == buffer.data());
    icl_test::check_strides(view, 6, 1);
    check_matrix_adapter(a);
  }
  SECTION("adapt a pointer with explicit (padded, column-major) strides") {
    // 7 x 5 column-major with leading dimension 11: element (i, j) at i + 11 j. xtensor checks
    // the size argument against the number of elements (7 * 5), not the span the strides reach.
    auto a = xt::adapt(buffer.data(), 7 * 5, xt::no_ownership(), std::vector<std::size_t>{7, 5},
                       std::vector<std::ptrdiff_t>{1, 11});
    icl_test::check_strides(icl::from_xtensor(a), 1, 11);
    check_matrix_adapter(a);
  }
  SECTION("adapt a std::vector, and a const one") {
    auto a = xt::adapt(buffer, std::array<std::size_t, 2>{10, 20});
    CHECK(icl::from_xtensor(a).data() == buffer.data());
    check_matrix_adapter(a);
    const std::vector<TestType>& constant = buffer;
    auto c = xt::adapt(constant, std::array<std::size_t, 2>{20, 10});
    check_matrix_adapter(c);
  }
  SECTION("a temporary adaptor of user memory is fine") {
    const auto view =
        icl::from_xtensor(xt::adapt(buffer.data(), 40, xt::no_ownership(), std::vector<std::size_t>{5, 8}));
    CHECK(view.data() == buffer.data());
    CHECK(view(4, 7) == buffer[39]);
  }
}

TEMPLATE_TEST_CASE("from_xtensor views strided views", "[interop][xtensor]", float, double) {
  using namespace xt::placeholders;  // NOLINT(google-build-using-namespace): xt::range's `_`
  xt::xarray<TestType> a = xt::xarray<TestType>::from_shape({9, 8});
  fill_random(a, 21);
  xt::xarray<TestType, xt::layout_type::column_major> c =
      xt::xarray<TestType, xt::layout_type::column_major>::from_shape({9, 8});
  fill_random(c, 22);

  SECTION("ranges of rows and columns") {
    check_matrix_adapter(xt::view(a, xt::range(2, 7), xt::all()));
    check_matrix_adapter(xt::view(a, xt::all(), xt::range(1, 6)));
    check_matrix_adapter(xt::view(a, xt::range(1, 8), xt::range(3, 7)));
    check_matrix_adapter(xt::view(c, xt::range(1, 8), xt::range(3, 7)));
    const auto view = icl::from_xtensor(xt::view(a, xt::range(2, 7), xt::range(1, 5)));
    CHECK(view.data() == &a(2, 1));
    icl_test::check_strides(view, 8, 1);
  }
  SECTION("stepped and reversed ranges") {
    check_matrix_adapter(xt::view(a, xt::range(0, 9, 2), xt::all()));
    check_matrix_adapter(xt::view(a, xt::all(), xt::range(1, 8, 3)));
    const auto reversed = xt::view(a, xt::range(_, _, -1), xt::all());
    const auto view = icl::from_xtensor(reversed);
    CHECK(view.row_stride() == -8);
    CHECK(view.data() == &a(8, 0));
    check_matrix_adapter(reversed);
    check_matrix_adapter(xt::view(c, xt::range(7, 1, -2), xt::range(_, _, -1)));
  }
  SECTION("a view of a view") {
    auto outer = xt::view(a, xt::range(1, 9), xt::range(1, 8));
    check_matrix_adapter(xt::view(outer, xt::range(2, 6), xt::range(0, 7, 2)));
  }
  SECTION("transpose and strided_view") {
    check_matrix_adapter(xt::transpose(a));
    check_matrix_adapter(xt::transpose(c));
    const auto t = icl::from_xtensor(xt::transpose(a));
    CHECK(t.rows() == 8);
    CHECK(t.cols() == 9);
    icl_test::check_strides(t, 1, 8);
    check_matrix_adapter(xt::strided_view(a, {xt::range(1, 6), xt::all()}));
    check_matrix_adapter(xt::strided_view(c, {xt::all(), xt::range(0, 8, 3)}));
  }
  SECTION("a layer of a 3-D tensor (integer slice)") {
    xt::xtensor<TestType, 3> h = xt::xtensor<TestType, 3>::from_shape({4, 6, 5});
    fill_random(h, 23);
    check_matrix_adapter(xt::view(h, 2));
    check_matrix_adapter(xt::view(h, 3, xt::all(), xt::range(1, 4)));
    check_matrix_adapter(xt::view(h, xt::all(), 1, xt::all()));
    const auto layer = icl::from_xtensor(xt::view(h, 2));
    CHECK(layer.data() == &h(2, 0, 0));
  }
  SECTION("dimensions of extent 1 (xtensor gives them stride 0)") {
    xt::xarray<TestType> row = xt::xarray<TestType>::from_shape({1, 6});
    fill_random(row, 24);
    const auto view = icl::from_xtensor(row);
    CHECK(view.rows() == 1);
    CHECK(view.cols() == 6);
    check_matrix_adapter(row);
    xt::xarray<TestType> column = xt::xarray<TestType>::from_shape({6, 1});
    fill_random(column, 25);
    check_matrix_adapter(column);
    check_matrix_adapter(xt::view(a, xt::range(3, 4), xt::all()));
  }
}

TEMPLATE_TEST_CASE("from_xtensor<N> views N-D expressions", "[interop][xtensor]", float, double, icl::f16,
                   icl::bf16) {
  SECTION("[layers, n, d] from xt::adapt, C order and with explicit strides") {
    std::vector<TestType> buffer = random_buffer<TestType>(3 * 7 * 5, 31);
    auto h = xt::adapt(buffer.data(), buffer.size(), xt::no_ownership(), std::vector<std::size_t>{3, 7, 5});
    const auto view = icl::from_xtensor<3>(h);
    CHECK(view.strides() == std::array<std::ptrdiff_t, 3>{35, 5, 1});
    check_tensor3_adapter(h);
    // The same numbers in Fortran order.
    auto f = xt::adapt(buffer.data(), buffer.size(), xt::no_ownership(), std::vector<std::size_t>{3, 7, 5},
                       std::vector<std::ptrdiff_t>{1, 3, 21});
    check_tensor3_adapter(f);
  }
  SECTION("4-D attention [layers, heads, T, T]") {
    std::vector<TestType> buffer = random_buffer<TestType>(2 * 3 * 4 * 4, 32);
    auto att = xt::adapt(buffer.data(), buffer.size(), xt::no_ownership(), std::vector<std::size_t>{2, 3, 4, 4});
    const auto view = icl::from_xtensor<4>(att);
    STATIC_REQUIRE(std::is_same_v<decltype(view), const icl::tensor_view<const TestType, 4>>);
    CHECK(view.extents() == std::array<std::size_t, 4>{2, 3, 4, 4});
    CHECK(view.strides() == std::array<std::ptrdiff_t, 4>{48, 16, 4, 1});
    std::size_t mismatches = 0;
    for (std::size_t l = 0; l < 2; ++l) {
      for (std::size_t h = 0; h < 3; ++h) {
        for (std::size_t t = 0; t < 4; ++t) {
          for (std::size_t s = 0; s < 4; ++s) mismatches += view(l, h, t, s) == att(l, h, t, s) ? 0 : 1;
        }
      }
    }
    CHECK(mismatches == 0);
  }
}

TEMPLATE_TEST_CASE("from_xtensor<3> views containers and strided views", "[interop][xtensor]", float, double) {
  using namespace xt::placeholders;  // NOLINT(google-build-using-namespace)
  xt::xtensor<TestType, 3> h = xt::xtensor<TestType, 3>::from_shape({4, 6, 5});
  fill_random(h, 41);
  xt::xarray<TestType, xt::layout_type::column_major> c =
      xt::xarray<TestType, xt::layout_type::column_major>::from_shape({4, 6, 5});
  fill_random(c, 42);
  check_tensor3_adapter(h);
  check_tensor3_adapter(c);
  check_tensor3_adapter(xt::view(h, xt::range(1, 3), xt::all(), xt::range(0, 5, 2)));
  check_tensor3_adapter(xt::view(c, xt::range(_, _, -1), xt::range(1, 5), xt::all()));
  check_tensor3_adapter(xt::transpose(h, {1, 0, 2}));
  // 1-D and 2-D through the same template.
  const auto flat = icl::from_xtensor<1>(xt::view(h, 1, 2, xt::all()));
  CHECK(flat.extent(0) == 5);
  CHECK(flat(4) == h(1, 2, 4));
  const auto m = icl::from_xtensor<2>(xt::view(h, 1));
  CHECK(m(5, 4) == h(1, 5, 4));
}

TEST_CASE("from_xtensor rejects a wrong number of dimensions", "[interop][xtensor]") {
  xt::xarray<double> three = xt::xarray<double>::from_shape({2, 3, 4});
  xt::xarray<double> two = xt::xarray<double>::from_shape({5, 6});
  xt::xtensor<float, 1> one = xt::xtensor<float, 1>::from_shape({7});
  REQUIRE_THROWS_AS(icl::from_xtensor(three), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::from_xtensor(three),
                      Catch::StartsWith("icl::from_xtensor: ") &&
                          Catch::Contains("expected a 2-D expression, got 3 dimensions (shape [2, 3, 4])"));
  REQUIRE_THROWS_WITH(icl::from_xtensor(one),
                      Catch::Contains("icl::from_xtensor") && Catch::Contains("got 1 dimensions (shape [7])"));
  REQUIRE_THROWS_AS(icl::from_xtensor<3>(two), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::from_xtensor<3>(two),
                      Catch::Contains("icl::from_xtensor") &&
                          Catch::Contains("expected a 3-D expression, got 2 dimensions (shape [5, 6])"));
  REQUIRE_THROWS_WITH(icl::from_xtensor<4>(xt::view(three, 0)), Catch::Contains("icl::from_xtensor"));
  CHECK_NOTHROW(icl::from_xtensor<3>(three));
  CHECK_NOTHROW(icl::from_xtensor(two));
}

TEST_CASE("from_xtensor of an empty array is an empty view", "[interop][xtensor]") {
  xt::xarray<double> none = xt::xarray<double>::from_shape({0, 4});
  const auto view = icl::from_xtensor(none);
  CHECK(view.empty());
  CHECK(view.cols() == 4);
  REQUIRE_THROWS_AS(icl::rsa::compute_rdm(view, dissimilarity::euclidean), icl::invalid_argument);
}

TEST_CASE("a view from_xtensor sees later writes (no copy)", "[interop][xtensor]") {
  xt::xarray<float> a = xt::zeros<float>({4, 3});
  const auto view = icl::from_xtensor(a);
  a(2, 1) = 5.0f;
  CHECK(view(2, 1) == 5.0f);
}
