#ifndef ICL_ATTENTION_DETAIL_LOGIT_LENS_IMPL_HPP
#define ICL_ATTENTION_DETAIL_LOGIT_LENS_IMPL_HPP

/// Kernels of the logit-lens projections (METRICS.md 5, logit_minus and logprob_increase).
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

/// log p(b | x) and log p(b | x + o_p) under softmax(E·N(·)), N the RMSNorm `norm` (weight γ,
/// empty: ones, and ε). E is |V| x d, O is P x d, x and γ have d entries. Returns P + 1 values,
/// the first for x alone.
template <class TE, class TO>
std::vector<double> log_probabilities(const char* function, matrix_view<const TE> E, std::size_t token,
                                     matrix_view<const TO> O, const std::vector<double>& x,
                                     const rms_norm_params& norm, std::size_t vocab_block) {
  using C = compute_t<TE>;
  const std::size_t V = E.rows(), d = E.cols(), P = O.rows(), m = P + 1;
  // Z: row 0 is N(x), row p + 1 is N(x + o_p).
  std::vector<C> Z(m * d);
  std::vector<unsigned char> bad(m, 0);
  parallel_for(0, m, [&](std::size_t r) {
    std::vector<double> v(x);
    if (r > 0) {
      for (std::size_t j = 0; j < d; ++j) v[j] += to_double(O(r - 1, j));
    }
    double ss = 0.0;
    for (std::size_t j = 0; j < d; ++j) ss += v[j] * v[j];
    const double denom = std::sqrt(ss / static_cast<double>(d) + norm.epsilon);
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
  std::vector<double> run_max(m, -std::numeric_limits<double>::infinity()), run_sum(m, 0.0), target(m, 0.0);
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
      if (token >= first && token < first + count) target[r] = static_cast<double>(l[token - first]);
    });
  }
  std::vector<double> logprob(m);
  for (std::size_t r = 0; r < m; ++r) logprob[r] = target[r] - (run_max[r] + std::log(run_sum[r]));
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

/// logprob_change, its errors naming `function` (logprob_change or logprob_increase).
template <class TE, class TO>
logprob_result logprob_change(const char* function, matrix_view<const TE> E, std::size_t token_b,
                              const std::vector<double>& x, matrix_view<const TO> O, const logit_lens_params& params) {
  check_matrix(function, "E", E);
  check_matrix(function, "O", O);
  if (E.empty()) throw_invalid(function, "E is empty (", E.rows(), " x ", E.cols(), ")");
  if (O.empty()) throw_invalid(function, "O is empty (", O.rows(), " x ", O.cols(), ")");
  const std::size_t d = E.cols();
  if (O.cols() != d) throw_invalid(function, "O has ", O.cols(), " columns but E has d = ", d);
  check_vector(function, "x", x, d);
  check_rms_norm(function, "params.norm", params.norm, d);
  if (token_b >= E.rows()) throw_invalid(function, "token_b = ", token_b, " must be < |V| = ", E.rows());
  require_finite(function, "E", E);
  require_finite(function, "O", O);
  std::vector<double> all = log_probabilities(function, E, token_b, O, x, params.norm, params.block_rows);
  logprob_result out;
  out.base = all[0];
  out.logprob.assign(all.begin() + 1, all.end());
  out.increase.resize(out.logprob.size());
  for (std::size_t p = 0; p < out.logprob.size(); ++p) out.increase[p] = out.logprob[p] - out.base;
  return out;
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_LOGIT_LENS_IMPL_HPP
