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
///
/// cka_matrix (every layer of X against every layer of Y) takes the sample-space form instead,
/// where one product per layer serves all L_x·L_y pairs (the feature form needs a d_x x d_y
/// product per pair):
/// 1. Column sums of every layer, one all-reduce, so that every rank centers its rows of each
///    layer with the global means; K_a = X̄_a X̄_aᵀ and L_b = Ȳ_b Ȳ_bᵀ are then centered.
/// 2. The n x n matrices as tiles: the tile of rank r's rows with themselves, then at each step
///    s of a half ring (s = 1 .. ⌊p/2⌋, as the RDM) the tile of its rows with those of rank
///    r + s, whose centered rows of every layer it has just received (one ring shift per step,
///    all layers together). Each tile is formed in b x b blocks, one product per layer per block
///    (SYRK on the diagonal blocks, GEMM elsewhere), and every block adds its share of
///    ⟨K_a, L_b⟩, ⟨K_a, K_a⟩ and ⟨L_b, L_b⟩ for all pairs in double; the entries of a tile between
///    two ranks stand for themselves and their mirror images, so they count twice (as the
///    entries off the diagonal of a diagonal tile). Every entry of the upper triangle of the
///    n x n matrices is so computed exactly once, by one rank.
/// 3. The debiased terms are those of linear_cka: the diagonals K_ii = ‖x̄_i‖² (from the
///    diagonal blocks) give Σ K_aii L_bii, Σ K_aii², Σ L_bii², tr K_a, tr L_b, sums over rows.
/// 4. One all-reduce of 2·L_x·L_y + 3·(L_x + L_y) doubles, then cka_from_terms per pair.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/cka_impl.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "icl/layers.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/reduce.hpp"
#include "icl/mpi/detail/ring.hpp"

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

// ---- cka_matrix: the sample-space form over a half ring ---------------------------------------

/// Rows per side of the Gram blocks of cka_matrix's tiles.
inline constexpr std::size_t cka_block_rows = 256;

/// The local checks of cka_matrix (those of icl::geometry::cka_matrix but the row count, which is
/// the total over all ranks): layers, rows per layer of X and Y equal, at least one column each.
template <class T, class U>
void check_cka_matrix_local(const char* fn, tensor_view<const T, 3> X, tensor_view<const U, 3> Y) {
  icl::detail::check_layers(fn, "X", X);
  icl::detail::check_layers(fn, "Y", Y);
  if (Y.extent(1) != X.extent(1)) {
    icl::detail::throw_invalid(fn, "X has ", X.extent(1), " rows per layer but Y has ", Y.extent(1));
  }
  if (X.extent(2) == 0 || Y.extent(2) == 0) {
    icl::detail::throw_invalid(fn, "X and Y need at least one column, got d_x = ", X.extent(2),
                               ", d_y = ", Y.extent(2));
  }
}

/// Where each layer's rows lie in a buffer of the centered rows of every layer (R rows per
/// layer, row-major): layer a of X at a·R·d_x, then layer b of Y at L_x·R·d_x + b·R·d_y. When X
/// and Y are the same tensor (same), Y is not stored and its layers are X's.
struct cka_layer_layout {
  std::size_t lx = 0, dx = 0, ly = 0, dy = 0, rows = 0;
  bool same = false;
  std::size_t stored_y() const { return same ? 0 : ly; }
  std::size_t size() const { return rows * (lx * dx + stored_y() * dy); }
  std::size_t x_at(std::size_t a) const { return a * rows * dx; }
  std::size_t y_at(std::size_t b) const { return same ? x_at(b) : lx * rows * dx + b * rows * dy; }
};

