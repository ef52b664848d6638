#ifndef ICL_CORE_PREPROCESS_HPP
#define ICL_CORE_PREPROCESS_HPP

/// Preprocessing of hidden states that every metric family uses (docs/metrics.md 1.1): pooling the
/// token states of a prompt into one vector, and standardizing the n x d matrix of those vectors.
///
/// Both return an owning icl::dense_matrix in the compute type (double for double input, float
/// otherwise). Metrics take views: pass `.view()`, or use the overloads that take the matrix
/// itself (standardize here, icl::rsa::compute_rdm), so that a whole chain reads
///
///   auto E = icl::pool_tokens(tokens, positions, icl::pooling::max);           // [n, d]
///   auto Z = icl::standardize(E, icl::standardization::zscore_features);
///   auto r = icl::rsa::compute_rdm(Z, icl::rsa::dissimilarity::cosine);      // or Z.view()
///
/// The same functions are also reachable as icl::rsa::pool_tokens / icl::rsa::standardize
/// (icl/rsa/embedding.hpp), their earlier home.

#include <cstddef>
#include <vector>

#include "icl/core/detail/preprocess_impl.hpp"
#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/preprocess_types.hpp"
#include "icl/core/view.hpp"

namespace icl {

/// Pools token states [n prompts, T tokens, d features] (any strides) over a position subset
/// per prompt: row i of the result pools tokens(i, p, :) for p in positions[i]. Positions need
/// not be sorted; duplicates are allowed. Computed in double; returned in the compute type.
///
/// Throws icl::invalid_argument ("icl::pool_tokens: ...") when positions.size() != n, a subset
/// is empty, or a position is >= T (naming the prompt and the position), for an unknown
/// `how`, and on NaN/Inf in a pooled state (naming the first such prompt and feature).
template <class T>
dense_matrix<detail::compute_t<T>> pool_tokens(tensor_view<const T, 3> tokens,
                                               const std::vector<std::vector<std::size_t>>& positions, pooling how) {
  return detail::pool_tokens("icl::pool_tokens", tokens, positions, how);
}

/// pool_tokens with the same position subset for every prompt.
template <class T>
dense_matrix<detail::compute_t<T>> pool_tokens(tensor_view<const T, 3> tokens,
                                               const std::vector<std::size_t>& positions, pooling how) {
  return detail::pool_tokens("icl::pool_tokens", tokens,
                             std::vector<std::vector<std::size_t>>(tokens.extent(0), positions), how);
}

/// Standardizes X (n x d, any strides) as `how` says, with population (ddof = 0) standard
/// deviations, as scipy.stats.zscore(X, axis=0 or 1). Statistics in double; result in the
/// compute type.
///
/// A constant feature (zscore_features) or a constant row (zscore_rows) has no z-score: an
/// icl::invalid_argument naming it, or NaN values under nan_policy::propagate. NaN/Inf inputs
/// are an error (naming row and column) unless nan_policy::propagate.
template <class T>
dense_matrix<detail::compute_t<T>> standardize(matrix_view<const T> X, standardization how,
                                               nan_policy policy = nan_policy::raise) {
  return detail::standardize("icl::standardize", X, how, policy);
}

/// standardize(X.view(), how, policy): standardizes the result of pool_tokens (or any owning
/// matrix) without spelling out its view.
template <class T>
dense_matrix<detail::compute_t<T>> standardize(const dense_matrix<T>& X, standardization how,
                                               nan_policy policy = nan_policy::raise) {
  return detail::standardize("icl::standardize", X.view(), how, policy);
}

}  // namespace icl

#endif  // ICL_CORE_PREPROCESS_HPP
