#ifndef ICL_GEOMETRY_CKA_HPP
#define ICL_GEOMETRY_CKA_HPP

/// Linear centered kernel alignment (Kornblith et al. 2019; docs/metrics.md, section 4), for comparing layers,
/// models, or states with and without in-context demonstrations. X (n x d_x) and Y (n x d_y)
/// hold the same n prompts in the same row order.
///
///   biased:   CKA = ⟨K̄, L̄⟩ / (‖K̄‖_F ‖L̄‖_F),  K̄ = HXXᵀH, L̄ = HYYᵀH (H the centering matrix)
///   debiased: the same ratio of unbiased HSIC estimates (U-centered Gram matrices, zero
///             diagonal), as in Kornblith et al.'s reference notebook; needs n > 3.
///
/// Computed from the n x n Gram matrices (SYRK) when n < d_x + d_y, otherwise from the
/// d x d products X̄ᵀX̄, ȲᵀȲ, ȲᵀX̄; products in float for float/f16/bf16 inputs (double when
/// either input is double), every sum in double. See docs/geometry.md.

#include <cstddef>

#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/cka_impl.hpp"
#include "icl/layers.hpp"

namespace icl::geometry {

/// Linear CKA between X (n x d_x) and Y (n x d_y), biased (default) or debiased.
/// Throws icl::invalid_argument when the row counts differ, n < 2 (n <= 3 when debiased), an
/// input holds NaN/Inf, or an input has zero variance (or, debiased, a non-positive unbiased
/// self-HSIC), naming icl::geometry::linear_cka.
template <class T, class U>
double linear_cka(matrix_view<const T> X, matrix_view<const U> Y, bool debiased = false) {
  const char* fn = "icl::geometry::linear_cka";
  detail::check_cka_input(fn, X, Y, debiased);
  return detail::linear_cka_unchecked<detail::cka_compute_t<T, U>>(fn, X, Y, debiased);
}

/// Linear CKA between corresponding layers of two [layers, n, d] tensors (d may differ).
template <class T, class U>
layer_curve cka_curve(tensor_view<const T, 3> X, tensor_view<const U, 3> Y, bool debiased = false) {
  const std::size_t layers = detail::check_cka_curve_layers("icl::geometry::cka_curve", X, Y);
  layer_curve out;
  for (std::size_t l = 0; l < layers; ++l) out.values.push_back(linear_cka(X.matrix(l), Y.matrix(l), debiased));
  return out;
}

/// CKA between every layer of X and every layer of Y ([layers_x, n, d_x] and [layers_y, n,
/// d_y]): a layers_x x layers_y matrix. Each layer's centered n x n Gram matrix is formed once
/// (layers_x + layers_y of them are held, in the compute type).
template <class T, class U>
dense_matrix<double> cka_matrix(tensor_view<const T, 3> X, tensor_view<const U, 3> Y, bool debiased = false) {
  const char* fn = "icl::geometry::cka_matrix";
  detail::check_cka_tensors(fn, X, Y, debiased);
  return detail::cka_matrix_unchecked<detail::cka_compute_t<T, U>>(fn, X, Y, debiased);
}

/// CKA between every pair of layers of one [layers, n, d] tensor (symmetric, ones on the diagonal).
template <class T>
dense_matrix<double> cka_matrix(tensor_view<const T, 3> X, bool debiased = false) {
  return cka_matrix(X, X, debiased);
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_CKA_HPP
