#ifndef ICL_MPI_CKA_HPP
#define ICL_MPI_CKA_HPP

/// Linear CKA over rows spread across MPI ranks: icl::mpi::linear_cka equals
/// icl::geometry::linear_cka on the rows of all ranks concatenated in rank order (to floating
/// tolerance), with the same result on every rank. The distributed form is the feature-space
/// one (X̄ᵀX̄, ȲᵀȲ, ȲᵀX̄ summed over ranks after one reduction of the column sums; see
/// detail/cka_impl.hpp for the debiased terms), so no rank ever holds another rank's rows or an
/// n x n matrix. Per rank: memory ≈ 2·(d_x² + d_y² + d_x·d_y) compute-type values plus its own
/// rows, centered (n_r·(d_x + d_y), twice); sent: one all-reduce of d_x + d_y doubles, one of
/// d_x(d_x+1)/2 + d_y(d_y+1)/2 + d_x·d_y compute-type values and one of 5 doubles (docs/scale.md).
///
/// icl::mpi::cka_matrix (every layer of X against every layer of Y) takes the sample-space form
/// instead: the centered rows of every layer travel half a ring, as the RDM's, and each rank
/// forms its tiles of the Gram matrices K_a = X̄_aX̄_aᵀ, L_b = Ȳ_bȲ_bᵀ in b x b blocks (b = 256),
/// one product per layer per block, adding ⟨K_a, L_b⟩ for all pairs block by block; no rank holds
/// an n x n matrix or keeps another rank's rows past its ring step (detail/cka_impl.hpp). With
/// c = max_r n_r, s the bytes of the compute type, L_x, L_y layers and p ranks, per rank:
///   memory  2·c·(L_x·d_x + L_y·d_y)·s (its centered rows and the travelling ones)
///           + (L_x + L_y)·b²·s (one block per layer) + 8·c·(L_x + L_y) (the Gram diagonals)
///           + 8·(2·L_x·L_y + 3·(L_x + L_y)) (the sums), plus one layer's rows converted, c·d·s,
///           where the input is not already row-major in the compute type;
///   sent    ⌊p/2⌋ ring shifts of c·(L_x·d_x + L_y·d_y)·s bytes, an all-reduce of
///           8·(L_x·d_x + L_y·d_y) bytes (column sums) and one of 8·(2·L_x·L_y + 3·(L_x + L_y));
///   compute about n²/(2p)·(L_x·d_x + L_y·d_y) multiply-adds for the blocks and n²/(2p)·L_x·L_y
///           for the inner products.
/// With one tensor (cka_matrix(comm, X)) Y is neither stored, sent nor multiplied: the terms in
/// L_y·d_y, and L_y in the blocks and diagonals, drop out (the sums keep theirs, L_y = L_x).

#include <cstddef>
#include <type_traits>

#include <mpi.h>

#include "icl/core/matrix.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"
#include "icl/geometry/detail/cka_impl.hpp"
#include "icl/mpi/detail/cka_impl.hpp"
#include "icl/mpi/detail/comm.hpp"

