#ifndef ICL_PROBE_DETAIL_CV_IMPL_HPP
#define ICL_PROBE_DETAIL_CV_IMPL_HPP

/// Cross-validation kernels behind icl/probe/cross_validation.hpp, and the per-layer steps of
/// its trackers (icl::layer_tracker). With the dual solver the Gram matrix of all n rows is
/// computed once; each fold reads its train x train block and its test x train block from it.
/// Folds are warm-started from the previous fold (dual coefficients matched by sample index),
/// and per-layer curves from the same fold of the previous layer.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/detail/folds_impl.hpp"
#include "icl/probe/detail/logistic_impl.hpp"
#include "icl/probe/detail/model_impl.hpp"
#include "icl/probe/detail/ridge_impl.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe::detail {

inline void summarize(cv_result& r) {
  const double F = static_cast<double>(r.fold_scores.size());
  double s = 0.0;
  for (double v : r.fold_scores) s += v;
  r.mean = s / F;
  double ss = 0.0;
  for (double v : r.fold_scores) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / F);
}

/// A fold's fit kept for warm starts: representation (V, b), the training rows it was fit on,
/// and the number of outputs.
struct fold_state {
  raw_fit fit;
  std::vector<std::size_t> train;
  std::size_t outputs = 0;
  bool dual = false;
};

/// Dual warm start for `train` from a fit on `prev.train` (coefficients matched by sample).
inline std::vector<double> map_dual(const fold_state& prev, const std::vector<std::size_t>& train, std::size_t n,
                                    std::size_t m) {
  std::vector<double> a;
  if (!prev.dual || prev.outputs != m || prev.fit.v.size() != m * prev.train.size()) return a;
  std::vector<std::size_t> pos(n, std::numeric_limits<std::size_t>::max());
  for (std::size_t j = 0; j < prev.train.size(); ++j) pos[prev.train[j]] = j;
  a.assign(m * train.size(), 0.0);
  const std::size_t np = prev.train.size();
  for (std::size_t c = 0; c < m; ++c)
    for (std::size_t j = 0; j < train.size(); ++j) {
      const std::size_t q = pos[train[j]];
      if (q != std::numeric_limits<std::size_t>::max()) a[c * train.size() + j] = prev.fit.v[c * np + q];
    }
  return a;
}

/// The classes present in the training rows `train` of fold f: `present` (class codes, increasing)
/// and `local` (code -> index in present); throws unless there are at least two.
struct fold_classes {
  std::vector<std::size_t> local, present;
};

inline fold_classes training_classes(const char* function, const icl::detail::encoded_labels& enc,
                                     const std::vector<std::size_t>& train, std::size_t f) {
  fold_classes out;
  out.local.assign(enc.n_classes(), enc.n_classes());
  for (std::size_t i : train) out.local[enc.codes[i]] = 0;
  for (std::size_t c = 0; c < enc.n_classes(); ++c)
    if (out.local[c] == 0) {
      out.local[c] = out.present.size();
      out.present.push_back(c);
    }
  if (out.present.size() < 2) {
    icl::detail::throw_invalid(function, "the training rows of fold ", f, " hold ", out.present.size(),
                               " class(es), need at least 2");
  }
  return out;
}

/// Logits z (test.size() x m) = b + W·x of the rows `test` of a row block (ld) under a primal fit.
template <class C>
void primal_logits(const raw_fit& fit, const C* rows, std::size_t ld, std::size_t d,
                   const std::vector<std::size_t>& test, std::size_t m, std::vector<double>& z) {
  z.assign(test.size() * m, 0.0);
  for (std::size_t t = 0; t < test.size(); ++t) {
    const C* x = rows + test[t] * ld;
    for (std::size_t c = 0; c < m; ++c) {
      double s = fit.b[c];
      const double* w = fit.v.data() + c * d;
      for (std::size_t j = 0; j < d; ++j) s += w[j] * static_cast<double>(x[j]);
      z[t * m + c] = s;
    }
  }
}

