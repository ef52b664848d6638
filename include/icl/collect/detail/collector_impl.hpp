#ifndef ICL_COLLECT_DETAIL_COLLECTOR_IMPL_HPP
#define ICL_COLLECT_DETAIL_COLLECTOR_IMPL_HPP

/// The state of a prompt_collector and the bodies of its member functions: storage in the
/// stored precision, one prompt at a time or one layer at a time, the grown RDM, attention
/// reduced on arrival, merge of shards and the in-place sort into prompt order.
///
/// Storage: one buffer of the stored type, prompt-major in stored order:
///   element (prompt p, layer l, position t, feature k) at ((p·L + l)·P + t)·d + k.
/// A prompt is one contiguous block (an append, a move when sorting); the states of one layer
/// at one position are a strided matrix (row stride L·P·d) that every metric reads in place.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <iterator>
#include <numeric>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"
#include "icl/collect/detail/grown_rdm_impl.hpp"
#include "icl/collect/types.hpp"
#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::collect::detail {

using icl::detail::throw_invalid;
using icl::detail::to_double;

/// The stored states, in the stored precision.
using state_buffer = std::variant<std::vector<f16>, std::vector<bf16>, std::vector<float>, std::vector<double>>;

/// One prompt's attention, reduced by the accumulators as its layers arrive.
struct attention_record {
  std::optional<attention::previous_token_accumulator> previous_token;
  std::optional<attention::induction_accumulator> induction;
  std::optional<attention::ratio_accumulator> ratio;
  bool empty() const noexcept { return !previous_token && !induction && !ratio; }
};

/// The prompt being fed one layer at a time (begin_prompt .. end_prompt).
struct open_prompt {
  prompt_info info;
  std::vector<unsigned char> layer_done;
  std::vector<unsigned char> attention_done;
  attention_record attention;
  std::size_t heads = 0;
};

struct collector_state {
  collector_config config;
  std::size_t block = 0;         ///< elements per prompt: L·P·d
  std::size_t rdm_position = 0;  ///< the grown RDM's position, resolved
  state_buffer states;
  std::vector<std::size_t> indices;         ///< stored order
  std::vector<int> labels;                  ///< stored order
  std::vector<attention_record> attention;  ///< stored order
  std::vector<std::size_t> sorted_indices;  ///< increasing, for the duplicate check
  std::size_t heads = 0;                    ///< 0 until attention arrives
  std::vector<std::vector<double>> lower;        ///< grown RDM per layer (lower triangle)
  std::vector<std::vector<row_moments>> moments; ///< per layer, stored order
  bool sorted = true;
  std::optional<open_prompt> open;
};

inline std::size_t prompt_count(const collector_state& s) noexcept { return s.indices.size(); }

/// Resolves a position argument (last_position: P − 1), checking it.
inline std::size_t resolve_position(const char* fn, const collector_config& c, std::size_t position) {
  if (position == last_position) return c.positions - 1;
  if (position >= c.positions) throw_invalid(fn, "position ", position, " must be < positions = ", c.positions);
  return position;
}

inline state_buffer make_buffer(precision p) {
  switch (p) {
    case precision::f16: return std::vector<f16>{};
    case precision::bf16: return std::vector<bf16>{};
    case precision::f32: return std::vector<float>{};
    case precision::f64: return std::vector<double>{};
  }
  throw_invalid("icl::collect::prompt_collector", "unknown precision ", static_cast<int>(p));
}