/// Σ_ij A_ij B_ij over two rows x cols Gram blocks (row-major, leading dimension cols), in
/// double; with `upper`, diagonal blocks (rows == cols) whose upper triangle alone is set, the
/// entries off the diagonal counted twice.
template <class C>
double gram_block_inner(const C* a, const C* b, std::size_t rows, std::size_t cols, bool upper) {
  namespace g = icl::geometry::detail;
  double total = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    const C* x = a + r * cols;
    const C* y = b + r * cols;
    total += upper ? 2.0 * g::lane_dot(x, y, r + 1, cols) + static_cast<double>(x[r]) * static_cast<double>(y[r])
                   : g::lane_dot(x, y, 0, cols);
  }
  return total;
}

/// The per-rank sums of cka_matrix: ⟨K_a, L_b⟩ (L_x x L_y, row-major; with same, only b > a),
/// ⟨K_a, K_a⟩, ⟨L_b, L_b⟩ over the tiles of this rank, and the diagonals K_aii, L_bii of its own
/// rows (c values per layer).
struct cka_matrix_sums {
  std::vector<double> cross, self_x, self_y, diag_x, diag_y;
};

/// Adds the tile between rows U (u_count rows per layer) and rows V (v_count) of the layout to
/// the sums, b x b blocks at a time; `diagonal`: U and V are this rank's own rows (the blocks
/// j >= i only, SYRK on the diagonal ones, whose diagonals are recorded).
template <class C>
void add_cka_tile(const cka_layer_layout& layout, const C* u, std::size_t u_count, const C* v, std::size_t v_count,
                  bool diagonal, std::vector<C>& gx, std::vector<C>& gy, cka_matrix_sums& sums) {
  const std::size_t lx = layout.lx, ly = layout.ly, dx = layout.dx, dy = layout.dy, sy = layout.stored_y();
  const std::size_t b = cka_block_rows, c = u_count;
  const std::size_t pairs = lx * ly, jobs = pairs + lx + sy;
  for (std::size_t i0 = 0; i0 < u_count; i0 += b) {
    const std::size_t bi = std::min(b, u_count - i0);
    for (std::size_t j0 = diagonal ? i0 : 0; j0 < v_count; j0 += b) {
      const std::size_t bj = std::min(b, v_count - j0);
      const bool upper = diagonal && i0 == j0;
      const auto gram = [&](const C* us, const C* vs, std::size_t d, C* out) {
        if (upper) {
          icl::detail::product_aat_upper<C>(us + i0 * d, bi, d, d, out, bj);
        } else {
          icl::detail::product_abt<C>(us + i0 * d, bi, d, vs + j0 * d, bj, d, d, out, bj);
        }
      };
      for (std::size_t a = 0; a < lx; ++a) gram(u + layout.x_at(a), v + layout.x_at(a), dx, gx.data() + a * b * b);
      for (std::size_t l = 0; l < sy; ++l) gram(u + layout.y_at(l), v + layout.y_at(l), dy, gy.data() + l * b * b);
      const C* ys = layout.same ? gx.data() : gy.data();
      if (upper) {
        for (std::size_t r = 0; r < bi; ++r) {
          for (std::size_t a = 0; a < lx; ++a)
            sums.diag_x[a * c + i0 + r] = static_cast<double>(gx[a * b * b + r * bj + r]);
          for (std::size_t l = 0; l < sy; ++l)
            sums.diag_y[l * c + i0 + r] = static_cast<double>(gy[l * b * b + r * bj + r]);
        }
      }
      // One sum per pair of layers (and per layer with itself): each job writes its own sum.
      const double weight = upper ? 1.0 : 2.0;
      icl::detail::beside_blas_for(0, jobs, jobs * bi * bj, [&](std::size_t job) {
        if (job < pairs) {
          const std::size_t a = job / ly, l = job % ly;
          if (layout.same && l <= a) return;
          sums.cross[job] += weight * gram_block_inner(gx.data() + a * b * b, ys + l * b * b, bi, bj, upper);
        } else if (job < pairs + lx) {
          const C* k = gx.data() + (job - pairs) * b * b;
          sums.self_x[job - pairs] += weight * gram_block_inner(k, k, bi, bj, upper);
        } else {
          const C* k = gy.data() + (job - pairs - lx) * b * b;
          sums.self_y[job - pairs - lx] += weight * gram_block_inner(k, k, bi, bj, upper);
        }
      });
    }
  }
}

