#ifndef ICL_MPI_DETAIL_RING_HPP
#define ICL_MPI_DETAIL_RING_HPP

/// Row blocks passed around a ring of ranks, and runs of condensed positions sent between ranks
/// in bounded chunks; not a public header. Built on icl/mpi/detail/comm.hpp.
///
/// The ring: every rank starts with its own block in a buffer sized for the largest block; at
/// each step it sends the buffer to rank − 1 and receives from rank + 1, so after s steps it
/// holds the block of rank + s (mod p).

#include <algorithm>
#include <cstddef>
#include <vector>

#include <mpi.h>

#include "icl/core/condensed.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/types.hpp"

namespace icl::mpi::detail {

/// Tag of the library's point-to-point messages (on a private_comm only).
constexpr int ring_tag = 0x1c1;

/// A duplicate of the caller's communicator (MPI_Comm_dup: the same group, attributes and error
/// handler, its own context) for a function's point-to-point messages: the ring steps, the
/// return of the kNN lists, the gather of a condensed RDM. On it they can never match a receive
/// of the caller's own on the caller's communicator, whatever its tag or source (MPI_ANY_TAG,
/// MPI_ANY_SOURCE included), nor be matched by it. Made where a function starts its
/// point-to-point work (collective: every rank makes it at the same point), freed when it ends.
/// The collectives stay on the caller's communicator: MPI never matches a collective with a
/// point-to-point message.
class private_comm {
 public:
  explicit private_comm(MPI_Comm comm) { check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup"); }
  ~private_comm() {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  }
  private_comm(const private_comm&) = delete;
  private_comm& operator=(const private_comm&) = delete;

  MPI_Comm get() const noexcept { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};
/// Elements per MPI call (far below INT_MAX) and per chunk of a condensed transfer (32 MiB of
/// doubles): bounds the buffers of the transfers below.
constexpr std::size_t transfer_chunk = std::size_t{1} << 22;

/// The buffer (count values) goes to rank − 1 and is replaced by rank + 1's (one ring step);
/// comm is a private_comm's.
template <class T>
void ring_shift(MPI_Comm comm, T* data, std::size_t count) {
  const int rank = rank_of(comm), size = size_of(comm);
  const int to = (rank + size - 1) % size, from = (rank + 1) % size;
  for (std::size_t first = 0; first < count; first += transfer_chunk) {
    const std::size_t k = std::min(transfer_chunk, count - first);
    check_mpi(MPI_Sendrecv_replace(data + first, static_cast<int>(k), datatype<T>(), to, ring_tag, from, ring_tag, comm,
                                   MPI_STATUS_IGNORE),
              "MPI_Sendrecv_replace");
  }
}

/// The row partition with the given rows per rank.
inline row_partition partition_of(const std::vector<std::size_t>& counts) {
  row_partition part;
  part.counts = counts;
  for (const std::size_t c : counts) {
    part.offsets.push_back(part.total);
    part.total += c;
  }
  return part;
}

/// Whether rank r computes the tile between its rows and those of rank r + s (mod p) at step s
/// of the half ring (s = 1 .. p/2): always, except at s = p/2 with p even, where ranks r and
/// r + p/2 meet each other and only the lower one computes.
inline bool computes_tile(int p, int r, int s) { return !(p % 2 == 0 && 2 * s == p && r >= s); }

/// Number of steps of the half ring: every pair of ranks meets once.
inline int half_ring_steps(int p) { return p / 2; }

/// The runs of condensed positions (of n conditions) that rank r computes, in the order of its
/// values: the pairs within its rows (row by row), then for each step of the half ring the tile
/// between its rows and the other rank's, rows of the lower block by rows (each run: one lower
/// row against all the rows of the higher block).
inline std::vector<condensed_run> share_runs(const row_partition& part, int r) {
  const std::size_t n = part.total;
  const int p = static_cast<int>(part.counts.size());
  const std::size_t first = part.offsets[static_cast<std::size_t>(r)];
  const std::size_t end = first + part.counts[static_cast<std::size_t>(r)];
  std::vector<condensed_run> runs;
  for (std::size_t i = first; i + 1 < end; ++i)
    runs.push_back({icl::detail::condensed_index(n, i, i + 1), end - i - 1});
  for (int s = 1; s <= half_ring_steps(p); ++s) {
    if (!computes_tile(p, r, s)) continue;
    const auto q = static_cast<std::size_t>((r + s) % p);
    std::size_t u_first = first, u_end = end, v_first = part.offsets[q], v_end = v_first + part.counts[q];
    if (v_first < u_first) {
      std::swap(u_first, v_first);
      std::swap(u_end, v_end);
    }
    if (v_end == v_first) continue;
    for (std::size_t u = u_first; u < u_end; ++u)
      runs.push_back({icl::detail::condensed_index(n, u, v_first), v_end - v_first});
  }
  return runs;
}

/// Walks runs of condensed positions in order, `count` values at a time.
class run_cursor {
 public:
  explicit run_cursor(const std::vector<condensed_run>& runs) : runs_(&runs) {}
  /// Calls f(position, offset, length) for the next `count` values: `length` values at condensed
  /// position `position` are values offset .. offset + length − 1 of these `count`.
  template <class F>
  void walk(std::size_t count, F&& f) {
    std::size_t offset = 0;
    while (offset < count) {
      const condensed_run& run = (*runs_)[index_];
      const std::size_t k = std::min(count - offset, run.length - within_);
      f(run.first + within_, offset, k);
      offset += k;
      within_ += k;
      if (within_ == run.length) {
        ++index_;
        within_ = 0;
      }
    }
  }

 private:
  const std::vector<condensed_run>* runs_;
  std::size_t index_ = 0, within_ = 0;
};

/// Total length of runs.
inline std::size_t runs_length(const std::vector<condensed_run>& runs) {
  std::size_t total = 0;
  for (const condensed_run& run : runs) total += run.length;
  return total;
}

/// Copies `count` values (src) to their positions in `out` along the cursor.
inline void scatter_values(run_cursor& cursor, const double* src, std::size_t count, double* out) {
  cursor.walk(count, [&](std::size_t position, std::size_t offset, std::size_t length) {
    std::copy(src + offset, src + offset + length, out + position);
  });
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_RING_HPP
