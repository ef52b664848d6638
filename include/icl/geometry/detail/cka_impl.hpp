#ifndef ICL_GEOMETRY_DETAIL_CKA_IMPL_HPP
#define ICL_GEOMETRY_DETAIL_CKA_IMPL_HPP

/// Checks and kernels of linear CKA (Kornblith et al. 2019), behind icl/geometry/cka.hpp. With column-centered X̄ and Ȳ, K = X̄X̄ᵀ and
/// L = ȲȲᵀ are already centered, and every term CKA needs is one of
///   ⟨K, L⟩ = ‖ȲᵀX̄‖_F²,  diag(K)_i = ‖x̄_i‖²,  tr K = ‖X̄‖_F²,
/// taken from the n x n Gram matrices when n < d_x + d_y and from the d x d products
/// otherwise, whichever is less work. linear_cka forms K̄ and L̄ one strip of rows at a time
/// (SYRK and GEMM) and sums each strip while it is in cache; where the column means are small
/// against the spread, the products read the input itself and the centering is applied to the
/// Gram entries (gram_operand), so no centered copy is written.
///
/// Debiased CKA uses the unbiased HSIC estimator (Song et al. 2012) with U-centering, as
/// Kornblith et al.'s reference notebook. For centered data its numerator reduces to
///   ⟨K, L⟩ − n/(n−2) Σ_i K_ii L_ii + tr K · tr L / ((n−1)(n−2))
/// (the common factor 1/(n(n−3)) cancels in the ratio).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/lane_sums.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "icl/layers.hpp"

namespace icl::geometry::detail {

/// The centered Gram matrix of one representation, upper triangle in the compute type.
template <class C>
struct centered_gram {
  std::size_t n = 0;
  std::vector<C> upper;       ///< n x n, row-major; entries j >= i are set
  std::vector<double> diag;   ///< K_ii
  double trace = 0.0;
};

/// ⟨K, K⟩, ⟨L, L⟩ and ⟨K, L⟩ (⟨K, L⟩ = Σ_ij K_ij L_ij) from the upper triangles, in double.
struct gram_inners {
  double kk = 0.0, ll = 0.0, kl = 0.0;
  gram_inners& operator+=(const gram_inners& o) noexcept {
    kk += o.kk;
    ll += o.ll;
    kl += o.kl;
    return *this;
  }
};

/// Sums of one value per job, added element by element (a reduction value of
/// icl::detail::parallel_reduce).
struct job_sums {
  std::vector<double> values;
  job_sums& operator+=(const job_sums& other) {
    for (std::size_t q = 0; q < values.size(); ++q) values[q] += other.values[q];
    return *this;
  }
};

/// ⟨K, L⟩ for every job (K, L) of Gram matrices of the same n, in one pass over the rows: row i
/// of each matrix is read from memory once for all the jobs that use it (with L matrices of
/// n x n floats and every pair a job, one pass per pair would read each matrix L times). Each
/// job's sum: per row, partial sums over the columns j > i in lanes, then twice their total
/// plus the diagonal term; the rows in chunks of 16, added in chunk order, so the values do not
/// depend on the thread count.
template <class C>
std::vector<double> gram_inners_by_rows(const std::vector<std::pair<const centered_gram<C>*, const centered_gram<C>*>>& jobs,
                                        std::size_t n) {
  const job_sums zero{std::vector<double>(jobs.size(), 0.0)};
  const job_sums total = icl::detail::parallel_reduce<job_sums>(n, 16, zero, [&](std::size_t first, std::size_t last) {
    job_sums acc = zero;
    for (std::size_t i = first; i < last; ++i) {
      for (std::size_t q = 0; q < jobs.size(); ++q) {
        const C* k = jobs[q].first->upper.data() + i * n;
        const C* l = jobs[q].second->upper.data() + i * n;
        acc.values[q] += 2.0 * lane_dot(k, l, i + 1, n) + static_cast<double>(k[i]) * static_cast<double>(l[i]);
      }
    }
    return acc;
  });
  return total.values;
}

/// The terms of one CKA value.
struct cka_terms {
  std::size_t n = 0;
  double kl = 0.0, kk = 0.0, ll = 0.0;   ///< ⟨K,L⟩, ⟨K,K⟩, ⟨L,L⟩
  double dkl = 0.0, dkk = 0.0, dll = 0.0;  ///< Σ K_ii L_ii, Σ K_ii², Σ L_ii²
  double tk = 0.0, tl = 0.0;             ///< tr K, tr L
};

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double acc = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) acc += a[i] * b[i];
  return acc;
}