inline void init_state(collector_state& s, const collector_config& c) {
  const char* fn = "icl::collect::prompt_collector";
  if (c.layers == 0) throw_invalid(fn, "layers = 0 must be >= 1");
  if (c.width == 0) throw_invalid(fn, "width = 0 must be >= 1");
  if (c.positions == 0) throw_invalid(fn, "positions = 0 must be >= 1");
  s.config = c;
  s.block = icl::detail::checked_mul(fn, icl::detail::checked_mul(fn, c.layers, c.positions, "layers x positions"),
                                     c.width, "layers x positions x width");
  s.rdm_position = resolve_position(fn, c, c.grown_rdm_position);
  s.states = make_buffer(c.stored);
  std::visit([&](auto& buf) { buf.reserve(icl::detail::checked_mul(fn, c.reserve_prompts, s.block, "reserve")); },
             s.states);
  if (c.grown_rdm) {
    s.lower.assign(c.layers, {});
    s.moments.assign(c.layers, {});
  }
}

/// Converts one element to the stored type S (double → f16/bf16 rounds through float).
template <class S, class T>
S to_stored(T v) noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, S>) {
    return v;
  } else if constexpr (std::is_same_v<S, double>) {
    return to_double(v);
  } else if constexpr (std::is_same_v<S, float>) {
    return static_cast<float>(v);
  } else {
    return S(static_cast<float>(v));
  }
}

inline std::size_t next_auto_index(const collector_state& s) {
  if (s.sorted_indices.empty()) return 0;
  const std::size_t last = s.sorted_indices.back();
  if (last == auto_index - 1) throw_invalid("icl::collect::prompt_collector::begin_prompt", "no index left after ", last);
  return last + 1;
}

inline std::size_t begin_prompt(collector_state& s, const prompt_info& info) {
  const char* fn = "icl::collect::prompt_collector::begin_prompt";
  if (s.open) throw_invalid(fn, "prompt ", s.open->info.index, " is still open (end_prompt or discard_prompt first)");
  open_prompt p;
  p.info = info;
  if (p.info.index == auto_index) p.info.index = next_auto_index(s);
  if (std::binary_search(s.sorted_indices.begin(), s.sorted_indices.end(), p.info.index)) {
    throw_invalid(fn, "prompt index ", p.info.index, " was already added");
  }
  p.layer_done.assign(s.config.layers, 0);
  p.attention_done.assign(s.config.layers, 0);
  std::visit([&](auto& buf) { buf.resize(buf.size() + s.block); }, s.states);
  s.open = std::move(p);
  return s.open->info.index;
}

inline open_prompt& require_open(collector_state& s, const char* fn) {
  if (!s.open) throw_invalid(fn, "no prompt is open (begin_prompt first)");
  return *s.open;
}

inline void check_layer(const char* fn, const collector_state& s, std::size_t layer) {
  if (layer >= s.config.layers) throw_invalid(fn, "layer ", layer, " must be < layers = ", s.config.layers);
}

/// Writes one layer's rows (positions x d, any strides) of the open prompt into its block.
template <class T>
void add_layer(collector_state& s, std::size_t layer, matrix_view<const T> rows) {
  const char* fn = "icl::collect::prompt_collector::add_layer";
  open_prompt& p = require_open(s, fn);
  check_layer(fn, s, layer);
  icl::detail::check_matrix(fn, "rows", rows);
  const std::size_t P = s.config.positions, d = s.config.width;
  if (rows.rows() != P || rows.cols() != d) {
    throw_invalid(fn, "prompt ", p.info.index, " layer ", layer, ": rows is ", rows.rows(), " x ", rows.cols(),
                  ", expected positions x width = ", P, " x ", d);
  }
  if (p.layer_done[layer]) throw_invalid(fn, "prompt ", p.info.index, " layer ", layer, " was already added");
  std::visit(
      [&](auto& buf) {
        using S = typename std::decay_t<decltype(buf)>::value_type;
        S* dst = buf.data() + (buf.size() - s.block) + layer * P * d;
        for (std::size_t t = 0; t < P; ++t) {
          for (std::size_t k = 0; k < d; ++k) {
            const double input = to_double(rows(t, k));
            if (!std::isfinite(input)) {
              throw_invalid(fn, "prompt ", p.info.index, " layer ", layer, " position ", t, " feature ", k, " is ",
                            input, " (NaN/Inf not allowed)");
            }
            const S v = to_stored<S>(rows(t, k));
            if (!std::isfinite(to_double(v))) {
              throw_invalid(fn, "prompt ", p.info.index, " layer ", layer, " position ", t, " feature ", k, " is ",
                            input, ", out of the range of ", to_string(s.config.stored));
            }
            dst[t * d + k] = v;
          }
        }
      },
      s.states);
  p.layer_done[layer] = 1;
}

