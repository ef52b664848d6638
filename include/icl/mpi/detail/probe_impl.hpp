#ifndef ICL_MPI_DETAIL_PROBE_IMPL_HPP
#define ICL_MPI_DETAIL_PROBE_IMPL_HPP

/// The distributed probes behind icl/mpi/probe.hpp. Rank r holds rows R_r (global indices
/// part.offsets[r] ...); the labels/targets of all rows are gathered on every rank (n values),
/// so every rank assigns the same folds as one process (make_folds on the global rows) and
/// knows the fold of each of its own rows.
///
/// Logistic (primal L-BFGS, icl/probe/detail/lbfgs_logistic.hpp): the iterate (W, b) lives on
/// every rank; the only sums over rows — the loss, the data part Rᵀ·X of the gradient with the
/// intercept's Σ R, and the line function and slope at each trial step — are all-reduced before
/// use (reduced_primal_ops::reduce), so every rank runs the same iterates as one process on the
/// concatenated rows, up to the order of the floating-point sums.
///
/// Ridge (primal, closed form): with x̃ = x − μ and ỹ = y − ȳ (global means, one reduction),
/// each rank sums per fold g over its rows: n_g, Σỹ, Σx̃ (d), Σx̃ỹ (d) in double and
/// S_g = Σx̃x̃ᵀ (upper triangle, compute type). The training set of fold f is every other fold:
///   X̄ᵀX̄ = Σ_{g≠f} S_g − s sᵀ / n_t,  X̄ᵀȳ = Σ_{g≠f} Σx̃ỹ − s·t / n_t   (s = Σx̃, t = Σỹ over g ≠ f),
/// w = (X̄ᵀX̄ + αI)⁻¹ X̄ᵀȳ (Cholesky, in double), b = ȳ_t − x̄_tᵀw. R² of fold f needs Σ(y − ŷ)²
/// and Σ(y − ȳ_f)² over its rows: one more reduction of 2F values.

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/view.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/reduce.hpp"
#include "icl/probe/detail/cv_impl.hpp"
#include "icl/probe/detail/folds_impl.hpp"
#include "icl/probe/detail/lbfgs_logistic.hpp"
#include "icl/probe/detail/logistic_impl.hpp"
#include "icl/probe/detail/ridge_impl.hpp"
#include "icl/probe/types.hpp"

