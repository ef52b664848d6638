#ifndef ICL_ATTENTION_LOGIT_LENS_HPP
#define ICL_ATTENTION_LOGIT_LENS_HPP

/// Logit-lens projections of attention outputs (METRICS.md 5 [P4]): logit_minus and
/// logprob_increase.

#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/attention/detail/logit_lens_impl.hpp"
#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::attention {

/// Options of logit_minus and logprob_increase.
struct logit_lens_params {
  /// The final norm's weight γ (d entries); empty (default) means all ones.
  std::vector<double> gamma;
  /// ε of the final RMSNorm, added to the mean square before the square root (default 1e-6).
  double epsilon = 1e-6;
  /// Rows per block (logit_minus: rows of U; logprob_increase: vocabulary rows of E);
  /// 0 (default) picks about 4 Mi elements per block.
  std::size_t block_rows = 0;
};

/// The log-probabilities behind logprob_increase.
struct logprob_result {
  double base = 0.0;             ///< log p(b | x)
  std::vector<double> logprob;   ///< log p(b | x + o_p), one per row of O
  std::vector<double> increase;  ///< logprob[p] − base
};

namespace detail {

inline void check_vector(const char* function, const char* name, const std::vector<double>& v, std::size_t d) {
  if (v.size() != d) throw_invalid(function, name, " has ", v.size(), " entries, expected d = ", d);
  for (std::size_t j = 0; j < v.size(); ++j) {
    if (!std::isfinite(v[j])) throw_invalid(function, name, "[", j, "] is ", v[j], " (NaN/Inf not allowed)");
  }
}

inline void check_params(const char* function, const logit_lens_params& params, std::size_t d) {
  if (!(params.epsilon >= 0.0) || !std::isfinite(params.epsilon)) {
    throw_invalid(function, "epsilon = ", params.epsilon, " must be finite and >= 0");
  }
  if (!params.gamma.empty()) check_vector(function, "gamma", params.gamma, d);
}

template <class T>
std::vector<double> matrix_row(matrix_view<const T> E, std::size_t i) {
  std::vector<double> row(E.cols());
  for (std::size_t j = 0; j < E.cols(); ++j) row[j] = to_double(E(i, j));
  return row;
}

}  // namespace detail

/// logit_minus [P4]: for each row u_p of U (n x d, e.g. every (layer, head, position) output
/// stacked), M_p = (E_a − E_b)·N(u_p) with the FIXED final-norm scale of the last position:
/// N(u) = γ ⊙ u / sqrt(σ²_f + ε), σ²_f = mean((h_L^T)²) of `final_hidden` (d entries).
/// All rows are projected at once on w = (E_a − E_b) ⊙ γ / sqrt(σ²_f + ε) (blocked GEMV in float
/// for float/f16/bf16 U, in double for double U). Returns n values.
/// Throws icl::invalid_argument for an empty U, a width that is not d, NaN/Inf anywhere, a
/// negative or non-finite epsilon, and icl::error when σ²_f + ε = 0.
template <class T>
std::vector<double> logit_minus(matrix_view<const T> U, const std::vector<double>& direction_a,
                                const std::vector<double>& direction_b, const std::vector<double>& final_hidden,
                                const logit_lens_params& params = {}) {
  constexpr const char* function = "icl::attention::logit_minus";
  icl::detail::check_matrix(function, "U", U);
  if (U.empty()) icl::detail::throw_invalid(function, "U is empty (", U.rows(), " x ", U.cols(), ")");
  const std::size_t d = U.cols();
  detail::check_vector(function, "direction_a", direction_a, d);
  detail::check_vector(function, "direction_b", direction_b, d);
  detail::check_vector(function, "final_hidden", final_hidden, d);
  detail::check_params(function, params, d);
  icl::detail::require_finite(function, "U", U);
  double ss = 0.0;
  for (double h : final_hidden) ss += h * h;
  const double denom = std::sqrt(ss / static_cast<double>(d) + params.epsilon);
  if (!(denom > 0.0)) {
    icl::detail::throw_error(function, "mean(final_hidden^2) + epsilon = 0: the final norm scale is undefined");
  }
  std::vector<double> w(d);
  for (std::size_t j = 0; j < d; ++j) {
    const double g = params.gamma.empty() ? 1.0 : params.gamma[j];
    w[j] = (direction_a[j] - direction_b[j]) * g / denom;
  }
  return detail::project_rows(U, w, params.block_rows);
}

