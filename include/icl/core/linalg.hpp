#ifndef ICL_CORE_LINALG_HPP
#define ICL_CORE_LINALG_HPP

/// Dense products behind the GEMM-shaped metrics.
///
/// Operands are row-major blocks of the compute type (float or double) with a leading
/// dimension. With ICL_USE_BLAS (the `icl_metrics::blas` component) the products call the
/// Fortran BLAS routines ?GEMM and ?SYRK (through icl/core/detail/blas.hpp, which also compiles
/// beside Eigen's own BLAS back-end) — SYRK computes one triangle of A·Aᵀ and so does half the
/// work of GEMM; otherwise Eigen's own products do the same job. The functions here depend on
/// ICL_USE_BLAS and so live in the per-configuration namespace (icl/config.hpp).

#include <algorithm>
#include <climits>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "icl/config.hpp"
#include "icl/core/detail/blas.hpp"
#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/core/widen.hpp"

namespace icl::detail {

template <class C>
using row_major_map = Eigen::Map<Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;
template <class C>
using const_row_major_map =
    Eigen::Map<const Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;

/// out = A·op(B), all row-major: A is rows_a x k (leading dimension lda), out is rows_a x cols
/// (ldo); op(B) = Bᵀ for B cols x k (transposed_b), B for B k x cols (ldb either way).
template <class C>
void product_rows(bool transposed_b, const C* a, std::size_t rows_a, std::size_t lda, const C* b, std::size_t cols,
                  std::size_t ldb, std::size_t k, C* out, std::size_t ldo) {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>, "compute type is float or double");
  if (rows_a == 0 || cols == 0) return;
#if ICL_HAS_BLAS
  // Row-major X (r x c) is the column-major matrix Xᵀ. outᵀ = op(B)ᵀ·Aᵀ, so call GEMM with B
  // first: ('T', 'N') for B = cols x k, ('N', 'N') for B = k x cols.
  const int m = blas_int(cols, "columns"), n = blas_int(rows_a, "rows"), kk = blas_int(k, "depth");
  const int la = blas_int(lda, "lda"), lb = blas_int(ldb, "ldb"), lo = blas_int(ldo, "ldo");
  blas::gemm(transposed_b ? "T" : "N", "N", m, n, kk, C(1), b, lb, a, la, C(0), out, lo);
#else
  const auto rows = [](std::size_t r) { return static_cast<Eigen::Index>(r); };
  const_row_major_map<C> A(a, rows(rows_a), rows(k), Eigen::OuterStride<>(rows(lda)));
  row_major_map<C> O(out, rows(rows_a), rows(cols), Eigen::OuterStride<>(rows(ldo)));
  if (transposed_b) {
    O.noalias() = A * const_row_major_map<C>(b, rows(cols), rows(k), Eigen::OuterStride<>(rows(ldb))).transpose();
  } else {
    O.noalias() = A * const_row_major_map<C>(b, rows(k), rows(cols), Eigen::OuterStride<>(rows(ldb)));
  }
#endif
}

/// out = A·Bᵀ: A is rows_a x k (leading dimension lda), B is rows_b x k (ldb), out is
/// rows_a x rows_b (ldo); all row-major.
template <class C>
void product_abt(const C* a, std::size_t rows_a, std::size_t lda, const C* b, std::size_t rows_b, std::size_t ldb,
                 std::size_t k, C* out, std::size_t ldo) {
  product_rows<C>(true, a, rows_a, lda, b, rows_b, ldb, k, out, ldo);
}

/// out = A·B: A is rows_a x k (leading dimension lda), B is k x cols_b (ldb), out is
/// rows_a x cols_b (ldo); all row-major.
template <class C>
void product_ab(const C* a, std::size_t rows_a, std::size_t lda, const C* b, std::size_t cols_b, std::size_t ldb,
                std::size_t k, C* out, std::size_t ldo) {
  product_rows<C>(false, a, rows_a, lda, b, cols_b, ldb, k, out, ldo);
}

/// The upper triangle (j >= i) of out = A·Aᵀ: A is rows x k (lda), out is rows x rows (ldo),
/// row-major. The strict lower triangle of out is left unspecified.
template <class C>
void product_aat_upper(const C* a, std::size_t rows, std::size_t lda, std::size_t k, C* out, std::size_t ldo) {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>, "compute type is float or double");
  if (rows == 0) return;
#if ICL_HAS_BLAS
  // Row-major upper triangle = column-major lower triangle; A row-major = column-major Aᵀ,
  // so out_cm = (Aᵀ)ᵀ·Aᵀ is SYRK with trans = 'T'.
  const int n = blas_int(rows, "rows"), kk = blas_int(k, "depth");
  const int la = blas_int(lda, "lda"), lo = blas_int(ldo, "ldo");
  blas::syrk("L", "T", n, kk, C(1), a, la, C(0), out, lo);
