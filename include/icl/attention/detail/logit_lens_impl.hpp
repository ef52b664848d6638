#ifndef ICL_ATTENTION_DETAIL_LOGIT_LENS_IMPL_HPP
#define ICL_ATTENTION_DETAIL_LOGIT_LENS_IMPL_HPP

/// Kernels of the logit-lens projections (docs/metrics.md 5, logit_minus and logprob_increase).
///
/// logit_minus: the direction w = (E_a − E_b) ⊙ γ / sqrt(σ²_f + ε) is formed once in double and
/// every row of U is projected on it by one GEMV (product_abt with one row of B) per block of
/// rows; rows are read in place when contiguous in the compute type, converted block-wise
/// otherwise.
///
/// logprob_increase: the rows z_0 = x, z_p = x + o_p are RMS-normalized (statistics in double)
/// into a compute-type block Z. The unembedding is streamed in blocks of vocabulary rows; each
/// block gives the logits Z·E_blockᵀ through one GEMM and updates a running (max, sum) per row
/// (online log-sum-exp in double), so neither the full |V| x (P+1) logit matrix nor a converted
/// copy of the whole unembedding is ever held.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/rms_norm.hpp"
#include "icl/core/view.hpp"

namespace icl::attention::detail {

using namespace icl::detail;  // NOLINT(google-build-using-namespace): core helpers

/// Rows per block so that one block of `width` compute values stays near `target` elements.
inline std::size_t rows_per_block(std::size_t width, std::size_t total, std::size_t target = std::size_t{1} << 22) {
  const std::size_t rows = std::max<std::size_t>(1, target / std::max<std::size_t>(1, width));
  return std::max<std::size_t>(1, std::min(rows, total));
}

/// out[i] = U_i · w for every row of U, blocked GEMV in the compute type of T.
template <class T>
std::vector<double> project_rows(matrix_view<const T> U, const std::vector<double>& w, std::size_t block_rows) {
  using C = compute_t<T>;
  const std::size_t n = U.rows(), d = U.cols();
  std::vector<C> wc(d);
  for (std::size_t j = 0; j < d; ++j) wc[j] = static_cast<C>(w[j]);
  const std::size_t b = block_rows == 0 ? rows_per_block(d, n) : std::min(block_rows, n);
  std::vector<C> buffer, product(b);
  std::vector<double> out(n);
  for (std::size_t first = 0; first < n; first += b) {
    const std::size_t count = std::min(b, n - first);
    std::size_t ld = d;
    const C* rows = rows_as_compute<C>(U, first, count, buffer, ld);
    product_abt<C>(rows, count, ld, wc.data(), 1, d, d, product.data(), 1);
    for (std::size_t r = 0; r < count; ++r) out[first + r] = static_cast<double>(product[r]);
  }
  return out;
}

/// log p(t | x) and log p(t | x + o_p) for each token t of `tokens`, under softmax(E·N(·)):
/// N is the RMSNorm `norm` (weight γ, empty: ones, and ε) of each vector itself when
/// fixed_denom is empty, and γ ⊙ v / *fixed_denom otherwise ([P4]'s fixed scale). E is |V| x d,
/// O is P x d, x and γ have d entries. Returns (P + 1) x tokens.size() values, row-major, row 0
/// for x alone.
template <class TE, class TO>
std::vector<double> log_probabilities(const char* function, matrix_view<const TE> E,
                                     const std::vector<std::size_t>& tokens, matrix_view<const TO> O,
                                     const std::vector<double>& x, const rms_norm_params& norm,
                                     std::optional<double> fixed_denom, std::size_t vocab_block) {
  using C = compute_t<TE>;
  const std::size_t V = E.rows(), d = E.cols(), P = O.rows(), m = P + 1, K = tokens.size();
  // Z: row 0 is N(x), row p + 1 is N(x + o_p).
  std::vector<C> Z(m * d);
  std::vector<unsigned char> bad(m, 0);
  parallel_for(0, m, [&](std::size_t r) {
    std::vector<double> v(x);
    if (r > 0) {
      for (std::size_t j = 0; j < d; ++j) v[j] += to_double(O(r - 1, j));
    }
    double denom = 0.0;
    if (fixed_denom) {
      denom = *fixed_denom;
    } else {
      double ss = 0.0;
      for (std::size_t j = 0; j < d; ++j) ss += v[j] * v[j];
      denom = std::sqrt(ss / static_cast<double>(d) + norm.epsilon);
    }
    if (!(denom > 0.0) || !std::isfinite(denom)) {
      bad[r] = 1;
      return;
    }
    C* out = Z.data() + r * d;
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<C>(rms_norm_gain(norm, j) * v[j] / denom);
  });
  for (std::size_t r = 0; r < m; ++r) {
    if (bad[r]) {
      if (r == 0) throw_error(function, "the RMS norm of x is 0 (mean(x^2) + epsilon = 0); set epsilon > 0");
      throw_error(function, "the RMS norm of x + o_", r - 1, " is 0 (mean(v^2) + epsilon = 0); set epsilon > 0");
    }
  }
  // Default block: when E is read in place, only the (P + 1) x block logits are held, so the
  // block is as large as 16 Mi logits allow (GEMM with a short vocabulary side runs far below
  // its peak: 1024-row blocks took twice the time of 8192-row ones at d = 4096); otherwise each
  // block is also converted, and about 4 Mi converted elements are held.
  bool in_place = false;
  if constexpr (std::is_same_v<std::remove_cv_t<TE>, C>) {
    in_place = E.col_stride() == 1 && E.row_stride() > 0 && E.row_stride() >= static_cast<std::ptrdiff_t>(d);
  }
  const std::size_t vb = vocab_block != 0 ? std::min(vocab_block, V)
                         : in_place        ? rows_per_block(m, V, std::size_t{1} << 24)
                                           : rows_per_block(std::max(d, m), V);
  std::vector<C> buffer, logits(m * vb);
  std::vector<double> run_max(m, -std::numeric_limits<double>::infinity()), run_sum(m, 0.0), target(m * K, 0.0);
  for (std::size_t first = 0; first < V; first += vb) {
    const std::size_t count = std::min(vb, V - first);
    std::size_t ld = d;
    const C* rows = rows_as_compute<C>(E, first, count, buffer, ld);
    product_abt<C>(Z.data(), m, d, rows, count, ld, d, logits.data(), vb);
    parallel_for(0, m, [&](std::size_t r) {
      const C* l = logits.data() + r * vb;
      double block_max = -std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < count; ++k) block_max = std::max(block_max, static_cast<double>(l[k]));
      double mx = run_max[r], s = run_sum[r];
      if (block_max > mx) {
        s *= std::exp(mx - block_max);
        mx = block_max;
      }
      for (std::size_t k = 0; k < count; ++k) s += std::exp(static_cast<double>(l[k]) - mx);
      run_max[r] = mx;
      run_sum[r] = s;
      for (std::size_t t = 0; t < K; ++t) {
        const std::size_t token = tokens[t];
        if (token >= first && token < first + count) target[r * K + t] = static_cast<double>(l[token - first]);
      }
    });
  }
  std::vector<double> logprob(m * K);
  for (std::size_t r = 0; r < m; ++r) {
    const double lse = run_max[r] + std::log(run_sum[r]);
    for (std::size_t t = 0; t < K; ++t) logprob[r * K + t] = target[r * K + t] - lse;
  }
  return logprob;
}

