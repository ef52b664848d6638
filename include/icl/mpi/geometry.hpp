#ifndef ICL_MPI_GEOMETRY_HPP
#define ICL_MPI_GEOMETRY_HPP

/// Hidden-state geometry over rows spread across MPI ranks (rows = prompts), equal to the
/// icl::geometry functions on the rows of all ranks concatenated in rank order, the same on
/// every rank:
///   - effective_dimension: (tr X̄ᵀX̄)² / ‖X̄ᵀX̄‖_F² from the d x d covariance summed over ranks
///     after one reduction of the column sums (detail/cka_impl.hpp, with no second matrix);
///   - directional_separability: per-rank counts of correctly signed projections, summed;
///   - separability: per label pair the same stratified split as one process (the labels of all
///     rows are gathered; the split is drawn on the global rows), the pair's logistic probe
///     fitted by the distributed primal L-BFGS (every sum over rows reduced, as icl::mpi::
///     fit_logistic), and its test hits summed over ranks;
///   - separability_alignment: every measure, each pair's sums reduced and finished by the
///     single-process code (detail/geometry_impl.hpp).
/// Per rank: memory d² compute-type values (effective dimension) or the probe's m·d doubles
/// plus its own rows; bytes sent in docs/scale.md.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <mpi.h>

#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/alignment.hpp"
#include "icl/geometry/detail/alignment_checks.hpp"
#include "icl/geometry/detail/alignment_impl.hpp"
#include "icl/geometry/detail/separability_impl.hpp"
#include "icl/geometry/types.hpp"
#include "icl/mpi/detail/cka_impl.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/geometry_impl.hpp"
#include "icl/mpi/detail/probe_impl.hpp"
#include "icl/mpi/detail/reduce.hpp"

