#ifndef ICL_PROBE_DETAIL_LBFGS_LOGISTIC_HPP
#define ICL_PROBE_DETAIL_LBFGS_LOGISTIC_HPP

/// L-BFGS for L2-penalized logistic regression, scikit-learn's objective
///   F(W, b) = C·Σ_i logloss(x_i·Wᵀ + b, y_i) + ½‖W‖²_F,
/// binary (one output, sigmoid) or multinomial (m outputs, softmax).
///
/// The iteration works on "representation" vectors x = (V, b) whose W-space vector is W = V
/// (primal) or W = V·X (dual, V = A is m x n: by the representer theorem the optimum lies in the
/// row space of X, and every L-BFGS vector — gradients, steps, their differences — does too).
/// Each vector travels with its image M·x, where ⟨u, v⟩_W-space = Σ u ⊙ (M·v): M = I in the
/// primal and M = blockdiag(K, …, K, I) with K = X·Xᵀ in the dual. Inner products, the two-loop
/// recursion and the line search then cost O(n·m) in the dual, and the only O(n²·m) work per
/// iteration is the image K·g of the new gradient; the iterates equal those of a primal L-BFGS.
/// The line search only needs the logits along the search direction (Z + t·Zp) and three
/// W-space inner products, so each trial step costs O(n·m) in both forms.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "icl/config.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe::detail {

template <class C>
using cmat = Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class C>
using cmap = Eigen::Map<const cmat<C>, 0, Eigen::OuterStride<>>;

/// The loss of one row of logits z (outputs values) with class `code`, adding C·∂loss/∂z to r.
/// Binary: softplus(z) − y·z with y = code ∈ {0, 1}; multinomial: logsumexp(z) − z[code].
inline double row_loss(const double* z, std::size_t code, std::size_t outputs, double C, double* r) {
  if (outputs == 1) {
    const double t = z[0];
    const double softplus = std::max(t, 0.0) + std::log1p(std::exp(-std::abs(t)));
    const double e = std::exp(-std::abs(t));
    const double sigma = t >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    const double y = code == 1 ? 1.0 : 0.0;
    if (r != nullptr) r[0] = C * (sigma - y);
    return softplus - y * t;
  }
  double mx = z[0];
  for (std::size_t c = 1; c < outputs; ++c) mx = std::max(mx, z[c]);
  double s = 0.0;
  for (std::size_t c = 0; c < outputs; ++c) s += std::exp(z[c] - mx);
  const double lse = mx + std::log(s);
  if (r != nullptr) {
    for (std::size_t c = 0; c < outputs; ++c) r[c] = C * (std::exp(z[c] - lse) - (c == code ? 1.0 : 0.0));
  }
  return lse - z[code];
}

/// Dual operations: vectors are (A, b) with A m x n, W = A·X; K = X·Xᵀ (n x n, full, ldk).
template <class C>
struct dual_ops {
  const C* K = nullptr;
  std::size_t n = 0, ldk = 0;

  std::size_t cols() const noexcept { return n; }

  /// out (m x n) = in (m x n) · K, i.e. out[c] = K·in[c] (K symmetric). m is small (the number
  /// of outputs), so this is m matrix-vector products sharing one pass over K: rows of K in
  /// parallel chunks (deterministic), sums in double.
  void image(const double* in, std::size_t m, double* out) const {
    std::vector<C> in_c(m * n);
    for (std::size_t k = 0; k < m * n; ++k) in_c[k] = static_cast<C>(in[k]);
#if ICL_HAS_BLAS
    // out[c] = K·in[c] through ?GEMV, one call per output (GEMM would pack all of K each call).
    std::vector<C> out_c(m * n);
    const int nn = icl::detail::blas_int(n, "rows"), lk = icl::detail::blas_int(ldk, "ldk");
    for (std::size_t c = 0; c < m; ++c) {
      icl::detail::blas::gemv("T", nn, nn, C(1), K, lk, in_c.data() + c * n, 1, C(0), out_c.data() + c * n, 1);
    }
    for (std::size_t k = 0; k < m * n; ++k) out[k] = static_cast<double>(out_c[k]);
#else
    // Threads only pay off above a few million multiply-adds (one short parallel region per
    // L-BFGS iteration otherwise costs more than it saves).
    const bool parallel = static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(m) >= 8.0e6;
    const std::size_t chunk = parallel ? 64 : n;
    icl::detail::parallel_for(0, (n + chunk - 1) / chunk, [&](std::size_t block) {
      const std::size_t first = block * chunk, last = std::min(n, first + chunk);
      for (std::size_t i = first; i < last; ++i) {
        const C* row = K + i * ldk;
        for (std::size_t c = 0; c < m; ++c) {
          const C* v = in_c.data() + c * n;
          double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
          std::size_t j = 0;
          for (; j + 4 <= n; j += 4) {
            s0 += static_cast<double>(row[j]) * static_cast<double>(v[j]);
            s1 += static_cast<double>(row[j + 1]) * static_cast<double>(v[j + 1]);
            s2 += static_cast<double>(row[j + 2]) * static_cast<double>(v[j + 2]);
            s3 += static_cast<double>(row[j + 3]) * static_cast<double>(v[j + 3]);
          }
          for (; j < n; ++j) s0 += static_cast<double>(row[j]) * static_cast<double>(v[j]);
          out[c * n + i] = (s0 + s1) + (s2 + s3);
        }
      }
    });
#endif
  }

