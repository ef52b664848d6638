#ifndef ICL_GEOMETRY_DETAIL_SPECTRUM_IMPL_HPP
#define ICL_GEOMETRY_DETAIL_SPECTRUM_IMPL_HPP

/// Kernels behind icl/geometry/spectrum.hpp and the spectral measures of
/// icl/geometry/alignment.hpp: column centering, and the spectrum of a centered matrix through
/// the smaller of its n x n Gram matrix and its d x d covariance: LAPACK's ?syevr for the few
/// wanted eigenpairs where LAPACK is linked (in the Gram's precision), otherwise Householder tridiagonalization, symmetric
/// QR for the eigenvalues and inverse iteration for the wanted eigenvectors (Eigen).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "icl/config.hpp"
#include "icl/core/detail/blas.hpp"
#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"

namespace icl::geometry::detail {

/// Columns per chunk of the column-parallel reductions (deterministic at any thread count).
inline constexpr std::size_t column_chunk = 256;

/// Column sums (double) of the rows idx[0..count) of a row-major block (leading dimension ld),
/// each divided by `divisor` (1 for the plain sums).
template <class C>
std::vector<double> column_sums(const C* rows, std::size_t ld, std::size_t d, const std::size_t* idx,
                                std::size_t count, double divisor) {
  std::vector<double> mean(d, 0.0);
  // Each column adds its rows in row order. In parallel, tasks own chunks of columns; on one
  // thread a single chunk of all columns reads the rows in memory order (passes over strided
  // 1 KiB pieces of every row took almost twice as long at n = 2000, d = 4096).
  const std::size_t width = icl::detail::beside_blas_serial ? std::max<std::size_t>(d, 1) : column_chunk;
  icl::detail::beside_blas_for(0, (d + width - 1) / width, count * d, [&](std::size_t c) {
    const std::size_t j0 = c * width, j1 = std::min(d, j0 + width);
    for (std::size_t r = 0; r < count; ++r) {
      const C* row = rows + idx[r] * ld;
      for (std::size_t j = j0; j < j1; ++j) mean[j] += static_cast<double>(row[j]);
    }
    for (std::size_t j = j0; j < j1; ++j) mean[j] /= divisor;
  });
  return mean;
}

/// Column means (double) of the rows idx[0..count) of a row-major block (leading dimension ld).
template <class C>
std::vector<double> column_means(const C* rows, std::size_t ld, std::size_t d, const std::size_t* idx,
                                 std::size_t count) {
  return column_sums(rows, ld, d, idx, count, static_cast<double>(count));
}

/// The rows idx[0..count) of a row-major block minus the given column means, as a dense
/// count x d block of C.
template <class C>
std::vector<C> subtract_means(const C* rows, std::size_t ld, std::size_t d, const std::size_t* idx, std::size_t count,
                              const std::vector<double>& mean) {
  std::vector<C> out(count * d);
  icl::detail::beside_blas_for(0, count, count * d, [&](std::size_t r) {
    const C* row = rows + idx[r] * ld;
    C* o = out.data() + r * d;
    for (std::size_t j = 0; j < d; ++j) o[j] = static_cast<C>(static_cast<double>(row[j]) - mean[j]);
  });
  return out;
}

/// The rows idx[0..count) of a row-major block with their column means (double) removed, as a
/// dense count x d block of C; the means are returned in `mean`.
template <class C>
std::vector<C> centered_rows(const C* rows, std::size_t ld, std::size_t d, const std::size_t* idx, std::size_t count,
                             std::vector<double>& mean) {
  mean = column_means(rows, ld, d, idx, count);
  return subtract_means(rows, ld, d, idx, count, mean);
}

/// All rows of X, column-centered, as a dense n x d block of the compute type.
template <class C, class T>
std::vector<C> centered_matrix(matrix_view<const T> X, std::vector<double>& mean) {
  std::vector<C> buffer;
  std::size_t ld = 0;
  const C* rows = icl::detail::rows_as_compute<C>(X, 0, X.rows(), buffer, ld);
  std::vector<std::size_t> idx(X.rows());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  return centered_rows<C>(rows, ld, X.cols(), idx.data(), idx.size(), mean);
}

/// LU factorization with partial pivoting of a tridiagonal T − σI (diagonal d, sub- and
/// super-diagonal e) and solves with it; the O(s) kernel of inverse iteration.
class shifted_tridiagonal {
 public:
  shifted_tridiagonal(const Eigen::VectorXd& diag, const Eigen::VectorXd& off, double shift, double tiny)
      : n_(static_cast<std::size_t>(diag.size())), dl_(n_), d_(n_), du_(n_), du2_(n_, 0.0), swap_(n_, 0) {
    for (std::size_t i = 0; i < n_; ++i) d_[i] = diag(static_cast<Eigen::Index>(i)) - shift;
    for (std::size_t i = 0; i + 1 < n_; ++i) dl_[i] = du_[i] = off(static_cast<Eigen::Index>(i));
    for (std::size_t i = 0; i + 1 < n_; ++i) {
      if (std::abs(d_[i]) >= std::abs(dl_[i])) {
        if (d_[i] == 0.0) d_[i] = tiny;
        const double fact = dl_[i] / d_[i];
        dl_[i] = fact;
        d_[i + 1] -= fact * du_[i];
      } else {  // interchange rows i and i + 1
        const double fact = d_[i] / dl_[i];
        d_[i] = dl_[i];
        dl_[i] = fact;
        const double temp = du_[i];
        du_[i] = d_[i + 1];
        d_[i + 1] = temp - fact * d_[i + 1];
        if (i + 2 < n_) {
          du2_[i] = du_[i + 1];
          du_[i + 1] = -fact * du_[i + 1];
        }
        swap_[i] = 1;
      }
    }
    if (d_[n_ - 1] == 0.0) d_[n_ - 1] = tiny;
  }