/// Row-major transpose (d x n) of a row-major n x d block.
template <class C>
std::vector<C> transpose_block(const std::vector<C>& x, std::size_t n, std::size_t d) {
  std::vector<C> t(d * n);
  icl::detail::beside_blas_for(0, (d + column_chunk - 1) / column_chunk, n * d, [&](std::size_t c) {
    const std::size_t j0 = c * column_chunk, j1 = std::min(d, j0 + column_chunk);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = j0; j < j1; ++j) t[j * n + i] = x[i * d + j];
  });
  return t;
}

/// Σ of squares of a symmetric matrix given by its upper triangle (s x s), in double.
template <class C>
double symmetric_sum_sq(const C* upper, std::size_t s) {
  return icl::detail::beside_blas_reduce<double>(s, 16, 0.0, [&](std::size_t first, std::size_t last) {
    double acc = 0.0;
    for (std::size_t i = first; i < last; ++i) {
      const C* r = upper + i * s;
      double row = 0.0;
      for (std::size_t j = i + 1; j < s; ++j) row += static_cast<double>(r[j]) * static_cast<double>(r[j]);
      acc += 2.0 * row + static_cast<double>(r[i]) * static_cast<double>(r[i]);
    }
    return acc;
  });
}

template <class C>
std::vector<double> row_norms_sq(const std::vector<C>& x, std::size_t n, std::size_t d) {
  std::vector<double> out(n);
  icl::detail::beside_blas_for(0, n, n * d, [&](std::size_t i) {
    double acc = 0.0;
    for (std::size_t j = 0; j < d; ++j) acc += static_cast<double>(x[i * d + j]) * static_cast<double>(x[i * d + j]);
    out[i] = acc;
  });
  return out;
}

/// The sums of squares ⟨K,K⟩ = ‖X̄ᵀX̄‖_F², ⟨L,L⟩ = ‖ȲᵀȲ‖_F² and ⟨K,L⟩ = ‖ȲᵀX̄‖_F² from the
/// feature-space products: a = upper triangle of X̄ᵀX̄ (d_x x d_x), b = that of ȲᵀȲ, m = ȲᵀX̄
/// (d_y x d_x), all row-major. Fills t.kk, t.ll, t.kl.
template <class C>
void product_terms(const C* a, std::size_t dx, const C* b, std::size_t dy, const C* m, cka_terms& t) {
  t.kk = symmetric_sum_sq(a, dx);
  t.ll = symmetric_sum_sq(b, dy);
  t.kl = icl::detail::beside_blas_reduce<double>(dy, 16, 0.0, [&](std::size_t first, std::size_t last) {
    double acc = 0.0;
    for (std::size_t i = first; i < last; ++i)
      for (std::size_t j = 0; j < dx; ++j) acc += static_cast<double>(m[i * dx + j]) * static_cast<double>(m[i * dx + j]);
    return acc;
  });
}

/// The per-row sums Σ K_ii², Σ L_ii², Σ K_ii L_ii, tr K, tr L of rows [0, n) of the centered
/// blocks, K_ii = ‖x̄_i‖², L_ii = ‖ȳ_i‖² (sums over rows: they add over any split of the rows).
/// The sums of the diagonals kd = (K_ii) and ld = (L_ii): Σ K_ii², Σ L_ii², Σ K_ii L_ii, tr K, tr L.
inline void diagonal_terms(const std::vector<double>& kd, const std::vector<double>& ld, cka_terms& t) {
  t.dkk = dot(kd, kd);
  t.dll = dot(ld, ld);
  t.dkl = dot(kd, ld);
  for (std::size_t i = 0; i < kd.size(); ++i) {
    t.tk += kd[i];
    t.tl += ld[i];
  }
}

