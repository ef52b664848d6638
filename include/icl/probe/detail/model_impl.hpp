#ifndef ICL_PROBE_DETAIL_MODEL_IMPL_HPP
#define ICL_PROBE_DETAIL_MODEL_IMPL_HPP

/// Checks and kernels behind icl/probe/model.hpp (applying a fitted linear model to new rows),
/// and the check of a design matrix shared by every probe.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe::detail {

/// X must be a valid, non-empty matrix (NaN/Inf are checked separately).
template <class T>
void check_design(const char* function, matrix_view<const T> X) {
  icl::detail::check_matrix(function, "X", X);
  if (X.rows() == 0 || X.cols() == 0) {
    icl::detail::throw_invalid(function, "X is empty (", X.rows(), " x ", X.cols(), ")");
  }
}

template <class T>
void check_model_input(const char* function, const linear_model& m, matrix_view<const T> X) {
  icl::detail::check_matrix(function, "X", X);
  if (m.n_outputs == 0 || m.coef.size() != m.n_outputs * m.n_features || m.intercept.size() != m.n_outputs) {
    icl::detail::throw_invalid(function, "the model is not fitted (n_outputs = ", m.n_outputs, ", coef has ",
                               m.coef.size(), " values, intercept ", m.intercept.size(), ")");
  }
  if (X.cols() != m.n_features) {
    icl::detail::throw_invalid(function, "X has ", X.cols(), " columns but the model has ", m.n_features,
                               " features");
  }
  if (X.rows() == 0) icl::detail::throw_invalid(function, "X is empty (0 rows)");
  icl::detail::require_finite(function, "X", X);
}

/// The model must be a classifier: one output for two classes, one per class otherwise.
inline void check_classifier(const char* function, const linear_model& m) {
  const std::size_t k = m.classes.size();
  if (k < 2 || (k == 2 ? m.n_outputs != 1 : m.n_outputs != k)) {
    icl::detail::throw_invalid(function, "the model has ", k, " classes and ", m.n_outputs,
                               " outputs: not a classifier");
  }
}

/// X·coefᵀ + intercept (n x outputs). Each dot product in double over 8 partial sums (element j
/// to sum j mod 8, added in order at the end): independent chains where one accumulator would
/// wait on every addition; the same order for every layout of X.
template <class T>
std::vector<double> decision_values(const linear_model& m, matrix_view<const T> X) {
  constexpr std::size_t lanes = 8;
  const std::size_t n = X.rows(), d = X.cols(), o = m.n_outputs;
  std::vector<double> out(n * o);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < o; ++c) {
      const double* w = m.coef.data() + c * d;
      double lane[lanes] = {};
      std::size_t j = 0;
      for (; j + lanes <= d; j += lanes)
        for (std::size_t q = 0; q < lanes; ++q) lane[q] += w[j + q] * icl::detail::to_double(X(i, j + q));
      for (std::size_t q = 0; j < d; ++j, ++q) lane[q] += w[j] * icl::detail::to_double(X(i, j));
      double s = m.intercept[c];
      for (double v : lane) s += v;
      out[i * o + c] = s;
    }
  }
  return out;
}

/// Class index from one row of decision values (binary: > 0 means class 1; else argmax, first on ties).
inline std::size_t class_index(const double* z, std::size_t outputs) {
  if (outputs == 1) return z[0] > 0.0 ? 1 : 0;
  std::size_t best = 0;
  for (std::size_t c = 1; c < outputs; ++c)
    if (z[c] > z[best]) best = c;
  return best;
}

/// predict_class after its checks.
template <class T>
std::vector<int> predicted_classes(const linear_model& m, matrix_view<const T> X) {
  const auto z = decision_values(m, X);
  std::vector<int> out(X.rows());
  for (std::size_t i = 0; i < X.rows(); ++i) out[i] = m.classes[class_index(z.data() + i * m.n_outputs, m.n_outputs)];
  return out;
}

/// predict_proba after its checks: sigmoid (binary) or softmax per row.
template <class T>
std::vector<double> probabilities(const linear_model& m, matrix_view<const T> X) {
  const std::size_t k = m.classes.size();
  const auto z = decision_values(m, X);
  std::vector<double> p(X.rows() * k);
  for (std::size_t i = 0; i < X.rows(); ++i) {
    if (k == 2) {
      const double t = z[i];
      const double p1 = t >= 0 ? 1.0 / (1.0 + std::exp(-t)) : std::exp(t) / (1.0 + std::exp(t));
      p[i * 2] = 1.0 - p1;
      p[i * 2 + 1] = p1;
    } else {
      const double* zi = z.data() + i * k;
      const double mx = *std::max_element(zi, zi + k);
      double s = 0.0;
      for (std::size_t c = 0; c < k; ++c) s += std::exp(zi[c] - mx);
      for (std::size_t c = 0; c < k; ++c) p[i * k + c] = std::exp(zi[c] - mx) / s;
    }
  }
  return p;
}

}  // namespace icl::probe::detail

#endif  // ICL_PROBE_DETAIL_MODEL_IMPL_HPP
