#ifndef ICL_MPI_DETAIL_CKA_IMPL_HPP
#define ICL_MPI_DETAIL_CKA_IMPL_HPP

/// The per-rank arithmetic of icl::mpi::linear_cka and the reductions between its steps. Rank r holds rows R_r of X (n x d_x) and Y (n x d_y); n = Σ_r |R_r|.
///
/// 1. Column sums. s_x = Σ_r Σ_{i∈R_r} x_i (and s_y) reduce to the global means μ_x = s_x / n,
///    μ_y = s_y / n, so every rank centers its rows with the same means: x̄_i = x_i − μ_x.
/// 2. Feature-space sums. With centered rows, K = X̄X̄ᵀ and L = ȲȲᵀ are already centered and
///      X̄ᵀX̄ = Σ_r X̄_rᵀX̄_r,   ȲᵀȲ = Σ_r Ȳ_rᵀȲ_r,   ȲᵀX̄ = Σ_r Ȳ_rᵀX̄_r
///    (each rank's block of rows contributes its own product: a sum over rows), and
///      ⟨K,K⟩ = ‖X̄ᵀX̄‖_F²,  ⟨L,L⟩ = ‖ȲᵀȲ‖_F²,  ⟨K,L⟩ = ‖ȲᵀX̄‖_F²
///    are taken from the reduced products, never from an n x n matrix.
///    The debiased (unbiased HSIC, U-centered) form needs, besides these, only per-row sums:
///      HSIC_u(K, L) ∝ ⟨K,L⟩ − n/(n−2) Σ_i K_ii L_ii + tr K · tr L / ((n−1)(n−2)),
///    with K_ii = ‖x̄_i‖², L_ii = ‖ȳ_i‖², tr K = Σ_i K_ii, tr L = Σ_i L_ii; the five sums
///    Σ K_ii², Σ L_ii², Σ K_ii L_ii, tr K, tr L are sums over rows, so they reduce as well
///    (each rank evaluates them on its rows, centered with the global means of step 1).
/// 3. Finishing: the reduced terms go to the single-process code (cka_from_terms).
///
/// The effective dimension (Σσ²)²/Σσ⁴ = (tr X̄ᵀX̄)² / ‖X̄ᵀX̄‖_F² takes steps 1-3 with Y empty.
///
/// The symmetric products travel as their upper triangles: one reduction of
/// d_x(d_x+1)/2 + d_y(d_y+1)/2 + d_x·d_y values of the compute type, plus d_x + d_y and 5 doubles.

#include <cstddef>
#include <vector>

#include <mpi.h>

#include "icl/core/linalg.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/cka_impl.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/reduce.hpp"

