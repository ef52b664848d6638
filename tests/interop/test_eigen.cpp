// icl::from_eigen: every kind of Eigen object with direct access becomes a view of the same
// storage whose (i, j) is the source's (i, j), and metrics on it equal metrics on a copy.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "icl/core/random.hpp"
#include "icl/interop/eigen.hpp"
#include "icl/rsa/rdm.hpp"
#include "support/interop.hpp"

namespace {

using icl::rsa::dissimilarity;

template <class T, int Options = Eigen::ColMajor>
using dynamic_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Options>;

// Distinct values in [-1, 1), so that a transposed or shifted view cannot pass by accident.
template <class Derived>
void fill_random(Eigen::DenseBase<Derived>& m, std::uint64_t seed) {
  using scalar = typename Derived::Scalar;
  icl::counter_rng rng(seed);
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      m(i, j) = static_cast<scalar>(static_cast<float>(2.0 * rng.uniform01() - 1.0));
    }
  }
}

template <class Source>
std::size_t rows_of(const Source& s) {
  return static_cast<std::size_t>(s.rows());
}
template <class Source>
std::size_t cols_of(const Source& s) {
  return static_cast<std::size_t>(s.cols());
}

// The view of `source` refers to its storage and reads the same (i, j); when the shape allows
// an RDM, compute_rdm on the view equals compute_rdm on a row-major copy.
template <class Source>
void check_adapter(const Source& source) {
  using scalar = typename Source::Scalar;
  const auto view = icl::from_eigen(source);
  STATIC_REQUIRE(std::is_same_v<decltype(view), const icl::matrix_view<const scalar>>);
  const std::size_t rows = rows_of(source), cols = cols_of(source);
  REQUIRE(view.rows() == rows);
  REQUIRE(view.cols() == cols);
  CHECK(view.data() == source.data());
  icl_test::check_strides(view, static_cast<std::ptrdiff_t>(source.rowStride()),
                          static_cast<std::ptrdiff_t>(source.colStride()));
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const scalar expected = source(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      mismatches += view(i, j) == expected ? 0 : 1;
    }
  }
  CHECK(mismatches == 0);

  icl_test::check_rdm_matches_copy(view);
}

// from_eigen(x) is well-formed for an argument of type T.
template <class T, class = void>
struct can_view : std::false_type {};
template <class T>
struct can_view<T, std::void_t<decltype(icl::from_eigen(std::declval<T>()))>> : std::true_type {};

}  // namespace

// Named objects and views of them are accepted; a temporary Matrix or Array (which would leave
// the view dangling) is not.
static_assert(can_view<const Eigen::MatrixXd&>::value);
static_assert(can_view<Eigen::MatrixXf&>::value);
static_assert(can_view<Eigen::Block<Eigen::MatrixXd>>::value);
static_assert(can_view<Eigen::Map<const Eigen::MatrixXd>>::value);
static_assert(can_view<Eigen::Ref<const Eigen::MatrixXd>&>::value);
static_assert(!can_view<Eigen::MatrixXd>::value);
static_assert(!can_view<Eigen::MatrixXd&&>::value);
static_assert(!can_view<Eigen::ArrayXXf>::value);
static_assert(!can_view<const Eigen::MatrixXd&&>::value);

TEMPLATE_TEST_CASE("from_eigen views a Matrix in either storage order", "[interop][eigen]", float, double, icl::f16,
                   icl::bf16) {
  SECTION("column-major") {
    dynamic_matrix<TestType> m(7, 5);
    fill_random(m, 1);
    icl_test::check_strides(icl::from_eigen(m), 1, 7);
    check_adapter(m);
  }
  SECTION("row-major") {
    dynamic_matrix<TestType, Eigen::RowMajor> m(7, 5);
    fill_random(m, 2);
    const auto view = icl::from_eigen(m);
    icl_test::check_strides(view, 5, 1);
    CHECK(view.rows_contiguous());
    check_adapter(m);
  }
  SECTION("fixed size") {
    Eigen::Matrix<TestType, 4, 3> fixed;
    fill_random(fixed, 3);
    check_adapter(fixed);
    Eigen::Matrix<TestType, 4, 3, Eigen::RowMajor> fixed_row;
    fill_random(fixed_row, 4);
    check_adapter(fixed_row);
  }
  SECTION("const object") {
    dynamic_matrix<TestType> m(6, 4);
    fill_random(m, 5);
    const dynamic_matrix<TestType>& c = m;
    check_adapter(c);
  }
}

