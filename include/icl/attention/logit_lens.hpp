#ifndef ICL_ATTENTION_LOGIT_LENS_HPP
#define ICL_ATTENTION_LOGIT_LENS_HPP

/// Logit-lens projections of attention outputs (docs/metrics.md 5 [P4]): logit_minus,
/// logprob_change / logprob_increase (default: [P4]'s fixed normaliser, normalizer::fixed_final)
/// and head_logprob_increase. The final norm is described by logit_lens_params::norm, an
/// icl::rms_norm_params (γ, and ε with its documented default 1e-6: icl/core/rms_norm.hpp).
///
/// Thread safety: the functions only read their arguments and may be called concurrently; they
/// use the library's threads inside.

#include <cstddef>
#include <vector>

#include "icl/attention/detail/logit_lens_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/rms_norm.hpp"
#include "icl/core/view.hpp"

namespace icl::attention {

/// logit_minus [P4]: for each row u_p of U (n x d, e.g. every (layer, head, position) output
/// stacked), M_p = (E_a − E_b)·N(u_p) with the FIXED final-norm scale of the last position:
/// N(u) = γ ⊙ u / sqrt(σ²_f + ε), σ²_f = mean((h_L^T)²) of `final_hidden` (d entries), γ and ε
/// from params.norm. All rows are projected at once on w = (E_a − E_b) ⊙ γ / sqrt(σ²_f + ε)
/// (blocked GEMV in float for float/f16/bf16 U, in double for double U). Returns n values.
/// Throws icl::invalid_argument for an empty U, a width that is not d (the vectors, γ), NaN/Inf
/// anywhere, a negative or non-finite ε, and icl::error when σ²_f + ε = 0.
template <class T>
std::vector<double> logit_minus(matrix_view<const T> U, const std::vector<double>& direction_a,
                                const std::vector<double>& direction_b, const std::vector<double>& final_hidden,
                                const logit_lens_params& params = {}) {
  return detail::logit_minus("icl::attention::logit_minus", U, direction_a, direction_b, final_hidden, params);
}

/// logit_minus with E_a, E_b the rows token_a, token_b of the unembedding E (|V| x d). Errors:
/// also an empty E, E's width not U's, a token id >= |V|, NaN/Inf in those two rows.
template <class T, class TE>
std::vector<double> logit_minus(matrix_view<const T> U, matrix_view<const TE> E, std::size_t token_a,
                                std::size_t token_b, const std::vector<double>& final_hidden,
                                const logit_lens_params& params = {}) {
  return detail::logit_minus("icl::attention::logit_minus", U, E, token_a, token_b, final_hidden, params);
}

/// logprob_change [P4]: log p(b | x) and, for each row o_p of O (P x d), log p(b | x + o_p) and
/// the increase log p(b | x + o_p) − log p(b | x), under softmax(E·N(·)) over the whole
/// vocabulary. N is chosen by params.scale:
///   - normalizer::fixed_final (default, [P4]'s): N(v) = γ ⊙ v / sqrt(σ²_f + ε), σ²_f =
///     mean(final_hidden²), final_hidden the final layer's output at the last position before
///     the final norm (d entries). x is the residual entering the layer at the last position;
///     the rows of O are head outputs o^{(l,h)} (head level) or value-output vectors u_p
///     (position level; value_output.hpp).
///   - normalizer::per_vector: N(v) = γ ⊙ v / sqrt(mean(v²) + ε), each vector's own RMS;
///     final_hidden is then not used (it may be empty).
/// γ and ε come from params.norm. E is the full unembedding (|V| x d); the P + 1 normalized
/// vectors are multiplied with E in vocabulary blocks, one GEMM per block (float for
/// float/f16/bf16 E, double for double E), with a streaming log-sum-exp in double. Throws
/// icl::invalid_argument for empty E or O, widths that differ from x.size() (O, γ,
/// final_hidden), token b >= |V|, NaN/Inf anywhere, a negative or non-finite ε; icl::error when
/// mean(final_hidden²) + ε = 0 (fixed_final) or an RMS norm is 0 (per_vector).
template <class TE, class TO>
logprob_result logprob_change(matrix_view<const TE> E, std::size_t token_b, const std::vector<double>& x,
                              matrix_view<const TO> O, const std::vector<double>& final_hidden,
                              const logit_lens_params& params = {}) {
  return detail::logprob_change("icl::attention::logprob_change", E, token_b, x, O, &final_hidden, params);
}

/// logprob_change without final_hidden: only normalizer::per_vector can be computed, so
/// params.scale must be set to it (icl::invalid_argument for the default fixed_final, which
/// needs final_hidden); otherwise as the overload above.
template <class TE, class TO>
logprob_result logprob_change(matrix_view<const TE> E, std::size_t token_b, const std::vector<double>& x,
                              matrix_view<const TO> O, const logit_lens_params& params = {}) {
  return detail::logprob_change("icl::attention::logprob_change", E, token_b, x, O, nullptr, params);
}

/// logprob_increase [P4]: Imp = log p(b | x + o_p) − log p(b | x) for each row o_p of O (P x d),
/// b the predicted label token, at the authors' fixed scale by default (σ²_f of final_hidden);
/// see logprob_change for the definition, the options, the computation and the errors.
/// Returns P values.
template <class TE, class TO>
std::vector<double> logprob_increase(matrix_view<const TE> E, std::size_t token_b, const std::vector<double>& x,
                                     matrix_view<const TO> O, const std::vector<double>& final_hidden,
                                     const logit_lens_params& params = {}) {
  return detail::logprob_change("icl::attention::logprob_increase", E, token_b, x, O, &final_hidden, params)
      .increase;
}

/// logprob_increase without final_hidden: needs params.scale = normalizer::per_vector (each
/// vector's own RMS); icl::invalid_argument for the default fixed_final.
template <class TE, class TO>
std::vector<double> logprob_increase(matrix_view<const TE> E, std::size_t token_b, const std::vector<double>& x,
                                     matrix_view<const TO> O, const logit_lens_params& params = {}) {
  return detail::logprob_change("icl::attention::logprob_increase", E, token_b, x, O, nullptr, params).increase;
}

/// head_logprob_increase [P4]: the head importance of every (layer, head) of one prompt, for each
/// label token t_k: Imp_k(l, h) = log p(t_k | x_l + o^{(l,h)}) − log p(t_k | x_l), with x_l row l
/// of X (L x d, the residual entering layer l at the last position) and o^{(l,h)} = O(l, h, :)
/// (O: [L, heads, d], e.g. from head_outputs). Normalizer and options as logprob_change (default
/// fixed_final with final_hidden). One head_map per label token, in the order of label_tokens
/// (e.g. {foo, bar}: average the foo map over the prompts predicted foo to rank foo-heads).
/// Errors: those of logprob_change, plus X not L x d, O's width not d, an empty label_tokens and a
/// label token id >= |V|.
template <class TE, class TX, class TO>
std::vector<head_map> head_logprob_increase(matrix_view<const TE> E, const std::vector<std::size_t>& label_tokens,
                                            matrix_view<const TX> X, tensor_view<const TO, 3> O,
                                            const std::vector<double>& final_hidden,
                                            const logit_lens_params& params = {}) {
  return detail::head_logprob_increase("icl::attention::head_logprob_increase", E, label_tokens, X, O, final_hidden,
                                       params);
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_LOGIT_LENS_HPP