/// Feeds one layer of the open prompt's attention [heads, T, T] to its accumulators. Nothing
/// changes when it throws.
template <class A>
void add_attention(collector_state& s, std::size_t layer, tensor_view<const A, 3> attention) {
  const char* fn = "icl::collect::prompt_collector::add_attention";
  open_prompt& p = require_open(s, fn);
  check_layer(fn, s, layer);
  if (p.attention_done[layer]) throw_invalid(fn, "prompt ", p.info.index, " layer ", layer, ": attention already added");
  const std::size_t heads = attention.extent(0);
  const std::size_t expected = s.heads != 0 ? s.heads : p.heads;
  if (expected != 0 && heads != expected) {
    throw_invalid(fn, "prompt ", p.info.index, " layer ", layer, " has ", heads, " heads, expected ", expected);
  }
  const attention_positions& pos = p.info.attention;
  attention_record next = p.attention;  // a few doubles per (layer, head): restored on failure
  if (!next.previous_token) next.previous_token.emplace();
  next.previous_token->add_layer(layer, attention);
  if (!pos.label_positions.empty()) {
    if (!next.induction) next.induction.emplace(s.config.attention_options);
    next.induction->add_layer(layer, attention, pos.label_positions);
  }
  if (!pos.sources.empty() && !pos.relevant.empty() && !pos.irrelevant.empty()) {
    if (!next.ratio) next.ratio.emplace(s.config.ratio_normalize, s.config.attention_options);
    next.ratio->add_layer(layer, attention, pos.sources, pos.relevant, pos.irrelevant);
  }
  p.attention = std::move(next);
  p.heads = heads;
  p.attention_done[layer] = 1;
}

inline void discard_prompt(collector_state& s) {
  if (!s.open) return;
  std::visit([&](auto& buf) { buf.resize(buf.size() - s.block); }, s.states);
  s.open.reset();
}

/// The grown RDM's row of stored prompt j (its pairs with prompts 0..j−1 of the same buffer).
template <class S>
void grow_row(collector_state& s, const std::vector<S>& buf, std::size_t j, std::size_t layer, std::vector<double>& x,
              const char* fn, std::size_t index) {
  const rsa::dissimilarity dis = *s.config.grown_rdm;
  const std::size_t d = s.config.width, offset = (layer * s.config.positions + s.rdm_position) * d;
  widen_row(buf.data() + j * s.block + offset, d, x);
  const row_moments mx = moments_of(x, dis);
  check_moments(fn, dis, mx, index, layer);
  std::vector<double>& lower = s.lower[layer];
  std::vector<float> scratch;
  for (std::size_t i = 0; i < j; ++i) {
    lower.push_back(pair_dissimilarity(dis, x, mx, buf.data() + i * s.block + offset, s.moments[layer][i], scratch));
  }
  s.moments[layer].push_back(mx);
}

