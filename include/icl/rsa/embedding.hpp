#ifndef ICL_RSA_EMBEDDING_HPP
#define ICL_RSA_EMBEDDING_HPP

/// Prompt embeddings: pooling token states into one vector per prompt, and standardization
/// before an RDM (METRICS.md 1.1).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"

namespace icl::rsa {

/// How the token states of a prompt's position subset S_i become one vector.
enum class pooling {
  max,   ///< element-wise maximum over S_i (the [P1] choice)
  mean,  ///< element-wise mean over S_i
  last   ///< the state at the largest position in S_i
};

/// Standardization of the n x d embedding matrix before dissimilarities.
enum class standardization {
  none,             ///< leave as is (default for RDMs)
  zscore_features,  ///< each feature (column) to mean 0, population std 1 across prompts ([P1])
  zscore_rows       ///< each prompt (row) to mean 0, population std 1 across features
};

/// Pools token states [n prompts, T tokens, d features] over a position subset per prompt:
/// row i of the result pools tokens(i, p, :) for p in positions[i]. Positions need not be sorted;
/// duplicates are allowed. Computed in double; returned in the compute type (double for double
/// input, float otherwise).
///
/// Throws icl::invalid_argument when positions.size() != n, a subset is empty, or a position is
/// >= T (naming the prompt and the position), and on NaN/Inf in a pooled state.
template <class T>
dense_matrix<icl::detail::compute_t<T>> pool_tokens(tensor_view<const T, 3> tokens,
                                                    const std::vector<std::vector<std::size_t>>& positions,
                                                    pooling how) {
  const char* fn = "icl::rsa::pool_tokens";
  icl::detail::static_check_element<T>();
  using C = icl::detail::compute_t<T>;
  const std::size_t n = tokens.extent(0), length = tokens.extent(1), d = tokens.extent(2);
  icl::detail::checked_mul(fn, icl::detail::checked_mul(fn, n, length, "n x T"), d, "n x T x d");
  if (tokens.data() == nullptr && n * length * d != 0) icl::detail::throw_invalid(fn, "tokens has a null data pointer");
  if (positions.size() != n) {
    icl::detail::throw_invalid(fn, "positions has ", positions.size(), " subsets for ", n, " prompts");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (positions[i].empty()) icl::detail::throw_invalid(fn, "prompt ", i, " has an empty position subset");
    for (std::size_t p : positions[i]) {
      if (p >= length) icl::detail::throw_invalid(fn, "prompt ", i, " position ", p, " is out of range for T = ", length);
    }
  }
  dense_matrix<C> out(n, d);
  std::vector<std::size_t> bad_prompt(n, length);
  icl::detail::parallel_for(0, n, [&](std::size_t i) {
    const std::vector<std::size_t>& subset = positions[i];
    for (std::size_t j = 0; j < d; ++j) {
      double value = 0.0;
      switch (how) {
        case pooling::max:
          value = -std::numeric_limits<double>::infinity();
          for (std::size_t p : subset) value = std::max(value, icl::detail::to_double(tokens(i, p, j)));
          break;
        case pooling::mean:
          for (std::size_t p : subset) value += icl::detail::to_double(tokens(i, p, j));
          value /= static_cast<double>(subset.size());
          break;
        case pooling::last:
          value = icl::detail::to_double(tokens(i, *std::max_element(subset.begin(), subset.end()), j));
          break;
      }
      if (!std::isfinite(value)) bad_prompt[i] = j;
      out(i, j) = static_cast<C>(value);
    }
  });
  for (std::size_t i = 0; i < n; ++i) {
    if (bad_prompt[i] != length) {
      icl::detail::throw_invalid(fn, "prompt ", i, " feature ", bad_prompt[i], " pools to a non-finite value (NaN/Inf in the input)");
    }
  }
  return out;
}

/// The same position subset for every prompt.
template <class T>
dense_matrix<icl::detail::compute_t<T>> pool_tokens(tensor_view<const T, 3> tokens, const std::vector<std::size_t>& positions,
                                                    pooling how) {
  return pool_tokens(tokens, std::vector<std::vector<std::size_t>>(tokens.extent(0), positions), how);
}

/// Standardizes X (n x d) as `how` says, with population (ddof = 0) standard deviations, as
/// scipy.stats.zscore(X, axis=0 or 1). Statistics in double; result in the compute type.
///
/// A constant feature (zscore_features) or a constant row (zscore_rows) has no z-score: an
/// icl::invalid_argument naming it, or NaN values under nan_policy::propagate. NaN/Inf inputs
/// are an error (naming row and column) unless nan_policy::propagate.
template <class T>
dense_matrix<icl::detail::compute_t<T>> standardize(matrix_view<const T> X, standardization how,
                                                    nan_policy policy = nan_policy::raise) {
  const char* fn = "icl::rsa::standardize";
  icl::detail::check_matrix(fn, "X", X);
  using C = icl::detail::compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  dense_matrix<C> out(n, d);
  if (policy == nan_policy::raise) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        if (!std::isfinite(icl::detail::to_double(X(i, j)))) {
          icl::detail::throw_invalid(fn, "row ", i, " column ", j, " is ", icl::detail::to_double(X(i, j)), " (NaN/Inf)");
        }
      }
    }
  }
  if (how == standardization::none) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) out(i, j) = icl::detail::to_compute<C>(X(i, j));
    return out;
  }
  const bool by_feature = how == standardization::zscore_features;
  const std::size_t groups = by_feature ? d : n, members = by_feature ? n : d;
  if (members < 1) return out;
  auto at = [&](std::size_t group, std::size_t member) {
    return by_feature ? icl::detail::to_double(X(member, group)) : icl::detail::to_double(X(group, member));
  };
  std::vector<unsigned char> constant(groups, 0);
  icl::detail::parallel_for(0, groups, [&](std::size_t g) {
    double mean = 0.0;
    for (std::size_t k = 0; k < members; ++k) mean += at(g, k);
    mean /= static_cast<double>(members);
    double var = 0.0;
    for (std::size_t k = 0; k < members; ++k) var += (at(g, k) - mean) * (at(g, k) - mean);
    const double sd = std::sqrt(var / static_cast<double>(members));
    // A group whose spread is rounding noise of its mean is constant (scipy gives NaN there).
    if (!(sd > 1e-14 * std::max(1.0, std::abs(mean)))) constant[g] = 1;
    for (std::size_t k = 0; k < members; ++k) {
      const double z = constant[g] ? std::numeric_limits<double>::quiet_NaN() : (at(g, k) - mean) / sd;
      if (by_feature) {
        out(k, g) = static_cast<C>(z);
      } else {
        out(g, k) = static_cast<C>(z);
      }
    }
  });
  if (policy == nan_policy::raise) {
    for (std::size_t g = 0; g < groups; ++g) {
      if (constant[g]) {
        icl::detail::throw_invalid(fn, by_feature ? "feature " : "row ", g,
                                   " is constant (zero standard deviation, z-score undefined)");
      }
    }
  }
  return out;
}

}  // namespace icl::rsa

#endif  // ICL_RSA_EMBEDDING_HPP
