#ifndef ICL_MPI_DETAIL_DECODE_IMPL_HPP
#define ICL_MPI_DETAIL_DECODE_IMPL_HPP

/// Bodies of the functions of icl/mpi/decode.hpp; not a public header.
///
/// Rank r keeps the candidate lists of its own rows (icl::decode::detail::candidate_lists, global
/// row indices, the CPU's strict (distance, index) order). Its rows, in the compute type with
/// their distance terms and their candidate lists, travel half a ring as one packet: at step s
/// (s = 1 .. ⌊p/2⌋) rank r holds rank r + s's packet and computes the pairs between the two
/// blocks once, from Gram tiles of b x b rows with the lower rows first (as the CPU takes them),
/// offering each pair to both sides (feed_list, the CPU's candidate filter and its recompute of a
/// pair's distance from the two rows): its own rows' lists take tile rows or columns, the
/// packet's lists the other. After the last step every packet's lists go back to their rank and
/// are merged into its own. A pair's ranked distance does not depend on the tile that holds it,
/// and the k best under the strict order do not depend on the order of the offers, so the lists
/// are the single-process ones, ties included. Then
/// the CPU's vote on each rank's rows; the correct counts are summed and the predictions
/// gathered. No n x n matrix anywhere.

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/decode/detail/knn_impl.hpp"
#include "icl/decode/types.hpp"
#include "icl/layers.hpp"
#include "icl/mpi/detail/comm.hpp"
#include "icl/mpi/detail/reduce.hpp"
#include "icl/mpi/detail/ring.hpp"

namespace icl::mpi::detail {

/// A block of rows in the compute type (row-major, d columns) with its distance terms, and the
/// global index of its first row.
template <class C>
struct knn_block {
  const C* rows;
  const double* a;
  const double* s;
  std::size_t count, first;
};

/// The pairs between rows `lower` and rows `upper` (lower.first < upper.first), or within one
/// block (upper = lower: the pairs of distinct rows), from Gram tiles of b x b rows with the lower
/// rows first, as the CPU computes them: the lower rows' lists (list i: lower row i; none when
/// nullptr) take tile rows, the upper rows' lists tile columns (decode::detail::feed_tile, as
/// on the CPU), so both sides of a pair see the same Gram entry; a diagonal tile within one block
/// is mirrored and fed by rows only, as the CPU's.
template <class C>
void offer_pairs(const knn_block<C>& lower, const knn_block<C>& upper, std::size_t d, double c, std::size_t b,
                 decode::detail::candidate_lists* lower_lists, decode::detail::candidate_lists* upper_lists) {
  const bool same = upper.first == lower.first;
  const decode::detail::pair_recompute<C> recompute(d);
  const std::size_t ld = b + 64 / sizeof(C);  // padded as the CPU's tile (nearest_neighbors)
  std::vector<C> tile(b * ld);
  for (std::size_t i0 = 0; i0 < lower.count; i0 += b) {
    const std::size_t bi = std::min(b, lower.count - i0);
    const C* rows_i = lower.rows + i0 * d;
    const decode::detail::tile_side<C> side_i{lower.a + i0, lower.s + i0, i0, lower.first + i0, rows_i, d};
    for (std::size_t j0 = same ? i0 : 0; j0 < upper.count; j0 += b) {
      const std::size_t bj = std::min(b, upper.count - j0);
      const bool diagonal = same && j0 == i0;
      const C* rows_j = upper.rows + j0 * d;
      const decode::detail::tile_side<C> side_j{upper.a + j0, upper.s + j0, j0, upper.first + j0, rows_j, d};
      if (diagonal) {
        // Made whole, as the CPU's diagonal tile: each row of the block takes all its pairs in
        // the tile as one row (lower_lists and upper_lists are then the same lists).
        icl::detail::product_aat_upper<C>(rows_i, bi, d, d, tile.data(), ld);
        decode::detail::mirror_upper_triangle(tile.data(), bi, ld);
      } else {
        icl::detail::product_abt<C>(rows_i, bi, d, rows_j, bj, d, d, tile.data(), ld);
      }
      decode::detail::feed_tile(tile.data(), ld, bi, bj, diagonal, side_i, side_j, c, lower_lists, upper_lists,
                                nullptr, recompute);
    }
  }
}

/// A block of rows on its way around the ring: the rows (compute type), their terms and the
/// candidate lists of those rows, sized for the largest block.
template <class C>
struct knn_packet {
  std::vector<C> rows;
  std::vector<double> a, s;
  decode::detail::candidate_lists lists;