namespace icl::mpi::detail {

/// Rows of X as a row-major block of C (a view of the input when it already is one).
template <class C, class T>
const C* cka_rows(matrix_view<const T> X, std::vector<C>& buffer, std::size_t& ld) {
  return icl::detail::rows_as_compute<C>(X, 0, X.rows(), buffer, ld);
}

/// Step 1 on one rank: the column sums of its rows of X then of Y (d_x + d_y doubles).
template <class C, class T, class U>
std::vector<double> cka_column_sums(matrix_view<const T> X, matrix_view<const U> Y) {
  const std::size_t n = X.rows();
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = i;
  std::vector<C> bx, by;
  std::size_t ldx = 0, ldy = 0;
  const C* x = cka_rows<C>(X, bx, ldx);
  const C* y = cka_rows<C>(Y, by, ldy);
  auto sums = icl::geometry::detail::column_sums(x, ldx, X.cols(), idx.data(), n, 1.0);
  const auto sy = icl::geometry::detail::column_sums(y, ldy, Y.cols(), idx.data(), n, 1.0);
  sums.insert(sums.end(), sy.begin(), sy.end());
  return sums;
}

/// Step 2's sums of one rank: `packed` = upper triangle of X̄ᵀX̄ (row by row), upper triangle of
/// ȲᵀȲ, then ȲᵀX̄ (d_y x d_x); `rows` = Σ K_ii², Σ L_ii², Σ K_ii L_ii, tr K, tr L.
template <class C>
struct cka_sums {
  std::vector<C> packed;
  std::vector<double> rows;
};

/// Number of values of cka_sums::packed.
inline std::size_t cka_packed_size(std::size_t dx, std::size_t dy) {
  return dx * (dx + 1) / 2 + dy * (dy + 1) / 2 + dx * dy;
}

/// Step 2 on one rank: its rows centered with the global means (`mean` = μ_x then μ_y), and their sums.
template <class C, class T, class U>
cka_sums<C> cka_local_sums(matrix_view<const T> X, matrix_view<const U> Y, const std::vector<double>& mean) {
  namespace g = icl::geometry::detail;
  const std::size_t n = X.rows(), dx = X.cols(), dy = Y.cols();
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = i;
  const std::vector<double> mx(mean.begin(), mean.begin() + static_cast<std::ptrdiff_t>(dx));
  const std::vector<double> my(mean.begin() + static_cast<std::ptrdiff_t>(dx), mean.end());
  std::vector<C> bx, by;
  std::size_t ldx = 0, ldy = 0;
  const C* x = cka_rows<C>(X, bx, ldx);
  const C* y = cka_rows<C>(Y, by, ldy);
  const auto xc = g::subtract_means(x, ldx, dx, idx.data(), n, mx);
  const auto yc = g::subtract_means(y, ldy, dy, idx.data(), n, my);
  const auto p = g::make_feature_products<C>(xc, dx, yc, dy, n);
  cka_sums<C> out;
  out.packed.reserve(cka_packed_size(dx, dy));
  pack_upper(p.a.data(), dx, out.packed);
  pack_upper(p.b.data(), dy, out.packed);
  out.packed.insert(out.packed.end(), p.m.begin(), p.m.end());
  g::cka_terms t;
  g::row_terms(xc, dx, yc, dy, n, t);
  out.rows = {t.dkk, t.dll, t.dkl, t.tk, t.tl};
  return out;
}

/// Step 3: the terms of CKA from the sums reduced over all ranks (n rows in all).
template <class C>
icl::geometry::detail::cka_terms cka_reduced_terms(const cka_sums<C>& s, std::size_t dx, std::size_t dy,
                                                   std::size_t n) {
  namespace g = icl::geometry::detail;
  std::vector<C> a(dx * dx), b(dy * dy);
  const C* m = unpack_upper(unpack_upper(s.packed.data(), dx, a.data()), dy, b.data());
  g::cka_terms t;
  t.n = n;
  g::product_terms(a.data(), dx, b.data(), dy, m, t);
  t.dkk = s.rows[0];
  t.dll = s.rows[1];
  t.dkl = s.rows[2];
  t.tk = s.rows[3];
  t.tl = s.rows[4];
  return t;
}

/// The terms of CKA over the rows of every rank: steps 1 and 2 with their reductions, then step 3.
/// With Y of no columns, t.tk = ‖X̄‖_F² and t.kk = ‖X̄ᵀX̄‖_F² (the effective dimension's terms).
template <class C, class T, class U>
icl::geometry::detail::cka_terms reduce_cka_terms(MPI_Comm comm, matrix_view<const T> X, matrix_view<const U> Y,
                                                  std::size_t n) {
  auto mean = cka_column_sums<C>(X, Y);
  allreduce_sum(comm, mean.data(), mean.size());
  for (double& m : mean) m /= static_cast<double>(n);
  auto sums = cka_local_sums<C>(X, Y, mean);
  allreduce_sum(comm, sums.packed.data(), sums.packed.size());
  allreduce_sum(comm, sums.rows.data(), sums.rows.size());
  return cka_reduced_terms(sums, X.cols(), Y.cols(), n);
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_CKA_IMPL_HPP