template <class C>
void row_terms(const std::vector<C>& xc, std::size_t dx, const std::vector<C>& yc, std::size_t dy, std::size_t n,
               cka_terms& t) {
  diagonal_terms(row_norms_sq(xc, n, dx), row_norms_sq(yc, n, dy), t);
}

/// The feature-space products of n centered rows: a = upper triangle of X̄ᵀX̄, b = that of ȲᵀȲ
/// (strict lower triangles zero), m = ȲᵀX̄; products in C.
template <class C>
struct feature_products {
  std::vector<C> a, b, m;
};

template <class C>
feature_products<C> make_feature_products(const std::vector<C>& xc, std::size_t dx, const std::vector<C>& yc,
                                          std::size_t dy, std::size_t n) {
  feature_products<C> p{std::vector<C>(dx * dx), std::vector<C>(dy * dy), std::vector<C>(dy * dx)};
  if (n == 0) return p;
  const auto xt = transpose_block(xc, n, dx);
  const auto yt = transpose_block(yc, n, dy);
  icl::detail::product_aat_upper<C>(xt.data(), dx, n, n, p.a.data(), dx);
  icl::detail::product_aat_upper<C>(yt.data(), dy, n, n, p.b.data(), dy);
  icl::detail::product_abt<C>(yt.data(), dy, n, xt.data(), dx, n, n, p.m.data(), dx);
  return p;
}

/// The terms from the feature-space products X̄ᵀX̄, ȲᵀȲ and ȲᵀX̄ (for n >= d_x + d_y).
template <class C>
cka_terms terms_from_features(const std::vector<C>& xc, std::size_t dx, const std::vector<C>& yc, std::size_t dy,
                              std::size_t n) {
  cka_terms t;
  t.n = n;
  const auto p = make_feature_products<C>(xc, dx, yc, dy, n);
  product_terms(p.a.data(), dx, p.b.data(), dy, p.m.data(), t);
  row_terms(xc, dx, yc, dy, n, t);
  return t;
}

/// One input of linear CKA as the operand of its Gram products: rows (leading dimension ld)
/// and per-row shifts a_i such that the centered Gram entry is K̄_ij = x_i·x_j − a_i − a_j.
/// When the column means μ are small against the spread (‖μ‖² ≤ ¼ of the mean squared
/// centered row norm), the rows are the input itself where its rows are contiguous in C (else
/// its converted copy) and a_i = x_i·μ − ‖μ‖²/2, in double, so that each Gram entry carries a
/// rounding error at most (1 + ½)² times that of the centered rows' and no centered copy is
/// written; otherwise the rows are the centered copy (as centered_matrix) and every a_i is 0.
template <class C>
struct gram_operand {
  const C* rows = nullptr;
  std::size_t ld = 0;
  std::vector<C> storage;
  std::vector<double> shift;
};

/// Also checks X for NaN/Inf in its first pass (a non-finite sum of squares), with the error of
/// icl::detail::require_finite(fn, name, X).
template <class C, class T>
gram_operand<C> make_gram_operand(const char* fn, const char* name, matrix_view<const T> X) {
  const std::size_t n = X.rows(), d = X.cols();
  gram_operand<C> op;
  op.rows = icl::detail::rows_as_compute<C>(X, 0, n, op.storage, op.ld);
  // Column sums (each in row order, as column_sums) and sums of squares, in one pass over the
  // rows, four rows at a time (a quarter of the accumulator traffic).
  std::vector<double> mean(d, 0.0), squares(d, 0.0);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const C* r0 = op.rows + i * op.ld;
    const C* r1 = r0 + op.ld;
    const C* r2 = r1 + op.ld;
    const C* r3 = r2 + op.ld;
    for (std::size_t j = 0; j < d; ++j) {
      const auto v0 = static_cast<double>(r0[j]), v1 = static_cast<double>(r1[j]);
      const auto v2 = static_cast<double>(r2[j]), v3 = static_cast<double>(r3[j]);
      mean[j] = mean[j] + v0 + v1 + v2 + v3;
      squares[j] = squares[j] + v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
    }
  }
  for (; i < n; ++i) {
    const C* row = op.rows + i * op.ld;
    for (std::size_t j = 0; j < d; ++j) {
      const auto v = static_cast<double>(row[j]);
      mean[j] += v;
      squares[j] += v * v;
    }
  }
  double total = 0.0;
  for (std::size_t j = 0; j < d; ++j) total += squares[j];
  if (!std::isfinite(total)) icl::detail::require_finite(fn, name, X);  // throws where an element is NaN/Inf
  const auto count = static_cast<double>(n);
  double mean_sq = 0.0, spread = 0.0;
  for (std::size_t j = 0; j < d; ++j) {
    mean[j] /= count;
    mean_sq += mean[j] * mean[j];
    spread += squares[j] / count - mean[j] * mean[j];
  }
  op.shift.assign(n, 0.0);
  if (mean_sq <= 0.25 * spread) {
    icl::detail::beside_blas_for(0, n, n * d, [&](std::size_t i) {
      op.shift[i] = lane_dot(op.rows + i * op.ld, mean.data(), 0, d) - 0.5 * mean_sq;
    });
    return op;
  }
  // The centered copy, written over the converted rows when there are some.
  const C* source = op.rows;
  const std::size_t ld = op.ld;
  op.storage.resize(n * d);
  icl::detail::beside_blas_for(0, n, n * d, [&](std::size_t i) {
    const C* row = source + i * ld;
    C* out = op.storage.data() + i * d;
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<C>(static_cast<double>(row[j]) - mean[j]);
  });
  op.rows = op.storage.data();
  op.ld = d;
  return op;
}

