#ifndef ICL_MPI_PROBE_HPP
#define ICL_MPI_PROBE_HPP

/// Ridge and logistic probes with cross-validation over rows spread across MPI ranks: each
/// function equals its icl::probe counterpart on the rows of all ranks concatenated in rank
/// order, with the same folds (the labels or targets of all rows, n values, are gathered on
/// every rank; the activations never are) and the same result on every rank. The solvers are
/// the primal ones (the dual forms need the n x n Gram matrix): logistic by the same L-BFGS
/// iterates with every sum over rows all-reduced, ridge in closed form from per-fold sums; see
/// detail/probe_impl.hpp. Memory and bytes sent per rank: docs/scale.md.

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include <mpi.h>

#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/probe_impl.hpp"
#include "icl/mpi/detail/reduce.hpp"
#include "icl/probe/detail/folds_impl.hpp"
#include "icl/probe/detail/logistic_impl.hpp"
#include "icl/probe/detail/ridge_impl.hpp"
#include "icl/probe/types.hpp"

namespace icl::mpi {

/// Cross-validated accuracy of the logistic probe (stratified or plain folds as
/// icl::probe::make_folds(labels, cv) on the labels of all rows). Collective; any rank may hold
/// zero rows. Throws on every rank what icl::probe::cross_validate_logistic throws (labels not one
/// per row, fewer than two classes, a class with fewer members than folds, folds > n, NaN/Inf,
/// a fold whose training rows hold one class), a width that differs between ranks, and
/// solver = dual; messages name icl::mpi::cross_validate_logistic (and the rank for local errors).
template <class T>
icl::probe::cv_result cross_validate_logistic(MPI_Comm comm, matrix_view<const T> local_X,
                                              const std::vector<int>& local_labels,
                                              const icl::probe::logistic_params& p = {},
                                              const icl::probe::cv_params& cv = {}) {
  constexpr const char* fn = "icl::mpi::cross_validate_logistic";
  namespace pd = icl::probe::detail;
  const auto in = detail::check_probe_rows(comm, fn, local_X, local_labels, p);
  const auto enc = detail::gathered_labels(comm, fn, in, local_labels);
  const auto folds = cv.stratified ? pd::stratified_folds(fn, enc, cv) : pd::plain_folds(fn, enc.codes.size(), cv);
  return detail::cv_logistic(comm, fn, in, enc, folds, cv.folds, p);
}

/// Cross-validated accuracy of the logistic probe on explicit folds: local_fold_ids[i] is the
/// fold of this rank's row i (folds 0..F−1 over all ranks, each non-empty, F >= 2), as
/// icl::probe::cross_validate_logistic with fold_ids. Collective; errors as the single-process
/// function (fold ids checked over all ranks) and as the overload above.
template <class T>
icl::probe::cv_result cross_validate_logistic(MPI_Comm comm, matrix_view<const T> local_X,
                                              const std::vector<int>& local_labels,
                                              const icl::probe::logistic_params& p,
                                              const std::vector<std::size_t>& local_fold_ids) {
  constexpr const char* fn = "icl::mpi::cross_validate_logistic";
  const auto in = detail::check_probe_rows(comm, fn, local_X, local_labels, p);
  const auto enc = detail::gathered_labels(comm, fn, in, local_labels);
  const auto folds = detail::gathered_folds(comm, fn, in, local_fold_ids);
  return detail::cv_logistic(comm, fn, in, enc, folds, *std::max_element(folds.begin(), folds.end()) + 1, p);
}

/// Cross-validated R² of the ridge probe on explicit folds (local_fold_ids as above).
template <class T>
icl::probe::cv_result cross_validate_ridge(MPI_Comm comm, matrix_view<const T> local_X,
                                           const std::vector<double>& local_y, const icl::probe::ridge_params& p,
                                           const std::vector<std::size_t>& local_fold_ids) {
  constexpr const char* fn = "icl::mpi::cross_validate_ridge";
  const auto in = detail::check_probe_rows(comm, fn, local_X, local_y, p);
  detail::gather_targets(comm, fn, in, local_y);
  const auto folds = detail::gathered_folds(comm, fn, in, local_fold_ids);
  return detail::cv_ridge(comm, fn, in, local_y, folds, *std::max_element(folds.begin(), folds.end()) + 1, p);
}

/// Mean cross-validated accuracy of the logistic probe at every layer of H ([layers, n_r, d] on
/// each rank, any strides), as icl::probe::logistic_curve: folds fixed once (from the labels of
/// all rows), each layer's fold fits starting from the same fold of the previous layer.
/// `results`, when given, receives every layer's cv_result. Collective; errors as
/// cross_validate_logistic, naming icl::mpi::logistic_curve.
template <class T>
layer_curve logistic_curve(MPI_Comm comm, tensor_view<const T, 3> local_H, const std::vector<int>& local_labels,
                           const icl::probe::logistic_params& p = {}, const icl::probe::cv_params& cv = {},
                           std::vector<icl::probe::cv_result>* results = nullptr) {
  constexpr const char* fn = "icl::mpi::logistic_curve";
  namespace pd = icl::probe::detail;
  detail::collective_check(comm, [&] { icl::detail::check_layers(fn, "H", local_H); });
  std::size_t layers = local_H.extent(0);
  detail::check_same_value(comm, fn, "layers", layers);
  std::vector<detail::fold_fit> states;
  layer_curve curve;
  icl::detail::encoded_labels enc;
  std::vector<std::size_t> folds;
  for (std::size_t l = 0; l < layers; ++l) {
    const auto in = detail::check_probe_rows(comm, fn, local_H.matrix(l), local_labels, p);
    if (l == 0) {
      enc = detail::gathered_labels(comm, fn, in, local_labels);
      folds = cv.stratified ? pd::stratified_folds(fn, enc, cv) : pd::plain_folds(fn, enc.codes.size(), cv);
    }
    auto r = detail::cv_logistic(comm, fn, in, enc, folds, cv.folds, p, &states);
    curve.values.push_back(r.mean);
    if (results != nullptr) results->push_back(std::move(r));
  }
  return curve;
}

/// Cross-validated R² of the ridge probe (plain shuffled folds, icl::probe::make_folds(n, cv) over
/// all rows). Collective; any rank may hold zero rows. Throws on every rank what
/// icl::probe::cross_validate_ridge throws, a width that differs between ranks, and solver = dual.
template <class T>
icl::probe::cv_result cross_validate_ridge(MPI_Comm comm, matrix_view<const T> local_X,
                                           const std::vector<double>& local_y, const icl::probe::ridge_params& p = {},
                                           const icl::probe::cv_params& cv = {}) {
  constexpr const char* fn = "icl::mpi::cross_validate_ridge";
  namespace pd = icl::probe::detail;
  const auto in = detail::check_probe_rows(comm, fn, local_X, local_y, p);
  const auto folds = pd::plain_folds(fn, detail::gather_targets(comm, fn, in, local_y).size(), cv);
  return detail::cv_ridge(comm, fn, in, local_y, folds, cv.folds, p);
}

/// The logistic probe fitted on the rows of every rank (primal L-BFGS, the same iterates as
/// icl::probe::fit_logistic with the primal solver). The model is the same on every rank.
template <class T>
icl::probe::linear_model fit_logistic(MPI_Comm comm, matrix_view<const T> local_X, const std::vector<int>& local_labels,
                                      const icl::probe::logistic_params& p = {}) {
  constexpr const char* fn = "icl::mpi::fit_logistic";
  namespace pd = icl::probe::detail;
  using C = icl::detail::compute_t<T>;
  const auto in = detail::check_probe_rows(comm, fn, local_X, local_labels, p);
  const auto enc = detail::gathered_labels(comm, fn, in, local_labels);
  const std::size_t nr = local_X.rows(), d = local_X.cols(), k = enc.n_classes();
  std::vector<C> buffer;
  std::size_t ld = d;
  const C* rows = icl::detail::rows_as_compute<C>(local_X, 0, nr, buffer, ld);
  std::vector<std::size_t> all(nr), codes(nr);
  for (std::size_t r = 0; r < nr; ++r) {
    all[r] = r;
    codes[r] = enc.codes[in.first + r];
  }
  auto fit = detail::fit_logistic_rows<C>(comm, rows, ld, d, all, codes, k, pd::make_lbfgs_options(p),
                                          p.warm_start.coef, p.warm_start.intercept);
  icl::probe::linear_model model;
  model.n_outputs = k == 2 ? 1 : k;
  model.n_features = d;
  model.classes = enc.classes;
  model.coef = std::move(fit.v);
  model.intercept = std::move(fit.b);
  model.report = std::move(fit.report);
  return model;
}

/// The ridge probe fitted on the rows of every rank (primal closed form: the solution of
/// icl::probe::fit_ridge). The model is the same on every rank.
template <class T>
icl::probe::linear_model fit_ridge(MPI_Comm comm, matrix_view<const T> local_X, const std::vector<double>& local_y,
                                   const icl::probe::ridge_params& p = {}) {
  constexpr const char* fn = "icl::mpi::fit_ridge";
  namespace pd = icl::probe::detail;
  using C = icl::detail::compute_t<T>;
  const auto in = detail::check_probe_rows(comm, fn, local_X, local_y, p);
  detail::gather_targets(comm, fn, in, local_y);
  const std::vector<std::size_t> one_fold(in.part.total, 0);
  std::vector<C> centered;
  const auto s = detail::reduce_ridge_sums<C>(comm, in, local_y, one_fold, 1, p.fit_intercept, centered);
  return detail::ridge_from_sums(fn, s, 1, p.alpha, p.fit_intercept);
}

}  // namespace icl::mpi

#endif  // ICL_MPI_PROBE_HPP