TEMPLATE_TEST_CASE("from_eigen views a Map with any stride", "[interop][eigen]", float, double, icl::f16, icl::bf16) {
  // A buffer larger than any of the maps below, filled with distinct values.
  std::vector<TestType> buffer(400);
  {
    icl::counter_rng rng(11);
    for (auto& v : buffer) v = static_cast<TestType>(static_cast<float>(2.0 * rng.uniform01() - 1.0));
  }
  SECTION("contiguous") {
    Eigen::Map<const dynamic_matrix<TestType>> col_major(buffer.data(), 8, 6);
    check_adapter(col_major);
    Eigen::Map<const dynamic_matrix<TestType, Eigen::RowMajor>> row_major(buffer.data(), 8, 6);
    check_adapter(row_major);
  }
  SECTION("OuterStride (padded leading dimension)") {
    Eigen::Map<const dynamic_matrix<TestType>, 0, Eigen::OuterStride<>> col_major(buffer.data(), 7, 5,
                                                                                 Eigen::OuterStride<>(11));
    CHECK(icl::from_eigen(col_major).col_stride() == 11);
    check_adapter(col_major);
    Eigen::Map<const dynamic_matrix<TestType, Eigen::RowMajor>, 0, Eigen::OuterStride<>> row_major(
        buffer.data(), 7, 5, Eigen::OuterStride<>(9));
    CHECK(icl::from_eigen(row_major).row_stride() == 9);
    check_adapter(row_major);
    Eigen::Map<const dynamic_matrix<TestType>, 0, Eigen::OuterStride<10>> fixed_stride(buffer.data(), 6, 4);
    check_adapter(fixed_stride);
  }
  SECTION("InnerStride (every other element)") {
    Eigen::Map<const dynamic_matrix<TestType>, 0, Eigen::InnerStride<2>> col_major(buffer.data(), 6, 5);
    icl_test::check_strides(icl::from_eigen(col_major), 2, 12);
    check_adapter(col_major);
    Eigen::Map<const dynamic_matrix<TestType, Eigen::RowMajor>, 0, Eigen::InnerStride<>> row_major(
        buffer.data(), 6, 5, Eigen::InnerStride<>(3));
    CHECK(icl::from_eigen(row_major).col_stride() == 3);
    CHECK_FALSE(icl::from_eigen(row_major).rows_contiguous());
    check_adapter(row_major);
  }
  SECTION("Stride<Dynamic, Dynamic>") {
    using general = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
    // Column-major with outer 20, inner 3: element (i, j) at 3 i + 20 j.
    Eigen::Map<const dynamic_matrix<TestType>, 0, general> col_major(buffer.data(), 6, 9, general(20, 3));
    icl_test::check_strides(icl::from_eigen(col_major), 3, 20);
    check_adapter(col_major);
    // Row-major with outer 17, inner 2.
    Eigen::Map<const dynamic_matrix<TestType, Eigen::RowMajor>, 0, general> row_major(buffer.data(), 9, 7,
                                                                                     general(17, 2));
    icl_test::check_strides(icl::from_eigen(row_major), 17, 2);
    check_adapter(row_major);
  }
  SECTION("a writable Map") {
    Eigen::Map<dynamic_matrix<TestType>, 0, Eigen::OuterStride<>> writable(buffer.data(), 5, 5,
                                                                          Eigen::OuterStride<>(7));
    check_adapter(writable);
  }
}

TEMPLATE_TEST_CASE("from_eigen views a Ref", "[interop][eigen]", float, double) {
  dynamic_matrix<TestType> m(9, 7);
  fill_random(m, 21);
  SECTION("Ref<const Matrix> bound to a matrix and to a block, without a copy") {
    const Eigen::Ref<const dynamic_matrix<TestType>> whole(m);
    CHECK(whole.data() == m.data());
    check_adapter(whole);
    const Eigen::Ref<const dynamic_matrix<TestType>> part(m.block(2, 1, 5, 4));
    CHECK(part.data() == &m(2, 1));
    CHECK(icl::from_eigen(part).col_stride() == 9);
    check_adapter(part);
  }
  SECTION("Ref<Matrix> (writable)") {
    Eigen::Ref<dynamic_matrix<TestType>> writable(m.middleCols(1, 4));
    check_adapter(writable);
  }
  SECTION("Ref with a general stride bound to a strided Map and to a transposed row-major matrix") {
    using general_ref = Eigen::Ref<const dynamic_matrix<TestType>, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
    std::vector<TestType> buffer(200);
    icl::counter_rng rng(24);
    for (auto& v : buffer) v = static_cast<TestType>(static_cast<float>(2.0 * rng.uniform01() - 1.0));
    Eigen::Map<const dynamic_matrix<TestType>, 0, Eigen::InnerStride<2>> strided(buffer.data(), 6, 5);
    const general_ref g(strided);
    CHECK(g.data() == buffer.data());
    CHECK(icl::from_eigen(g).row_stride() == 2);
    CHECK(icl::from_eigen(g).col_stride() == 12);
    check_adapter(g);
    dynamic_matrix<TestType, Eigen::RowMajor> r(6, 8);
    fill_random(r, 22);
    const general_ref t(r.transpose());
    CHECK(t.data() == r.data());
    CHECK(icl::from_eigen(t).row_stride() == 1);
    CHECK(icl::from_eigen(t).col_stride() == 8);
    check_adapter(t);
    const general_ref tb(r.transpose().block(1, 2, 6, 3));
    check_adapter(tb);
  }
  SECTION("a Ref<const> that had to copy (storage order mismatch) views its own copy") {
    dynamic_matrix<TestType, Eigen::RowMajor> r(6, 5);
    fill_random(r, 23);
    const Eigen::Ref<const dynamic_matrix<TestType>> copied(r);
    CHECK(copied.data() != r.data());
    check_adapter(copied);
  }
}

