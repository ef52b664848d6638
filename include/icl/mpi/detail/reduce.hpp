#ifndef ICL_MPI_DETAIL_REDUCE_HPP
#define ICL_MPI_DETAIL_REDUCE_HPP

/// Collectives of the sum-shaped MPI functions (linear CKA, probes, geometry, attention), built
/// on icl/mpi/detail/comm.hpp: the values of every rank gathered in rank order (labels and
/// targets, never activations), and symmetric matrices sent as their upper triangles.

#include <climits>
#include <cstddef>
#include <vector>

#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/mpi/detail/comm.hpp"

namespace icl::mpi::detail {

/// The `width` values per row of every rank's rows, concatenated in rank order (part: the row
/// partition of the communicator; local: this rank's part.counts[rank] x width values).
template <class T>
std::vector<T> allgather_rows(MPI_Comm comm, const row_partition& part, const T* local, std::size_t width = 1) {
  const std::size_t ranks = part.counts.size();
  std::vector<int> counts(ranks), displs(ranks);
  for (std::size_t r = 0; r < ranks; ++r) {
    if (part.counts[r] * width > static_cast<std::size_t>(INT_MAX) ||
        part.offsets[r] * width > static_cast<std::size_t>(INT_MAX)) {
      icl::detail::throw_error("icl::mpi", "rank ", r, " holds ", part.counts[r] * width,
                               " values to gather: past MPI's int counts");
    }
    counts[r] = static_cast<int>(part.counts[r] * width);
    displs[r] = static_cast<int>(part.offsets[r] * width);
  }
  std::vector<T> out(part.total * width);
  const int rank = rank_of(comm);
  check_mpi(MPI_Allgatherv(local, counts[static_cast<std::size_t>(rank)], datatype<T>(), out.data(), counts.data(),
                           displs.data(), datatype<T>(), comm),
            "MPI_Allgatherv");
  return out;
}

/// Appends the upper triangle (j >= i, row by row) of a row-major d x d matrix to `out`.
template <class C>
void pack_upper(const C* full, std::size_t d, std::vector<C>& out) {
  for (std::size_t i = 0; i < d; ++i) out.insert(out.end(), full + i * d + i, full + (i + 1) * d);
}

/// Writes d(d+1)/2 values read from `in` (as pack_upper wrote them) into the upper triangle of
/// a row-major d x d matrix; returns the position after them.
template <class C, class Out>
const C* unpack_upper(const C* in, std::size_t d, Out* full) {
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = i; j < d; ++j) full[i * d + j] = static_cast<Out>(*in++);
  }
  return in;
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_REDUCE_HPP
