#ifndef ICL_GEOMETRY_RETENTION_HPP
#define ICL_GEOMETRY_RETENTION_HPP

/// Layer retention / filtering ([P2], docs/geometry.md): which directions of a layer's
/// final-token states survive into the next layer. With V_{l−1} and V_l the top-r right singular
/// vectors (d x r) of the column-centred states H̄ at layers l−1 and l, the i-th row of
/// V_{l−1}ᵀ V_l V_lᵀ is direction v_i projected onto layer l's top-r subspace; its norm (in [0, 1])
/// is near 1 for a retained direction and near 0 for a filtered one. With an unembedding E the
/// directions are decoded: the tokens with the largest (and the smallest) E·v_i. The result type
/// retention_result is in icl/geometry/types.hpp.

#include <cstddef>
#include <vector>

#include "icl/core/view.hpp"
#include "icl/geometry/detail/retention_impl.hpp"
#include "icl/geometry/types.hpp"

namespace icl::geometry {

/// Retention of the top-r directions of `previous` (layer l−1, n x d, any strides) in `current`
/// (layer l, n' x d): retention_result::layer is 1. Throws icl::invalid_argument naming
/// icl::geometry::retention when a matrix has fewer than 2 rows, the widths differ, r is outside
/// [1, min(n − 1, d)] or exceeds the rank of a layer's centred states, or the states hold NaN/Inf.
template <class T>
retention_result retention(matrix_view<const T> previous, matrix_view<const T> current, std::size_t r) {
  const char* fn = "icl::geometry::retention";
  detail::check_retention_pair(fn, previous, current, r);
  return detail::retention_sequence<T, double>(fn, {previous, current}, r, nullptr, 0).front();
}

/// retention(previous, current, r) with each direction of `previous` decoded by the unembedding
/// E (|V| x d, any element type): its top_k tokens by E·v_i, highest first, and its bottom top_k.
/// Also throws when E's width is not d (token space and states do not match), top_k is outside
/// [1, |V|], or E holds NaN/Inf.
template <class T, class U>
retention_result retention(matrix_view<const T> previous, matrix_view<const T> current, std::size_t r,
                           matrix_view<const U> E, std::size_t top_k = 10) {
  const char* fn = "icl::geometry::retention";
  detail::check_retention_pair(fn, previous, current, r);
  detail::check_retention_unembedding(fn, E, previous.cols(), top_k);
  return detail::retention_sequence<T, U>(fn, {previous, current}, r, &E, top_k).front();
}

/// Retention at every transition of H ([layers, n, d], any strides): element l − 1 of the
/// result is the transition l−1 → l (retention_result::layer = l), for l = 1 .. layers − 1.
/// Each layer's SVD is computed once. Throws icl::invalid_argument naming
/// icl::geometry::layer_retention when H has a single layer (or none), or as retention.
template <class T>
std::vector<retention_result> layer_retention(tensor_view<const T, 3> H, std::size_t r) {
  const char* fn = "icl::geometry::layer_retention";
  detail::check_retention_layers(fn, H, r);
  std::vector<matrix_view<const T>> layers;
  for (std::size_t l = 0; l < H.extent(0); ++l) layers.push_back(H.matrix(l));
  return detail::retention_sequence<T, double>(fn, layers, r, nullptr, 0);
}

/// layer_retention(H, r) with every direction decoded by E (see the retention overload with E).
template <class T, class U>
std::vector<retention_result> layer_retention(tensor_view<const T, 3> H, std::size_t r, matrix_view<const U> E,
                                              std::size_t top_k = 10) {
  const char* fn = "icl::geometry::layer_retention";
  detail::check_retention_layers(fn, H, r);
  detail::check_retention_unembedding(fn, E, H.extent(2), top_k);
  std::vector<matrix_view<const T>> layers;
  for (std::size_t l = 0; l < H.extent(0); ++l) layers.push_back(H.matrix(l));
  return detail::retention_sequence<T, U>(fn, layers, r, &E, top_k);
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_RETENTION_HPP