/// The body of icl::mpi::cka_matrix after its shape and row-count checks (NaN/Inf are found
/// here, collectively, while the rows are read): part is the row partition of comm, and same
/// says (on every rank alike) that Y is X. Holds the centered rows of this rank and one
/// travelling buffer, both laid out by cka_layer_layout for the largest rank's row count.
template <class C, class T, class U>
dense_matrix<double> cka_matrix_distributed(const char* fn, MPI_Comm comm, tensor_view<const T, 3> X,
                                          tensor_view<const U, 3> Y, bool debiased, bool same,
                                          const row_partition& part) {
  namespace g = icl::geometry::detail;
  const int rank = rank_of(comm), p = size_of(comm);
  const std::size_t n = part.total, c = X.extent(1);
  cka_layer_layout layout;
  layout.lx = X.extent(0);
  layout.dx = X.extent(2);
  layout.ly = Y.extent(0);
  layout.dy = Y.extent(2);
  layout.rows = *std::max_element(part.counts.begin(), part.counts.end());
  layout.same = same;
  const std::size_t lx = layout.lx, ly = layout.ly, sy = layout.stored_y();

  // 1. This rank's rows of every layer in C and their column sums, which also find NaN/Inf (a
  //    sum that is not finite: the layer is then searched for the first such element); one
  //    agreement on the outcome, one reduction of the sums, and the rows centered.
  std::vector<C> own(layout.size());
  std::vector<double> mean(lx * layout.dx + sy * layout.dy);
  std::vector<std::size_t> idx(c);
  for (std::size_t i = 0; i < c; ++i) idx[i] = i;
  const std::size_t first = part.offsets[static_cast<std::size_t>(rank)];
  const auto load = [&](const char* name, std::size_t layer, auto M, C* out, double* column_sum) {
    std::vector<C> buffer;
    std::size_t ld = 0;
    const std::size_t d = M.cols();
    const C* rows = icl::detail::rows_as_compute<C>(M, 0, c, buffer, ld);
    for (std::size_t i = 0; i < c; ++i) std::copy(rows + i * ld, rows + i * ld + d, out + i * d);
    const auto sum = g::column_sums(out, d, d, idx.data(), c, 1.0);
    std::copy(sum.begin(), sum.end(), column_sum);
    double total = 0.0;
    for (const double v : sum) total += v;
    if (std::isfinite(total)) return;
    const std::size_t k = icl::detail::first_non_finite(M);
    if (k == c * d) return;  // finite values whose sum overflows
    icl::detail::throw_invalid(fn, name, " layer ", layer, " row ", first + k / d, " column ", k % d, " is ",
                               icl::detail::to_double(M(k / d, k % d)), " (NaN/Inf not allowed)");
  };
  collective_check(comm, [&] {
    for (std::size_t a = 0; a < lx; ++a)
      load("X", a, X.matrix(a), own.data() + layout.x_at(a), mean.data() + a * layout.dx);
    for (std::size_t l = 0; l < sy; ++l)
      load("Y", l, Y.matrix(l), own.data() + layout.y_at(l), mean.data() + lx * layout.dx + l * layout.dy);
  });
  allreduce_sum(comm, mean.data(), mean.size());
  for (double& m : mean) m /= static_cast<double>(n);
  const auto center = [&](C* rows, std::size_t d, const double* mu) {
    icl::detail::beside_blas_for(0, c, c * d, [&](std::size_t i) {
      C* row = rows + i * d;
      for (std::size_t j = 0; j < d; ++j) row[j] = static_cast<C>(static_cast<double>(row[j]) - mu[j]);
    });
  };
  for (std::size_t a = 0; a < lx; ++a) center(own.data() + layout.x_at(a), layout.dx, mean.data() + a * layout.dx);
  for (std::size_t l = 0; l < sy; ++l)
    center(own.data() + layout.y_at(l), layout.dy, mean.data() + lx * layout.dx + l * layout.dy);

  // 2. The tile of this rank's rows, then one tile per step of the half ring.
  cka_matrix_sums sums;
  sums.cross.assign(lx * ly, 0.0);
  sums.self_x.assign(lx, 0.0);
  sums.self_y.assign(sy, 0.0);
  sums.diag_x.assign(lx * c, 0.0);
  sums.diag_y.assign(sy * c, 0.0);
  const std::size_t b = cka_block_rows;
  std::vector<C> gx(lx * b * b), gy(sy * b * b);
  add_cka_tile<C>(layout, own.data(), c, own.data(), c, true, gx, gy, sums);
  if (p > 1) {
    std::vector<C> travel(own);
    const private_comm ring(comm);
    for (int s = 1; s <= half_ring_steps(p); ++s) {
      ring_shift(ring.get(), travel.data(), travel.size());
      if (!computes_tile(p, rank, s)) continue;
      const std::size_t q = static_cast<std::size_t>((rank + s) % p);
      add_cka_tile<C>(layout, own.data(), c, travel.data(), part.counts[q], false, gx, gy, sums);
    }
  }

  // 3. The diagonal terms of this rank's rows, then 4. one reduction of every sum.
  const std::vector<double>& diag_y = same ? sums.diag_x : sums.diag_y;
  std::vector<double> all;
  all.reserve(2 * lx * ly + 3 * (lx + ly));
  all.insert(all.end(), sums.cross.begin(), sums.cross.end());
  all.insert(all.end(), sums.self_x.begin(), sums.self_x.end());
  if (same) {
    all.insert(all.end(), sums.self_x.begin(), sums.self_x.end());
  } else {
    all.insert(all.end(), sums.self_y.begin(), sums.self_y.end());
  }
  const auto diagonal_dot = [&](const std::vector<double>& u, std::size_t a, const std::vector<double>& v,
                                std::size_t l) {
    double acc = 0.0;
    for (std::size_t i = 0; i < c; ++i) acc += u[a * c + i] * v[l * c + i];
    return acc;
  };
  const auto trace = [&](const std::vector<double>& u, std::size_t a) {
    double acc = 0.0;
    for (std::size_t i = 0; i < c; ++i) acc += u[a * c + i];
    return acc;
  };
  for (std::size_t a = 0; a < lx; ++a)
    for (std::size_t l = 0; l < ly; ++l) all.push_back(diagonal_dot(sums.diag_x, a, diag_y, l));
  for (std::size_t a = 0; a < lx; ++a) all.push_back(diagonal_dot(sums.diag_x, a, sums.diag_x, a));
  for (std::size_t l = 0; l < ly; ++l) all.push_back(diagonal_dot(diag_y, l, diag_y, l));
  for (std::size_t a = 0; a < lx; ++a) all.push_back(trace(sums.diag_x, a));
  for (std::size_t l = 0; l < ly; ++l) all.push_back(trace(diag_y, l));
  allreduce_sum(comm, all.data(), all.size());

  const double* cross = all.data();
  const double* kk = cross + lx * ly;
  const double* ll = kk + lx;
  const double* dkl = ll + ly;
  const double* dkk = dkl + lx * ly;
  const double* dll = dkk + lx;
  const double* tk = dll + ly;
  const double* tl = tk + lx;
  return g::cka_matrix_from_terms(fn, lx, ly, same, debiased, [&](std::size_t a, std::size_t l) {
    g::cka_terms t;
    t.n = n;
    t.kk = kk[a];
    t.ll = ll[l];
    t.kl = same && a == l ? kk[a] : cross[a * ly + l];
    t.dkk = dkk[a];
    t.dll = dll[l];
    t.dkl = dkl[a * ly + l];
    t.tk = tk[a];
    t.tl = tl[l];
    return t;
  });
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_CKA_IMPL_HPP