/// Rows [first, first + count) of one operand's Gram matrix against the rows j >= first, into
/// out (count x (n − first), leading dimension n − first; column c is row first + c): SYRK for
/// the diagonal block (its upper triangle), GEMM for the rest.
template <class C>
void gram_strip(const gram_operand<C>& op, std::size_t n, std::size_t d, std::size_t first, std::size_t count,
                C* out) {
  const std::size_t width = n - first;
  const C* a = op.rows + first * op.ld;
  icl::detail::product_aat_upper<C>(a, count, op.ld, d, out, width);
  icl::detail::product_abt<C>(a, count, op.ld, a + count * op.ld, width - count, op.ld, d, out + count, width);
}

/// The centered Gram matrix K̄ of one operand, whole: one SYRK, then the shifts subtracted
/// (K̄_ij = K_ij − a_i − a_j in double, stored in C).
template <class C>
centered_gram<C> centered_gram_of(const gram_operand<C>& op, std::size_t n, std::size_t d) {
  centered_gram<C> g;
  g.n = n;
  g.upper.resize(n * n);
  icl::detail::product_aat_upper<C>(op.rows, n, op.ld, d, g.upper.data(), n);
  const double* a = op.shift.data();
  icl::detail::beside_blas_for(0, n, n * n / 2, [&](std::size_t i) {
    C* row = g.upper.data() + i * n;
    for (std::size_t j = i; j < n; ++j) row[j] = static_cast<C>(static_cast<double>(row[j]) - a[i] - a[j]);
  });
  g.diag.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    g.diag[i] = static_cast<double>(g.upper[i * n + i]);
    g.trace += g.diag[i];
  }
  return g;
}

/// Rows per strip of linear_cka's Gram matrices: 512 while the two strips take at most 16 MiB
/// (n <= 4096 in float), else 256. Each strip's GEMM packs the n − first rows it multiplies
/// once more, so fewer strips pack less: at n = 2000, d = 4096 strips of 512 rows took 0.89 of
/// two SSYRKs against 0.875 with 256 (means of six alternated runs, docs/benchmarks.md).
template <class C>
std::size_t cka_strip_rows(std::size_t n) {
  constexpr std::size_t budget = std::size_t{16} << 20;
  return 2 * 512 * n * sizeof(C) <= budget ? 512 : 256;
}