namespace icl::mpi::detail {

namespace pd = icl::probe::detail;

/// primal_ops over this rank's rows whose sums over rows are all-reduced over `comm`.
template <class C>
struct reduced_primal_ops : pd::primal_ops<C> {
  MPI_Comm comm = MPI_COMM_NULL;
  void reduce(double* values, std::size_t count) const { allreduce_sum(comm, values, count); }
};

/// The local inputs after the collective checks: rows of this rank, its global offset and the
/// row partition.
template <class T>
struct probe_rows {
  matrix_view<const T> X;
  row_partition part;
  std::size_t first = 0;
};

/// The dual solvers need the n x n Gram matrix: refused over MPI (automatic runs the primal one).
inline void check_primal(const char* fn, bool dual_requested) {
  if (dual_requested) {
    icl::detail::throw_invalid(fn, "the dual solver needs the n x n Gram matrix of all rows: over MPI use "
                                   "automatic or primal");
  }
}

inline void check_probe_params(const char* fn, const icl::probe::logistic_params& p) {
  pd::check_logistic_params(fn, p);
  check_primal(fn, p.solver == icl::probe::logistic_solver::dual);
}

inline void check_probe_params(const char* fn, const icl::probe::ridge_params& p) {
  pd::check_ridge_params(fn, p);
  check_primal(fn, p.solver == icl::probe::ridge_solver::dual);
}

/// The collective checks of the functions over labelled rows, made first: X a valid matrix
/// with columns on every rank, one label (int) or target (double) per local row, the local
/// checks of `extra` (the options), the same width on every rank, at least one row overall,
/// no NaN/Inf. `data` names X in the messages. Returns the partition and the offset.
template <class T, class V, class Extra>
probe_rows<T> check_labelled_rows(MPI_Comm comm, const char* fn, matrix_view<const T> X, const std::vector<V>& y,
                                  const char* data, Extra&& extra) {
  collective_check(comm, [&] {
    icl::detail::check_matrix(fn, data, X);
    if (X.cols() == 0) icl::detail::throw_invalid(fn, data, " has no columns (", X.rows(), " x 0)");
    if (y.size() != X.rows()) {
      icl::detail::throw_invalid(fn, std::is_same_v<V, int> ? "labels" : "y", " has ", y.size(), " entries but ", data,
                                 " has ", X.rows(), " rows");
    }
    extra();
  });
  check_same_width(comm, fn, X.cols());
  probe_rows<T> out{X, partition_rows(comm, X.rows()), 0};
  if (out.part.total == 0) icl::detail::throw_invalid(fn, data, " is empty (0 rows on every rank)");
  out.first = out.part.offsets[static_cast<std::size_t>(rank_of(comm))];
  check_finite(comm, fn, X, out.first);
  return out;
}

/// check_labelled_rows for the probes (X, their options).
template <class T, class V, class Params>
probe_rows<T> check_probe_rows(MPI_Comm comm, const char* fn, matrix_view<const T> X, const std::vector<V>& y,
                               const Params& p) {
  return check_labelled_rows(comm, fn, X, y, "X", [&] { check_probe_params(fn, p); });
}

/// The labels of all rows (gathered in rank order), encoded as one process encodes them (at
/// least two classes).
template <class T>
icl::detail::encoded_labels gathered_labels(MPI_Comm comm, const char* fn, const probe_rows<T>& in,
                                            const std::vector<int>& local_labels) {
  const auto labels = allgather_rows(comm, in.part, local_labels.data());
  return icl::detail::encode_labels(fn, labels, labels.size(), 2);
}

/// The targets of all rows (gathered in rank order), checked as one process checks them (one
/// finite value per row, errors naming the global index).
template <class T>
std::vector<double> gather_targets(MPI_Comm comm, const char* fn, const probe_rows<T>& in,
                                   const std::vector<double>& local_y) {
  auto y = allgather_rows(comm, in.part, local_y.data());
  pd::check_targets(fn, y, y.size());
  return y;
}

/// The fold ids of all rows (each rank's local_fold_ids, one per local row, gathered in rank
/// order), checked as one process checks explicit folds; a rank whose count is wrong is named.
template <class T>
std::vector<std::size_t> gathered_folds(MPI_Comm comm, const char* fn, const probe_rows<T>& in,
                                        const std::vector<std::size_t>& local_fold_ids) {
  collective_check(comm, [&] {
    if (local_fold_ids.size() != in.X.rows()) {
      icl::detail::throw_invalid(fn, "fold_ids has ", local_fold_ids.size(), " entries but X has ", in.X.rows(), " rows");
    }
  });
  auto folds = allgather_rows(comm, in.part, local_fold_ids.data());
  pd::check_fold_ids(fn, folds, folds.size());
  return folds;
}

/// Local rows whose global fold (fold[first + r]) is, or is not, f.
inline void split_local(const std::vector<std::size_t>& fold, std::size_t first, std::size_t rows, std::size_t f,
                        std::vector<std::size_t>& train, std::vector<std::size_t>& test) {
  train.clear();
  test.clear();
  for (std::size_t r = 0; r < rows; ++r) (fold[first + r] == f ? test : train).push_back(r);
}

/// A primal logistic fit on the local rows `train` (codes: their class indices among k classes),
/// with every sum reduced over comm.
template <class C>
pd::raw_fit fit_logistic_rows(MPI_Comm comm, const C* rows, std::size_t ld, std::size_t d,
                              const std::vector<std::size_t>& train, const std::vector<std::size_t>& codes,
                              std::size_t k, const pd::lbfgs_options& opt, const std::vector<double>& w0,
                              const std::vector<double>& b0) {
  std::vector<C> block(train.size() * d);
  for (std::size_t j = 0; j < train.size(); ++j) std::copy(rows + train[j] * ld, rows + train[j] * ld + d, block.data() + j * d);
  reduced_primal_ops<C> ops;
  ops.X = block.data();
  ops.n = train.size();
  ops.d = d;
  ops.ld = d;
  ops.comm = comm;
  return pd::fit_with(ops, codes, k, opt, w0, b0, icl::probe::fit_method::logistic_primal);
}

/// A fold's fit kept to warm-start the same fold of the next layer (as icl::probe's curve
/// trackers do): the fit and its number of outputs.
struct fold_fit {
  pd::raw_fit fit;
  std::size_t outputs = 0;
};

/// Cross-validated accuracy on the global folds `fold` (F folds), enc the global labels. Fold f
/// starts from the same fold of `states` (a previous layer's fits, when given and of the same
/// outputs; every fold's training rows are the same across layers) or else from fold f − 1, as
/// one process; `states` receives this call's fits.
template <class T>
icl::probe::cv_result cv_logistic(MPI_Comm comm, const char* fn, const probe_rows<T>& in,
                                  const icl::detail::encoded_labels& enc, const std::vector<std::size_t>& fold,
                                  std::size_t F, const icl::probe::logistic_params& p,
                                  std::vector<fold_fit>* states = nullptr) {
  using C = icl::detail::compute_t<T>;
  const std::size_t n = enc.codes.size(), nr = in.X.rows(), d = in.X.cols();
  std::vector<C> buffer;
  std::size_t ld = d;
  const C* rows = icl::detail::rows_as_compute<C>(in.X, 0, nr, buffer, ld);
  const auto opt = pd::make_lbfgs_options(p);
  icl::probe::cv_result result;
  std::vector<double> hits(F, 0.0), z;
  std::vector<std::size_t> fold_size(F, 0), train, test;
  for (std::size_t v : fold) ++fold_size[v];
  const bool have_states = states != nullptr && states->size() == F;
  std::vector<fold_fit> fits(F);
  for (std::size_t f = 0; f < F; ++f) {
    std::vector<std::size_t> global_train;
    for (std::size_t i = 0; i < n; ++i)
      if (fold[i] != f) global_train.push_back(i);
    const pd::fold_classes classes = pd::training_classes(fn, enc, global_train, f);
    const std::size_t k = classes.present.size(), m = k == 2 ? 1 : k;
    split_local(fold, in.first, nr, f, train, test);
    std::vector<std::size_t> codes(train.size());
    for (std::size_t j = 0; j < train.size(); ++j) codes[j] = classes.local[enc.codes[in.first + train[j]]];
    const fold_fit* warm = have_states && (*states)[f].outputs == m ? &(*states)[f] : f > 0 ? &fits[f - 1] : nullptr;
    if (warm != nullptr && warm->outputs != m) warm = nullptr;
    auto fit = fit_logistic_rows<C>(comm, rows, ld, d, train, codes, k, opt,
                                    warm ? warm->fit.v : std::vector<double>{}, warm ? warm->fit.b : std::vector<double>{});
    pd::primal_logits(fit, rows, ld, d, test, m, z);
    for (std::size_t t = 0; t < test.size(); ++t) {
      hits[f] += classes.present[pd::class_index(z.data() + t * m, m)] == enc.codes[in.first + test[t]] ? 1.0 : 0.0;
    }
    result.fold_reports.push_back(fit.report);
    fits[f] = {std::move(fit), m};
  }
  if (states != nullptr) *states = std::move(fits);
  allreduce_sum(comm, hits.data(), F);
  for (std::size_t f = 0; f < F; ++f) result.fold_scores.push_back(hits[f] / static_cast<double>(fold_size[f]));
  pd::summarize(result);
  return result;
}

/// Per-fold sums of the ridge probe on this rank's rows (see the file comment), all-reduced.
template <class C>
struct ridge_sums {
  std::size_t F = 0, d = 0;
  std::vector<C> gram;         ///< F packed upper triangles of S_g
  std::vector<double> moments; ///< per fold: n_g, Σỹ, Σx̃ (d), Σx̃ỹ (d)
  std::vector<double> mu;      ///< global column means (zero without intercept)
  double ybar = 0.0;           ///< global target mean (zero without intercept)

