#ifndef ICL_CORE_DETAIL_PREPROCESS_IMPL_HPP
#define ICL_CORE_DETAIL_PREPROCESS_IMPL_HPP

/// Bodies of icl::pool_tokens and icl::standardize (icl/core/preprocess.hpp). Each takes the name
/// of the public function that called it, for its messages. Not a public header.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/preprocess_types.hpp"
#include "icl/core/view.hpp"

namespace icl::detail {

/// Checks the tensor and the position subsets of pool_tokens.
template <class T>
void check_pool_tokens(const char* fn, tensor_view<const T, 3> tokens,
                       const std::vector<std::vector<std::size_t>>& positions, pooling how) {
  static_check_element<T>();
  const std::size_t n = tokens.extent(0), length = tokens.extent(1), d = tokens.extent(2);
  checked_mul(fn, checked_mul(fn, n, length, "n x T"), d, "n x T x d");
  if (tokens.data() == nullptr && n * length * d != 0) throw_invalid(fn, "tokens has a null data pointer");
  if (how != pooling::max && how != pooling::mean && how != pooling::last) {
    throw_invalid(fn, "unknown pooling value ", static_cast<int>(how));
  }
  if (positions.size() != n) throw_invalid(fn, "positions has ", positions.size(), " subsets for ", n, " prompts");
  for (std::size_t i = 0; i < n; ++i) {
    if (positions[i].empty()) throw_invalid(fn, "prompt ", i, " has an empty position subset");
    for (std::size_t p : positions[i]) {
      if (p >= length) throw_invalid(fn, "prompt ", i, " position ", p, " is out of range for T = ", length);
    }
  }
}

/// Row i pools tokens(i, p, :) over p in positions[i]; computed in double, stored in the compute
/// type. Prompts run in parallel; a non-finite pooled value is reported for the first prompt
/// that has one (and its first such feature), whatever the thread count.
template <class T>
dense_matrix<compute_t<T>> pool_tokens(const char* fn, tensor_view<const T, 3> tokens,
                                       const std::vector<std::vector<std::size_t>>& positions, pooling how) {
  check_pool_tokens(fn, tokens, positions, how);
  using C = compute_t<T>;
  const std::size_t n = tokens.extent(0), length = tokens.extent(1), d = tokens.extent(2);
  dense_matrix<C> out(n, d);
  std::vector<std::size_t> bad_feature(n, length);
  parallel_for(0, n, [&](std::size_t i) {
    const std::vector<std::size_t>& subset = positions[i];
    for (std::size_t j = 0; j < d; ++j) {
      double value = 0.0;
      switch (how) {
        case pooling::max:
          value = -std::numeric_limits<double>::infinity();
          for (std::size_t p : subset) value = std::max(value, to_double(tokens(i, p, j)));
          break;
        case pooling::mean:
          for (std::size_t p : subset) value += to_double(tokens(i, p, j));
          value /= static_cast<double>(subset.size());
          break;
        case pooling::last:
          value = to_double(tokens(i, *std::max_element(subset.begin(), subset.end()), j));
          break;
      }
      if (!std::isfinite(value)) bad_feature[i] = j;
      out(i, j) = static_cast<C>(value);
    }
  });
  for (std::size_t i = 0; i < n; ++i) {
    if (bad_feature[i] != length) {
      throw_invalid(fn, "prompt ", i, " feature ", bad_feature[i],
                    " pools to a non-finite value (NaN/Inf in the input)");
    }
  }
  return out;
}

/// X standardized as `how` says (population standard deviations), in the compute type.
template <class T>
dense_matrix<compute_t<T>> standardize(const char* fn, matrix_view<const T> X, standardization how,
                                       nan_policy policy) {
  check_matrix(fn, "X", X);
  if (how != standardization::none && how != standardization::zscore_features && how != standardization::zscore_rows) {
    throw_invalid(fn, "unknown standardization value ", static_cast<int>(how));
  }
  using C = compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  dense_matrix<C> out(n, d);
  if (policy == nan_policy::raise) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        if (!std::isfinite(to_double(X(i, j)))) {
          throw_invalid(fn, "row ", i, " column ", j, " is ", to_double(X(i, j)), " (NaN/Inf)");
        }
      }
    }
  }
  if (how == standardization::none) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) out(i, j) = to_compute<C>(X(i, j));
    return out;
  }
  const bool by_feature = how == standardization::zscore_features;
  const std::size_t groups = by_feature ? d : n, members = by_feature ? n : d;
  if (members < 1) return out;
  auto at = [&](std::size_t group, std::size_t member) {
    return by_feature ? to_double(X(member, group)) : to_double(X(group, member));
  };
  std::vector<unsigned char> constant(groups, 0);
  parallel_for(0, groups, [&](std::size_t g) {
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
        throw_invalid(fn, by_feature ? "feature " : "row ", g,
                      " is constant (zero standard deviation, z-score undefined)");
      }
    }
  }
  return out;
}

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_PREPROCESS_IMPL_HPP