/// The terms of linear CKA from the two operands, one strip of rows of K̄ and L̄ at a time: each
/// strip's products, then ⟨K̄,L̄⟩, ⟨K̄,K̄⟩, ⟨L̄,L̄⟩ and the diagonals from it while it is in cache;
/// neither n x n matrix is ever whole in memory.
template <class C>
cka_terms terms_from_operands(const gram_operand<C>& x, std::size_t dx, const gram_operand<C>& y, std::size_t dy,
                              std::size_t n) {
  const std::size_t strip = cka_strip_rows<C>(n);
  const std::size_t rows = std::min(strip, n);
  std::vector<C> kb(rows * n), lb(rows * n);
  std::vector<double> kd(n), ld(n);
  gram_inners sums;
  for (std::size_t first = 0; first < n; first += strip) {
    const std::size_t count = std::min(strip, n - first), width = n - first;
    gram_strip(x, n, dx, first, count, kb.data());
    gram_strip(y, n, dy, first, count, lb.data());
    sums += icl::detail::beside_blas_reduce<gram_inners>(
        count, 16, gram_inners{}, [&](std::size_t begin, std::size_t end) {
          gram_inners acc;
          for (std::size_t r = begin; r < end; ++r) {
            const std::size_t i = first + r;
            const C* k = kb.data() + r * width;
            const C* l = lb.data() + r * width;
            const double* ax = x.shift.data() + first;
            const double* ay = y.shift.data() + first;
            double kk[lanes] = {}, ll[lanes] = {}, kl[lanes] = {};
            std::size_t c = r + 1;
            const auto add = [&](std::size_t q, std::size_t col) {
              const double kc = static_cast<double>(k[col]) - ax[r] - ax[col];
              const double lc = static_cast<double>(l[col]) - ay[r] - ay[col];
              kk[q] += kc * kc;
              ll[q] += lc * lc;
              kl[q] += kc * lc;
            };
            for (; c + lanes <= width; c += lanes)
              for (std::size_t q = 0; q < lanes; ++q) add(q, c + q);
            for (std::size_t q = 0; c < width; ++c, ++q) add(q, c);
            const double ki = static_cast<double>(k[r]) - 2.0 * ax[r];
            const double li = static_cast<double>(l[r]) - 2.0 * ay[r];
            kd[i] = ki;
            ld[i] = li;
            acc.kk += 2.0 * sum_lanes(kk) + ki * ki;
            acc.ll += 2.0 * sum_lanes(ll) + li * li;
            acc.kl += 2.0 * sum_lanes(kl) + ki * li;
          }
          return acc;
        });
  }
  cka_terms t;
  t.n = n;
  t.kk = sums.kk;
  t.ll = sums.ll;
  t.kl = sums.kl;
  diagonal_terms(kd, ld, t);
  return t;
}

/// CKA from its terms; throws naming `fn` when a denominator is not positive.
inline double cka_from_terms(const char* fn, const cka_terms& t, bool debiased) {
  if (!debiased) {
    if (!(t.kk > 0.0) || !(t.ll > 0.0)) {
      icl::detail::throw_invalid(fn, !(t.kk > 0.0) ? "X" : "Y",
                                 " has zero variance (every row equal): linear CKA is undefined");
    }
    return t.kl / std::sqrt(t.kk * t.ll);
  }
  const double n = static_cast<double>(t.n);
  const auto hsic = [&](double inner, double diag, double ta, double tb) {
    return inner - n / (n - 2.0) * diag + ta * tb / ((n - 1.0) * (n - 2.0));
  };
  const double xy = hsic(t.kl, t.dkl, t.tk, t.tl);
  const double xx = hsic(t.kk, t.dkk, t.tk, t.tk);
  const double yy = hsic(t.ll, t.dll, t.tl, t.tl);
  if (!(xx > 0.0) || !(yy > 0.0)) {
    icl::detail::throw_invalid(fn, "the unbiased HSIC estimate of ", !(xx > 0.0) ? "X" : "Y", " with itself is ",
                               !(xx > 0.0) ? xx : yy, " (must be > 0): debiased linear CKA is undefined");
  }
  return xy / std::sqrt(xx * yy);
}

/// The L_x x L_y matrix of CKA values, entry (a, b) from terms_of(a, b), the cka_terms of layer a
/// of X and layer b of Y; with same (Y is X) the entries b < a are mirrored, not computed.
template <class TermsOf>
dense_matrix<double> cka_matrix_from_terms(const char* fn, std::size_t lx, std::size_t ly, bool same, bool debiased,
                                           TermsOf&& terms_of) {
  dense_matrix<double> out(lx, ly);
  for (std::size_t a = 0; a < lx; ++a) {
    for (std::size_t b = 0; b < ly; ++b) {
      out(a, b) = same && b < a ? out(b, a) : cka_from_terms(fn, terms_of(a, b), debiased);
    }
  }
  return out;
}

