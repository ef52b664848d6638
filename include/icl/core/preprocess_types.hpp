#ifndef ICL_CORE_PREPROCESS_TYPES_HPP
#define ICL_CORE_PREPROCESS_TYPES_HPP

/// The options of the preprocessing in icl/core/preprocess.hpp: how token states are pooled into
/// one vector per prompt, and how the n x d matrix of those vectors is standardized.

#include <array>
#include <string_view>
#include <utility>

#include "icl/core/enum_names.hpp"

namespace icl {

/// How the token states of a prompt's position subset S_i become one vector (docs/metrics.md 1.1).
enum class pooling {
  max,   ///< element-wise maximum over S_i (the [P1] choice)
  mean,  ///< element-wise mean over S_i
  last   ///< the state at the largest position in S_i
};

/// Names of icl::pooling for icl::to_string / icl::from_string.
constexpr enum_table<pooling, 3> icl_enum_table(pooling) {
  return {"icl::pooling", {{{pooling::max, "max"}, {pooling::mean, "mean"}, {pooling::last, "last"}}}};
}

/// Standardization of the n x d embedding matrix before a metric (docs/metrics.md 1.1).
enum class standardization {
  none,             ///< leave as is (default for RDMs)
  zscore_features,  ///< each feature (column) to mean 0, population std 1 across prompts ([P1])
  zscore_rows       ///< each prompt (row) to mean 0, population std 1 across features
};

/// Names of icl::standardization for icl::to_string / icl::from_string.
constexpr enum_table<standardization, 3> icl_enum_table(standardization) {
  return {"icl::standardization", {{{standardization::none, "none"},
                                    {standardization::zscore_features, "zscore_features"},
                                    {standardization::zscore_rows, "zscore_rows"}}}};
}

}  // namespace icl

#endif  // ICL_CORE_PREPROCESS_TYPES_HPP
