#ifndef ICL_ATTENTION_DETAIL_VALUE_OUTPUT_IMPL_HPP
#define ICL_ATTENTION_DETAIL_VALUE_OUTPUT_IMPL_HPP

/// Kernels of the value-output vectors (docs/metrics.md 5 [P4]): the checks of one layer's attention
/// [heads, T, T], values [kv_heads, T, d_head] and W_O (d_model x heads·d_head), and the products
/// vo_p = W_O^{(h)} v_p, u_p = α_{q,p} vo_p, o = Σ_p u_p in double, read through the strides.
/// head_outputs forms o = W_O^{(h)} (Σ_p α_{q,p} v_p) instead: one d_model x d_head product per
/// head rather than T of them.

#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"

namespace icl::attention::detail {

/// The checked shape of a value-output problem.
struct vo_shape {
  std::size_t heads, tokens, kv_heads, d_head, d_model, group, query;
};

template <class TA, class TV, class TW>
vo_shape check_value_outputs(const char* function, tensor_view<const TA, 3> A, tensor_view<const TV, 3> V,
                             matrix_view<const TW> W_O, const value_output_params& params) {
  using icl::detail::throw_invalid;
  vo_shape s{A.extent(0), A.extent(1), V.extent(0), V.extent(2), W_O.rows(), 0, 0};
  if (s.heads == 0 || s.tokens == 0) throw_invalid(function, "A has ", s.heads, " heads and T = ", s.tokens, "; both must be > 0");
  if (A.extent(2) != s.tokens) throw_invalid(function, "A is [", s.heads, ", ", s.tokens, ", ", A.extent(2), "], not [heads, T, T]");
  if (s.kv_heads == 0) throw_invalid(function, "V has 0 key/value heads");
  if (s.heads % s.kv_heads != 0) {
    throw_invalid(function, "heads = ", s.heads, " is not a multiple of kv_heads = ", s.kv_heads);
  }
  if (V.extent(1) != s.tokens) throw_invalid(function, "V has ", V.extent(1), " positions but A has T = ", s.tokens);
  if (s.d_head == 0) throw_invalid(function, "V has d_head = 0");
  if (s.d_model == 0) throw_invalid(function, "W_O has 0 rows (d_model)");
  if (W_O.cols() != s.heads * s.d_head) {
    throw_invalid(function, "W_O has ", W_O.cols(), " columns but heads * d_head = ", s.heads, " * ", s.d_head, " = ",
                  s.heads * s.d_head);
  }
  s.group = s.heads / s.kv_heads;
  s.query = params.query ? *params.query : s.tokens - 1;
  if (s.query >= s.tokens) throw_invalid(function, "params.query = ", s.query, " must be < T = ", s.tokens);
  return s;
}

/// X(a, b, ·) as doubles, checked finite; `name` spells X in messages. The rows read are
/// α_{q,·} of head h (X = A, a = h, b = q) and the values of kv head g at position p (X = V).
template <class T>
std::vector<double> finite_row(const char* function, const char* name, tensor_view<const T, 3> X, std::size_t a,
                               std::size_t b) {
  std::vector<double> row(X.extent(2));
  for (std::size_t j = 0; j < row.size(); ++j) {
    row[j] = icl::detail::to_double(X(a, b, j));
    if (!std::isfinite(row[j])) {
      icl::detail::throw_invalid(function, name, " (", a, ", ", b, ", ", j, ") is ", row[j], " (NaN/Inf not allowed)");
    }
  }
  return row;
}

/// W_O^{(h)}: the d_model x d_head block of columns h·d_head .. (h+1)·d_head, row-major, checked finite.
template <class TW>
std::vector<double> output_block(const char* function, matrix_view<const TW> W_O, std::size_t h, std::size_t d_head) {
  const std::size_t d = W_O.rows();
  std::vector<double> block(d * d_head);
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = 0; j < d_head; ++j) {
      const double w = icl::detail::to_double(W_O(i, h * d_head + j));
      if (!std::isfinite(w)) icl::detail::throw_invalid(function, "W_O (", i, ", ", h * d_head + j, ") is ", w, " (NaN/Inf not allowed)");
      block[i * d_head + j] = w;
    }
  }
  return block;
}

template <class TA, class TV, class TW>
value_outputs value_output_vectors(const char* function, tensor_view<const TA, 3> A, tensor_view<const TV, 3> V,
                                   matrix_view<const TW> W_O, std::size_t head, const value_output_params& params) {
  const vo_shape s = check_value_outputs(function, A, V, W_O, params);
  if (head >= s.heads) icl::detail::throw_invalid(function, "head = ", head, " must be < heads = ", s.heads);
  value_outputs out;
  out.positions = s.tokens;
  out.d_model = s.d_model;
  out.head = head;
  out.kv_head = head / s.group;
  out.query = s.query;
  const std::vector<double> alpha = finite_row(function, "A", A, head, s.query);
  const std::vector<double> block = output_block(function, W_O, head, s.d_head);
  std::vector<std::vector<double>> values(s.tokens);
  for (std::size_t p = 0; p < s.tokens; ++p) values[p] = finite_row(function, "V", V, out.kv_head, p);
  out.unweighted.assign(s.tokens * s.d_model, 0.0);
  out.weighted.assign(s.tokens * s.d_model, 0.0);
  icl::detail::parallel_for(0, s.tokens, [&](std::size_t p) {
    for (std::size_t i = 0; i < s.d_model; ++i) {
      double acc = 0.0;
      for (std::size_t j = 0; j < s.d_head; ++j) acc += block[i * s.d_head + j] * values[p][j];
      out.unweighted[p * s.d_model + i] = acc;
      out.weighted[p * s.d_model + i] = alpha[p] * acc;
    }
  });
  out.head_output.assign(s.d_model, 0.0);
  for (std::size_t p = 0; p < s.tokens; ++p) {
    for (std::size_t i = 0; i < s.d_model; ++i) out.head_output[i] += out.weighted[p * s.d_model + i];
  }
  return out;
}

template <class TA, class TV, class TW>
std::vector<double> head_outputs(const char* function, tensor_view<const TA, 3> A, tensor_view<const TV, 3> V,
                                 matrix_view<const TW> W_O, const value_output_params& params) {
  const vo_shape s = check_value_outputs(function, A, V, W_O, params);
  std::vector<std::vector<double>> values(s.kv_heads * s.tokens);
  for (std::size_t g = 0; g < s.kv_heads; ++g) {
    for (std::size_t p = 0; p < s.tokens; ++p) values[g * s.tokens + p] = finite_row(function, "V", V, g, p);
  }
  std::vector<double> out(s.heads * s.d_model, 0.0);
  for (std::size_t h = 0; h < s.heads; ++h) {
    const std::vector<double> alpha = finite_row(function, "A", A, h, s.query);
    const std::vector<double> block = output_block(function, W_O, h, s.d_head);
    std::vector<double> mixed(s.d_head, 0.0);  // Σ_p α_{q,p} v_p
    for (std::size_t p = 0; p < s.tokens; ++p) {
      const std::vector<double>& v = values[(h / s.group) * s.tokens + p];
      for (std::size_t j = 0; j < s.d_head; ++j) mixed[j] += alpha[p] * v[j];
    }
    for (std::size_t i = 0; i < s.d_model; ++i) {
      double acc = 0.0;
      for (std::size_t j = 0; j < s.d_head; ++j) acc += block[i * s.d_head + j] * mixed[j];
      out[h * s.d_model + i] = acc;
    }
  }
  return out;
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_VALUE_OUTPUT_IMPL_HPP