/// float unless either input is double.
template <class T, class U>
using cka_compute_t = std::conditional_t<std::is_same_v<icl::detail::compute_t<T>, double> ||
                                             std::is_same_v<icl::detail::compute_t<U>, double>,
                                         double, float>;

/// Checks the row count n of CKA's inputs (n >= 2, n > 3 when debiased).
inline void check_cka_rows(const char* fn, std::size_t n, bool debiased) {
  if (debiased && n <= 3) {
    icl::detail::throw_invalid(fn, "debiased CKA needs n > 3 rows, got n = ", n);
  }
  if (n < 2) icl::detail::throw_invalid(fn, "need n >= 2 rows, got n = ", n);
}

/// Checks the shapes of linear_cka's two matrices (same rows, at least one column each).
template <class T, class U>
void check_cka_shapes(const char* fn, matrix_view<const T> X, matrix_view<const U> Y) {
  icl::detail::check_matrix(fn, "X", X);
  icl::detail::check_matrix(fn, "Y", Y);
  if (X.rows() != Y.rows()) {
    icl::detail::throw_invalid(fn, "X has ", X.rows(), " rows but Y has ", Y.rows(), " (the same prompts are needed)");
  }
  if (X.cols() == 0 || Y.cols() == 0) {
    icl::detail::throw_invalid(fn, "X and Y need at least one column, got d_x = ", X.cols(), ", d_y = ", Y.cols());
  }
}

/// Whether linear_cka takes the Gram route (n x n products: n < d_x + d_y).
inline bool cka_gram_route(std::size_t n, std::size_t dx, std::size_t dy) { return n < dx + dy; }

/// Checks the two matrices of linear_cka. On the Gram route, NaN/Inf are found by the first pass
/// over each input (make_gram_operand, same error) instead of a pass of their own.
template <class T, class U>
void check_cka_input(const char* fn, matrix_view<const T> X, matrix_view<const U> Y, bool debiased) {
  check_cka_shapes(fn, X, Y);
  check_cka_rows(fn, X.rows(), debiased);
  if (cka_gram_route(X.rows(), X.cols(), Y.cols())) return;
  icl::detail::require_finite(fn, "X", X);
  icl::detail::require_finite(fn, "Y", Y);
}

/// The body of linear_cka on matrices checked by check_cka_input (NaN/Inf: on the Gram route,
/// here), with products in C: the Gram route (strips of K̄ and L̄, terms_from_operands) when
/// n < d_x + d_y, the feature route otherwise.
template <class C, class T, class U>
double linear_cka_unchecked(const char* fn, matrix_view<const T> X, matrix_view<const U> Y, bool debiased) {
  const std::size_t n = X.rows(), dx = X.cols(), dy = Y.cols();
  if (cka_gram_route(n, dx, dy)) {
    // The two operands' passes over X and Y (NaN/Inf check and column moments, row shifts or
    // the centered copy) are independent: one task each, before the first product; X's error
    // first when both fail.
    gram_operand<C> x, y;
    icl::detail::parallel_for_sized(0, 2, n * (dx + dy), [&](std::size_t which) {
      if (which == 0) {
        x = make_gram_operand<C>(fn, "X", X);
      } else {
        y = make_gram_operand<C>(fn, "Y", Y);
      }
    });
    return cka_from_terms(fn, terms_from_operands(x, dx, y, dy, n), debiased);
  }
  std::vector<double> mean;
  const auto xc = centered_matrix<C>(X, mean);
  const auto yc = centered_matrix<C>(Y, mean);
  return cka_from_terms(fn, terms_from_features<C>(xc, dx, yc, dy, n), debiased);
}

