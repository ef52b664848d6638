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

#include <cstddef>

#include <mpi.h>

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
/// (cka_matrix, every pair of layers, is not distributed: in the feature form each pair needs its
/// own d_x x d_y product summed over ranks, L² of them.) Collective; errors as linear_cka, and a
/// layer count that differs between X and Y or between ranks.
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

}  // namespace icl::mpi

#endif  // ICL_MPI_CKA_HPP
