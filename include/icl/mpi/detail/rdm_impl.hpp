#ifndef ICL_MPI_DETAIL_RDM_IMPL_HPP
#define ICL_MPI_DETAIL_RDM_IMPL_HPP

/// Bodies of the functions of icl/mpi/rdm.hpp; not a public header.
///
/// Rank r holds rows [o_r, o_r + c_r). It computes, with the CPU library's own kernels, the pairs
/// within its rows (icl::rsa::detail::condensed_from_gram on its rows) and, at each step s of a
/// half ring (s = 1 .. ⌊p/2⌋), the tile between its rows and those of rank r + s (mod p), whose
/// rows (in the compute type, centred for correlation) and per-row factors it has just received:
/// Gram blocks of b x b rows (product_abt) mapped by map_gram_run, as the CPU does for the blocks
/// of one matrix. Every pair of rows is thus computed exactly once, by one rank; the values stay
/// on it (distributed_rdm) until gathered.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include <mpi.h>

#include "icl/core/condensed.hpp"
#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/ring.hpp"
#include "icl/mpi/types.hpp"
#include "icl/rsa/detail/rdm_impl.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::mpi::detail {

/// out (u_count x v_count, row-major) = the dissimilarities between rows U and rows V (row-major,
/// d columns each, in the compute type) from Gram blocks of b x b rows; U are the lower rows.
template <class C>
void cross_tile(const C* u_rows, const double* u_factor, std::size_t u_count, const C* v_rows, const double* v_factor,
                std::size_t v_count, std::size_t d, rsa::detail::gram_map map, std::size_t b, double* out) {
  if (u_count == 0 || v_count == 0) return;
  std::vector<C> tile(b * b);
  const double per_feature = 1.0 / static_cast<double>(d);
  for (std::size_t i0 = 0; i0 < u_count; i0 += b) {
    const std::size_t bi = std::min(b, u_count - i0);
    for (std::size_t j0 = 0; j0 < v_count; j0 += b) {
      const std::size_t bj = std::min(b, v_count - j0);
      icl::detail::product_abt<C>(u_rows + i0 * d, bi, d, v_rows + j0 * d, bj, d, d, tile.data(), bj);
      icl::detail::beside_blas_for(0, bi, bi * bj, [&](std::size_t r) {
        rsa::detail::map_gram_run(map, tile.data() + r * bj, u_factor[i0 + r], v_factor + j0, bj, per_feature,
                                  out + (i0 + r) * v_count + j0);
      });
    }
  }
}

/// compute_rdm_distributed after the name of the calling function.
template <class T>
distributed_rdm compute_rdm_distributed(const char* fn, MPI_Comm comm, matrix_view<const T> X, rsa::dissimilarity d,
                                        const rsa::rdm_params& params) {
  collective_check(comm, [&] {
    icl::detail::check_matrix(fn, "local_rows", X);
    if (rsa::detail::enum_name_or_null(d) == nullptr) {
      icl::detail::throw_invalid(fn, "unknown dissimilarity value ", static_cast<int>(d));
    }
  });
  check_same_width(comm, fn, X.cols());
  const row_partition part = partition_rows(comm, X.rows());
  const std::size_t n = part.total, dim = X.cols();
  if (n < 2) icl::detail::throw_invalid(fn, "need n >= 2 conditions (rows) over all ranks, got ", n);
  if (dim < 1) icl::detail::throw_invalid(fn, "need d >= 1 features (columns), got ", dim);
  icl::detail::checked_pair_count(fn, n);
  const int rank = rank_of(comm), p = size_of(comm);
  const std::size_t first = part.offsets[static_cast<std::size_t>(rank)], c = X.rows();
  if (params.nan == nan_policy::raise) check_finite(comm, fn, X, first);

  using C = icl::detail::compute_t<T>;
  const auto transform =
      d == rsa::dissimilarity::correlation ? rsa::detail::row_transform::center : rsa::detail::row_transform::none;
  rsa::detail::row_statistics stats = rsa::detail::gather_row_statistics(fn, X, transform, params.nan);
  const rsa::detail::gram_map map = rsa::detail::gram_map_of(d);
  if (map == rsa::detail::gram_map::cosine) {
    collective_check(comm, [&] { rsa::detail::reject_zero_rows(fn, stats, d, params.nan, first); });
  }
  // The block size of the single-process computation on all n rows.
  const std::size_t b =
      params.block_rows == 0 ? rsa::detail::default_block_rows<C>(n, dim) : std::min(params.block_rows, n);

  std::vector<condensed_run> runs = share_runs(part, rank);
  std::vector<double> values(runs_length(runs));
  // The pairs within this rank's rows: the CPU computation on them (condensed order).
  rsa::detail::condensed_from_gram<C>(X, transform, stats, map, b, values.data());
  std::size_t position = c < 2 ? 0 : c * (c - 1) / 2;

  if (p > 1) {
    const std::size_t max_rows = *std::max_element(part.counts.begin(), part.counts.end());
    std::vector<C> own(c * dim), travel(max_rows * dim), buffer;
    if (c > 0) {
      std::size_t ld = 0;
      const C* rows = rsa::detail::load_rows<T, C>(X, 0, c, transform, stats, buffer, ld);
      for (std::size_t i = 0; i < c; ++i) std::copy(rows + i * ld, rows + i * ld + dim, own.begin() + i * dim);
    }
    std::vector<double> own_factor = rsa::detail::gram_row_factors(stats, map), travel_factor(max_rows);
    std::copy(own.begin(), own.end(), travel.begin());
    std::copy(own_factor.begin(), own_factor.end(), travel_factor.begin());
    const private_comm ring(comm);
    for (int s = 1; s <= half_ring_steps(p); ++s) {
      ring_shift(ring.get(), travel.data(), travel.size());
      ring_shift(ring.get(), travel_factor.data(), travel_factor.size());
      if (!computes_tile(p, rank, s)) continue;
      const auto q = static_cast<std::size_t>((rank + s) % p);
      const std::size_t cq = part.counts[q];
      if (part.offsets[q] < first) {
        cross_tile<C>(travel.data(), travel_factor.data(), cq, own.data(), own_factor.data(), c, dim, map, b,
                      values.data() + position);
      } else {
        cross_tile<C>(own.data(), own_factor.data(), c, travel.data(), travel_factor.data(), cq, dim, map, b,
                      values.data() + position);
      }
      position += c * cq;
    }
  }
  return distributed_rdm(n, part.counts, std::move(runs), std::move(values));
}

