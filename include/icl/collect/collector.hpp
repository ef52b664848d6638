#ifndef ICL_COLLECT_COLLECTOR_HPP
#define ICL_COLLECT_COLLECTOR_HPP

/// Collecting hidden states from an inference engine, one prompt at a time (docs/collector.md).
///
/// An engine's evaluation callback sees prompt p's tensors layer by layer; the hidden-state
/// metrics need, per layer, every prompt. icl::collect::prompt_collector stores each prompt's
/// states at a fixed number of positions for every layer, in the engine's own precision, reduces
/// its attention (when given) as it arrives, optionally grows one RDM per layer, and at the end
/// runs the per-layer suite — RSA with permutation inference, task decodability, probes,
/// separability/alignment, effective dimension, CKA of consecutive layers and the attention
/// scores — with the results of the batch functions on the same rows.
///
/// Memory: prompts x layers x positions x d x element_size(stored) bytes of states (nothing else
/// of that size: inputs are converted straight into the store, attention is never kept), plus
/// L·n(n−1)/2 doubles with a grown RDM. memory() reports each part.
///
/// Thread safety: a prompt_collector is fed by one thread at a time — no member function may
/// run while a non-const one runs on the same object. Const member functions (prompts(),
/// memory(), visit_states(), grown_rdm(), ...) may run concurrently with each other. Engines
/// with concurrent callbacks give each worker its own collector (make_shard()) and merge() them
/// at the end, on one thread: results are ordered by prompt index, not arrival, and are the
/// same bits as one collector fed in prompt order.
///
///   icl::collect::prompt_collector c({/*layers*/ 24, /*width*/ 896, /*positions*/ 1,
///                                     icl::collect::precision::f16});
///   c.begin_prompt({i, label});                    // in the engine's callback:
///   c.add_layer(l, rows);                          //   rows: positions x d, any type and strides
///   c.end_prompt();
///   icl::collect::suite_result r = c.run_suite();  // r.decodability.curve, r.rsa_curve, ...

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/collect/detail/collector_impl.hpp"
#include "icl/collect/detail/suite_impl.hpp"
#include "icl/collect/types.hpp"
#include "icl/core/view.hpp"

namespace icl::collect {

/// Stores hidden states by prompt for the per-layer metrics (see the top of this header).
class prompt_collector {
 public:
  /// Throws icl::invalid_argument when layers, width or positions is 0, or grown_rdm_position
  /// is not a stored position.
  explicit prompt_collector(const collector_config& config) { detail::init_state(s_, config); }

  const collector_config& config() const noexcept { return s_.config; }
  /// An empty collector with the same configuration: one per worker, merged at the end.
  prompt_collector make_shard() const { return prompt_collector(s_.config); }

  // ---- one prompt at a time ----------------------------------------------------------------

  /// Adds a whole prompt: hidden[l] holds layer l's states (positions x d, any of the four
  /// element types, any strides). Returns the prompt's index. Nothing is kept when it throws:
  /// a wrong number of layers or shape, NaN/Inf (or a value out of the stored precision's
  /// range), a repeated index, and the grown RDM's errors (a zero row under cosine, ...).
  template <class T>
  std::size_t add_prompt(const prompt_info& info, const std::vector<matrix_view<const T>>& hidden) {
    return detail::add_prompt(s_, info, hidden, static_cast<const std::vector<tensor_view<const T, 3>>*>(nullptr));
  }
  /// The same with its attention: attention[l] is layer l's [heads, T, T] (row q = query
  /// position), reduced at once by the icl::attention accumulators at info.attention's positions.
  template <class T, class A>
  std::size_t add_prompt(const prompt_info& info, const std::vector<matrix_view<const T>>& hidden,
                         const std::vector<tensor_view<const A, 3>>& attention) {
    return detail::add_prompt(s_, info, hidden, &attention);
  }
  /// A whole prompt from a [layers, positions, d] tensor (any strides).
  template <class T>
  std::size_t add_prompt(const prompt_info& info, tensor_view<const T, 3> hidden) {
    return add_prompt(info, layer_views(hidden));
  }
  /// A whole prompt from [layers, positions, d] states and [layers, heads, T, T] attention.
  template <class T, class A>
  std::size_t add_prompt(const prompt_info& info, tensor_view<const T, 3> hidden, tensor_view<const A, 4> attention) {
    std::vector<tensor_view<const A, 3>> layers;
    for (std::size_t l = 0; l < attention.extent(0); ++l) layers.push_back(attention[l]);
    return add_prompt(info, layer_views(hidden), layers);
  }