  std::size_t stride() const { return 2 + 2 * d; }
  double* moment(std::size_t g) { return moments.data() + g * stride(); }
  const double* moment(std::size_t g) const { return moments.data() + g * stride(); }
};

/// Global means, then the per-fold sums of the local rows (fold of local row r: fold[first + r]).
template <class C, class T>
ridge_sums<C> reduce_ridge_sums(MPI_Comm comm, const probe_rows<T>& in, const std::vector<double>& y,
                                const std::vector<std::size_t>& fold, std::size_t F, bool center,
                                std::vector<C>& centered) {
  const std::size_t nr = in.X.rows(), d = in.X.cols(), n = in.part.total;
  ridge_sums<C> s;
  s.F = F;
  s.d = d;
  s.mu.assign(d + 1, 0.0);
  if (center) {
    for (std::size_t i = 0; i < nr; ++i) {
      for (std::size_t j = 0; j < d; ++j) s.mu[j] += icl::detail::to_double(in.X(i, j));
      s.mu[d] += y[i];
    }
    allreduce_sum(comm, s.mu.data(), d + 1);
    for (double& v : s.mu) v /= static_cast<double>(n);
  }
  s.ybar = s.mu[d];
  s.mu.resize(d);
  centered = pd::centered_rows<C>(in.X, s.mu);
  s.moments.assign(F * s.stride(), 0.0);
  s.gram.reserve(F * d * (d + 1) / 2);
  std::vector<C> block;
  for (std::size_t g = 0; g < F; ++g) {
    block.clear();
    double* mg = s.moment(g);
    for (std::size_t r = 0; r < nr; ++r) {
      if (fold[in.first + r] != g) continue;
      const C* x = centered.data() + r * d;
      const double yt = y[r] - s.ybar;
      mg[0] += 1.0;
      mg[1] += yt;
      for (std::size_t j = 0; j < d; ++j) {
        mg[2 + j] += static_cast<double>(x[j]);
        mg[2 + d + j] += static_cast<double>(x[j]) * yt;
      }
      block.insert(block.end(), x, x + d);
    }
    using cmatrix = Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const cmatrix> B(block.data(), static_cast<Eigen::Index>(block.size() / d), static_cast<Eigen::Index>(d));
    const cmatrix S = B.transpose() * B;
    pack_upper(S.data(), d, s.gram);
  }
  allreduce_sum(comm, s.gram.data(), s.gram.size());
  allreduce_sum(comm, s.moments.data(), s.moments.size());
  return s;
}

/// The ridge model trained on every fold but `held_out` (F: none held out) from the reduced sums.
template <class C>
icl::probe::linear_model ridge_from_sums(const char* fn, const ridge_sums<C>& s, std::size_t held_out, double alpha,
                                         bool center) {
  const std::size_t d = s.d;
  const auto D = static_cast<Eigen::Index>(d);
  pd::dmat A = pd::dmat::Zero(D, D);
  Eigen::VectorXd sx = Eigen::VectorXd::Zero(D), sxy = Eigen::VectorXd::Zero(D);
  double nt = 0.0, sy = 0.0;
  std::vector<double> upper(d * d, 0.0);
  for (std::size_t g = 0; g < s.F; ++g) {
    if (g == held_out) continue;
    unpack_upper(s.gram.data() + g * d * (d + 1) / 2, d, upper.data());
    const double* mg = s.moment(g);
    nt += mg[0];
    sy += mg[1];
    for (std::size_t i = 0; i < d; ++i) {
      const auto I = static_cast<Eigen::Index>(i);
      sx[I] += mg[2 + i];
      sxy[I] += mg[2 + d + i];
      for (std::size_t j = i; j < d; ++j) A(I, static_cast<Eigen::Index>(j)) += upper[i * d + j];
    }
  }
  A.template triangularView<Eigen::StrictlyLower>() = A.transpose();
  if (center) {
    A.noalias() -= sx * sx.transpose() / nt;
    sxy -= sx * (sy / nt);
  }
  const Eigen::VectorXd w = pd::solve_shifted(fn, std::move(A), alpha, sxy);
  icl::probe::linear_model m;
  m.n_outputs = 1;
  m.n_features = d;
  m.coef.assign(w.data(), w.data() + D);
  double b = center ? s.ybar + sy / nt : 0.0;
  if (center)
    for (std::size_t j = 0; j < d; ++j) b -= (s.mu[j] + sx[static_cast<Eigen::Index>(j)] / nt) * m.coef[j];
  m.intercept = {b};
  m.report.method = icl::probe::fit_method::ridge_primal;
  m.report.converged = true;
  m.report.message = "closed form";
  return m;
}

/// Cross-validated R² of the ridge probe on the global folds `fold` (F folds).
template <class T>
icl::probe::cv_result cv_ridge(MPI_Comm comm, const char* fn, const probe_rows<T>& in, const std::vector<double>& y,
                               const std::vector<std::size_t>& fold, std::size_t F, const icl::probe::ridge_params& p) {
  using C = icl::detail::compute_t<T>;
  std::vector<C> centered;
  const auto s = reduce_ridge_sums<C>(comm, in, y, fold, F, p.fit_intercept, centered);
  const std::size_t nr = in.X.rows(), d = in.X.cols();
  std::vector<double> ss(2 * F, 0.0);  // per fold: Σ(y − ŷ)², Σ(y − ȳ_f)²
  icl::probe::cv_result result;
  for (std::size_t f = 0; f < F; ++f) {
    const auto m = ridge_from_sums(fn, s, f, p.alpha, p.fit_intercept);
    const double* mf = s.moment(f);
    const double mean_f = mf[0] > 0.0 ? s.ybar + mf[1] / mf[0] : 0.0;
    for (std::size_t r = 0; r < nr; ++r) {
      if (fold[in.first + r] != f) continue;
      double yhat = m.intercept[0];
      for (std::size_t j = 0; j < d; ++j) yhat += m.coef[j] * icl::detail::to_double(in.X(r, j));
      ss[2 * f] += (y[r] - yhat) * (y[r] - yhat);
      ss[2 * f + 1] += (y[r] - mean_f) * (y[r] - mean_f);
    }
    result.fold_reports.push_back(m.report);
  }
  allreduce_sum(comm, ss.data(), ss.size());
  for (std::size_t f = 0; f < F; ++f) {
    result.fold_scores.push_back(
        pd::r2_from_sums(static_cast<std::size_t>(s.moment(f)[0]), ss[2 * f], ss[2 * f + 1]));
  }
  pd::summarize(result);
  return result;
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_PROBE_IMPL_HPP
