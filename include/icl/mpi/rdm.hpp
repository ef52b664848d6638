#ifndef ICL_MPI_RDM_HPP
#define ICL_MPI_RDM_HPP

/// RDMs of rows shared out among the ranks of a communicator (icl::rsa::compute_rdm over MPI).
///
/// Each rank passes its own rows (local_rows: c_r x d, any strides, float, double, icl::f16 or
/// icl::bf16; any split, a rank may have none); the result is the RDM of the n = Σ c_r rows
/// concatenated in rank order, equal to icl::rsa::compute_rdm on them (to floating-point
/// rounding: the same Gram-block kernels, cut into other blocks). Every dissimilarity of
/// icl::rsa::compute_rdm, with its rdm_params (nan policy, block_rows).
///
/// How: each rank computes the pairs within its rows, then passes its rows (converted to the
/// compute type, centred for correlation) and their norms around half a ring of ranks; at each
/// of the ⌊p/2⌋ steps it computes the tile between its rows and the rows it holds, so every pair
/// is computed once. Cosine and correlation need only per-row norms and means (row-local).
///
/// Cost per rank (n rows, d features, p ranks, c = max_r c_r ≈ n/p rows per rank, s = 4 bytes
/// for float/f16/bf16 inputs and 8 for double, m = n(n−1)/2, b = block_rows (default ≤ 1024)):
///   compute_rdm_distributed: memory 2·c·d·s (own and travelling rows) + 16·c + b²·s
///     + 8·(its share ≈ m/p) bytes beyond the input; sends ⌊p/2⌋·c·(d·s + 8) bytes.
///   compute_rdm: the above + 8·m (the result) + 32 MiB (a transfer chunk); sends its share,
///     8·m/p bytes, to the p − 1 other ranks (MPI_Bcast) and receives 8·m·(p−1)/p.
///   compute_rdm_root: the above, the result (8·m) on root only; each rank sends 8·m/p bytes to
///     root, which receives 8·m·(p−1)/p.
///
/// Errors, raised on every rank alike (icl::invalid_argument; the message names the offending
/// rank as " (rank R)" where the fault is one rank's): a bad view or an unknown dissimilarity on
/// some rank; a width that differs from rank 0's ("rank R has width a, rank 0 has width b");
/// n < 2 rows over all ranks; d < 1; NaN/Inf under nan_policy::raise ("row G column j ...",
/// G the global row); a zero-variance row (correlation) or a zero row (cosine) under raise,
/// naming its global row.

#include <cstddef>
#include <optional>

#include <mpi.h>

#include "icl/core/view.hpp"
#include "icl/mpi/detail/rdm_impl.hpp"
#include "icl/mpi/types.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::mpi {

/// The RDM of the rows of all ranks, its values left on the ranks that computed them (no
/// gather): for allgather_rdm / gather_rdm, or for a computation that works on shares.
template <class T>
distributed_rdm compute_rdm_distributed(MPI_Comm comm, matrix_view<const T> local_rows, rsa::dissimilarity d,
                                        const rsa::rdm_params& params = {}) {
  return detail::compute_rdm_distributed("icl::mpi::compute_rdm_distributed", comm, local_rows, d, params);
}

/// The RDM of the rows of all ranks, whole on every rank.
template <class T>
rsa::rdm compute_rdm(MPI_Comm comm, matrix_view<const T> local_rows, rsa::dissimilarity d,
                     const rsa::rdm_params& params = {}) {
  const char* fn = "icl::mpi::compute_rdm";
  return detail::allgather_rdm(fn, comm, detail::compute_rdm_distributed(fn, comm, local_rows, d, params));
}

/// The RDM of the rows of all ranks, whole on rank `root` only (std::nullopt on the others).
template <class T>
std::optional<rsa::rdm> compute_rdm_root(MPI_Comm comm, matrix_view<const T> local_rows, rsa::dissimilarity d,
                                         int root = 0, const rsa::rdm_params& params = {}) {
  const char* fn = "icl::mpi::compute_rdm_root";
  detail::check_root(fn, comm, root);
  return detail::gather_rdm(fn, comm, detail::compute_rdm_distributed(fn, comm, local_rows, d, params), root);
}

/// A distributed RDM whole on every rank (collective).
inline rsa::rdm allgather_rdm(MPI_Comm comm, const distributed_rdm& rdm) {
  return detail::allgather_rdm("icl::mpi::allgather_rdm", comm, rdm);
}

/// A distributed RDM whole on rank `root`, std::nullopt on the others (collective).
inline std::optional<rsa::rdm> gather_rdm(MPI_Comm comm, const distributed_rdm& rdm, int root = 0) {
  return detail::gather_rdm("icl::mpi::gather_rdm", comm, rdm, root);
}

}  // namespace icl::mpi

#endif  // ICL_MPI_RDM_HPP