namespace icl::mpi {

/// The participation ratio of the singular values of H̄ over the rows of every rank. Collective;
/// any rank may hold zero rows. Throws on every rank when n < 2 overall, the width differs
/// between ranks or is 0, H holds NaN/Inf (naming the global row and the rank), or H̄ is zero.
template <class T>
double effective_dimension(MPI_Comm comm, matrix_view<const T> local_H) {
  const char* fn = "icl::mpi::effective_dimension";
  detail::collective_check(comm, [&] { icl::detail::check_matrix(fn, "H", local_H); });
  detail::check_same_width(comm, fn, local_H.cols());
  const auto part = detail::partition_rows(comm, local_H.rows());
  if (part.total < 2 || local_H.cols() == 0) {
    icl::detail::throw_invalid(fn, "need n >= 2 rows and d >= 1 columns, got ", part.total, " x ", local_H.cols());
  }
  detail::check_finite(comm, fn, local_H, part.offsets[static_cast<std::size_t>(detail::rank_of(comm))]);
  using C = icl::detail::compute_t<T>;
  const auto none = make_matrix_view(local_H.data(), local_H.rows(), 0, local_H.row_stride(), local_H.col_stride());
  const auto t = detail::reduce_cka_terms<C>(comm, local_H, none, part.total);
  if (!(t.tk > 0.0)) {
    icl::detail::throw_invalid(fn, "H has zero variance (every row equal): the effective dimension is undefined");
  }
  return t.tk * t.tk / t.kk;
}

/// Directional separability S(u) of a two-class H over the rows of every rank (u the same on
/// every rank). Collective. Throws on every rank what icl::geometry::directional_separability
/// throws (labels not one per row or not exactly two classes over all ranks, u of the wrong
/// length, NaN/Inf) and a width that differs between ranks.
template <class T>
double directional_separability(MPI_Comm comm, matrix_view<const T> local_H, const std::vector<int>& local_labels,
                                const std::vector<double>& u) {
  const char* fn = "icl::mpi::directional_separability";
  const auto in = detail::check_labelled_rows(comm, fn, local_H, local_labels, "H", [&] {
    if (u.size() != local_H.cols()) icl::detail::throw_invalid(fn, "u has ", u.size(), " entries but H has d = ", local_H.cols());
    icl::detail::require_finite(fn, "u", make_matrix_view(u.data(), 1, u.size()));
  });
  const auto enc = detail::gathered_labels(comm, fn, in, local_labels);
  if (enc.n_classes() != 2) icl::detail::throw_invalid(fn, "labels hold ", enc.n_classes(), " classes, need exactly 2");
  double correct = 0.0;
  for (std::size_t i = 0; i < local_H.rows(); ++i) {
    double acc = 0.0;
    for (std::size_t j = 0; j < local_H.cols(); ++j) acc += icl::detail::to_double(local_H(i, j)) * u[j];
    correct += enc.codes[in.first + i] == 0 ? (acc >= 0.0 ? 1.0 : 0.0) : (acc < 0.0 ? 1.0 : 0.0);
  }
  detail::allreduce_sum(comm, &correct, 1);
  return correct / static_cast<double>(in.part.total);
}

/// Separability (docs/metrics.md section 4) over the rows of every rank: per label pair a
/// logistic probe (params.probe; the primal solver) fitted on the same stratified random split
/// as icl::geometry::separability, its test accuracy averaged over pairs. Collective. Throws on
/// every rank what icl::geometry::separability throws, a width that differs between ranks, and
/// params.probe.solver = dual.
template <class T>
icl::geometry::alignment_result separability(MPI_Comm comm, matrix_view<const T> local_H,
                                             const std::vector<int>& local_labels,
                                             const icl::geometry::separability_alignment_params& params = {}) {
  const char* fn = "icl::mpi::separability";
  namespace gd = icl::geometry::detail;
  icl::geometry::separability_alignment_params q = params;
  q.separability = true;
  const auto in = detail::check_labelled_rows(comm, fn, local_H, local_labels, "H", [&] {
    gd::check_params(fn, q, local_H.cols());
    detail::check_probe_params(fn, q.probe);
  });
  const auto enc = detail::gathered_labels(comm, fn, in, local_labels);
  using C = icl::detail::compute_t<T>;
  std::vector<C> buffer;
  std::size_t ld = local_H.cols();
  const C* rows = icl::detail::rows_as_compute<C>(local_H, 0, local_H.rows(), buffer, ld);
  icl::geometry::alignment_result out;
  out.classes = enc.classes;
  out.has_separability = true;
  double sum = 0.0;
  for (std::size_t a = 0; a < enc.n_classes(); ++a) {
    for (std::size_t b = a + 1; b < enc.n_classes(); ++b) {
      icl::geometry::pair_alignment pair = gd::pair_header(enc, a, b);
      detail::pair_separability<C>(comm, fn, rows, ld, in, enc, out.pairs.size(), q, pair);
      sum += pair.separability;
      out.pairs.push_back(pair);
    }
  }
  out.separability = sum / static_cast<double>(out.pairs.size());
  return out;
}

/// Every measure of icl::geometry::separability_alignment (docs/metrics.md section 4, averaged
/// over label pairs) over the rows of every rank; label_directions (the same on every rank) as
/// there. Per pair, the class moments of h·e, the column sums and the d x d covariance are summed
/// over the ranks and handed to the single-process code (the spectrum from the covariance: its
/// eigenpairs equal the Gram route's that one process takes when the pair has n <= d rows, to
/// rounding); the logit-lens hits are summed; separability as icl::mpi::separability. Collective.
/// Throws on every rank what icl::geometry::separability_alignment throws, a width that differs
/// between ranks, and params.probe.solver = dual.
template <class T, class U>
icl::geometry::alignment_result separability_alignment(MPI_Comm comm, matrix_view<const T> local_H,
                                                       const std::vector<int>& local_labels,
                                                       matrix_view<const U> label_directions,
                                                       const icl::geometry::separability_alignment_params& params = {}) {
  const char* fn = "icl::mpi::separability_alignment";
  namespace gd = icl::geometry::detail;
  const auto in = detail::check_labelled_rows(comm, fn, local_H, local_labels, "H", [&] {
    icl::detail::check_matrix(fn, "label_directions", label_directions);
    gd::check_params(fn, params, local_H.cols());
    if (params.separability) detail::check_probe_params(fn, params.probe);
    icl::detail::require_finite(fn, "label_directions", label_directions);
  });
  const auto enc = detail::gathered_labels(comm, fn, in, local_labels);
  const std::size_t nr = local_H.rows(), d = local_H.cols(), m = enc.n_classes();
  gd::check_label_directions(fn, label_directions, m, d, params);
  using C = icl::detail::compute_t<T>;
  std::vector<C> buffer;
  std::size_t ld = d;
  const C* rows = icl::detail::rows_as_compute<C>(local_H, 0, nr, buffer, ld);
  const auto dirs = gd::read_directions<C>(label_directions, m, params);
  const auto norm = gd::make_norm(params);
  const std::vector<C> g_all = gd::normalized_block<C>(nr, d, norm, [&](std::size_t i, double* h) {
    for (std::size_t j = 0; j < d; ++j) h[j] = static_cast<double>(rows[i * ld + j]);
  });
  const auto best = gd::argmax_logits<C>(g_all.data(), nr, d, dirs.candidates, dirs.k, dirs.ld);
  icl::detail::encoded_labels local = enc;  // this rank's codes, the classes and counts of all ranks
  local.codes.assign(enc.codes.begin() + static_cast<std::ptrdiff_t>(in.first),
                     enc.codes.begin() + static_cast<std::ptrdiff_t>(in.first + nr));
  double hits = 0.0;
  for (std::size_t i = 0; i < nr; ++i) hits += best[i] == dirs.target(local.codes[i]) ? 1.0 : 0.0;
  detail::allreduce_sum(comm, &hits, 1);
  icl::geometry::alignment_result out;
  out.classes = enc.classes;
  out.has_separability = params.separability;
  out.output_alignment_all_classes = hits / static_cast<double>(in.part.total);
  const detail::ranks_rows ranks{comm};
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = a + 1; b < m; ++b) {
      std::vector<std::size_t> idx;
      for (std::size_t i = 0; i < nr; ++i)
        if (local.codes[i] == a || local.codes[i] == b) idx.push_back(i);
      out.pairs.push_back(gd::pair_measures<C>(fn, rows, ld, idx, local, a, b, dirs, norm, g_all.data(), d, best, params, ranks));
      if (params.separability) {
        detail::pair_separability<C>(comm, fn, rows, ld, in, enc, out.pairs.size() - 1, params, out.pairs.back());
      }
    }
  }
  gd::average_pairs(out);
  return out;
}

}  // namespace icl::mpi

#endif  // ICL_MPI_GEOMETRY_HPP