namespace icl::mpi {

/// Linear CKA between X (n x d_x) and Y (n x d_y), biased (default) or debiased, each rank
/// holding the same rows of both (any number, zero included). Collective. Throws, on every
/// rank alike, what icl::geometry::linear_cka throws (row counts differing on a rank, n < 2 or
/// n <= 3 when debiased overall, NaN/Inf, zero variance) and, when d_x or d_y differs between
/// ranks, icl::invalid_argument naming the rank; messages name icl::mpi::linear_cka and the rank.
template <class T, class U>
double linear_cka(MPI_Comm comm, matrix_view<const T> local_X, matrix_view<const U> local_Y, bool debiased = false) {
  const char* fn = "icl::mpi::linear_cka";
  namespace g = icl::geometry::detail;
  using C = g::cka_compute_t<T, U>;
  detail::collective_check(comm, [&] { g::check_cka_shapes(fn, local_X, local_Y); });
  detail::check_same_width(comm, fn, local_X.cols());
  detail::check_same_width(comm, fn, local_Y.cols());
  const auto part = detail::partition_rows(comm, local_X.rows());
  g::check_cka_rows(fn, part.total, debiased);  // the same total on every rank
  const std::size_t first = part.offsets[static_cast<std::size_t>(detail::rank_of(comm))];
  detail::check_finite(comm, fn, local_X, first);
  detail::check_finite(comm, fn, local_Y, first);
  return g::cka_from_terms(fn, detail::reduce_cka_terms<C>(comm, local_X, local_Y, part.total), debiased);
}

/// Linear CKA between corresponding layers of two [layers, n_r, d] tensors of each rank (d may
/// differ between X and Y; the same layer count on every rank), as icl::geometry::cka_curve.
/// Collective; errors as linear_cka, and a layer count that differs between X and Y or between
/// ranks.
template <class T, class U>
layer_curve cka_curve(MPI_Comm comm, tensor_view<const T, 3> local_X, tensor_view<const U, 3> local_Y,
                      bool debiased = false) {
  const char* fn = "icl::mpi::cka_curve";
  std::size_t layers = 0;
  detail::collective_check(comm, [&] {
    layers = icl::geometry::detail::check_cka_curve_layers(fn, local_X, local_Y);
  });
  detail::check_same_value(comm, fn, "layers", layers);
  layer_curve out;
  for (std::size_t l = 0; l < layers; ++l) out.values.push_back(linear_cka(comm, local_X.matrix(l), local_Y.matrix(l), debiased));
  return out;
}

/// CKA between every layer of X and every layer of Y ([layers_x, n_r, d_x] and [layers_y, n_r,
/// d_y] on each rank, the same layer counts and widths on every rank, any number of rows, zero
/// included), biased (default) or debiased: the layers_x x layers_y matrix of
/// icl::geometry::cka_matrix on the rows of all ranks concatenated in rank order, the same on
/// every rank. Collective; the sample-space form over a half ring (memory and bytes sent in the
/// header comment). Throws, on every rank alike, icl::invalid_argument naming
/// icl::mpi::cka_matrix and, where one rank's input is at fault, that rank: what
/// icl::geometry::cka_matrix throws (no layers, rows per layer of X and Y differing on a rank, no
/// columns, n < 2 or n <= 3 when debiased over all ranks, zero variance or a non-positive
/// unbiased self-HSIC), a layer count or width that differs between ranks, and NaN/Inf naming
/// the tensor, layer, global row and column.
template <class T, class U>
dense_matrix<double> cka_matrix(MPI_Comm comm, tensor_view<const T, 3> local_X, tensor_view<const U, 3> local_Y,
                                bool debiased = false) {
  const char* fn = "icl::mpi::cka_matrix";
  namespace g = icl::geometry::detail;
  detail::collective_check(comm, [&] { detail::check_cka_matrix_local(fn, local_X, local_Y); });
  detail::check_same_value(comm, fn, "X layers", local_X.extent(0));
  detail::check_same_value(comm, fn, "Y layers", local_Y.extent(0));
  detail::check_same_value(comm, fn, "X width", local_X.extent(2));
  detail::check_same_value(comm, fn, "Y width", local_Y.extent(2));
  const auto part = detail::partition_rows(comm, local_X.extent(1));
  g::check_cka_rows(fn, part.total, debiased);  // the same total on every rank
  // Y is X (as icl::geometry::cka_matrix finds it) on every rank: X's Grams serve both.
  const bool same = detail::on_every_rank(
      comm, static_cast<const void*>(local_X.data()) == static_cast<const void*>(local_Y.data()) &&
                std::is_same_v<std::remove_cv_t<T>, std::remove_cv_t<U>> &&
                local_X.extents() == local_Y.extents() && local_X.strides() == local_Y.strides());
  return detail::cka_matrix_distributed<g::cka_compute_t<T, U>>(fn, comm, local_X, local_Y, debiased, same, part);
}

/// CKA between every pair of layers of one [layers, n_r, d] tensor (symmetric, ones on the
/// diagonal), as icl::geometry::cka_matrix(X).
template <class T>
dense_matrix<double> cka_matrix(MPI_Comm comm, tensor_view<const T, 3> local_X, bool debiased = false) {
  return cka_matrix(comm, local_X, local_X, debiased);
}

}  // namespace icl::mpi

#endif  // ICL_MPI_CKA_HPP
