#ifndef ICL_MPI_RSA_HPP
#define ICL_MPI_RSA_HPP

/// RSA comparisons and permutation tests over MPI (icl::rsa::compare, icl::rsa::permutation_test).
///
/// The RDMs come from icl::mpi::compute_rdm (whole on every rank) or compute_rdm_distributed.
/// Results equal the single-process ones: the same statistic, and for permutation_test the same
/// p-value (and null distribution) as one process with the same seed, whatever the number of
/// ranks. Errors are the single-process ones, raised on every rank alike with " (rank R)".
///
/// Cost per rank (n conditions, m = n(n−1)/2 pairs, N permutations, p ranks):
///   compare(rdm, rdm): the single-process cost on every rank; nothing sent beyond the agreement.
///   compare(distributed_rdm, rdm), pearson and cosine: O(m/p) time, 8·m bytes for b (whole),
///     48 bytes sent (two MPI_Allreduce of 3 doubles); every other comparison, or a NaN/Inf or
///     zero-spread input: allgather_rdm first (8·m more memory; see icl/mpi/rdm.hpp).
///   permutation_test: the single-process memory (a, b and the kernel: about 4·8·m bytes, or
///     8·n² for n ≤ 4096) and N/p permutations of time; sends 32 bytes (N gathered to check it
///     is the same on every rank, the should_stop agreement and the extreme counts), plus 8·N/p
///     to every rank with keep_null (MPI_Allgatherv, 8·N received), plus 8 bytes per round with
///     a should_stop hook.

#include <mpi.h>

#include "icl/mpi/detail/rsa_impl.hpp"
#include "icl/mpi/types.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::mpi {

/// icl::rsa::compare of two RDMs whole on every rank (the same on every rank).
inline double compare(MPI_Comm comm, const rsa::rdm& a, const rsa::rdm& b, rsa::comparison c,
                      const rsa::compare_params& params = {}) {
  return detail::compare("icl::mpi::compare", comm, a, b, c, params);
}

/// icl::rsa::compare of a distributed RDM a (compute_rdm_distributed) with an RDM b whole on
/// every rank; pearson and cosine by sums over each rank's values, the others on a gathered a.
inline double compare(MPI_Comm comm, const distributed_rdm& a, const rsa::rdm& b, rsa::comparison c,
                      const rsa::compare_params& params = {}) {
  return detail::compare("icl::mpi::compare", comm, a, b, c, params);
}

/// icl::rsa::permutation_test with the N permutations shared out among the ranks (each rank
/// evaluates about N/p of them, drawn as one process draws them): the same result on every
/// rank, equal to the single-process one with the same seed. N (params.permutations) must be the
/// same on every rank (icl::invalid_argument naming the rank that differs).
///
/// params.should_stop is honoured collectively. When any rank passes a hook, the permutations
/// run in rounds: every rank evaluates up to B of its own permutations per round (B the largest
/// of the ranks' 256 per thread, the batch of one process), and before each round every rank
/// calls its own hook on the calling thread (a rank without one answers false); one
/// MPI_Allreduce (a logical OR, and the lowest rank that said true) combines the answers. A
/// true on any rank, even one alone, stops every rank at that boundary: each throws icl::error
/// "icl::mpi::permutation_test: interrupted after k of N permutations (rank R)", the exception
/// icl::rsa::permutation_test throws when stopped, with k the permutations evaluated on all
/// ranks so far and R the lowest rank whose hook said true. A hook that throws makes every rank
/// throw, as a failed check does (icl::error, or icl::invalid_argument for a
/// std::invalid_argument, with that rank's message and " (rank R)"). Without a hook on any rank
/// the permutations run in one parallel loop per rank.
inline rsa::permutation_result permutation_test(MPI_Comm comm, const rsa::rdm& a, const rsa::rdm& b, rsa::comparison c,
                                                const rsa::permutation_params& params) {
  return detail::permutation_test("icl::mpi::permutation_test", comm, a, b, c, params);
}

}  // namespace icl::mpi

#endif  // ICL_MPI_RSA_HPP