/// Checks that v has d finite entries.
inline void check_vector(const char* function, const char* name, const std::vector<double>& v, std::size_t d) {
  if (v.size() != d) throw_invalid(function, name, " has ", v.size(), " entries, expected d = ", d);
  for (std::size_t j = 0; j < v.size(); ++j) {
    if (!std::isfinite(v[j])) throw_invalid(function, name, "[", j, "] is ", v[j], " (NaN/Inf not allowed)");
  }
}

/// Row i of E widened to double.
template <class T>
std::vector<double> matrix_row(matrix_view<const T> E, std::size_t i) {
  std::vector<double> row(E.cols());
  for (std::size_t j = 0; j < E.cols(); ++j) row[j] = to_double(E(i, j));
  return row;
}

/// logit_minus with the two direction vectors: checks, the direction w, the projection.
template <class T>
std::vector<double> logit_minus(const char* function, matrix_view<const T> U, const std::vector<double>& direction_a,
                                const std::vector<double>& direction_b, const std::vector<double>& final_hidden,
                                const logit_lens_params& params) {
  check_matrix(function, "U", U);
  if (U.empty()) throw_invalid(function, "U is empty (", U.rows(), " x ", U.cols(), ")");
  const std::size_t d = U.cols();
  check_vector(function, "direction_a", direction_a, d);
  check_vector(function, "direction_b", direction_b, d);
  check_vector(function, "final_hidden", final_hidden, d);
  check_rms_norm(function, "params.norm", params.norm, d);
  require_finite(function, "U", U);
  double ss = 0.0;
  for (double h : final_hidden) ss += h * h;
  const double denom = std::sqrt(ss / static_cast<double>(d) + params.norm.epsilon);
  if (!(denom > 0.0)) {
    throw_error(function, "mean(final_hidden^2) + epsilon = 0: the final norm scale is undefined");
  }
  std::vector<double> w(d);
  for (std::size_t j = 0; j < d; ++j) w[j] = (direction_a[j] - direction_b[j]) * rms_norm_gain(params.norm, j) / denom;
  return project_rows(U, w, params.block_rows);
}

