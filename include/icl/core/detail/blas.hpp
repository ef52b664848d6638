#ifndef ICL_CORE_DETAIL_BLAS_HPP
#define ICL_CORE_DETAIL_BLAS_HPP

/// The Fortran BLAS routines the library calls under ICL_USE_BLAS (?GEMM, ?SYRK, ?GEMV), behind
/// typed wrappers: icl::detail::blas::gemm, syrk and gemv, for float and double. Every BLAS call
/// of the library goes through them; no other header declares a BLAS symbol.
///
/// Eigen declares the same symbols when a program turns on Eigen's own BLAS back-end
/// (EIGEN_USE_BLAS: Eigen/src/misc/blas.h, or MKL's headers under EIGEN_USE_MKL_ALL), with
/// another return type (int), and two declarations of one C function with different types do
/// not compile. So this header includes Eigen/Core first; when EIGEN_USE_BLAS is defined, Eigen
/// has declared the routines and the wrappers call through Eigen's declarations (with Eigen's
/// BLAS index type); otherwise the routines are declared here, as the Fortran subroutines they
/// are. Either include order of Eigen and icl therefore compiles, and links the same routines.
/// EIGEN_USE_LAPACKE declares no BLAS routine and needs nothing here.

#include <climits>
#include <cstddef>

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
}  // namespace icl::detail

#endif  // ICL_HAS_BLAS

#endif  // ICL_CORE_DETAIL_BLAS_HPP
