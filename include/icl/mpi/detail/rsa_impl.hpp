#ifndef ICL_MPI_DETAIL_RSA_IMPL_HPP
#define ICL_MPI_DETAIL_RSA_IMPL_HPP

/// Bodies of the functions of icl/mpi/rsa.hpp; not a public header.

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/rdm_impl.hpp"
#include "icl/mpi/detail/ring.hpp"
#include "icl/mpi/types.hpp"
#include "icl/rsa/detail/compare_impl.hpp"
#include "icl/rsa/detail/inference_impl.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::mpi::detail {

/// compare() of two RDMs whole on every rank: the CPU comparison on each rank, its checks agreed
/// on collectively.
inline double compare(const char* fn, MPI_Comm comm, const rsa::rdm& a, const rsa::rdm& b, rsa::comparison c,
                      const rsa::compare_params& params) {
  double statistic = 0.0;
  collective_check(comm, [&] { statistic = rsa::detail::compare_rdms(fn, a, b, c, params); });
  return statistic;
}

/// compare() of a distributed RDM a with an RDM b whole on every rank. Pearson and cosine are
/// sums over positions: each rank sums over its own values (two passes for pearson: the means,
/// then the centred products), MPI_Allreduce adds them. Every other comparison, and any input
/// where the sums would not give the single-process outcome (a NaN/Inf value, a zero spread or
/// norm, sizes that differ, n < 3), gathers a whole on every rank and compares as one process
/// (its checks and messages).
inline double compare(const char* fn, MPI_Comm comm, const distributed_rdm& a, const rsa::rdm& b, rsa::comparison c,
                      const rsa::compare_params& params) {
  const auto whole = [&] { return compare(fn, comm, allgather_rdm(fn, comm, a), b, c, params); };
  const bool by_sums = (c == rsa::comparison::pearson || c == rsa::comparison::cosine) && a.n() == b.n() &&
                       b.size() == a.size() && a.n() >= 3;
  if (!on_every_rank(comm, by_sums)) return whole();
  const std::vector<condensed_run>& runs = a.local_runs();
  const double* va = a.local_values().data();
  const double* vb = b.condensed().data();
  // Applies f(a value, b value) to this rank's positions.
  const auto for_each_pair = [&](auto&& f) {
    for (std::size_t r = 0, k = 0; r < runs.size(); ++r) {
      for (std::size_t j = 0; j < runs[r].length; ++j, ++k) f(va[k], vb[runs[r].first + j]);
    }
  };
  const auto m = static_cast<double>(a.size());
  // sums[0..1]: Σa, Σb (pearson) or unused; sums[2]: 1 where a value is not finite.
  double sums[3] = {0.0, 0.0, 0.0};
  for_each_pair([&](double x, double y) {
    sums[0] += x;
    sums[1] += y;
    if (!std::isfinite(x) || !std::isfinite(y)) sums[2] = 1.0;
  });
  allreduce_sum(comm, sums, 3);
  if (sums[2] != 0.0) return whole();
  const double mean_a = c == rsa::comparison::pearson ? sums[0] / m : 0.0;
  const double mean_b = c == rsa::comparison::pearson ? sums[1] / m : 0.0;
  double products[3] = {0.0, 0.0, 0.0};  // Σ(a − ā)², Σ(b − b̄)², Σ(a − ā)(b − b̄)
  for_each_pair([&](double x, double y) {
    products[0] += (x - mean_a) * (x - mean_a);
    products[1] += (y - mean_b) * (y - mean_b);
    products[2] += (x - mean_a) * (y - mean_b);
  });
  allreduce_sum(comm, products, 3);
  const double denominator = std::sqrt(products[0]) * std::sqrt(products[1]);
  if (!(denominator > 0.0) || !std::isfinite(denominator)) return whole();
  return rsa::detail::clamp_unit(products[2] / denominator);
}

/// permutation_test with the permutations shared out: rank r evaluates permutations
/// k ∈ [N·r/p, N·(r+1)/p), each drawn as one process draws it (counter_rng(seed, k)); the
/// extreme counts are summed, so the p-value is the single-process one.
inline rsa::permutation_result permutation_test(const char* fn, MPI_Comm comm, const rsa::rdm& a, const rsa::rdm& b,
                                                rsa::comparison c, const rsa::permutation_params& params) {
  rsa::permutation_result result{0.0, 0.0, 0, {}};
  collective_check(comm, [&] { result = rsa::detail::permutation_observed(fn, a, b, c, params); });
  // NaN (nan_policy::propagate) on one rank is NaN on all when every rank passed the same RDMs.
  if (!on_every_rank(comm, !std::isnan(result.statistic))) {
    result.statistic = result.p_value = std::numeric_limits<double>::quiet_NaN();
    return result;
  }
  const std::size_t count = params.permutations;
  const auto rank = static_cast<std::size_t>(rank_of(comm)), p = static_cast<std::size_t>(size_of(comm));
  // count·r/p without overflow: count < 2^64 / p is not guaranteed, so in long double.
  const auto split = [&](std::size_t r) {
    return static_cast<std::size_t>(static_cast<long double>(count) * static_cast<long double>(r) /
                                    static_cast<long double>(p));
  };
  const std::size_t begin = split(rank), end = rank + 1 == p ? count : split(rank + 1);
  std::vector<double> null(params.keep_null ? end - begin : 0);
  unsigned long long extreme = 0;
  collective_check(comm, [&] {
    const rsa::detail::permutation_kernel kernel(a, b, c);
    extreme = rsa::detail::count_extreme_permutations(fn, kernel, a.n(), result.statistic, params, begin, end,
                                                      params.keep_null ? null.data() : nullptr);
  });
  allreduce_sum(comm, &extreme, 1);
  result.p_value = static_cast<double>(1 + extreme) / static_cast<double>(1 + count);
  if (params.keep_null) {
    std::vector<int> counts(p), displs(p);
    for (std::size_t r = 0; r < p; ++r) {
      const std::size_t first = split(r), last = r + 1 == p ? count : split(r + 1);
      counts[r] = int_count(last - first, "MPI_Allgatherv");
      displs[r] = int_count(first, "MPI_Allgatherv");
    }
    result.null_distribution.resize(count);
    check_mpi(MPI_Allgatherv(null.data(), counts[rank], MPI_DOUBLE, result.null_distribution.data(), counts.data(),
                             displs.data(), MPI_DOUBLE, comm),
              "MPI_Allgatherv");
  }
  return result;
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_RSA_IMPL_HPP