  /// x ← (T − σI)⁻¹ x.
  void solve(std::vector<double>& x) const {
    for (std::size_t i = 0; i + 1 < n_; ++i) {
      if (swap_[i]) {
        const double temp = x[i];
        x[i] = x[i + 1];
        x[i + 1] = temp - dl_[i] * x[i];
      } else {
        x[i + 1] -= dl_[i] * x[i];
      }
    }
    for (std::size_t i = n_; i-- > 0;) {
      double v = x[i];
      if (i + 1 < n_) v -= du_[i] * x[i + 1];
      if (i + 2 < n_) v -= du2_[i] * x[i + 2];
      x[i] = v / d_[i];
    }
  }

 private:
  std::size_t n_;
  std::vector<double> dl_, d_, du_, du2_;
  std::vector<char> swap_;
};

/// The `top` largest eigenvalues of the symmetric matrix S (descending) and their eigenvectors
/// (columns of `vectors`, s x top). Householder tridiagonalization (Eigen::Tridiagonalization),
/// all eigenvalues of the tridiagonal matrix by Eigen's symmetric QR
/// (SelfAdjointEigenSolver::computeFromTridiagonal, values only), the wanted eigenvectors by
/// inverse iteration on the tridiagonal matrix (reorthogonalized within the set, shifts of
/// equal eigenvalues separated as in LAPACK's dstein), then back-transformed: O(s³) with a
/// small constant instead of the O(s³) eigenvector accumulation of the full solver. When a
/// vector's residual ‖Tz − λz‖ exceeds 1e-9·‖T‖ — or with `full` — the full solver runs.
/// Returns true when the inverse-iteration path gave the result.
inline bool top_eigenpairs(const Eigen::MatrixXd& S, std::size_t top, std::vector<double>& values,
                           Eigen::MatrixXd& vectors, bool full = false) {
  const auto s = static_cast<std::size_t>(S.rows());
  const auto take_full = [&] {
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(S, Eigen::ComputeEigenvectors);
    if (solver.info() != Eigen::Success) {
      icl::detail::throw_error("icl::geometry::detail::top_eigenpairs", "the symmetric eigensolver did not converge (",
                               s, " x ", s, ")");
    }
    values.resize(top);
    vectors.resize(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(top));
    for (std::size_t k = 0; k < top; ++k) {
      const auto col = static_cast<Eigen::Index>(s - 1 - k);
      values[k] = solver.eigenvalues()(col);
      vectors.col(static_cast<Eigen::Index>(k)) = solver.eigenvectors().col(col);
    }
  };
  if (full || s < 3) {
    take_full();
    return false;
  }
  const Eigen::Tridiagonalization<Eigen::MatrixXd> tri(S);
  const Eigen::VectorXd diag = tri.diagonal();
  const Eigen::VectorXd off = tri.subDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> spectrum_of_t;
  spectrum_of_t.computeFromTridiagonal(diag, off, Eigen::EigenvaluesOnly);
  if (spectrum_of_t.info() != Eigen::Success) {
    take_full();
    return false;
  }
  double norm_t = 0.0;
  for (std::size_t i = 0; i < s; ++i) {
    double row = std::abs(diag(static_cast<Eigen::Index>(i)));
    if (i > 0) row += std::abs(off(static_cast<Eigen::Index>(i - 1)));
    if (i + 1 < s) row += std::abs(off(static_cast<Eigen::Index>(i)));
    norm_t = std::max(norm_t, row);
  }
  if (!(norm_t > 0.0)) {
    take_full();
    return false;
  }
  const double eps = std::numeric_limits<double>::epsilon();
  const double separation = 10.0 * eps * norm_t;
  Eigen::MatrixXd z(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(top));
  values.resize(top);
  double previous_shift = 0.0;
  std::vector<double> x(s), tz(s);
  for (std::size_t k = 0; k < top; ++k) {
    const double lambda = spectrum_of_t.eigenvalues()(static_cast<Eigen::Index>(s - 1 - k));
    values[k] = lambda;
    double shift = lambda;
    if (k > 0 && shift >= previous_shift - separation) shift = previous_shift - separation;
    previous_shift = shift;
    const shifted_tridiagonal lu(diag, off, shift, eps * norm_t);
    for (std::size_t i = 0; i < s; ++i) x[i] = 1.0 + 0.5 * std::sin(static_cast<double>(i * 7 + k * 13 + 1));
    for (int iteration = 0; iteration < 5; ++iteration) {
      lu.solve(x);
      for (std::size_t j = 0; j < k; ++j) {  // reorthogonalize against the vectors already found
        double dot = 0.0;
        for (std::size_t i = 0; i < s; ++i) dot += x[i] * z(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
        for (std::size_t i = 0; i < s; ++i) x[i] -= dot * z(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      }
      double norm = 0.0;
      for (double v : x) norm += v * v;
      norm = std::sqrt(norm);
      if (!(norm > 0.0) || !std::isfinite(norm)) {
        take_full();
        return false;
      }
      for (double& v : x) v /= norm;
    }
    // Residual ‖Tz − λz‖ of the final vector.
    double residual = 0.0;
    for (std::size_t i = 0; i < s; ++i) {
      double v = (diag(static_cast<Eigen::Index>(i)) - lambda) * x[i];
      if (i > 0) v += off(static_cast<Eigen::Index>(i - 1)) * x[i - 1];
      if (i + 1 < s) v += off(static_cast<Eigen::Index>(i)) * x[i + 1];
      residual += v * v;
    }
    if (!(std::sqrt(residual) <= 1e-9 * norm_t)) {
      take_full();
      return false;
    }
    for (std::size_t i = 0; i < s; ++i) z(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = x[i];
  }
  vectors = tri.matrixQ() * z;
  return true;
}

#if ICL_HAS_BLAS
/// The `top` largest eigenvalues (descending) and their eigenvectors (columns of `vectors`,
/// s x top) of the symmetric s x s matrix whose upper triangle is the row-major `upper` (leading
/// dimension s), by LAPACK's ?syevr in the Gram's own precision C (ssyevr for a float Gram,
/// whose entries already carry float rounding; dsyevr for a double one): blocked Householder
/// tridiagonalization, bisection and inverse iteration for the wanted pairs only,
/// back-transformation. The same quantities as top_eigenpairs. Returns false, with nothing
/// computed, when LAPACK reports a failure (the caller then runs top_eigenpairs).
template <class C>
bool lapack_top_eigenpairs(const C* upper, std::size_t s, std::size_t top, std::vector<double>& values,
                           Eigen::MatrixXd& vectors) {
  // The row-major upper triangle is the column-major lower one.
  std::vector<C> a(upper, upper + s * s);
  const int n = icl::detail::blas_int(s, "rows");
  const int wanted = icl::detail::blas_int(top, "eigenpairs");
  std::vector<C> w(s), z(s * top);
  int found = 0;
  const int info = icl::detail::lapack::syevr<C>('V', 'L', n, a.data(), n, n - wanted + 1, n,
                                                 std::numeric_limits<C>::min(), found, w.data(), z.data(), n);
  if (info != 0 || found != wanted) return false;
  values.resize(top);
  vectors.resize(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(top));
  for (std::size_t k = 0; k < top; ++k) {
    const std::size_t col = top - 1 - k;
    values[k] = static_cast<double>(w[col]);
    for (std::size_t i = 0; i < s; ++i) {
      vectors(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = static_cast<double>(z[col * s + i]);
    }
  }
  return true;
}
#endif

/// The symmetric s x s matrix whose upper triangle is the row-major `upper`, in double.
template <class C>
Eigen::MatrixXd symmetric_from_upper(const C* upper, std::size_t s) {
  Eigen::MatrixXd S(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(s));
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = i; j < s; ++j) {
      const auto v = static_cast<double>(upper[i * s + j]);
      S(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
      S(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i)) = v;
    }
  return S;
}

/// Which symmetric eigensolver centered_spectrum uses: LAPACK's ?syevr where the library links
/// LAPACK (the `icl_metrics::blas` component), Eigen's (top_eigenpairs) otherwise or on request.
enum class eigensolver { automatic, eigen };

/// The top eigenpairs of the symmetric matrix given by its row-major upper triangle, by the
/// solver `which` selects (LAPACK's when available and automatic; top_eigenpairs otherwise and
/// whenever LAPACK reports a failure).
template <class C>
void symmetric_top_eigenpairs(const C* upper, std::size_t s, std::size_t top, std::vector<double>& values,
                              Eigen::MatrixXd& vectors, eigensolver which) {
#if ICL_HAS_BLAS
  if (which == eigensolver::automatic && s >= 3 && lapack_top_eigenpairs(upper, s, top, values, vectors)) return;
#else
  (void)which;
#endif
  top_eigenpairs(symmetric_from_upper(upper, s), top, values, vectors);
}

/// The top eigenpairs of the Gram matrix (n x n) or the covariance (d x d) of a centered block,
/// whichever is smaller, as the right singular vectors and singular values of the block.
struct spectrum {
  double trace = 0.0;             ///< Σσ² (= ‖X̄‖_F²)
  double frobenius_sq = 0.0;      ///< Σσ⁴ (= ‖X̄X̄ᵀ‖_F²)
  std::vector<double> sigma;      ///< σ_1 ≥ σ_2 ≥ ... (the `top` largest)
  /// Right singular vectors scaled by σ (k x d, row-major): row k = σ_k v_kᵀ = u_kᵀX̄.
  std::vector<double> scaled_right;
  /// Left singular vectors (n x k, row-major): column k = u_k = X̄v_k / σ_k.
  std::vector<double> left;
};

/// The upper triangle of X̄X̄ᵀ (gram_route: n x n, SYRK) or of X̄ᵀX̄ (d x d, from the transposed
/// block) of a centered row-major block Xc (n x d).
template <class C>
std::vector<C> spectrum_matrix(const std::vector<C>& Xc, std::size_t n, std::size_t d, bool gram_route) {
  const std::size_t s = gram_route ? n : d;
  std::vector<C> small(s * s);
  std::vector<C> transposed;
  if (gram_route) {
    icl::detail::product_aat_upper<C>(Xc.data(), n, d, d, small.data(), s);
  } else {
    transposed.resize(d * n);
    icl::detail::beside_blas_for(0, (d + column_chunk - 1) / column_chunk, n * d, [&](std::size_t c) {
      const std::size_t j0 = c * column_chunk, j1 = std::min(d, j0 + column_chunk);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = j0; j < j1; ++j) transposed[j * n + i] = Xc[i * d + j];
    });
    icl::detail::product_aat_upper<C>(transposed.data(), d, n, n, small.data(), s);
  }
  return small;
}

/// The spectrum from `small`, the upper triangle of X̄X̄ᵀ (gram_route, n x n) or of X̄ᵀX̄ (d x d),
/// with the rows Xc (n x d) for the other singular vectors: the right ones from the left ones on
/// the Gram route, the left ones of these n rows on the covariance route (where X̄ᵀX̄ may also be
/// a sum over more rows than these, e.g. over the ranks of an MPI job).
template <class C>
spectrum spectrum_from_matrix(const std::vector<C>& small, bool gram_route, const std::vector<C>& Xc, std::size_t n,
                              std::size_t d, std::size_t top, eigensolver which = eigensolver::automatic) {
  spectrum out;
  const std::size_t s = gram_route ? n : d;
  top = std::min(top, s);
  double trace = 0.0, fro = 0.0;
  for (std::size_t i = 0; i < s; ++i) {
    const double diag = static_cast<double>(small[i * s + i]);
    trace += diag;
    fro += diag * diag;
    for (std::size_t j = i + 1; j < s; ++j) {
      const double v = static_cast<double>(small[i * s + j]);
      fro += 2.0 * v * v;
    }
  }
  out.trace = trace;
  out.frobenius_sq = fro;
  if (top == 0 || !(trace > 0.0)) return out;
  std::vector<double> values;
  Eigen::MatrixXd vectors;
  symmetric_top_eigenpairs(small.data(), s, top, values, vectors, which);
  out.sigma.resize(top);
  out.scaled_right.assign(top * d, 0.0);
  out.left.assign(n * top, 0.0);
  for (std::size_t k = 0; k < top; ++k) out.sigma[k] = std::sqrt(std::max(0.0, values[k]));
  if (gram_route) {
    // u_k: eigenvector of X̄X̄ᵀ; σ_k v_kᵀ = u_kᵀX̄ (d-vector): one product Uᵀ·X̄ in C.
    std::vector<C> ut(top * n), w(top * d);
    for (std::size_t k = 0; k < top; ++k) {
      const auto col = static_cast<Eigen::Index>(k);
      for (std::size_t i = 0; i < n; ++i) {
        out.left[i * top + k] = vectors(static_cast<Eigen::Index>(i), col);
        ut[k * n + i] = static_cast<C>(out.left[i * top + k]);
      }
    }
    icl::detail::product_ab<C>(ut.data(), top, n, Xc.data(), d, d, n, w.data(), d);
    for (std::size_t t = 0; t < top * d; ++t) out.scaled_right[t] = static_cast<double>(w[t]);
  } else {
    // v_k: eigenvector of X̄ᵀX̄; u_k = X̄v_k / σ_k (a zero σ leaves u_k = 0).
    for (std::size_t k = 0; k < top; ++k) {
      const auto col = static_cast<Eigen::Index>(k);
      for (std::size_t j = 0; j < d; ++j)
        out.scaled_right[k * d + j] = out.sigma[k] * vectors(static_cast<Eigen::Index>(j), col);
    }
    icl::detail::beside_blas_for(0, n, n * d * top, [&](std::size_t i) {
      const C* row = Xc.data() + i * d;
      for (std::size_t k = 0; k < top; ++k) {
        if (!(out.sigma[k] > 0.0)) continue;
        const auto col = static_cast<Eigen::Index>(k);
        double acc = 0.0;
        for (std::size_t j = 0; j < d; ++j) acc += static_cast<double>(row[j]) * vectors(static_cast<Eigen::Index>(j), col);
        out.left[i * top + k] = acc / out.sigma[k];
      }
    });
  }
  return out;
}

/// Spectrum of a centered row-major block Xc (n x d, leading dimension d) with its `top` largest
/// singular triplets. The Gram route (n <= d) forms X̄X̄ᵀ by SYRK; the covariance route forms
/// X̄ᵀX̄ from the transposed block. Either way one symmetric eigensolver on the smaller matrix.
template <class C>
spectrum centered_spectrum(const std::vector<C>& Xc, std::size_t n, std::size_t d, std::size_t top,
                           eigensolver which = eigensolver::automatic) {
  const bool gram_route = n <= d;
  return spectrum_from_matrix(spectrum_matrix(Xc, n, d, gram_route), gram_route, Xc, n, d, top, which);
}

/// Checks the states of effective_dimension: n >= 2 rows, d >= 1 columns, no NaN/Inf.
template <class T>
void check_spectrum_input(const char* fn, matrix_view<const T> H) {
  icl::detail::check_matrix(fn, "H", H);
  if (H.rows() < 2 || H.cols() == 0) {
    icl::detail::throw_invalid(fn, "need n >= 2 rows and d >= 1 columns, got ", H.rows(), " x ", H.cols());
  }
  icl::detail::require_finite(fn, "H", H);
}

/// The participation ratio (Σσ²)² / Σσ⁴ of the singular values of H̄ (H with its column means
/// removed), computed as tr(K)² / ‖K‖_F² of the smaller of H̄H̄ᵀ and H̄ᵀH̄. H is checked by the
/// caller (n >= 2, d >= 1, finite); throws naming `fn` when H̄ is zero.
template <class T>
double effective_dimension_unchecked(const char* fn, matrix_view<const T> H) {
  using C = icl::detail::compute_t<T>;
  std::vector<double> mean;
  const auto xc = centered_matrix<C>(H, mean);
  const auto sp = centered_spectrum<C>(xc, H.rows(), H.cols(), 0);
  if (!(sp.trace > 0.0)) {
    icl::detail::throw_invalid(fn, "H has zero variance (every row equal): the effective dimension is undefined");
  }
  return sp.trace * sp.trace / sp.frobenius_sq;
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_SPECTRUM_IMPL_HPP
