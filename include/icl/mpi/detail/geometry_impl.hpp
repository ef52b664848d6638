#ifndef ICL_MPI_DETAIL_GEOMETRY_IMPL_HPP
#define ICL_MPI_DETAIL_GEOMETRY_IMPL_HPP

/// The per-pair geometry of icl/mpi/geometry.hpp over rows shared out among ranks: the
/// single-process pair_measures (icl/geometry/detail/alignment_impl.hpp) run on each rank's rows
/// of the pair with ranks_rows, which adds its sums over the ranks (the projections' class
/// moments, the column sums, the lens hits), takes the largest |h·e| over the ranks, and forms
/// the pair's spectrum from the d x d covariance X̄ᵀX̄ summed over the ranks (each rank then has
/// the left singular vectors of its own rows); and the separability probe of a pair on the same
/// split as one process.

#include <cstddef>
#include <vector>

#include <mpi.h>

#include "icl/core/labels.hpp"
#include "icl/geometry/detail/alignment_impl.hpp"
#include "icl/geometry/detail/separability_impl.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "icl/geometry/types.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/probe_impl.hpp"
#include "icl/mpi/detail/reduce.hpp"

namespace icl::mpi::detail {

/// pair_measures' Rows over the ranks of comm.
struct ranks_rows {
  MPI_Comm comm = MPI_COMM_NULL;

  void sum(double* values, std::size_t count) const { allreduce_sum(comm, values, count); }

  double max(double v) const {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
    return v;
  }

  template <class C>
  icl::geometry::detail::spectrum spectrum_of(const std::vector<C>& xc, std::size_t n, std::size_t d,
                                              std::size_t top) const {
    namespace gd = icl::geometry::detail;
    std::vector<C> cov = n > 0 ? gd::spectrum_matrix(xc, n, d, false) : std::vector<C>(d * d, C(0));
    std::vector<C> packed;
    pack_upper(cov.data(), d, packed);
    allreduce_sum(comm, packed.data(), packed.size());
    unpack_upper(packed.data(), d, cov.data());
    return gd::spectrum_from_matrix(cov, false, xc, n, d, top);
  }
};

/// The separability of the pair (a, b) (pair_index-th pair): the split of one process over the
/// global rows, the probe fitted on this rank's training rows with every sum reduced, its test
/// hits summed over the ranks. Fills pair.separability, probe_iterations, probe_converged.
template <class C, class T>
void pair_separability(MPI_Comm comm, const char* fn, const C* rows, std::size_t ld, const probe_rows<T>& in,
                       const icl::detail::encoded_labels& enc, std::size_t pair_index,
                       const icl::geometry::separability_alignment_params& q, icl::geometry::pair_alignment& pair) {
  namespace gd = icl::geometry::detail;
  namespace pd = icl::probe::detail;
  const std::size_t nr = in.X.rows(), d = in.X.cols(), a = pair.class_a, b = pair.class_b;
  std::vector<std::size_t> train, test, local_train, local_test, codes;
  gd::pair_split(fn, gd::pair_rows(enc, a, b), enc, pair_index, nullptr, q, pair, train, test);
  for (std::size_t g : train)
    if (g >= in.first && g < in.first + nr) {
      local_train.push_back(g - in.first);
      codes.push_back(enc.codes[g] == b ? 1 : 0);
    }
  for (std::size_t g : test)
    if (g >= in.first && g < in.first + nr) local_test.push_back(g - in.first);
  const auto fit = fit_logistic_rows<C>(comm, rows, ld, d, local_train, codes, 2, pd::make_lbfgs_options(q.probe), {}, {});
  std::vector<double> z;
  pd::primal_logits(fit, rows, ld, d, local_test, 1, z);
  double hits = 0.0;
  for (std::size_t t = 0; t < local_test.size(); ++t) {
    hits += (pd::class_index(z.data() + t, 1) == 1 ? b : a) == enc.codes[in.first + local_test[t]] ? 1.0 : 0.0;
  }
  allreduce_sum(comm, &hits, 1);
  pair.separability = hits / static_cast<double>(test.size());
  pair.probe_iterations = fit.report.iterations;
  pair.probe_converged = fit.report.converged;
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_GEOMETRY_IMPL_HPP