/// logit_minus with E_a, E_b the rows token_a, token_b of the unembedding E (|V| x d).
template <class T, class TE>
std::vector<double> logit_minus(matrix_view<const T> U, matrix_view<const TE> E, std::size_t token_a,
                                std::size_t token_b, const std::vector<double>& final_hidden,
                                const logit_lens_params& params = {}) {
  constexpr const char* function = "icl::attention::logit_minus";
  icl::detail::check_matrix(function, "E", E);
  if (E.empty()) icl::detail::throw_invalid(function, "E is empty (", E.rows(), " x ", E.cols(), ")");
  if (E.cols() != U.cols()) {
    icl::detail::throw_invalid(function, "E has ", E.cols(), " columns but U rows have d = ", U.cols());
  }
  if (token_a >= E.rows()) icl::detail::throw_invalid(function, "token_a = ", token_a, " must be < |V| = ", E.rows());
  if (token_b >= E.rows()) icl::detail::throw_invalid(function, "token_b = ", token_b, " must be < |V| = ", E.rows());
  const std::vector<double> a = detail::matrix_row(E, token_a), b = detail::matrix_row(E, token_b);
  for (std::size_t j = 0; j < a.size(); ++j) {
    if (!std::isfinite(a[j])) icl::detail::throw_invalid(function, "E (", token_a, ", ", j, ") is ", a[j], " (NaN/Inf not allowed)");
    if (!std::isfinite(b[j])) icl::detail::throw_invalid(function, "E (", token_b, ", ", j, ") is ", b[j], " (NaN/Inf not allowed)");
  }
  return logit_minus(U, a, b, final_hidden, params);
}

/// logprob_change [P4]: log p(b | x) and, for each row o_p of O (P x d), log p(b | x + o_p) and
/// the increase log p(b | x + o_p) − log p(b | x), under softmax(E·N(·)) with N the RMSNorm of
/// the vector itself, N(v) = γ ⊙ v / sqrt(mean(v²) + ε). E is the full unembedding (|V| x d);
/// the P + 1 normalized vectors are multiplied with E in vocabulary blocks, one GEMM per block
/// (float for float/f16/bf16 E, double for double E), with a streaming log-sum-exp in double.
/// Throws icl::invalid_argument for empty E or O, widths that differ from x.size(), token b >= |V|,
/// NaN/Inf anywhere, a negative or non-finite epsilon; icl::error when an RMS norm is 0.
template <class TE, class TO>
logprob_result logprob_change(matrix_view<const TE> E, std::size_t token_b, const std::vector<double>& x,
                              matrix_view<const TO> O, const logit_lens_params& params = {},
                              const char* function = "icl::attention::logprob_change") {
  icl::detail::check_matrix(function, "E", E);
  icl::detail::check_matrix(function, "O", O);
  if (E.empty()) icl::detail::throw_invalid(function, "E is empty (", E.rows(), " x ", E.cols(), ")");
  if (O.empty()) icl::detail::throw_invalid(function, "O is empty (", O.rows(), " x ", O.cols(), ")");
  const std::size_t d = E.cols();
  if (O.cols() != d) icl::detail::throw_invalid(function, "O has ", O.cols(), " columns but E has d = ", d);
  detail::check_vector(function, "x", x, d);
  detail::check_params(function, params, d);
  if (token_b >= E.rows()) icl::detail::throw_invalid(function, "token_b = ", token_b, " must be < |V| = ", E.rows());
  icl::detail::require_finite(function, "E", E);
  icl::detail::require_finite(function, "O", O);
  std::vector<double> all =
      detail::log_probabilities(function, E, token_b, O, x, params.gamma, params.epsilon, params.block_rows);
  logprob_result out;
  out.base = all[0];
  out.logprob.assign(all.begin() + 1, all.end());
  out.increase.resize(out.logprob.size());
  for (std::size_t p = 0; p < out.logprob.size(); ++p) out.increase[p] = out.logprob[p] - out.base;
  return out;
}

/// logprob_increase [P4]: log p(b | x + o_p) − log p(b | x) for each row o_p of O (P x d); see
/// logprob_change for the definition, the computation and the errors. Returns P values.
template <class TE, class TO>
std::vector<double> logprob_increase(matrix_view<const TE> E, std::size_t token_b, const std::vector<double>& x,
                                     matrix_view<const TO> O, const logit_lens_params& params = {}) {
  return logprob_change(E, token_b, x, O, params, "icl::attention::logprob_increase").increase;
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_LOGIT_LENS_HPP