  // ---- one layer at a time (an engine's per-tensor callback) -------------------------------

  /// Opens a prompt (its states are written straight into the store by add_layer). Returns its
  /// index. Throws when a prompt is open or the index was already added.
  std::size_t begin_prompt(const prompt_info& info) { return detail::begin_prompt(s_, info); }
  /// Layer `layer` of the open prompt: positions x d rows, any element type and strides.
  /// Throws (leaving the prompt open, that layer not added) on a wrong layer or shape, a layer
  /// given twice, NaN/Inf or a value out of the stored precision's range.
  template <class T>
  void add_layer(std::size_t layer, matrix_view<const T> rows) {
    detail::add_layer(s_, layer, rows);
  }
  /// Layer `layer` of the open prompt's attention, [heads, T, T]; reduced at once (previous-token
  /// score always, induction with label positions, the ratio with sources, relevant and
  /// irrelevant keys). Throws as the accumulators do, and on a heads count that differs from the
  /// earlier prompts'; nothing is added then.
  template <class A>
  void add_attention(std::size_t layer, tensor_view<const A, 3> attention) {
    detail::add_attention(s_, layer, attention);
  }
  /// Commits the open prompt: every layer's states, and attention for every layer or none.
  /// On failure (a missing layer, the grown RDM's errors) the prompt is discarded and rethrown.
  void end_prompt() { detail::end_prompt(s_); }
  /// Drops the open prompt (no-op when none is open).
  void discard_prompt() { detail::discard_prompt(s_); }
  bool prompt_open() const noexcept { return s_.open.has_value(); }

  // ---- shards ------------------------------------------------------------------------------

  /// Moves the prompts of `other` (same configuration, no open prompt, no index in common)
  /// into this collector; other is left empty. With a grown RDM the pairs between the two sets
  /// are computed here. Call on one thread, after the workers are done.
  void merge(prompt_collector&& other) { detail::merge(s_, other.s_); }
  /// Puts the stored prompts in index order, in place (run_suite does it first).
  void sort() { detail::sort(s_); }
  /// Whether the stored order is the index order.
  bool sorted() const noexcept { return s_.sorted; }

  // ---- what is held ------------------------------------------------------------------------

  std::size_t prompts() const noexcept { return detail::prompt_count(s_); }
  /// Prompt indices and labels in stored order (index order once sorted()).
  const std::vector<std::size_t>& prompt_indices() const noexcept { return s_.indices; }
  const std::vector<int>& labels() const noexcept { return s_.labels; }
  /// Attention heads (0 until a prompt with attention was added).
  std::size_t heads() const noexcept { return s_.heads; }
  /// Bytes held, by part.
  memory_usage memory() const noexcept { return detail::memory(s_); }
  std::size_t bytes_held() const noexcept { return memory().total; }

  /// Calls f with the states at `position` (default: the last) as a tensor_view<const S, 3>
  /// [layers, prompts, d] of the stored type S, read in place; returns what f returns (the
  /// same type for every S). Throws when the prompts are not sorted().
  template <class F>
  decltype(auto) visit_states(F&& f, std::size_t position = last_position) const {
    return detail::visit_states(s_, position, std::forward<F>(f));
  }
  /// The grown RDM of `layer`, over the prompts in index order. Throws without a grown RDM,
  /// with fewer than 2 prompts, or when the prompts are not sorted().
  rsa::rdm grown_rdm(std::size_t layer) const { return detail::grown_rdm(s_, layer); }

  // ---- the suite ---------------------------------------------------------------------------

  /// Sorts, then runs every family switched on in `params` layer by layer on the states at
  /// params.position, one row per prompt in index order, with the modules' batch functions;
  /// throws what they throw (e.g. decodability's k >= n) and when no prompt was added.
  suite_result run_suite(const suite_params& params = {}) { return detail::run_suite(s_, params); }

 private:
  template <class T>
  static std::vector<matrix_view<const T>> layer_views(tensor_view<const T, 3> hidden) {
    std::vector<matrix_view<const T>> out;
    for (std::size_t l = 0; l < hidden.extent(0); ++l) out.push_back(hidden.matrix(l));
    return out;
  }

  detail::collector_state s_;
};

}  // namespace icl::collect

#endif  // ICL_COLLECT_COLLECTOR_HPP
