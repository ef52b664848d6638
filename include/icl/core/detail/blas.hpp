#ifndef ICL_CORE_DETAIL_BLAS_HPP
#define ICL_CORE_DETAIL_BLAS_HPP

/// The Fortran BLAS routines the library calls under ICL_USE_BLAS (?GEMM, ?SYRK, ?GEMV), behind
/// typed wrappers: icl::detail::blas::gemm, syrk and gemv, for float and double; and the one
/// LAPACK routine, the symmetric eigensolver ?SYEVR (icl::detail::lapack::syevr), which the
/// `icl_metrics::blas` component links with BLAS. Every BLAS and LAPACK call of the library goes
/// through them; no other header declares a BLAS or LAPACK symbol.
///
/// Eigen declares the same symbols when a program turns on Eigen's own BLAS back-end
/// (EIGEN_USE_BLAS: Eigen/src/misc/blas.h, or MKL's headers under EIGEN_USE_MKL_ALL), with
/// another return type (int), and two declarations of one C function with different types do
/// not compile. So this header includes Eigen/Core first; when EIGEN_USE_BLAS is defined, Eigen
/// has declared the routines and the wrappers call through Eigen's declarations (with Eigen's
/// BLAS index type); otherwise the routines are declared here, as the Fortran subroutines they
/// are. Either include order of Eigen and icl therefore compiles, and links the same routines.
/// EIGEN_USE_LAPACKE declares no BLAS routine, but Eigen's LAPACKE header (included by
/// Eigen/Eigenvalues) declares the Fortran LAPACK routines, ?syevr_ among them, without the
/// hidden string-length arguments: under EIGEN_USE_LAPACKE this header includes Eigen/Eigenvalues
/// and calls through those declarations; otherwise it declares ?syevr_ as gfortran compiles it,
/// one hidden length (size_t) per character argument at the end.

#include <climits>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "icl/config.hpp"
#include "icl/core/error.hpp"

#if ICL_HAS_BLAS

#if !defined(EIGEN_USE_BLAS)
extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc);
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha, const float* a,
            const int* lda, const float* beta, float* c, const int* ldc);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc);
void sgemv_(const char* trans, const int* m, const int* n, const float* alpha, const float* a, const int* lda,
            const float* x, const int* incx, const float* beta, float* y, const int* incy);
void dgemv_(const char* trans, const int* m, const int* n, const double* alpha, const double* a, const int* lda,
            const double* x, const int* incx, const double* beta, double* y, const int* incy);
}
#endif

#if defined(EIGEN_USE_LAPACKE)
#include <Eigen/Eigenvalues>
#else
extern "C" {
void ssyevr_(const char* jobz, const char* range, const char* uplo, const int* n, float* a, const int* lda,
             const float* vl, const float* vu, const int* il, const int* iu, const float* abstol, int* m, float* w,
             float* z, const int* ldz, int* isuppz, float* work, const int* lwork, int* iwork, const int* liwork,
             int* info, std::size_t jobz_length, std::size_t range_length, std::size_t uplo_length);
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda,
             const double* vl, const double* vu, const int* il, const int* iu, const double* abstol, int* m,
             double* w, double* z, const int* ldz, int* isuppz, double* work, const int* lwork, int* iwork,
             const int* liwork, int* info, std::size_t jobz_length, std::size_t range_length,
             std::size_t uplo_length);
}
#endif