  /// Z (n x m) = (M·V)ᵀ + b: the logits of the rows of X.
  void logits(const double* /*v*/, const double* image_v, const double* b, std::size_t m, double* Z) const {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < m; ++c) Z[i * m + c] = image_v[c * n + i] + b[c];
  }

  /// The data part of g_V = Rᵀ + V (the gradient Xᵀ·R + W written as coefficients on the rows
  /// of X): g (m x n) = Rᵀ; the solver adds V.
  void gradient(const double* R, std::size_t m, double* g) const {
    for (std::size_t c = 0; c < m; ++c)
      for (std::size_t i = 0; i < n; ++i) g[c * n + i] = R[i * m + c];
  }

  /// Sums over the rows of every process (one process: nothing to add).
  static void reduce(double* /*values*/, std::size_t /*count*/) noexcept {}

  /// True when logits() needs no product (so it is refreshed every iteration).
  static constexpr bool cheap_logits = true;
};

/// Primal operations: vectors are (W, b) with W m x d; X is n x d row-major (ld) in C.
template <class C>
struct primal_ops {
  const C* X = nullptr;
  std::size_t n = 0, d = 0, ld = 0;

  std::size_t cols() const noexcept { return d; }

  void image(const double* in, std::size_t m, double* out) const { std::copy(in, in + m * d, out); }

  void logits(const double* v, const double* /*image_v*/, const double* b, std::size_t m, double* Z) const {
#if ICL_HAS_BLAS
    if (m > 1) {  // Z (n x m) = X·Vᵀ through ?GEMM (product_abt); one output stays on Eigen's GEMV
      std::vector<C> vc(v, v + m * d), zc(n * m);
      icl::detail::product_abt<C>(X, n, ld, vc.data(), m, d, d, zc.data(), m);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t c = 0; c < m; ++c) Z[i * m + c] = static_cast<double>(zc[i * m + c]) + b[c];
      return;
    }
#endif
    const cmap<C> Xm(X, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d),
                     Eigen::OuterStride<>(static_cast<Eigen::Index>(ld)));
    const Eigen::Map<const cmat<double>> V(v, static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(d));
    Eigen::Map<cmat<double>> Zm(Z, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(m));
    if constexpr (std::is_same_v<C, double>) {
      Zm.noalias() = Xm * V.transpose();
    } else {
      const cmat<C> vc = V.template cast<C>();
      Zm = (Xm * vc.transpose()).template cast<double>();
    }
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < m; ++c) Z[i * m + c] += b[c];
  }

  /// The data part of g_W = Rᵀ·X + W: g (m x d) = Rᵀ·X; the solver adds W.
  void gradient(const double* R, std::size_t m, double* g) const {
#if ICL_HAS_BLAS
    if (m > 1) {
      // Row-major G (m x d) is the column-major d x m matrix Gᵀ = Xᵀ·R: X row-major is the
      // column-major Xᵀ (d x n, ld), R row-major (n x m) is the column-major Rᵀ (m x n).
      std::vector<C> rc(R, R + n * m), gc(m * d);
      const int dd = icl::detail::blas_int(d, "cols"), mm = icl::detail::blas_int(m, "outputs");
      const int nn = icl::detail::blas_int(n, "rows"), lx = icl::detail::blas_int(ld, "ld");
      icl::detail::blas::gemm("N", "T", dd, mm, nn, C(1), X, lx, rc.data(), mm, C(0), gc.data(), dd);
      for (std::size_t k = 0; k < m * d; ++k) g[k] = static_cast<double>(gc[k]);
      return;
    }
#endif
    const cmap<C> Xm(X, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d),
                     Eigen::OuterStride<>(static_cast<Eigen::Index>(ld)));
    const Eigen::Map<const cmat<double>> Rm(R, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(m));
    Eigen::Map<cmat<double>> G(g, static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(d));
    if constexpr (std::is_same_v<C, double>) {
      G.noalias() = Rm.transpose() * Xm;
    } else {
      const cmat<C> rc = Rm.transpose().template cast<C>();
      G = (rc * Xm).template cast<double>();
    }
  }

  /// Sums over the rows of every process (one process: nothing to add).
  static void reduce(double* /*values*/, std::size_t /*count*/) noexcept {}

  static constexpr bool cheap_logits = false;
};