  /// One ring step for every part (see ring_shift).
  void shift(MPI_Comm comm) {
    ring_shift(comm, rows.data(), rows.size());
    ring_shift(comm, a.data(), a.size());
    ring_shift(comm, s.data(), s.size());
    ring_shift(comm, lists.dist.data(), lists.dist.size());
    ring_shift(comm, lists.index.data(), lists.index.size());
    ring_shift(comm, lists.count.data(), lists.count.size());
    ring_shift(comm, lists.bound.data(), lists.bound.size());
  }
};

/// Offers every candidate of `from` (rows' lists in any order) to the same row's list of `to`.
inline void merge_lists(const decode::detail::candidate_lists& from, std::size_t rows,
                        decode::detail::candidate_lists& to) {
  const std::size_t k = to.k;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t r = 0; r < from.count[i]; ++r) {
      const double dv = from.dist[i * k + r];
      if (dv <= to.bound[i]) to.offer(i, dv, from.index[i * k + r]);
    }
  }
}

/// Labels of all ranks' rows (rank order), encoded once: the checks of the labels and of k,
/// identical on every rank.
struct knn_setup {
  row_partition part;
  icl::detail::encoded_labels labels;
};

inline knn_setup knn_prepare(const char* fn, MPI_Comm comm, std::size_t local_rows, std::size_t width,
                             const std::vector<int>& local_labels, std::size_t k) {
  collective_check(comm, [&] {
    if (local_labels.size() != local_rows) {
      icl::detail::throw_invalid(fn, "local_labels has ", local_labels.size(), " entries but local_rows has ",
                                 local_rows, " rows");
    }
  });
  check_same_width(comm, fn, width);
  knn_setup setup;
  setup.part = partition_rows(comm, local_rows);
  const std::size_t n = setup.part.total;
  if (n == 0 || width == 0) icl::detail::throw_invalid(fn, "H is empty (", n, " x ", width, ") over all ranks");
  setup.labels = icl::detail::encode_labels(fn, allgather_rows(comm, setup.part, local_labels.data()), n, 2, "H");
  decode::detail::check_k(fn, k, n);
  return setup;
}

