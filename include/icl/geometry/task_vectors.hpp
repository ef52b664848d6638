#ifndef ICL_GEOMETRY_TASK_VECTORS_HPP
#define ICL_GEOMETRY_TASK_VECTORS_HPP

/// Task vectors ([P2], docs/geometry.md): a d-vector v that summarises the task of the
/// demonstrations, built from the outputs of the top induction heads or from the hidden states at
/// a layer, and its additive injection h ← h + λ·v into a forward pass that runs without the
/// demonstrations. The engine computes the outputs/states and calls inject_task_vector on its own
/// buffer at the layer and positions it chooses.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/view.hpp"
#include "icl/geometry/detail/task_vector_impl.hpp"
#include "icl/layers.hpp"

namespace icl::geometry {

/// v = the mean of the listed heads' output vectors: outputs is [layers, heads, d] (one prompt;
/// any strides), heads a list of (layer, head) pairs as icl::attention::top_heads returns (a
/// head listed twice counts twice). Throws icl::invalid_argument naming
/// icl::geometry::head_task_vector when the list is empty, a pair is out of range, the outputs
/// are empty or a listed head's output holds NaN/Inf.
template <class T>
std::vector<double> head_task_vector(tensor_view<const T, 3> outputs,
                                     const std::vector<std::pair<std::size_t, std::size_t>>& heads) {
  return detail::checked_head_mean("icl::geometry::head_task_vector", outputs, heads);
}

/// The same over prompts: outputs is [prompts, layers, heads, d] and v the mean over the prompts
/// and the listed heads.
template <class T>
std::vector<double> head_task_vector(tensor_view<const T, 4> outputs,
                                     const std::vector<std::pair<std::size_t, std::size_t>>& heads) {
  return detail::checked_head_mean("icl::geometry::head_task_vector", outputs, heads);
}

/// v = the mean over prompts of the states at one layer: states is [n, d] (any strides), one row
/// per prompt (e.g. the last token's state). Throws icl::invalid_argument naming
/// icl::geometry::state_task_vector when states is empty or holds NaN/Inf.
template <class T>
std::vector<double> state_task_vector(matrix_view<const T> states) {
  const char* fn = "icl::geometry::state_task_vector";
  detail::check_states(fn, states);
  return detail::mean_rows(states);
}

/// The same at layer `layer` of states [layers, n, d]; also throws when layer >= layers.
template <class T>
std::vector<double> state_task_vector(tensor_view<const T, 3> states, std::size_t layer) {
  const char* fn = "icl::geometry::state_task_vector";
  const std::size_t layers = icl::detail::check_layers(fn, "states", states);
  if (layer >= layers) icl::detail::throw_invalid(fn, "layer ", layer, " is out of range for ", layers, " layers");
  detail::check_states(fn, states.matrix(layer));
  return detail::mean_rows(states.matrix(layer));
}

/// The injection h ← h + λ·v on the caller's buffer: every row of h (n x d, mutable, any strides;
/// float, double, icl::f16 or icl::bf16) gets λ·v added, the sum formed in double and rounded
/// once to the element type (f16/bf16 through float). Pass a view of the rows to change (e.g.
/// the last position's state at the chosen layer, a 1 x d view). Throws icl::invalid_argument
/// naming icl::geometry::inject_task_vector when v does not have d entries or v or λ is not
/// finite; h is then left unchanged.
template <class T>
void inject_task_vector(matrix_view<T> h, const std::vector<double>& v, double lambda) {
  detail::check_injection("icl::geometry::inject_task_vector", h, v, lambda);
  detail::add_scaled(h, v, lambda);
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_TASK_VECTORS_HPP