/// Options of the L-BFGS solve.
struct lbfgs_options {
  double C = 1.0;
  std::size_t max_iter = 100;
  double tol = 1e-6;
  std::size_t memory = 10;
  bool fit_intercept = true;
};

struct lbfgs_solution {
  std::vector<double> x;  ///< (V, b): m x cols then m intercepts
  fit_report report;
};

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

inline void axpy(double alpha, const std::vector<double>& x, std::vector<double>& y) {
  for (std::size_t i = 0; i < x.size(); ++i) y[i] += alpha * x[i];
}

/// Minimizes F over (V, b) from x0 (empty: zero). codes[i] < k; outputs m = (k == 2 ? 1 : k).
/// Every sum over rows (the loss, the data part of the gradient, the line function and its
/// slope) goes through ops.reduce before it is used, so that an Ops whose rows are one process's
/// share of the rows (icl/mpi/probe.hpp) runs the same iterates on every process.
template <class Ops>
lbfgs_solution solve_logistic(const Ops& ops, const std::vector<std::size_t>& codes, std::size_t k,
                              const lbfgs_options& opt, std::vector<double> x0) {
  const std::size_t n = codes.size(), m = (k == 2 ? 1 : k), cols = ops.cols();
  const std::size_t nv = m * cols, N = nv + m;
  lbfgs_solution out;
  std::vector<double>& x = out.x;
  x = x0.size() == N ? std::move(x0) : std::vector<double>(N, 0.0);
  if (!opt.fit_intercept) std::fill(x.begin() + static_cast<std::ptrdiff_t>(nv), x.end(), 0.0);

  std::vector<double> Mx(N), Z(n * m), R(n * m), g(N), Mg(N), p(N), Mp(N), Zp(n * m), Zt(n * m);

  const auto refresh_image = [&](const std::vector<double>& v, std::vector<double>& Mv) {
    ops.image(v.data(), m, Mv.data());
    std::copy(v.begin() + static_cast<std::ptrdiff_t>(nv), v.end(), Mv.begin() + static_cast<std::ptrdiff_t>(nv));
  };
  const auto loss_and_residual = [&](const std::vector<double>& logits, double* r) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += row_loss(logits.data() + i * m, codes[i], m, opt.C, r ? r + i * m : nullptr);
    ops.reduce(&s, 1);
    return opt.C * s;
  };
  // Gradient (and its image) from the residual R = C·∂loss/∂Z at the point x.
  const auto gradient_from = [&](const std::vector<double>& r, const std::vector<double>& v, std::vector<double>& gv,
                                 std::vector<double>& Mgv) {
    ops.gradient(r.data(), m, gv.data());
    for (std::size_t c = 0; c < m; ++c) {
      double s = 0.0;
      if (opt.fit_intercept)
        for (std::size_t i = 0; i < n; ++i) s += r[i * m + c];
      gv[nv + c] = s;
    }
    ops.reduce(gv.data(), gv.size());
    for (std::size_t i = 0; i < nv; ++i) gv[i] += v[i];
    refresh_image(gv, Mgv);
  };
  const auto w_dot = [&](const std::vector<double>& u, const std::vector<double>& Mv) {
    double s = 0.0;
    for (std::size_t i = 0; i < nv; ++i) s += u[i] * Mv[i];
    return s;
  };

  // Scale of the stopping rule: the gradient norm at W = 0, b = 0.
  {
    std::vector<double> zero(N, 0.0), r0(n * m);
    std::fill(Zt.begin(), Zt.end(), 0.0);
    loss_and_residual(Zt, r0.data());
    gradient_from(r0, zero, g, Mg);
    out.report.initial_gradient_norm = std::sqrt(std::max(0.0, dot(g, Mg)));
  }

  refresh_image(x, Mx);
  ops.logits(x.data(), Mx.data(), x.data() + nv, m, Z.data());
  double f = loss_and_residual(Z, R.data()) + 0.5 * w_dot(x, Mx);
  gradient_from(R, x, g, Mg);
  double gnorm = std::sqrt(std::max(0.0, dot(g, Mg)));

  struct pair_t {
    std::vector<double> s, Ms, y, My;
    double rho = 0.0;
  };
  const std::size_t memory = std::max<std::size_t>(opt.memory, 1);
  std::deque<pair_t> history;  // oldest first
  std::vector<double> alpha(memory);
  double gamma = 1.0;

  const double threshold = opt.tol * out.report.initial_gradient_norm;
  fit_report& rep = out.report;
  rep.converged = false;
  rep.message = "reached max_iter";
  std::size_t iter = 0;
  std::vector<double> g_new(N), Mg_new(N);
  for (;; ++iter) {
    if (!(gnorm > threshold)) {
      rep.converged = std::isfinite(gnorm);
      rep.message = rep.converged ? "gradient norm <= tol * initial gradient norm" : "non-finite gradient";
      break;
    }
    if (iter >= opt.max_iter) break;

    // Two-loop recursion with images: p = −H·g.
    std::vector<double>& q = p;
    std::vector<double>& Mq = Mp;
    q = g;
    Mq = Mg;
    const std::size_t h = history.size();
    for (std::size_t j = 0; j < h; ++j) {
      const pair_t& pr = history[h - 1 - j];
      alpha[j] = pr.rho * dot(pr.s, Mq);
      axpy(-alpha[j], pr.y, q);
      axpy(-alpha[j], pr.My, Mq);
    }
    for (std::size_t i = 0; i < N; ++i) {
      q[i] *= gamma;
      Mq[i] *= gamma;
    }
    for (std::size_t j = h; j-- > 0;) {
      const pair_t& pr = history[h - 1 - j];
      const double beta = pr.rho * dot(pr.y, Mq);
      axpy(alpha[j] - beta, pr.s, q);
      axpy(alpha[j] - beta, pr.Ms, Mq);
    }
    for (std::size_t i = 0; i < N; ++i) {
      p[i] = -p[i];
      Mp[i] = -Mp[i];
    }
    double dphi0 = dot(g, Mp);
    double t = 1.0;
    if (h == 0 || !(dphi0 < 0.0)) {
      history.clear();
      gamma = 1.0;
      for (std::size_t i = 0; i < N; ++i) {
        p[i] = -g[i];
        Mp[i] = -Mg[i];
      }
      dphi0 = -gnorm * gnorm;
      t = std::min(1.0, 1.0 / gnorm);
    }

    // Line function φ(t) = F(x + t·p) from the logits along p and three W-space products.
    ops.logits(p.data(), Mp.data(), p.data() + nv, m, Zp.data());
    const double ww = w_dot(x, Mx), wp = w_dot(x, Mp), pp = w_dot(p, Mp);
    const auto phi = [&](double step, double& dphi) {
      for (std::size_t i = 0; i < n * m; ++i) Zt[i] = Z[i] + step * Zp[i];
      double s = 0.0, ds = 0.0;
      double r[64];
      std::vector<double> rbuf(m > 64 ? m : 0);
      double* rp = m > 64 ? rbuf.data() : r;
      for (std::size_t i = 0; i < n; ++i) {
        s += row_loss(Zt.data() + i * m, codes[i], m, opt.C, rp);
        for (std::size_t c = 0; c < m; ++c) ds += rp[c] * Zp[i * m + c];
      }
      double sums[2] = {s, ds};
      ops.reduce(sums, 2);
      s = sums[0];
      ds = sums[1];
      dphi = ds + wp + step * pp;
      return opt.C * s + 0.5 * (ww + 2.0 * step * wp + step * step * pp);
    };

    // Strong Wolfe line search (bracketing, then zoom with safeguarded cubic interpolation).
    constexpr double c1 = 1e-4, c2 = 0.9;
    const double slack = 8.0 * std::numeric_limits<double>::epsilon() * std::abs(f);
    const auto armijo = [&](double step, double value) { return value <= f + c1 * step * dphi0 + slack; };
    const auto curvature = [&](double dvalue) { return std::abs(dvalue) <= -c2 * dphi0; };
    double lo = 0.0, flo = f, dlo = dphi0, hi = 0.0, fhi = 0.0, dhi = 0.0;
    double accepted = -1.0, f_acc = f;
    bool bracket = false;
    std::size_t evals = 0;
    constexpr std::size_t max_evals = 40;
    while (evals < max_evals) {
      double dv = 0.0;
      const double v = phi(t, dv);
      ++evals;
      if (!std::isfinite(v) || !armijo(t, v) || (evals > 1 && v >= flo)) {
        hi = t, fhi = v, dhi = dv;
        bracket = true;
        break;
      }
      if (curvature(dv)) {
        accepted = t, f_acc = v;
        break;
      }
      if (dv >= 0.0) {
        hi = lo, fhi = flo, dhi = dlo;
        lo = t, flo = v, dlo = dv;
        bracket = true;
        break;
      }
      lo = t, flo = v, dlo = dv;
      t *= 4.0;
    }
    if (accepted < 0.0 && bracket) {
      while (evals < max_evals) {
        const double a = lo, b = hi;
        double trial;
        if (std::isfinite(fhi)) {
          const double d1 = dlo + dhi - 3.0 * (flo - fhi) / (a - b);
          const double disc = d1 * d1 - dlo * dhi;
          if (disc >= 0.0) {
            const double d2 = (b > a ? 1.0 : -1.0) * std::sqrt(disc);
            trial = b - (b - a) * (dhi + d2 - d1) / (dhi - dlo + 2.0 * d2);
          } else {
            trial = 0.5 * (a + b);
          }
        } else {
          trial = 0.5 * (a + b);
        }
        const double left = std::min(a, b), right = std::max(a, b), width = right - left;
        if (!std::isfinite(trial)) trial = 0.5 * (a + b);
        trial = std::min(std::max(trial, left + 0.1 * width), right - 0.1 * width);
        if (width <= 1e-15 * std::max(1.0, right)) break;
        double dv = 0.0;
        const double v = phi(trial, dv);
        ++evals;
        if (!std::isfinite(v) || !armijo(trial, v) || v >= flo) {
          hi = trial, fhi = v, dhi = dv;
        } else {
          if (curvature(dv)) {
            accepted = trial, f_acc = v;
            break;
          }
          if (dv * (hi - lo) >= 0.0) hi = lo, fhi = flo, dhi = dlo;
          lo = trial, flo = v, dlo = dv;
        }
      }
    }
    if (accepted < 0.0) {
      if (lo > 0.0) {
        accepted = lo, f_acc = flo;  // sufficient decrease holds; curvature did not
      } else {
        rep.message = "line search found no decrease (precision limit)";
        break;
      }
    }

    // Step: x += t·p with its image and logits.
    const double step = accepted;
    for (std::size_t i = 0; i < N; ++i) {
      p[i] *= step;
      Mp[i] *= step;
      x[i] += p[i];
      Mx[i] += Mp[i];
    }
    if (Ops::cheap_logits || (iter + 1) % 10 == 0) {
      if ((iter + 1) % 10 == 0) refresh_image(x, Mx);
      ops.logits(x.data(), Mx.data(), x.data() + nv, m, Z.data());
    } else {
      for (std::size_t i = 0; i < n * m; ++i) Z[i] += step * Zp[i];
    }
    f = loss_and_residual(Z, R.data()) + 0.5 * w_dot(x, Mx);
    (void)f_acc;
    gradient_from(R, x, g_new, Mg_new);
    // Pair (s, y) = (step·p, g_new − g) with images; kept when the curvature sᵀy is positive.
    pair_t pr;
    pr.s = p;
    pr.Ms = Mp;
    pr.y.resize(N);
    pr.My.resize(N);
    for (std::size_t i = 0; i < N; ++i) {
      pr.y[i] = g_new[i] - g[i];
      pr.My[i] = Mg_new[i] - Mg[i];
    }
    const double sy = dot(pr.s, pr.My), yy = dot(pr.y, pr.My);
    if (sy > 1e-12 * std::sqrt(std::max(0.0, dot(pr.s, pr.Ms)) * std::max(0.0, yy)) && yy > 0.0) {
      pr.rho = 1.0 / sy;
      gamma = sy / yy;
      if (history.size() == memory) history.pop_front();
      history.push_back(std::move(pr));
    }
    g.swap(g_new);
    Mg.swap(Mg_new);
    gnorm = std::sqrt(std::max(0.0, dot(g, Mg)));
  }
  rep.iterations = iter;
  rep.gradient_norm = gnorm;
  rep.objective = f;
  if (!rep.converged && iter >= opt.max_iter && rep.message.empty()) rep.message = "reached max_iter";
  return out;
}

}  // namespace icl::probe::detail

#endif  // ICL_PROBE_DETAIL_LBFGS_LOGISTIC_HPP
