#ifndef ICL_MPI_DECODE_HPP
#define ICL_MPI_DECODE_HPP

/// Task decodability over MPI (icl::decode::task_decodability, decodability_curve): leave-one-out
/// k-nearest-neighbour accuracy of the labels from the rows of all ranks.
///
/// Each rank passes its own rows (local_rows: c_r x d, any strides, float, double, icl::f16 or
/// icl::bf16; any split, a rank may have none) and their labels; the result, the same on every
/// rank, equals the single-process function on the rows and labels concatenated in rank order:
/// the same neighbours (ties to the lower row index), votes (ties to the lowest class),
/// predictions and accuracies. Each rank keeps the k best candidates of its own rows; the row
/// blocks travel half a ring (⌊p/2⌋ steps) with the candidate lists of their rows, so every pair
/// of rows is computed once, and the lists go home at the end. Never an n x n matrix.
///
/// Cost per rank (n rows, d features, p ranks, c = max_r c_r ≈ n/p, s = 4 bytes for float, f16
/// and bf16 inputs and 8 for double, b = block_rows: 1024 for float, 724 for double):
///   memory beyond the input: 2·c·d·s (own and travelling rows) + 16·c (their terms)
///     + 2·16·c·k (own and travelling candidate lists) + b²·s (a tile) + 12·n (all labels and
///     predictions);
///   sends ⌊p/2⌋·c·(d·s + 16·k + 32) bytes around the ring, 16·c·k to send the lists home,
///     plus 4·c + 8·c (labels, predictions; MPI_Allgatherv) and 8·(classes) (MPI_Allreduce);
///   about n²·d/p multiply-adds. decodability_curve: per layer the same, the labels once.
///
/// Errors, raised on every rank alike (icl::invalid_argument; " (rank R)" where the fault is one
/// rank's): a bad view, or local_labels whose length is not the rank's row count; a width that
/// differs from rank 0's; no rows or no columns over all ranks ("H is empty"); fewer than two
/// classes over all ranks; k = 0 or k ≥ n (n over all ranks); NaN/Inf ("row G column j ...", G
/// the global row); a zero row under cosine or a row beyond the compute type's range (its global
/// row). decodability_curve also: no layers, or a layer count that differs from rank 0's.

#include <cstddef>
#include <vector>

#include <mpi.h>

#include "icl/core/view.hpp"
#include "icl/decode/types.hpp"
#include "icl/mpi/detail/decode_impl.hpp"

namespace icl::mpi {

/// Leave-one-out kNN decodability of the labels from the rows of all ranks, with params.
template <class T>
decode::decodability_result task_decodability(MPI_Comm comm, matrix_view<const T> local_rows,
                                              const std::vector<int>& local_labels,
                                              const decode::decode_params& params) {
  return detail::task_decodability("icl::mpi::task_decodability", comm, local_rows, local_labels, params);
}

/// task_decodability with k neighbours and the other options at their defaults (euclidean).
template <class T>
decode::decodability_result task_decodability(MPI_Comm comm, matrix_view<const T> local_rows,
                                              const std::vector<int>& local_labels, std::size_t k = 10) {
  decode::decode_params params;
  params.k = k;
  return task_decodability(comm, local_rows, local_labels, params);
}

/// Decodability of every layer of each rank's rows (local_H: [layers, c_r, d], any strides; the
/// same layers and d on every rank), the labels of its c_r rows.
template <class T>
decode::decodability_curve_result decodability_curve(MPI_Comm comm, tensor_view<const T, 3> local_H,
                                                     const std::vector<int>& local_labels,
                                                     const decode::decode_params& params = {}) {
  return detail::decodability_curve("icl::mpi::decodability_curve", comm, local_H, local_labels, params);
}

}  // namespace icl::mpi

#endif  // ICL_MPI_DECODE_HPP