/// Cross-validated accuracy of the logistic probe on the folds `fold` (F folds). `states`, when
/// given, holds one state per fold from a previous call (another layer, same samples) to
/// warm-start from, and receives this call's fits.
template <class T>
cv_result cv_logistic(const char* function, matrix_view<const T> X, const icl::detail::encoded_labels& enc,
                      const std::vector<std::size_t>& fold, std::size_t F, const logistic_params& p,
                      std::vector<fold_state>* states) {
  using C = icl::detail::compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  std::vector<std::size_t> fold_size(F, 0);
  for (std::size_t v : fold) ++fold_size[v];
  const std::size_t max_train = n - *std::min_element(fold_size.begin(), fold_size.end());
  const bool dual = use_dual(p.solver, max_train, d);
  std::vector<C> buffer;
  std::size_t ld = 0;
  const C* rows = icl::detail::rows_as_compute<C>(X, 0, n, buffer, ld);
  std::vector<C> K;
  if (dual) K = full_gram<C>(rows, n, d, ld);  // once for all folds
  const lbfgs_options opt = make_lbfgs_options(p);
  const bool have_states = states != nullptr && states->size() == F;
  std::vector<fold_state> out_states(F);

  cv_result result;
  std::vector<C> block, train_rows;
  for (std::size_t f = 0; f < F; ++f) {
    std::vector<std::size_t> train, test;
    for (std::size_t i = 0; i < n; ++i) (fold[i] == f ? test : train).push_back(i);
    // Classes present in the training rows, and local codes.
    const fold_classes classes = training_classes(function, enc, train, f);
    const std::vector<std::size_t>& local = classes.local;
    const std::vector<std::size_t>& present = classes.present;
    const std::size_t k = present.size(), m = k == 2 ? 1 : k, nt = train.size();
    std::vector<std::size_t> codes(nt);
    for (std::size_t j = 0; j < nt; ++j) codes[j] = local[enc.codes[train[j]]];

    const fold_state* warm = nullptr;
    if (have_states && (*states)[f].outputs == m && (*states)[f].train == train) {
      warm = &(*states)[f];
    } else if (f > 0) {
      warm = &out_states[f - 1];
    }
    std::vector<double> z(test.size() * m);
    raw_fit fit;
    if (dual) {
      block.resize(nt * nt);
      for (std::size_t a = 0; a < nt; ++a)
        for (std::size_t b = 0; b < nt; ++b) block[a * nt + b] = K[train[a] * n + train[b]];
      std::vector<double> a0, b0;
      if (warm != nullptr && warm->outputs == m) {
        a0 = warm->train == train ? warm->fit.v : map_dual(*warm, train, n, m);
        b0 = warm->fit.b;
      }
      fit = fit_dual<C>(block.data(), nt, nt, codes, k, opt, a0, b0);
      for (std::size_t t = 0; t < test.size(); ++t) {
        const C* Kt = K.data() + test[t] * n;
        for (std::size_t c = 0; c < m; ++c) {
          double s = fit.b[c];
          const double* a = fit.v.data() + c * nt;
          for (std::size_t j = 0; j < nt; ++j) s += a[j] * static_cast<double>(Kt[train[j]]);
          z[t * m + c] = s;
        }
      }
    } else {
      train_rows.resize(nt * d);
      for (std::size_t j = 0; j < nt; ++j) std::copy(rows + train[j] * ld, rows + train[j] * ld + d, train_rows.data() + j * d);
      std::vector<double> w0, b0;
      if (warm != nullptr && warm->outputs == m && !warm->dual) {
        w0 = warm->fit.v;
        b0 = warm->fit.b;
      }
      fit = fit_primal<C>(train_rows.data(), nt, d, d, codes, k, opt, w0, b0);
      primal_logits(fit, rows, ld, d, test, m, z);
    }
    std::size_t hits = 0;
    for (std::size_t t = 0; t < test.size(); ++t) {
      const std::size_t c = present[class_index(z.data() + t * m, m)];
      hits += c == enc.codes[test[t]] ? 1 : 0;
    }
    result.fold_scores.push_back(static_cast<double>(hits) / static_cast<double>(test.size()));
    result.fold_reports.push_back(fit.report);
    out_states[f].fit = std::move(fit);
    out_states[f].train = std::move(train);
    out_states[f].outputs = m;
    out_states[f].dual = dual;
  }
  summarize(result);
  if (states != nullptr) *states = std::move(out_states);
  return result;
}