namespace icl::detail {

/// value as a BLAS dimension, or icl::invalid_argument when it exceeds the BLAS integer range
/// (INT_MAX: the 32-bit integer interface).
inline int blas_int(std::size_t value, const char* what) {
  if (value > static_cast<std::size_t>(INT_MAX)) {
    throw_invalid("icl::detail::blas", what, " = ", value, " exceeds the BLAS integer range");
  }
  return static_cast<int>(value);
}

namespace blas {

/// The integer type of the BLAS interface in use: Eigen's (MKL_INT under MKL) when Eigen's
/// back-end declared the routines, int otherwise.
#if defined(EIGEN_USE_BLAS)
using index = Eigen::BlasIndex;
#else
using index = int;
#endif

/// C (ldc) = alpha·op(A)·op(B) + beta·C, column-major (Fortran) conventions.
inline void gemm(const char* transa, const char* transb, index m, index n, index k, float alpha, const float* a,
                 index lda, const float* b, index ldb, float beta, float* c, index ldc) {
  sgemm_(transa, transb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc);
}
inline void gemm(const char* transa, const char* transb, index m, index n, index k, double alpha, const double* a,
                 index lda, const double* b, index ldb, double beta, double* c, index ldc) {
  dgemm_(transa, transb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc);
}

/// One triangle (uplo) of C = alpha·op(A)·op(A)ᵀ + beta·C, column-major conventions.
inline void syrk(const char* uplo, const char* trans, index n, index k, float alpha, const float* a, index lda,
                 float beta, float* c, index ldc) {
  ssyrk_(uplo, trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc);
}
inline void syrk(const char* uplo, const char* trans, index n, index k, double alpha, const double* a, index lda,
                 double beta, double* c, index ldc) {
  dsyrk_(uplo, trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc);
}

/// y = alpha·op(A)·x + beta·y, column-major conventions.
inline void gemv(const char* trans, index m, index n, float alpha, const float* a, index lda, const float* x,
                 index incx, float beta, float* y, index incy) {
  sgemv_(trans, &m, &n, &alpha, a, &lda, x, &incx, &beta, y, &incy);
}
inline void gemv(const char* trans, index m, index n, double alpha, const double* a, index lda, const double* x,
                 index incx, double beta, double* y, index incy) {
  dgemv_(trans, &m, &n, &alpha, a, &lda, x, &incx, &beta, y, &incy);
}

}  // namespace blas

namespace lapack {

/// ?SYEVR with RANGE = 'I': the eigenvalues il..iu (1-based, ascending) of the symmetric n x n
/// matrix a (column-major, leading dimension lda, triangle uplo; destroyed) into w, and with
/// jobz = 'V' their eigenvectors into the columns of z (ldz). Workspace sizes from a query
/// call; returns LAPACK's info (0 on success) and sets m to the number of values found.
template <class C>
int syevr(char jobz, char uplo, int n, C* a, int lda, int il, int iu, C abstol, int& m, C* w, C* z, int ldz) {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>, "LAPACK types are float or double");
  const char range = 'I';
  const C vl = 0, vu = 0;
  std::vector<int> isuppz(2 * static_cast<std::size_t>(n > 0 ? n : 1));
  int info = 0;
  const auto call = [&](C* work, int lwork, int* iwork, int liwork) {
#if defined(EIGEN_USE_LAPACKE)
    char j = jobz, r = range, u = uplo;
    C vl_ = vl, vu_ = vu, abstol_ = abstol;
    if constexpr (std::is_same_v<C, float>) {
      ssyevr_(&j, &r, &u, &n, a, &lda, &vl_, &vu_, &il, &iu, &abstol_, &m, w, z, &ldz, isuppz.data(), work, &lwork,
              iwork, &liwork, &info);
    } else {
      dsyevr_(&j, &r, &u, &n, a, &lda, &vl_, &vu_, &il, &iu, &abstol_, &m, w, z, &ldz, isuppz.data(), work, &lwork,
              iwork, &liwork, &info);
    }
#else
    if constexpr (std::is_same_v<C, float>) {
      ssyevr_(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &m, w, z, &ldz, isuppz.data(), work,
              &lwork, iwork, &liwork, &info, 1, 1, 1);
    } else {
      dsyevr_(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &m, w, z, &ldz, isuppz.data(), work,
              &lwork, iwork, &liwork, &info, 1, 1, 1);
    }
#endif
  };
  C work_size = 0;
  int iwork_size = 0;
  call(&work_size, -1, &iwork_size, -1);
  if (info != 0) return info;
  const int lwork = static_cast<int>(work_size) + 1, liwork = iwork_size;
  std::vector<C> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork > 0 ? liwork : 1));
  call(work.data(), lwork, iwork.data(), liwork);
  return info;
}

}  // namespace lapack
}  // namespace icl::detail

#endif  // ICL_HAS_BLAS

#endif  // ICL_CORE_DETAIL_BLAS_HPP