/// logit_minus with the rows token_a, token_b of the unembedding E.
template <class T, class TE>
std::vector<double> logit_minus(const char* function, matrix_view<const T> U, matrix_view<const TE> E,
                                std::size_t token_a, std::size_t token_b, const std::vector<double>& final_hidden,
                                const logit_lens_params& params) {
  check_matrix(function, "E", E);
  if (E.empty()) throw_invalid(function, "E is empty (", E.rows(), " x ", E.cols(), ")");
  if (E.cols() != U.cols()) throw_invalid(function, "E has ", E.cols(), " columns but U rows have d = ", U.cols());
  if (token_a >= E.rows()) throw_invalid(function, "token_a = ", token_a, " must be < |V| = ", E.rows());
  if (token_b >= E.rows()) throw_invalid(function, "token_b = ", token_b, " must be < |V| = ", E.rows());
  const std::vector<double> a = matrix_row(E, token_a), b = matrix_row(E, token_b);
  for (std::size_t j = 0; j < a.size(); ++j) {
    if (!std::isfinite(a[j])) throw_invalid(function, "E (", token_a, ", ", j, ") is ", a[j], " (NaN/Inf not allowed)");
    if (!std::isfinite(b[j])) throw_invalid(function, "E (", token_b, ", ", j, ") is ", b[j], " (NaN/Inf not allowed)");
  }
  return attention::detail::logit_minus(function, U, a, b, final_hidden, params);
}

/// The fixed denominator sqrt(mean(final_hidden²) + ε) of [P4]'s normaliser (final_hidden
/// checked by the caller); icl::error when it is 0.
inline double fixed_final_denominator(const char* function, const std::vector<double>& final_hidden,
                                      const rms_norm_params& norm) {
  double ss = 0.0;
  for (double h : final_hidden) ss += h * h;
  const double denom = std::sqrt(ss / static_cast<double>(final_hidden.size()) + norm.epsilon);
  if (!(denom > 0.0)) {
    throw_error(function, "mean(final_hidden^2) + epsilon = 0: the final norm scale is undefined");
  }
  return denom;
}

/// The denominator logprob_change uses: empty for normalizer::per_vector, the fixed one for
/// fixed_final (which needs final_hidden: null when the caller's overload has none).
inline std::optional<double> lens_denominator(const char* function, const std::vector<double>* final_hidden,
                                              const logit_lens_params& params, std::size_t d) {
  if (params.scale == normalizer::per_vector) {
    if (final_hidden != nullptr && !final_hidden->empty()) check_vector(function, "final_hidden", *final_hidden, d);
    return std::nullopt;
  }
  if (params.scale != normalizer::fixed_final) {
    throw_invalid(function, "params.scale = ", static_cast<int>(params.scale), " is not an icl::attention::normalizer");
  }
  if (final_hidden == nullptr) {
    throw_invalid(function, "params.scale = fixed_final (the default, [P4]'s normaliser) needs final_hidden: ",
                  "call the overload that takes final_hidden, or set params.scale = normalizer::per_vector");
  }
  check_vector(function, "final_hidden", *final_hidden, d);
  return fixed_final_denominator(function, *final_hidden, params.norm);
}