/// Checks the two [layers, n, d] tensors of cka_matrix.
template <class T, class U>
void check_cka_tensors(const char* fn, tensor_view<const T, 3> X, tensor_view<const U, 3> Y, bool debiased) {
  icl::detail::check_layers(fn, "X", X);
  icl::detail::check_layers(fn, "Y", Y);
  const std::size_t n = X.extent(1);
  if (Y.extent(1) != n) icl::detail::throw_invalid(fn, "X has ", n, " rows per layer but Y has ", Y.extent(1));
  if (X.extent(2) == 0 || Y.extent(2) == 0) {
    icl::detail::throw_invalid(fn, "X and Y need at least one column, got d_x = ", X.extent(2), ", d_y = ", Y.extent(2));
  }
  check_cka_rows(fn, n, debiased);
}

/// Checks that the tensors of cka_curve have the same number of layers; returns it.
template <class T, class U>
std::size_t check_cka_curve_layers(const char* fn, tensor_view<const T, 3> X, tensor_view<const U, 3> Y) {
  const std::size_t layers = icl::detail::check_layers(fn, "X", X);
  if (icl::detail::check_layers(fn, "Y", Y) != layers) {
    icl::detail::throw_invalid(fn, "X has ", layers, " layers but Y has ", Y.extent(0));
  }
  return layers;
}

/// The body of cka_matrix on checked tensors: each layer's centered Gram matrix once
/// (centered_gram_of; the layers are checked for NaN/Inf as they are read), then one inner
/// product per pair of layers.
template <class C, class T, class U>
dense_matrix<double> cka_matrix_unchecked(const char* fn, tensor_view<const T, 3> X, tensor_view<const U, 3> Y,
                                          bool debiased) {
  const std::size_t lx = X.extent(0), ly = Y.extent(0), n = X.extent(1);
  const auto grams = [&](auto tensor, std::size_t layers, const char* name) {
    std::vector<centered_gram<C>> out;
    for (std::size_t l = 0; l < layers; ++l) {
      const auto M = tensor.matrix(l);
      out.push_back(centered_gram_of(make_gram_operand<C>(fn, name, M), n, M.cols()));
    }
    return out;
  };
  const bool same = static_cast<const void*>(X.data()) == static_cast<const void*>(Y.data()) &&
                    std::is_same_v<std::remove_cv_t<T>, std::remove_cv_t<U>> && X.extents() == Y.extents() &&
                    X.strides() == Y.strides();
  const auto gx = grams(X, lx, "X");
  const auto gy = same ? std::vector<centered_gram<C>>() : grams(Y, ly, "Y");
  const auto& ys = same ? gx : gy;
  // ⟨K, K⟩ of each layer once and ⟨K_a, L_b⟩ of each pair of layers, in one pass over the rows
  // of all the Gram matrices (gram_inners_by_rows; the products are all done, so the pass runs
  // on the OpenMP threads).
  std::vector<double> self_x(lx), self_y(ly), cross(lx * ly);
  using job = std::pair<const centered_gram<C>*, const centered_gram<C>*>;
  std::vector<job> jobs;
  std::vector<double*> slots;
  for (std::size_t a = 0; a < lx; ++a) {
    jobs.emplace_back(&gx[a], &gx[a]);
    slots.push_back(&self_x[a]);
  }
  for (std::size_t b = 0; b < ly && !same; ++b) {
    jobs.emplace_back(&ys[b], &ys[b]);
    slots.push_back(&self_y[b]);
  }
  for (std::size_t a = 0; a < lx; ++a) {
    for (std::size_t b = same ? a + 1 : 0; b < ly; ++b) {
      jobs.emplace_back(&gx[a], &ys[b]);
      slots.push_back(&cross[a * ly + b]);
    }
  }
  const std::vector<double> inner = gram_inners_by_rows(jobs, n);
  for (std::size_t q = 0; q < jobs.size(); ++q) *slots[q] = inner[q];
  if (same) self_y = self_x;
  return cka_matrix_from_terms(fn, lx, ly, same, debiased, [&](std::size_t a, std::size_t b) {
    cka_terms t;
    t.n = n;
    t.kk = self_x[a];
    t.ll = self_y[b];
    t.kl = same && a == b ? self_x[a] : cross[a * ly + b];
    t.dkk = dot(gx[a].diag, gx[a].diag);
    t.dll = dot(ys[b].diag, ys[b].diag);
    t.dkl = dot(gx[a].diag, ys[b].diag);
    t.tk = gx[a].trace;
    t.tl = ys[b].trace;
    return t;
  });
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_CKA_IMPL_HPP
