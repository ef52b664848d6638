#ifndef ICL_RSA_RDM_TYPE_HPP
#define ICL_RSA_RDM_TYPE_HPP

/// The representational dissimilarity matrix (RDM) type: the condensed upper triangle.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::rsa {

/// A symmetric n x n dissimilarity matrix with zero diagonal, stored as its strict upper
/// triangle in row-major order — the order of scipy.spatial.distance.squareform and pdist:
/// (0,1), (0,2), ..., (0,n-1), (1,2), ..., (n-2,n-1). m = n(n-1)/2 values.
class rdm {
 public:
  rdm() = default;

  /// Wraps condensed values for n conditions; values.size() must be n(n-1)/2.
  rdm(std::size_t n, std::vector<double> values) : n_(n), values_(std::move(values)) {
    if (values_.size() != icl::detail::checked_pair_count("icl::rsa::rdm", n)) {
      icl::detail::throw_invalid("icl::rsa::rdm", "got ", values_.size(), " condensed values for n = ", n,
                            " conditions (expected n(n-1)/2 = ", icl::detail::checked_pair_count("icl::rsa::rdm", n), ")");
    }
  }

  /// Number of conditions n.
  std::size_t n() const noexcept { return n_; }
  /// Number of stored pairs m = n(n-1)/2.
  std::size_t size() const noexcept { return values_.size(); }
  /// The condensed upper triangle (scipy squareform order).
  const std::vector<double>& condensed() const noexcept { return values_; }
  std::vector<double>& condensed() noexcept { return values_; }

  /// Position of pair (i, j), i != j, in condensed().
  std::size_t pair_index(std::size_t i, std::size_t j) const noexcept {
    if (i > j) std::swap(i, j);
    return i * n_ - i * (i + 1) / 2 + (j - i - 1);
  }

  /// Dissimilarity of conditions i and j: 0 on the diagonal, symmetric.
  double operator()(std::size_t i, std::size_t j) const {
    if (i >= n_ || j >= n_) {
      icl::detail::throw_invalid("icl::rsa::rdm::operator()", "index (", i, ", ", j, ") out of range for n = ", n_);
    }
    return i == j ? 0.0 : values_[pair_index(i, j)];
  }

  /// The full symmetric n x n matrix, row-major (for display; metrics never need it).
  std::vector<double> square() const {
    std::vector<double> full(icl::detail::checked_mul("icl::rsa::rdm::square", n_, n_, "n x n"), 0.0);
    std::size_t k = 0;
    for (std::size_t i = 0; i < n_; ++i) {
      for (std::size_t j = i + 1; j < n_; ++j, ++k) {
        full[i * n_ + j] = values_[k];
        full[j * n_ + i] = values_[k];
      }
    }
    return full;
  }

 private:
  std::size_t n_ = 0;
  std::vector<double> values_;
};

/// The n with n(n-1)/2 == m, or icl::invalid_argument naming `function` when m is not triangular.
inline std::size_t conditions_from_pair_count(const char* function, std::size_t m) {
  // Solve n^2 - n - 2m = 0 in floating point, then confirm in integers.
  const double estimate = std::floor((1.0 + std::sqrt(1.0 + 8.0 * static_cast<double>(m))) / 2.0);
  for (double candidate = estimate - 1.0; candidate <= estimate + 1.0; candidate += 1.0) {
    if (candidate < 2.0) continue;
    const auto n = static_cast<std::size_t>(candidate);
    if (n % 2 == 0 ? (n / 2) * (n - 1) == m : n * ((n - 1) / 2) == m) return n;
  }
  icl::detail::throw_invalid(function, "length ", m, " is not a triangular number n(n-1)/2 with n >= 2");
}

/// An RDM from condensed values (scipy squareform order); n is inferred.
/// Throws when the length is not n(n-1)/2 for some n >= 2, or a value is NaN/Inf.
inline rdm rdm_from_condensed(std::vector<double> values) {
  const char* fn = "icl::rsa::rdm_from_condensed";
  const std::size_t n = conditions_from_pair_count(fn, values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k])) icl::detail::throw_invalid(fn, "value ", k, " is ", values[k], " (NaN/Inf not allowed)");
  }
  return rdm(n, std::move(values));
}

/// An RDM from a full n x n matrix (any layout, any element type). The matrix must be square,
/// symmetric within `symmetry_tolerance` (relative to the largest magnitude) and have a zero
/// diagonal within the same tolerance; the upper triangle is kept.
template <class T>
rdm rdm_from_square(matrix_view<const T> square, double symmetry_tolerance = 1e-12) {
  const char* fn = "icl::rsa::rdm_from_square";
  icl::detail::check_matrix(fn, "matrix", square);
  const std::size_t n = square.rows();
  if (square.cols() != n) icl::detail::throw_invalid(fn, "matrix is ", n, " x ", square.cols(), ", not square");
  if (n < 2) icl::detail::throw_invalid(fn, "need n >= 2 conditions, got ", n);
  double largest = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double v = icl::detail::to_double(square(i, j));
      if (!std::isfinite(v)) icl::detail::throw_invalid(fn, "entry (", i, ", ", j, ") is ", v, " (NaN/Inf not allowed)");
      largest = std::max(largest, std::abs(v));
    }
  }
  const double tolerance = symmetry_tolerance * (largest > 0.0 ? largest : 1.0);
  std::vector<double> values(icl::detail::checked_pair_count(fn, n));
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::abs(icl::detail::to_double(square(i, i))) > tolerance) {
      icl::detail::throw_invalid(fn, "diagonal entry (", i, ", ", i, ") is ", icl::detail::to_double(square(i, i)), ", not 0");
    }
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      const double upper = icl::detail::to_double(square(i, j));
      const double lower = icl::detail::to_double(square(j, i));
      if (std::abs(upper - lower) > tolerance) {
        icl::detail::throw_invalid(fn, "matrix is not symmetric at (", i, ", ", j, "): ", upper, " vs ", lower);
      }
      values[k] = upper;
    }
  }
  return rdm(n, std::move(values));
}

}  // namespace icl::rsa

#endif  // ICL_RSA_RDM_TYPE_HPP
