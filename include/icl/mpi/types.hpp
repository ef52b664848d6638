#ifndef ICL_MPI_TYPES_HPP
#define ICL_MPI_TYPES_HPP

/// Result types of the MPI component (icl/mpi.hpp): the RDM left distributed among the ranks.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/config.hpp"  // the per-configuration namespaces

namespace icl::mpi {

/// A run of consecutive positions of a condensed RDM (scipy squareform order): positions
/// [first, first + length).
struct condensed_run {
  std::size_t first = 0;
  std::size_t length = 0;
};

/// An RDM of n conditions whose n(n-1)/2 values stay shared out among the ranks that computed
/// them (icl::mpi::compute_rdm_distributed): each rank holds the values of its own tiles, in the
/// order of its runs of condensed positions. Every position belongs to exactly one rank.
/// icl::mpi::allgather_rdm and icl::mpi::gather_rdm assemble the full RDM.
class distributed_rdm {
 public:
  distributed_rdm() = default;
  distributed_rdm(std::size_t n, std::vector<std::size_t> rows_per_rank, std::vector<condensed_run> runs,
                  std::vector<double> values)
      : n_(n), rows_per_rank_(std::move(rows_per_rank)), runs_(std::move(runs)), values_(std::move(values)) {}

  /// Number of conditions n (all ranks).
  std::size_t n() const noexcept { return n_; }
  /// Number of pairs n(n-1)/2 over all ranks.
  std::size_t size() const noexcept { return n_ < 2 ? 0 : n_ * (n_ - 1) / 2; }
  /// Rows (conditions) of each rank, in rank order: rank r's are the next rows_per_rank()[r].
  const std::vector<std::size_t>& rows_per_rank() const noexcept { return rows_per_rank_; }
  /// This rank's runs of condensed positions, in the order of local_values().
  const std::vector<condensed_run>& local_runs() const noexcept { return runs_; }
  /// This rank's values: those of local_runs(), one run after the other.
  const std::vector<double>& local_values() const noexcept { return values_; }

 private:
  std::size_t n_ = 0;
  std::vector<std::size_t> rows_per_rank_;
  std::vector<condensed_run> runs_;
  std::vector<double> values_;
};

}  // namespace icl::mpi

#endif  // ICL_MPI_TYPES_HPP
