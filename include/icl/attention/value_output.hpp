#ifndef ICL_ATTENTION_VALUE_OUTPUT_HPP
#define ICL_ATTENTION_VALUE_OUTPUT_HPP

/// Value-output vectors of [P4] (Yu & Ananiadou, arXiv 2402.02872; docs/metrics.md 5), built from what
/// an inference engine exposes for one layer:
///
///   A    attention weights [heads, T, T] (row = query position, as the rest of the module)
///   V    values per key/value head [kv_heads, T, d_head] (after any rotary step the engine applies)
///   W_O  the layer's output projection, d_model x (heads · d_head): Hugging Face's
///        o_proj.weight layout (out x in), columns h·d_head .. (h+1)·d_head belong to head h.
///        A (heads · d_head) x d_model matrix (W_Oᵀ, per-head row blocks) is passed as
///        W_O.transposed(); any strides are read in place.
///
/// Grouped-query attention: query head h reads kv head kv(h) = h / (heads / kv_heads)
/// (heads must be a multiple of kv_heads; kv_heads = heads is ordinary multi-head attention).
/// With q the query position (default T-1):
///
///   vo_p = W_O^{(h)} v_p^{(kv(h))}      (unweighted)
///   u_p  = α_{q,p} · vo_p               (weighted; 0 beyond q under a causal mask)
///   o    = Σ_p u_p                      (the head's output at q; an o_proj bias is not included)
///
/// u_p feed logit_minus and the per-position logprob_increase; the rows of head_outputs feed
/// head_logprob_increase. Elements are float, double, f16 or bf16, widened to double.
///
/// Thread safety: the functions only read their arguments and may be called concurrently.

#include <cstddef>
#include <vector>

#include "icl/attention/detail/value_output_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/view.hpp"

namespace icl::attention {

/// The value-output vectors of query head `head` (see the header comment): u, vo (T x d_model
/// each, row-major) and o. Throws icl::invalid_argument for a head index >= heads, heads not a
/// multiple of kv_heads, A not [heads, T, T], V's T not A's, W_O's columns not heads · d_head, an
/// empty dimension, params.query >= T, and NaN/Inf in what is read (row q of A, V, W_O's block).
template <class TA, class TV, class TW>
value_outputs value_output_vectors(tensor_view<const TA, 3> A, tensor_view<const TV, 3> V, matrix_view<const TW> W_O,
                                   std::size_t head, const value_output_params& params = {}) {
  return detail::value_output_vectors("icl::attention::value_output_vectors", A, V, W_O, head, params);
}

/// Every head's output o^{(h)} at the query position, row-major [heads, d_model], computed as
/// W_O^{(h)} (Σ_p α_{q,p} v_p). Errors: those of value_output_vectors except the head index.
template <class TA, class TV, class TW>
std::vector<double> head_outputs(tensor_view<const TA, 3> A, tensor_view<const TV, 3> V, matrix_view<const TW> W_O,
                                 const value_output_params& params = {}) {
  return detail::head_outputs("icl::attention::head_outputs", A, V, W_O, params);
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_VALUE_OUTPUT_HPP
