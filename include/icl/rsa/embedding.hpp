#ifndef ICL_RSA_EMBEDDING_HPP
#define ICL_RSA_EMBEDDING_HPP

/// Prompt embeddings (docs/metrics.md 1.1). Pooling and standardization are shared by every metric
/// family and live in icl/core/preprocess.hpp as icl::pool_tokens, icl::standardize,
/// icl::pooling and icl::standardization. This header keeps their earlier names
/// icl::rsa::pool_tokens, icl::rsa::standardize, icl::rsa::pooling and
/// icl::rsa::standardization working: the same functions (see icl/core/preprocess.hpp for their
/// documentation), whose messages name icl::rsa::pool_tokens / icl::rsa::standardize.
///
/// They are plain overloads for the four element types (float, double, icl::f16, icl::bf16)
/// rather than templates, so that an unqualified call that finds both these and the icl::
/// templates (through a using-directive and argument-dependent lookup) is not ambiguous.

#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/preprocess.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

inline dense_matrix<float> pool_tokens(tensor_view<const float, 3> tokens,
                                       const std::vector<std::vector<std::size_t>>& positions, pooling how) {
  return icl::detail::pool_tokens("icl::rsa::pool_tokens", tokens, positions, how);
}
inline dense_matrix<float> pool_tokens(tensor_view<const float, 3> tokens, const std::vector<std::size_t>& positions,
                                       pooling how) {
  return pool_tokens(tokens, std::vector<std::vector<std::size_t>>(tokens.extent(0), positions), how);
}
inline dense_matrix<float> standardize(matrix_view<const float> X, standardization how,
                                       nan_policy policy = nan_policy::raise) {
  return icl::detail::standardize("icl::rsa::standardize", X, how, policy);
}

inline dense_matrix<double> pool_tokens(tensor_view<const double, 3> tokens,
                                       const std::vector<std::vector<std::size_t>>& positions, pooling how) {
  return icl::detail::pool_tokens("icl::rsa::pool_tokens", tokens, positions, how);
}
inline dense_matrix<double> pool_tokens(tensor_view<const double, 3> tokens, const std::vector<std::size_t>& positions,
                                       pooling how) {
  return pool_tokens(tokens, std::vector<std::vector<std::size_t>>(tokens.extent(0), positions), how);
}
inline dense_matrix<double> standardize(matrix_view<const double> X, standardization how,
                                       nan_policy policy = nan_policy::raise) {
  return icl::detail::standardize("icl::rsa::standardize", X, how, policy);
}

inline dense_matrix<float> pool_tokens(tensor_view<const f16, 3> tokens,
                                       const std::vector<std::vector<std::size_t>>& positions, pooling how) {
  return icl::detail::pool_tokens("icl::rsa::pool_tokens", tokens, positions, how);
}
inline dense_matrix<float> pool_tokens(tensor_view<const f16, 3> tokens, const std::vector<std::size_t>& positions,
                                       pooling how) {
  return pool_tokens(tokens, std::vector<std::vector<std::size_t>>(tokens.extent(0), positions), how);
}
inline dense_matrix<float> standardize(matrix_view<const f16> X, standardization how,
                                       nan_policy policy = nan_policy::raise) {
  return icl::detail::standardize("icl::rsa::standardize", X, how, policy);
}

inline dense_matrix<float> pool_tokens(tensor_view<const bf16, 3> tokens,
                                       const std::vector<std::vector<std::size_t>>& positions, pooling how) {
  return icl::detail::pool_tokens("icl::rsa::pool_tokens", tokens, positions, how);
}
inline dense_matrix<float> pool_tokens(tensor_view<const bf16, 3> tokens, const std::vector<std::size_t>& positions,
                                       pooling how) {
  return pool_tokens(tokens, std::vector<std::vector<std::size_t>>(tokens.extent(0), positions), how);
}
inline dense_matrix<float> standardize(matrix_view<const bf16> X, standardization how,
                                       nan_policy policy = nan_policy::raise) {
  return icl::detail::standardize("icl::rsa::standardize", X, how, policy);
}

}  // namespace icl::rsa

#endif  // ICL_RSA_EMBEDDING_HPP