/// logprob_change, its errors naming `function` (logprob_change or logprob_increase);
/// final_hidden null for the overloads without it.
template <class TE, class TO>
logprob_result logprob_change(const char* function, matrix_view<const TE> E, std::size_t token_b,
                              const std::vector<double>& x, matrix_view<const TO> O,
                              const std::vector<double>* final_hidden, const logit_lens_params& params) {
  check_matrix(function, "E", E);
  check_matrix(function, "O", O);
  if (E.empty()) throw_invalid(function, "E is empty (", E.rows(), " x ", E.cols(), ")");
  if (O.empty()) throw_invalid(function, "O is empty (", O.rows(), " x ", O.cols(), ")");
  const std::size_t d = E.cols();
  if (O.cols() != d) throw_invalid(function, "O has ", O.cols(), " columns but E has d = ", d);
  check_vector(function, "x", x, d);
  check_rms_norm(function, "params.norm", params.norm, d);
  if (token_b >= E.rows()) throw_invalid(function, "token_b = ", token_b, " must be < |V| = ", E.rows());
  const std::optional<double> denom = lens_denominator(function, final_hidden, params, d);
  require_finite(function, "E", E);
  require_finite(function, "O", O);
  std::vector<double> all = log_probabilities(function, E, {token_b}, O, x, params.norm, denom, params.block_rows);
  logprob_result out;
  out.base = all[0];
  out.logprob.assign(all.begin() + 1, all.end());
  out.increase.resize(out.logprob.size());
  for (std::size_t p = 0; p < out.logprob.size(); ++p) out.increase[p] = out.logprob[p] - out.base;
  return out;
}

/// head_logprob_increase: for each layer l, the residual x_l (row l of X) and the head outputs
/// O[l] (heads x d) are scored together against every label token in one pass over E.
template <class TE, class TX, class TO>
std::vector<head_map> head_logprob_increase(const char* function, matrix_view<const TE> E,
                                            const std::vector<std::size_t>& label_tokens, matrix_view<const TX> X,
                                            tensor_view<const TO, 3> O, const std::vector<double>& final_hidden,
                                            const logit_lens_params& params) {
  check_matrix(function, "E", E);
  check_matrix(function, "X", X);
  if (E.empty()) throw_invalid(function, "E is empty (", E.rows(), " x ", E.cols(), ")");
  const std::size_t d = E.cols(), L = O.extent(0), H = O.extent(1);
  if (L == 0 || H == 0) throw_invalid(function, "O has ", L, " layers and ", H, " heads; both must be > 0");
  if (O.extent(2) != d) throw_invalid(function, "O has width ", O.extent(2), " but E has d = ", d);
  if (X.rows() != L) throw_invalid(function, "X has ", X.rows(), " rows but O has ", L, " layers");
  if (X.cols() != d) throw_invalid(function, "X has ", X.cols(), " columns but E has d = ", d);
  if (label_tokens.empty()) throw_invalid(function, "label_tokens is empty");
  for (std::size_t k = 0; k < label_tokens.size(); ++k) {
    if (label_tokens[k] >= E.rows()) {
      throw_invalid(function, "label_tokens[", k, "] = ", label_tokens[k], " must be < |V| = ", E.rows());
    }
  }
  check_rms_norm(function, "params.norm", params.norm, d);
  const std::optional<double> denom = lens_denominator(function, &final_hidden, params, d);
  require_finite(function, "E", E);
  require_finite(function, "X", X);
  for (std::size_t l = 0; l < L; ++l) require_finite(function, "O[layer]", O.matrix(l));
  const std::size_t K = label_tokens.size();
  std::vector<head_map> out(K);
  for (auto& map : out) {
    map.layers = L;
    map.heads = H;
    map.values.assign(L * H, 0.0);
  }
  for (std::size_t l = 0; l < L; ++l) {
    const std::vector<double> x = matrix_row(X, l);
    const std::vector<double> lp =
        log_probabilities(function, E, label_tokens, O.matrix(l), x, params.norm, denom, params.block_rows);
    for (std::size_t h = 0; h < H; ++h) {
      for (std::size_t k = 0; k < K; ++k) out[k].values[l * H + h] = lp[(h + 1) * K + k] - lp[k];
    }
  }
  return out;
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_LOGIT_LENS_IMPL_HPP