TEMPLATE_TEST_CASE("from_eigen views blocks, rows, columns and transposes", "[interop][eigen]", float, double,
                   icl::f16, icl::bf16) {
  dynamic_matrix<TestType> c(11, 8);
  fill_random(c, 31);
  dynamic_matrix<TestType, Eigen::RowMajor> r(11, 8);
  fill_random(r, 32);

  SECTION("blocks of a column-major matrix") {
    check_adapter(c.block(2, 3, 6, 4));
    check_adapter(c.topRows(5));
    check_adapter(c.bottomRows(4));
    check_adapter(c.middleCols(2, 5));
    check_adapter(c.rightCols(3));
    check_adapter(c.template block<4, 3>(1, 1));
    // A block of a block.
    check_adapter(c.block(1, 1, 9, 6).block(2, 1, 5, 4));
    const auto view = icl::from_eigen(c.block(2, 3, 6, 4));
    CHECK(view.data() == &c(2, 3));
    icl_test::check_strides(view, 1, 11);
  }
  SECTION("blocks of a row-major matrix") {
    check_adapter(r.block(2, 3, 6, 4));
    check_adapter(r.middleRows(3, 5));
    check_adapter(r.leftCols(2));
    const auto view = icl::from_eigen(r.middleRows(3, 5));
    CHECK(view.data() == &r(3, 0));
    icl_test::check_strides(view, 8, 1);
  }
  SECTION("single rows and columns") {
    check_adapter(c.row(4));
    check_adapter(c.col(2));
    check_adapter(r.row(4));
    check_adapter(r.col(2));
    const auto column = icl::from_eigen(r.col(2));
    CHECK(column.rows() == 11);
    CHECK(column.cols() == 1);
    CHECK(column.row_stride() == 8);
  }
  SECTION("transposes") {
    check_adapter(c.transpose());
    check_adapter(r.transpose());
    check_adapter(c.block(1, 2, 7, 5).transpose());
    const auto t = icl::from_eigen(c.transpose());
    CHECK(t.rows() == 8);
    CHECK(t.cols() == 11);
    icl_test::check_strides(t, 11, 1);
  }
  SECTION("blocks of a strided Map") {
    std::vector<TestType> buffer(300);
    icl::counter_rng rng(33);
    for (auto& v : buffer) v = static_cast<TestType>(static_cast<float>(2.0 * rng.uniform01() - 1.0));
    using general = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
    Eigen::Map<const dynamic_matrix<TestType>, 0, general> m(buffer.data(), 7, 9, general(30, 3));
    check_adapter(m.block(1, 2, 5, 6));
    check_adapter(m.row(3));
    check_adapter(m.transpose().block(0, 1, 4, 5));
  }
}

TEMPLATE_TEST_CASE("from_eigen views Arrays and vectors", "[interop][eigen]", float, double) {
  Eigen::Array<TestType, Eigen::Dynamic, Eigen::Dynamic> a(6, 4);
  fill_random(a, 41);
  check_adapter(a);
  check_adapter(a.block(1, 1, 4, 3));
  Eigen::Matrix<TestType, Eigen::Dynamic, 1> v(9);
  fill_random(v, 42);
  check_adapter(v);
  const auto column = icl::from_eigen(v);
  CHECK(column.rows() == 9);
  CHECK(column.cols() == 1);
  Eigen::Matrix<TestType, 1, Eigen::Dynamic> w(9);
  fill_random(w, 43);
  check_adapter(w);
  check_adapter(v.segment(2, 5));
}

TEST_CASE("from_eigen of an empty matrix is an empty view", "[interop][eigen]") {
  Eigen::MatrixXd none(0, 4);
  const auto view = icl::from_eigen(none);
  CHECK(view.empty());
  CHECK(view.rows() == 0);
  CHECK(view.cols() == 4);
  CHECK_NOTHROW(icl::detail::check_matrix("test", "X", view));
  // Metrics reject it with their own message.
  REQUIRE_THROWS_AS(icl::rsa::compute_rdm(view, dissimilarity::euclidean), icl::invalid_argument);
}

TEST_CASE("a view from_eigen sees later writes to the matrix (no copy)", "[interop][eigen]") {
  Eigen::MatrixXf m = Eigen::MatrixXf::Zero(4, 3);
  const auto view = icl::from_eigen(m);
  m(2, 1) = 5.0f;
  CHECK(view(2, 1) == 5.0f);
  const auto block = icl::from_eigen(m.block(1, 1, 2, 2));
  m(2, 2) = -3.0f;
  CHECK(block(1, 1) == -3.0f);
}
