#ifndef ICL_MPI_DETAIL_RSA_IMPL_HPP
#define ICL_MPI_DETAIL_RSA_IMPL_HPP

/// Bodies of the functions of icl/mpi/rsa.hpp; not a public header.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <limits>
#include <optional>
#include <vector>

#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
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

/// The permutations k ∈ [begin, end) of this rank when some rank has a should_stop hook
/// (counts: every rank's number of permutations, N in all). Every rank runs the same number of
/// rounds, ⌈max_r counts[r] / batch⌉ (batch: the same on every rank), each a batch of up to
/// `batch` of its permutations (none once its own are done). Before each round every rank asks
/// its own hook (a rank without one: false), and one MPI_Allreduce (MPI_MAX of two ints: the
/// lowest rank whose hook said true, and whether some rank failed) tells every rank the outcome:
///   - a hook that threw, or a batch that threw in the round before: every rank throws that
///     exception as collective_check does (icl::error or icl::invalid_argument with the lowest
///     failing rank's message and " (rank R)");
///   - a hook that said true: every rank throws icl::error "<fn>: interrupted after k of N
///     permutations (rank R)", k the permutations all ranks had evaluated (Σ_r min(counts[r],
///     round·batch)), R the lowest rank whose hook said true.
/// So every rank stops at the same boundary, whichever ranks' hooks fire, and none is left in a
/// collective. A last agreement after the rounds covers a failure in the last batch.
inline unsigned long long count_extreme_with_hook(const char* fn, MPI_Comm comm,
                                                  const rsa::detail::permutation_kernel& kernel, std::size_t n,
                                                  double observed, const rsa::permutation_params& params,
                                                  const std::vector<std::size_t>& counts, std::size_t begin,
                                                  std::size_t batch, double* null) {
  const int rank = rank_of(comm), p = size_of(comm);
  const std::size_t mine = counts[static_cast<std::size_t>(rank)];
  std::size_t most = 0, count = 0;
  for (const std::size_t k : counts) {
    most = std::max(most, k);
    count += k;
  }
  const std::size_t rounds = (most + batch - 1) / batch;
  rsa::permutation_params plain = params;  // each batch in one parallel loop
  plain.should_stop = {};
  std::exception_ptr failure;
  const auto agree_on_failure = [&] {
    collective_check(comm, [&] {
      if (failure) std::rethrow_exception(failure);
    });
  };
  unsigned long long extreme = 0;
  for (std::size_t round = 0; round < rounds; ++round) {
    bool stop = false;
    if (!failure && params.should_stop) {
      try {
        stop = params.should_stop();
      } catch (...) {
        failure = std::current_exception();
      }
    }
    int flags[2] = {stop ? p - rank : 0, failure ? 1 : 0};
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
    if (flags[1] != 0) agree_on_failure();
    if (flags[0] != 0) {
      std::size_t done = 0;
      for (const std::size_t k : counts) done += std::min(k, round * batch);
      icl::detail::throw_error(fn, "interrupted after ", done, " of ", count, " permutations (rank ", p - flags[0],
                               ")");
    }
    const std::size_t first = std::min(mine, round * batch), last = std::min(mine, (round + 1) * batch);
    if (first == last) continue;
    try {
      extreme += rsa::detail::count_extreme_permutations(fn, kernel, n, observed, plain, begin + first, begin + last,
                                                         null != nullptr ? null + first : nullptr);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree_on_failure();
  return extreme;
}

/// permutation_test with the permutations shared out: rank r evaluates permutations
/// k ∈ [N·r/p, N·(r+1)/p), each drawn as one process draws it (counter_rng(seed, k)); the
/// extreme counts are summed, so the p-value is the single-process one. When some rank has a
/// should_stop hook (one agreement, which also fixes the batch: the largest of the ranks' 256
/// permutations per thread, as one process batches them), the permutations run in rounds
/// (count_extreme_with_hook); otherwise in one parallel loop per rank.
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
  check_same_value(comm, fn, "permutations", count);  // the share of every rank depends on it
  const auto rank = static_cast<std::size_t>(rank_of(comm)), p = static_cast<std::size_t>(size_of(comm));
  // count·r/p without overflow: count < 2^64 / p is not guaranteed, so in long double.
  const auto split = [&](std::size_t r) {
    return static_cast<std::size_t>(static_cast<long double>(count) * static_cast<long double>(r) /
                                    static_cast<long double>(p));
  };
  std::vector<std::size_t> counts(p);
  for (std::size_t r = 0; r < p; ++r) counts[r] = (r + 1 == p ? count : split(r + 1)) - split(r);
  const std::size_t begin = split(rank), end = begin + counts[rank];
  std::vector<double> null(params.keep_null ? end - begin : 0);
  double* null_out = params.keep_null ? null.data() : nullptr;
  // Whether some rank has a hook, and the batch of the rounds (the same on every rank).
  unsigned long long hook[2] = {params.should_stop ? 1ULL : 0ULL,
                                256ULL * static_cast<unsigned long long>(std::max(1, icl::max_threads()))};
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, hook, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm), "MPI_Allreduce");
  unsigned long long extreme = 0;
  if (hook[0] != 0) {
    std::optional<rsa::detail::permutation_kernel> kernel;
    collective_check(comm, [&] { kernel.emplace(a, b, c); });
    extreme = count_extreme_with_hook(fn, comm, *kernel, a.n(), result.statistic, params, counts, begin,
                                      static_cast<std::size_t>(hook[1]), null_out);
  } else {
    collective_check(comm, [&] {
      const rsa::detail::permutation_kernel kernel(a, b, c);
      extreme = rsa::detail::count_extreme_permutations(fn, kernel, a.n(), result.statistic, params, begin, end,
                                                        null_out);
    });
  }
  allreduce_sum(comm, &extreme, 1);
  result.p_value = static_cast<double>(1 + extreme) / static_cast<double>(1 + count);
  if (params.keep_null) {
    std::vector<int> sizes(p), displs(p);
    for (std::size_t r = 0; r < p; ++r) {
      sizes[r] = int_count(counts[r], "MPI_Allgatherv");
      displs[r] = int_count(split(r), "MPI_Allgatherv");
    }
    result.null_distribution.resize(count);
    check_mpi(MPI_Allgatherv(null.data(), sizes[rank], MPI_DOUBLE, result.null_distribution.data(), sizes.data(),
                             displs.data(), MPI_DOUBLE, comm),
              "MPI_Allgatherv");
  }
  return result;
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_RSA_IMPL_HPP