/// Checks that D was computed over comm (every rank the same way), collectively.
inline row_partition distributed_partition(const char* fn, MPI_Comm comm, const distributed_rdm& D) {
  collective_check(comm, [&] {
    if (D.rows_per_rank().size() != static_cast<std::size_t>(size_of(comm))) {
      icl::detail::throw_invalid(fn, "the RDM is shared out among ", D.rows_per_rank().size(),
                                 " ranks, the communicator has ", size_of(comm));
    }
  });
  return partition_of(D.rows_per_rank());
}

/// The full RDM on every rank: each rank's values broadcast in chunks, placed by its runs.
inline rsa::rdm allgather_rdm(const char* fn, MPI_Comm comm, const distributed_rdm& D) {
  const row_partition part = distributed_partition(fn, comm, D);
  const int rank = rank_of(comm), p = size_of(comm);
  std::vector<double> out(D.size()), buffer;
  for (int q = 0; q < p; ++q) {
    const std::vector<condensed_run> runs = q == rank ? D.local_runs() : share_runs(part, q);
    const std::size_t total = runs_length(runs);
    run_cursor cursor(runs);
    if (q != rank) buffer.resize(std::min(total, transfer_chunk));
    for (std::size_t done = 0; done < total; done += transfer_chunk) {
      const std::size_t k = std::min(transfer_chunk, total - done);
      double* data = q == rank ? const_cast<double*>(D.local_values().data()) + done : buffer.data();
      check_mpi(MPI_Bcast(data, static_cast<int>(k), MPI_DOUBLE, q, comm), "MPI_Bcast");
      scatter_values(cursor, data, k, out.data());
    }
  }
  return rsa::rdm(D.n(), std::move(out));
}

/// Collective: root must be a rank of comm on every rank.
inline void check_root(const char* fn, MPI_Comm comm, int root) {
  collective_check(comm, [&] {
    if (root < 0 || root >= size_of(comm)) {
      icl::detail::throw_invalid(fn, "root ", root, " is not one of the ", size_of(comm), " ranks");
    }
  });
}

/// The full RDM on rank root (std::nullopt on the others): each rank sends its values to root.
inline std::optional<rsa::rdm> gather_rdm(const char* fn, MPI_Comm comm, const distributed_rdm& D, int root) {
  check_root(fn, comm, root);
  const row_partition part = distributed_partition(fn, comm, D);
  const int rank = rank_of(comm), p = size_of(comm);
  const private_comm messages(comm);
  if (rank != root) {
    const std::size_t total = D.local_values().size();
    for (std::size_t done = 0; done < total; done += transfer_chunk) {
      const std::size_t k = std::min(transfer_chunk, total - done);
      check_mpi(MPI_Send(D.local_values().data() + done, static_cast<int>(k), MPI_DOUBLE, root, ring_tag,
                         messages.get()),
                "MPI_Send");
    }
    return std::nullopt;
  }
  std::vector<double> out(D.size()), buffer;
  for (int q = 0; q < p; ++q) {
    const std::vector<condensed_run> runs = q == rank ? D.local_runs() : share_runs(part, q);
    const std::size_t total = runs_length(runs);
    run_cursor cursor(runs);
    if (q == rank) {
      scatter_values(cursor, D.local_values().data(), total, out.data());
      continue;
    }
    buffer.resize(std::min(total, transfer_chunk));
    for (std::size_t done = 0; done < total; done += transfer_chunk) {
      const std::size_t k = std::min(transfer_chunk, total - done);
      check_mpi(MPI_Recv(buffer.data(), static_cast<int>(k), MPI_DOUBLE, q, ring_tag, messages.get(),
                         MPI_STATUS_IGNORE),
                "MPI_Recv");
      scatter_values(cursor, buffer.data(), k, out.data());
    }
  }
  return rsa::rdm(D.n(), std::move(out));
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_RDM_IMPL_HPP