/// Cross-validated R² of the ridge probe on the folds `fold` (F folds).
template <class T>
cv_result cv_ridge(const char* function, matrix_view<const T> X, const std::vector<double>& y,
                   const std::vector<std::size_t>& fold, std::size_t F, const ridge_params& p) {
  using C = icl::detail::compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  std::vector<std::size_t> fold_size(F, 0);
  for (std::size_t v : fold) ++fold_size[v];
  const std::size_t max_train = n - *std::min_element(fold_size.begin(), fold_size.end());
  // The shared-Gram path needs the intercept (per-fold centering by translation invariance);
  // without one every fold is fit by fit_ridge on its gathered rows.
  const bool dual = p.fit_intercept &&
                    (p.solver == ridge_solver::dual || (p.solver == ridge_solver::automatic && max_train <= d));
  cv_result result;
  if (dual) {
    // Center by the global mean first (translation invariance keeps the per-fold centering
    // exact) so that the float Gram does not carry the mean's magnitude.
    const std::vector<double> mu = column_means(X, true);
    const std::vector<C> Xc = centered_rows<C>(X, mu);
    std::vector<C> K(n * n);
    icl::detail::product_aat_upper<C>(Xc.data(), n, d, d, K.data(), n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j) K[i * n + j] = K[j * n + i];
    for (std::size_t f = 0; f < F; ++f) {
      std::vector<std::size_t> train, test;
      for (std::size_t i = 0; i < n; ++i) (fold[i] == f ? test : train).push_back(i);
      const std::size_t nt = train.size();
      std::vector<double> r;
      double g = 0.0;
      dmat B = centered_block(K.data(), n, train, r, g);
      double ybar = 0.0;
      for (std::size_t i : train) ybar += y[i];
      ybar /= static_cast<double>(nt);
      Eigen::VectorXd yc(static_cast<Eigen::Index>(nt));
      for (std::size_t j = 0; j < nt; ++j) yc[static_cast<Eigen::Index>(j)] = y[train[j]] - ybar;
      const Eigen::VectorXd a = solve_shifted(function, std::move(B), p.alpha, yc);
      std::vector<double> truth, pred;
      for (std::size_t t : test) {
        const C* Kt = K.data() + t * n;
        double mean_t = 0.0;
        for (std::size_t j = 0; j < nt; ++j) mean_t += static_cast<double>(Kt[train[j]]);
        mean_t /= static_cast<double>(nt);
        double s = ybar;
        for (std::size_t j = 0; j < nt; ++j)
          s += a[static_cast<Eigen::Index>(j)] * (static_cast<double>(Kt[train[j]]) - mean_t - r[j] + g);
        truth.push_back(y[t]);
        pred.push_back(s);
      }
      result.fold_scores.push_back(r2(truth, pred));
      fit_report rep;
      rep.method = fit_method::ridge_dual;
      rep.message = "closed form";
      result.fold_reports.push_back(rep);
    }
  } else {
    std::vector<double> train_rows;
    for (std::size_t f = 0; f < F; ++f) {
      std::vector<std::size_t> train, test;
      for (std::size_t i = 0; i < n; ++i) (fold[i] == f ? test : train).push_back(i);
      train_rows.resize(train.size() * d);
      std::vector<double> ytr;
      for (std::size_t j = 0; j < train.size(); ++j) {
        for (std::size_t c = 0; c < d; ++c) train_rows[j * d + c] = icl::detail::to_double(X(train[j], c));
        ytr.push_back(y[train[j]]);
      }
      ridge_params q = p;
      if (p.solver == ridge_solver::dual) q.solver = ridge_solver::automatic;
      const linear_model m =
          fit_ridge_model("icl::probe::fit_ridge", make_matrix_view(train_rows.data(), train.size(), d), ytr, q);
      std::vector<double> truth, pred;
      for (std::size_t t : test) {
        double s = m.intercept[0];
        for (std::size_t c = 0; c < d; ++c) s += m.coef[c] * icl::detail::to_double(X(t, c));
        truth.push_back(y[t]);
        pred.push_back(s);
      }
      result.fold_scores.push_back(r2(truth, pred));
      result.fold_reports.push_back(m.report);
    }
  }
  summarize(result);
  return result;
}


