#ifndef ICL_MPI_ATTENTION_HPP
#define ICL_MPI_ATTENTION_HPP

/// The attention accumulators merged over MPI ranks (rows = prompts): each rank adds its own
/// prompts to its own accumulator (ratio_accumulator, previous_token_accumulator,
/// induction_accumulator, label_bias_accumulator, label_score_accumulator), then
/// icl::mpi::merge(comm, acc) leaves on every rank the accumulator of all ranks' prompts — the
/// merge() of rank 0's, rank 1's, … in rank order, so its results equal one process adding every
/// prompt, up to the rounding of the sums. Per rank: one all-gather of every rank's state
/// (layers × heads values per sum, a few per accumulator), held at once: memory and bytes
/// received p × the state size (docs/scale.md).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/mpi/detail/attention_impl.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/reduce.hpp"

namespace icl::mpi {

/// Merges the accumulators of every rank of comm into `acc` on every rank (collective; a rank
/// that added no prompt contributes nothing). Throws on every rank, with the message of the
/// accumulator's merge() followed by " (rank R)", when rank R's accumulator does not merge into
/// those of the ranks before it (other settings, such as normalize, or another shape); acc is
/// left unchanged then.
template <class Accumulator>
void merge(MPI_Comm comm, Accumulator& acc) {
  const auto mine = detail::state_bytes(acc);
  const auto part = detail::partition_rows(comm, mine.size());
  const auto all = detail::allgather_rows(comm, part, mine.data());
  Accumulator merged = acc;
  detail::read_state(merged, all, part.offsets[0], part.counts[0]);
  for (std::size_t r = 1; r < part.counts.size(); ++r) {
    Accumulator other = acc;
    detail::read_state(other, all, part.offsets[r], part.counts[r]);
    try {
      merged.merge(other);
    } catch (const icl::invalid_argument& e) {
      throw icl::invalid_argument(std::string(e.what()) + " (rank " + std::to_string(r) + ")");
    }
  }
  acc = std::move(merged);
}

}  // namespace icl::mpi

#endif  // ICL_MPI_ATTENTION_HPP