/// Leave-one-out kNN decodability of the rows of all ranks (checked by knn_prepare).
template <class T>
decode::decodability_result knn_decodability(const char* fn, MPI_Comm comm, matrix_view<const T> H,
                                             const knn_setup& setup, const decode::decode_params& params) {
  using C = icl::detail::compute_t<T>;
  const int rank = rank_of(comm), p = size_of(comm);
  const std::size_t n = setup.part.total, d = H.cols(), c = H.rows(), k = params.k;
  const std::size_t first = setup.part.offsets[static_cast<std::size_t>(rank)];
  check_finite(comm, fn, H, first);
  const std::size_t b = std::max<std::size_t>(
      1, std::min(params.block_rows == 0 ? decode::detail::default_block<C>() : params.block_rows, n));
  decode::detail::row_terms terms;
  collective_check(comm, [&] { terms = decode::detail::compute_row_terms<C>(fn, H, params.dissimilarity, b, first); });

  const std::size_t max_rows = *std::max_element(setup.part.counts.begin(), setup.part.counts.end());
  knn_packet<C> packet;
  packet.rows.assign(max_rows * d, C(0));
  packet.a.assign(max_rows, 0.0);
  packet.s.assign(max_rows, 0.0);
  packet.lists.reset(max_rows, 1, k);
  if (c > 0) {
    std::vector<C> buffer;
    std::size_t ld = 0;
    const C* rows = icl::detail::rows_as_compute<C>(H, 0, c, buffer, ld);
    for (std::size_t i = 0; i < c; ++i) std::copy(rows + i * ld, rows + i * ld + d, packet.rows.begin() + i * d);
  }
  std::copy(terms.a.begin(), terms.a.end(), packet.a.begin());
  std::copy(terms.s.begin(), terms.s.end(), packet.s.begin());
  const std::vector<C> own_rows(packet.rows.begin(), packet.rows.begin() + c * d);

  // The pairs within this rank's rows, then the half ring: at step s the packet of rank
  // q = rank + s, whose rows' lists take the pairs with this rank's rows (each pair of ranks once).
  decode::detail::candidate_lists lists;
  lists.reset(c, 1, k);
  const knn_block<C> mine{own_rows.data(), terms.a.data(), terms.s.data(), c, first};
  offer_pairs(mine, mine, d, terms.c, b, &lists, &lists);
  const int steps = half_ring_steps(p);
  const private_comm ring(comm);
  for (int s = 1; s <= steps; ++s) {
    packet.shift(ring.get());
    if (!computes_tile(p, rank, s)) continue;
    const auto q = static_cast<std::size_t>((rank + s) % p);
    const knn_block<C> theirs{packet.rows.data(), packet.a.data(), packet.s.data(), setup.part.counts[q],
                              setup.part.offsets[q]};
    if (theirs.count == 0 || c == 0) continue;
    if (first < theirs.first) {
      offer_pairs(mine, theirs, d, terms.c, b, &lists, &packet.lists);
    } else {
      offer_pairs(theirs, mine, d, terms.c, b, &packet.lists, &lists);
    }
  }
  // The packet held now is rank (rank + steps)'s: its lists go home, this rank's come back.
  if (steps > 0) {
    const int to = (rank + steps) % p, from = (rank - steps + p) % p;
    const auto exchange = [&](auto& data) {
      using V = typename std::decay_t<decltype(data)>::value_type;
      for (std::size_t done = 0; done < data.size(); done += transfer_chunk) {
        const std::size_t m = std::min(transfer_chunk, data.size() - done);
        check_mpi(MPI_Sendrecv_replace(data.data() + done, static_cast<int>(m), datatype<V>(), to, ring_tag, from,
                                       ring_tag, ring.get(), MPI_STATUS_IGNORE),
                  "MPI_Sendrecv_replace");
      }
    };
    exchange(packet.lists.dist);
    exchange(packet.lists.index);
    exchange(packet.lists.count);
    merge_lists(packet.lists, c, lists);
  }
  lists.finish();

  std::vector<std::size_t> predicted(c), correct(setup.labels.n_classes(), 0);
  decode::detail::vote(lists, setup.labels, first, predicted.data(), correct);
  allreduce_sum(comm, correct.data(), correct.size());
  return decode::detail::vote_result(setup.labels, allgather_rows(comm, setup.part, predicted.data()), correct, k,
                                     params);
}

/// task_decodability over MPI.
template <class T>
decode::decodability_result task_decodability(const char* fn, MPI_Comm comm, matrix_view<const T> H,
                                              const std::vector<int>& local_labels,
                                              const decode::decode_params& params) {
  collective_check(comm, [&] { icl::detail::check_matrix(fn, "H", H); });
  const knn_setup setup = knn_prepare(fn, comm, H.rows(), H.cols(), local_labels, params.k);
  return knn_decodability(fn, comm, H, setup, params);
}

/// decodability_curve over MPI: the layers one after the other, the labels checked once.
template <class T>
decode::decodability_curve_result decodability_curve(const char* fn, MPI_Comm comm, tensor_view<const T, 3> H,
                                                     const std::vector<int>& local_labels,
                                                     const decode::decode_params& params) {
  collective_check(comm, [&] { icl::detail::check_layers(fn, "H", H); });
  check_same_value(comm, fn, "layers", H.extent(0));
  const knn_setup setup = knn_prepare(fn, comm, H.extent(1), H.extent(2), local_labels, params.k);
  decode::decodability_curve_result out;
  for (std::size_t l = 0; l < H.extent(0); ++l) {
    out.layers.push_back(knn_decodability(fn, comm, H.matrix(l), setup, params));
    out.curve.values.push_back(out.layers.back().overall);
  }
  out.peak_layer = out.curve.peak_layer();
  return out;
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_DECODE_IMPL_HPP