/// Commits the open prompt: every layer must have its states, and its attention either for
/// every layer or for none. On failure the prompt is discarded.
inline void end_prompt(collector_state& s) {
  const char* fn = "icl::collect::prompt_collector::end_prompt";
  open_prompt& p = require_open(s, fn);
  const std::size_t L = s.config.layers, n = prompt_count(s);
  try {
    for (std::size_t l = 0; l < L; ++l) {
      if (!p.layer_done[l]) throw_invalid(fn, "prompt ", p.info.index, " has no states for layer ", l);
    }
    const auto given = static_cast<std::size_t>(std::count(p.attention_done.begin(), p.attention_done.end(), 1));
    if (given != 0 && given != L) {
      const auto missing = static_cast<std::size_t>(
          std::find(p.attention_done.begin(), p.attention_done.end(), 0) - p.attention_done.begin());
      throw_invalid(fn, "prompt ", p.info.index, " has attention for ", given, " of ", L, " layers (layer ", missing,
                    " is missing)");
    }
    if (s.config.grown_rdm) {
      std::vector<double> x;
      std::size_t l = 0;
      try {
        for (; l < L; ++l) {
          std::visit([&](const auto& buf) { grow_row(s, buf, n, l, x, fn, p.info.index); }, s.states);
        }
      } catch (...) {
        for (std::size_t r = 0; r < l; ++r) {  // roll back the layers already grown
          s.lower[r].resize(lower_index(n, 0));
          s.moments[r].resize(n);
        }
        throw;
      }
    }
  } catch (...) {
    discard_prompt(s);
    throw;
  }
  if (p.heads != 0) s.heads = p.heads;
  s.sorted = s.sorted && (s.indices.empty() || p.info.index > s.indices.back());
  s.indices.push_back(p.info.index);
  s.labels.push_back(p.info.label);
  s.attention.push_back(std::move(p.attention));
  s.sorted_indices.insert(std::upper_bound(s.sorted_indices.begin(), s.sorted_indices.end(), p.info.index),
                          p.info.index);
  s.open.reset();
}

/// A whole prompt: begin_prompt, every layer (and its attention), end_prompt; nothing is kept
/// when any step throws.
template <class T, class A>
std::size_t add_prompt(collector_state& s, const prompt_info& info, const std::vector<matrix_view<const T>>& hidden,
                       const std::vector<tensor_view<const A, 3>>* attention) {
  const char* fn = "icl::collect::prompt_collector::add_prompt";
  const std::size_t L = s.config.layers;
  if (hidden.size() != L) throw_invalid(fn, "hidden has ", hidden.size(), " layers, expected ", L);
  if (attention != nullptr && attention->size() != L) {
    throw_invalid(fn, "attention has ", attention->size(), " layers, expected ", L);
  }
  const std::size_t index = begin_prompt(s, info);
  try {
    for (std::size_t l = 0; l < L; ++l) add_layer(s, l, hidden[l]);
    for (std::size_t l = 0; attention != nullptr && l < L; ++l) add_attention(s, l, (*attention)[l]);
    end_prompt(s);
  } catch (...) {
    discard_prompt(s);
    throw;
  }
  return index;
}

inline bool same_config(const collector_config& a, const collector_config& b) noexcept {
  return a.layers == b.layers && a.width == b.width && a.positions == b.positions && a.stored == b.stored &&
         a.grown_rdm == b.grown_rdm && a.ratio_normalize == b.ratio_normalize &&
         a.attention_options.check_row_sums == b.attention_options.check_row_sums &&
         a.attention_options.row_sum_tolerance == b.attention_options.row_sum_tolerance;
}

