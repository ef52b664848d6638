#ifndef ICL_GEOMETRY_HEAD_LAYERS_HPP
#define ICL_GEOMETRY_HEAD_LAYERS_HPP

/// [P2]'s test of where two head sets sit in depth: the Mann–Whitney U test on the layer indices
/// of two lists of (layer, head) pairs, e.g. the top previous-token heads against the top
/// induction heads at 1/2/5/10 % (icl::attention::top_heads returns such lists).

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/mann_whitney.hpp"
#include "icl/geometry/detail/head_layers_impl.hpp"

namespace icl::geometry {

/// icl::stats::mann_whitney_u(layers of a, layers of b, alt): the statistic is U of a's layer
/// indices; greater means a's heads tend to sit in later layers than b's. The head index of each
/// pair is not used; a head listed twice counts twice. Layer indices tie often, so the p-value
/// usually comes from the normal approximation with the tie correction (see mann_whitney_u).
/// Throws icl::invalid_argument naming icl::geometry::head_layer_mann_whitney when a or b is
/// empty, or for an unknown `alt`.
inline icl::stats::test_result head_layer_mann_whitney(const std::vector<std::pair<std::size_t, std::size_t>>& a,
                                                       const std::vector<std::pair<std::size_t, std::size_t>>& b,
                                                       icl::alternative alt = icl::alternative::two_sided) {
  const char* fn = "icl::geometry::head_layer_mann_whitney";
  icl::detail::check_alternative(fn, alt);
  return icl::stats::mann_whitney_u(detail::head_layers(fn, "a", a), detail::head_layers(fn, "b", b), alt);
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_HEAD_LAYERS_HPP