#else
  const_row_major_map<C> A(a, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(k),
                           Eigen::OuterStride<>(static_cast<Eigen::Index>(lda)));
  row_major_map<C> O(out, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(rows),
                     Eigen::OuterStride<>(static_cast<Eigen::Index>(ldo)));
  O.template triangularView<Eigen::Upper>().setZero();
  O.template selfadjointView<Eigen::Upper>().rankUpdate(A);
#endif
}

/// Converts rows [first, first + count) of X into `buffer` (row-major, leading dimension d),
/// element (r, j) = convert(first + r, X(first + r, j)). Column-major inputs are read in tiles of
/// 16 rows x 64 columns, whose 64 source cache lines stay in L1 while each row of the tile is
/// written contiguously (one row at a time through the whole matrix would touch a new cache
/// line, and page, per element); contiguous rows go through a plain pointer so the loop vectorizes.
template <class C, class T, class Convert>
void convert_rows(matrix_view<const T> X, std::size_t first, std::size_t count, std::vector<C>& buffer,
                  Convert&& convert) {
  const std::size_t d = X.cols();
  buffer.resize(count * d);
  if (X.row_stride() == 1 && X.col_stride() != 1 && count > 1) {
    constexpr std::size_t chunk = 16, width = 64;
    beside_blas_for(0, (count + chunk - 1) / chunk, count * d, [&](std::size_t c) {
      const std::size_t r0 = c * chunk, rows = std::min(chunk, count - r0);
      for (std::size_t j0 = 0; j0 < d; j0 += width) {
        const std::size_t j1 = std::min(d, j0 + width);
        for (std::size_t r = 0; r < rows; ++r) {
          const std::size_t i = first + r0 + r;
          C* out = buffer.data() + (r0 + r) * d;
          for (std::size_t j = j0; j < j1; ++j) out[j] = convert(i, X(i, j));
        }
      }
    });
    return;
  }
  const bool contiguous = X.rows_contiguous();
  beside_blas_for(0, count, count * d, [&](std::size_t r) {
    const std::size_t i = first + r;
    C* out = buffer.data() + r * d;
    if (contiguous) {
      const T* in = X.row_data(i);
      for (std::size_t j = 0; j < d; ++j) out[j] = convert(i, in[j]);
    } else {
      for (std::size_t j = 0; j < d; ++j) out[j] = convert(i, X(i, j));
    }
  });
}

/// Rows [first, first + count) of X as a row-major block of C: the input itself when its rows
/// are already contiguous in C (no copy), otherwise converted into `buffer`.
template <class C, class T>
const C* rows_as_compute(matrix_view<const T> X, std::size_t first, std::size_t count, std::vector<C>& buffer,
                         std::size_t& leading_dimension) {
  const std::size_t d = X.cols();
  if constexpr (std::is_same_v<std::remove_cv_t<T>, C>) {
    if (X.col_stride() == 1 && X.row_stride() >= static_cast<std::ptrdiff_t>(d) && X.row_stride() > 0) {
      leading_dimension = static_cast<std::size_t>(X.row_stride());
      return X.row_data(first);
    }
  }
  leading_dimension = d;
  if constexpr (std::is_same_v<C, float> && !std::is_same_v<std::remove_cv_t<T>, double>) {
    // Half-precision rows: widen_to_float (F16C where the processor has it), row by row.
    if (X.rows_contiguous()) {
      buffer.resize(count * d);
      beside_blas_for(0, count, count * d,
                         [&](std::size_t r) { widen_to_float(X.row_data(first + r), d, buffer.data() + r * d); });
      return buffer.data();
    }
  }
  convert_rows<C>(X, first, count, buffer, [](std::size_t, T value) { return to_compute<C>(value); });
  return buffer.data();
}

}  // namespace icl::detail

namespace icl {
inline namespace ICL_ABI_NAMESPACE {  // its body depends on ICL_USE_BLAS (icl/config.hpp)

/// The Gram matrix X·Xᵀ (n x n, symmetric) of the rows of X, through SYRK with the
/// `icl_metrics::blas` component (Eigen's rank update otherwise). Computed in float for float,
/// f16 and bf16 inputs and in double for double inputs. For large n prefer the metrics' own
/// blocked forms, which never hold the n x n matrix.
template <class T>
dense_matrix<detail::compute_t<T>> gram_matrix(matrix_view<const T> X) {
  detail::check_matrix("icl::gram_matrix", "X", X);
  using C = detail::compute_t<T>;
  const std::size_t n = X.rows();
  dense_matrix<C> gram(n, n);
  std::vector<C> buffer;
  std::size_t ld = 0;
  const C* rows = detail::rows_as_compute<C>(X, 0, n, buffer, ld);
  detail::product_aat_upper<C>(rows, n, ld, X.cols(), gram.data(), n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j) gram(i, j) = gram(j, i);
  return gram;
}

}  // namespace ICL_ABI_NAMESPACE
}  // namespace icl

#endif  // ICL_CORE_LINALG_HPP