/// Appends the prompts of `other` (same configuration) after those of `s`; other is left empty.
/// The grown RDM gains the pairs between the two sets (O(n_s·n_o·d) per layer).
inline void merge(collector_state& s, collector_state& other) {
  const char* fn = "icl::collect::prompt_collector::merge";
  if (&s == &other) throw_invalid(fn, "a collector cannot be merged into itself");
  if (s.open) throw_invalid(fn, "prompt ", s.open->info.index, " of this collector is still open");
  if (other.open) throw_invalid(fn, "prompt ", other.open->info.index, " of the merged collector is still open");
  if (!same_config(s.config, other.config) || s.rdm_position != other.rdm_position) {
    throw_invalid(fn, "the collectors' configurations differ (layers, width, positions, stored precision, grown RDM "
                      "or attention options)");
  }
  if (s.heads != 0 && other.heads != 0 && s.heads != other.heads) {
    throw_invalid(fn, "attention with ", other.heads, " heads cannot join attention with ", s.heads, " heads");
  }
  std::vector<std::size_t> all;
  all.reserve(s.sorted_indices.size() + other.sorted_indices.size());
  std::merge(s.sorted_indices.begin(), s.sorted_indices.end(), other.sorted_indices.begin(),
             other.sorted_indices.end(), std::back_inserter(all));
  const auto dup = std::adjacent_find(all.begin(), all.end());
  if (dup != all.end()) throw_invalid(fn, "prompt index ", *dup, " is in both collectors");

  const std::size_t n = prompt_count(s), m = prompt_count(other);
  if (s.config.grown_rdm) {
    const rsa::dissimilarity dis = *s.config.grown_rdm;
    const std::size_t d = s.config.width;
    std::visit(
        [&](const auto& mine) {
          using V = std::decay_t<decltype(mine)>;
          const V& theirs = std::get<V>(other.states);
          std::vector<double> x;
          std::vector<float> scratch;
          for (std::size_t l = 0; l < s.config.layers; ++l) {
            const std::size_t offset = (l * s.config.positions + s.rdm_position) * d;
            std::vector<double>& lower = s.lower[l];
            lower.reserve(lower_index(n + m, 0));
            for (std::size_t k = 0; k < m; ++k) {
              widen_row(theirs.data() + k * s.block + offset, d, x);
              const row_moments mx = other.moments[l][k];
              for (std::size_t i = 0; i < n; ++i) {
                lower.push_back(
                    pair_dissimilarity(dis, x, mx, mine.data() + i * s.block + offset, s.moments[l][i], scratch));
              }
              const auto first = other.lower[l].begin() + static_cast<std::ptrdiff_t>(lower_index(k, 0));
              lower.insert(lower.end(), first, first + static_cast<std::ptrdiff_t>(k));
            }
            s.moments[l].insert(s.moments[l].end(), other.moments[l].begin(), other.moments[l].end());
            std::vector<double>().swap(other.lower[l]);
          }
        },
        s.states);
  }
  std::visit(
      [&](auto& mine) {
        using V = std::decay_t<decltype(mine)>;
        V& theirs = std::get<V>(other.states);
        if (n == 0 && mine.capacity() < theirs.size()) {
          mine.swap(theirs);
        } else {
          mine.insert(mine.end(), theirs.begin(), theirs.end());
        }
        V().swap(theirs);
      },
      s.states);
  s.sorted = s.sorted && other.sorted && (n == 0 || m == 0 || other.indices.front() > s.indices.back());
  s.indices.insert(s.indices.end(), other.indices.begin(), other.indices.end());
  s.labels.insert(s.labels.end(), other.labels.begin(), other.labels.end());
  for (attention_record& r : other.attention) s.attention.push_back(std::move(r));
  s.sorted_indices = std::move(all);
  if (s.heads == 0) s.heads = other.heads;
  collector_config config = other.config;
  other = collector_state{};
  init_state(other, config);
}

