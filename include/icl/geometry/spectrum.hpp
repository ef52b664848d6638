#ifndef ICL_GEOMETRY_SPECTRUM_HPP
#define ICL_GEOMETRY_SPECTRUM_HPP

/// The spectrum of a layer's centered states (docs/metrics.md, section 4): the effective
/// dimension of H, and its curve over layers (section 6). H is n x d, one row per prompt; H̄ is
/// H with its column means removed. See docs/geometry.md.

#include <cstddef>

#include "icl/core/view.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "icl/layers.hpp"

namespace icl::geometry {

/// Effective dimension of H (docs/metrics.md, section 4): the participation ratio
/// (Σσ_i²)² / Σσ_i⁴ of the singular values of H̄ (H with column means removed), computed as
/// tr(K)² / ‖K‖_F² of the smaller of K = H̄H̄ᵀ (n x n) and H̄ᵀH̄ (d x d), formed by SYRK in the
/// compute type. Between 1 (every row on one line) and min(n − 1, d).
/// Throws icl::invalid_argument when H has fewer than 2 rows, holds NaN/Inf, or H̄ is zero.
template <class T>
double effective_dimension(matrix_view<const T> H) {
  const char* fn = "icl::geometry::effective_dimension";
  detail::check_spectrum_input(fn, H);
  return detail::effective_dimension_unchecked(fn, H);
}

/// The effective dimension of every layer of H ([layers, n, d], any strides). Throws as
/// effective_dimension for the first layer where it is undefined.
template <class T>
layer_curve effective_dimension_curve(tensor_view<const T, 3> H) {
  const std::size_t layers = icl::detail::check_layers("icl::geometry::effective_dimension_curve", "H", H);
  layer_curve out;
  for (std::size_t l = 0; l < layers; ++l) out.values.push_back(effective_dimension(H.matrix(l)));
  return out;
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_SPECTRUM_HPP
