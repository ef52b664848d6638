#ifndef ICL_GEOMETRY_DETAIL_HEAD_LAYERS_IMPL_HPP
#define ICL_GEOMETRY_DETAIL_HEAD_LAYERS_IMPL_HPP

/// The layer indices of a head list, for icl::geometry::head_layer_mann_whitney.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"

namespace icl::geometry::detail {

/// The layer (first) of every (layer, head) pair, as doubles; throws "<fn>: head set <name> is
/// empty" for an empty list.
inline std::vector<double> head_layers(const char* fn, const char* name,
                                       const std::vector<std::pair<std::size_t, std::size_t>>& heads) {
  if (heads.empty()) icl::detail::throw_invalid(fn, "head set ", name, " is empty");
  std::vector<double> layers(heads.size());
  for (std::size_t i = 0; i < heads.size(); ++i) layers[i] = static_cast<double>(heads[i].first);
  return layers;
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_HEAD_LAYERS_IMPL_HPP