/// The step of icl::probe::logistic_curve_tracker: the folds are fixed at construction, each
/// layer's fold fits start from the same fold of the previous layer (kept in `states`).
struct logistic_curve_step {
  using result_type = cv_result;
  static constexpr const char* add_layer_function = "icl::probe::logistic_curve_tracker::add_layer";

  logistic_params params;
  cv_params cv;
  icl::detail::encoded_labels labels;
  std::vector<std::size_t> folds;
  std::vector<fold_state> states;

  logistic_curve_step(const std::vector<int>& y, logistic_params p, const cv_params& c)
      : params(std::move(p)), cv(c) {
    constexpr const char* fn = "icl::probe::logistic_curve_tracker";
    check_logistic_params(fn, params);
    labels = icl::detail::encode_labels(fn, y, y.size(), 2, "labels");
    folds = cv.stratified ? stratified_folds(fn, labels, cv) : plain_folds(fn, y.size(), cv);
  }

  template <class T>
  cv_result operator()(matrix_view<const T> H, std::size_t /*layer*/) {
    constexpr const char* fn = add_layer_function;
    check_design(fn, H);
    if (H.rows() != labels.codes.size()) {
      icl::detail::throw_invalid(fn, "H has ", H.rows(), " rows but labels has ", labels.codes.size(), " entries");
    }
    icl::detail::require_finite(fn, "H", H);
    return cv_logistic(fn, H, labels, folds, cv.folds, params, &states);
  }

  static double curve_value(const cv_result& r) noexcept { return r.mean; }
};

/// The step of icl::probe::ridge_curve_tracker: mean CV R² per layer, folds fixed at construction.
struct ridge_curve_step {
  using result_type = cv_result;
  static constexpr const char* add_layer_function = "icl::probe::ridge_curve_tracker::add_layer";

  std::vector<double> targets;
  ridge_params params;
  cv_params cv;
  std::vector<std::size_t> folds;

  ridge_curve_step(std::vector<double> t, const ridge_params& p, const cv_params& c)
      : targets(std::move(t)), params(p), cv(c) {
    constexpr const char* fn = "icl::probe::ridge_curve_tracker";
    check_ridge_params(fn, params);
    check_targets(fn, targets, targets.size(), "targets");
    folds = plain_folds(fn, targets.size(), cv);
  }

  template <class T>
  cv_result operator()(matrix_view<const T> H, std::size_t /*layer*/) const {
    constexpr const char* fn = add_layer_function;
    check_design(fn, H);
    if (H.rows() != targets.size()) {
      icl::detail::throw_invalid(fn, "H has ", H.rows(), " rows but targets has ", targets.size(), " entries");
    }
    icl::detail::require_finite(fn, "H", H);
    return cv_ridge(fn, H, targets, folds, cv.folds, params);
  }

  static double curve_value(const cv_result& r) noexcept { return r.mean; }
};

}  // namespace icl::probe::detail

#endif  // ICL_PROBE_DETAIL_CV_IMPL_HPP