/// Puts the stored prompts in increasing index order, in place (one prompt block of scratch).
inline void sort(collector_state& s) {
  if (s.open) throw_invalid("icl::collect::prompt_collector::sort", "prompt ", s.open->info.index, " is still open");
  if (s.sorted) return;
  const std::size_t n = prompt_count(s);
  std::vector<std::size_t> order(n);  // order[new] = old
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s.indices[a] < s.indices[b]; });
  std::visit(
      [&](auto& buf) {
        using S = typename std::decay_t<decltype(buf)>::value_type;
        std::vector<S> scratch(s.block);
        std::vector<unsigned char> done(n, 0);
        for (std::size_t start = 0; start < n; ++start) {  // follow each cycle of the permutation
          if (done[start] || order[start] == start) continue;
          std::copy_n(buf.data() + start * s.block, s.block, scratch.data());
          std::size_t at = start;
          while (order[at] != start) {
            std::copy_n(buf.data() + order[at] * s.block, s.block, buf.data() + at * s.block);
            done[at] = 1;
            at = order[at];
          }
          std::copy_n(scratch.data(), s.block, buf.data() + at * s.block);
          done[at] = 1;
        }
      },
      s.states);
  const auto permute = [&](auto& v) {
    std::decay_t<decltype(v)> out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < n; ++i) out.push_back(std::move(v[order[i]]));
    v = std::move(out);
  };
  permute(s.indices);
  permute(s.labels);
  permute(s.attention);
  for (std::size_t l = 0; l < s.lower.size(); ++l) {
    std::vector<double> lower(s.lower[l].size());
    for (std::size_t j = 1; j < n; ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        const std::size_t a = std::max(order[i], order[j]), b = std::min(order[i], order[j]);
        lower[lower_index(j, i)] = s.lower[l][lower_index(a, b)];
      }
    }
    s.lower[l] = std::move(lower);
    permute(s.moments[l]);
  }
  s.sorted = true;
}

template <class V>
std::size_t bytes_of(const V& v) noexcept {
  return v.size() * sizeof(typename V::value_type);
}

inline memory_usage memory(const collector_state& s) noexcept {
  memory_usage m;
  m.states = std::visit([](const auto& buf) { return bytes_of(buf); }, s.states);
  for (std::size_t l = 0; l < s.lower.size(); ++l) m.grown_rdm += bytes_of(s.lower[l]) + bytes_of(s.moments[l]);
  const std::size_t map = s.config.layers * s.heads * sizeof(double) + s.config.layers * sizeof(std::size_t);
  for (const attention_record& r : s.attention) {
    m.attention += sizeof(attention_record);
    if (r.previous_token) m.attention += map;
    if (r.induction) m.attention += map;
    if (r.ratio) m.attention += map + s.config.layers * s.heads;  // and the zero-denominator flags
  }
  m.prompts = bytes_of(s.indices) + bytes_of(s.labels) + bytes_of(s.sorted_indices);
  m.total = m.states + m.grown_rdm + m.attention + m.prompts;
  return m;
}

inline void require_sorted(const char* fn, const collector_state& s) {
  if (!s.sorted) throw_invalid(fn, "the prompts are not in index order yet: call sort() first (run_suite does)");
}

/// Calls f(tensor_view<const S, 3>) with the states at `position`: [layers, prompts, d].
template <class F>
decltype(auto) visit_states(const collector_state& s, std::size_t position, F&& f) {
  const char* fn = "icl::collect::prompt_collector::visit_states";
  require_sorted(fn, s);
  const std::size_t t = resolve_position(fn, s.config, position);
  return std::visit(
      [&](const auto& buf) -> decltype(auto) {
        using S = typename std::decay_t<decltype(buf)>::value_type;
        const std::size_t P = s.config.positions, d = s.config.width;
        const tensor_view<const S, 3> view(buf.data() + t * d, {s.config.layers, prompt_count(s), d},
                                           {static_cast<std::ptrdiff_t>(P * d), static_cast<std::ptrdiff_t>(s.block), 1});
        return f(view);
      },
      s.states);
}

inline rsa::rdm grown_rdm(const collector_state& s, std::size_t layer) {
  const char* fn = "icl::collect::prompt_collector::grown_rdm";
  if (!s.config.grown_rdm) throw_invalid(fn, "the collector grows no RDM (collector_config::grown_rdm is empty)");
  check_layer(fn, s, layer);
  require_sorted(fn, s);
  if (prompt_count(s) < 2) throw_invalid(fn, "need at least 2 prompts, have ", prompt_count(s));
  return rdm_from_lower(prompt_count(s), s.lower[layer]);
}

}  // namespace icl::collect::detail

#endif  // ICL_COLLECT_DETAIL_COLLECTOR_IMPL_HPP
