// Synthetic prompts for the collector tests: per prompt, [layers, positions, d] states with a
// class structure, and [layers, heads, T, T] causal attention (each row sums to 1).
#ifndef ICL_TESTS_COLLECT_SUPPORT_HPP
#define ICL_TESTS_COLLECT_SUPPORT_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "icl/collect/collector.hpp"

namespace icl_test {

struct synthetic_prompt {
  std::size_t index = 0;
  int label = 0;
  std::vector<double> states;     // [layers, positions, d], C order
  std::size_t tokens = 0;         // T
  std::vector<double> attention;  // [layers, heads, T, T], C order
  icl::collect::attention_positions positions;
};

struct synthetic_set {
  std::size_t layers = 3, positions = 2, width = 12, heads = 2, classes = 3;
  std::vector<synthetic_prompt> prompts;  // in index order
};

inline synthetic_set make_set(std::size_t n, std::uint64_t seed, std::size_t layers = 3, std::size_t positions = 2,
                              std::size_t width = 12, std::size_t classes = 3) {
  synthetic_set set;
  set.layers = layers;
  set.positions = positions;
  set.width = width;
  set.classes = classes;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.05, 1.0);
  std::vector<double> centers(classes * width);
  for (double& c : centers) c = normal(rng);
  for (std::size_t i = 0; i < n; ++i) {
    synthetic_prompt p;
    p.index = i;
    p.label = static_cast<int>(i % classes);
    p.states.resize(layers * positions * width);
    for (std::size_t l = 0; l < layers; ++l) {
      for (std::size_t t = 0; t < positions; ++t) {
        for (std::size_t k = 0; k < width; ++k) {
          const double signal = static_cast<double>(l + 1) * 0.4 * centers[static_cast<std::size_t>(p.label) * width + k];
          p.states[(l * positions + t) * width + k] = signal + normal(rng) + 0.3 * static_cast<double>(t);
        }
      }
    }
    const std::size_t T = 6 + i % 3;
    p.tokens = T;
    p.attention.assign(layers * set.heads * T * T, 0.0);
    for (std::size_t lh = 0; lh < layers * set.heads; ++lh) {
      for (std::size_t q = 0; q < T; ++q) {
        double total = 0.0;
        double* row = p.attention.data() + (lh * T + q) * T;
        for (std::size_t k = 0; k <= q; ++k) total += row[k] = uniform(rng);
        for (std::size_t k = 0; k <= q; ++k) row[k] /= total;
      }
    }
    p.positions.sources = {T - 1};
    p.positions.relevant = {1, 3};
    p.positions.irrelevant = {2, 4};
    p.positions.label_positions = {1, 3};
    if (i % 5 == 4) p.positions.relevant.clear();  // some prompts give no ratio
    set.prompts.push_back(std::move(p));
  }
  return set;
}

/// The prompt's states as T (copied in the test's own buffer), viewed [layers, positions, d].
template <class T>
struct typed_prompt {
  std::vector<T> states, attention;
  icl::tensor_view<const T, 3> hidden() const { return icl::make_tensor_view(states.data(), std::array<std::size_t, 3>{L, P, d}); }
  icl::tensor_view<const T, 4> attn() const {
    return icl::make_tensor_view(attention.data(), std::array<std::size_t, 4>{L, H, tokens, tokens});
  }
  std::size_t L = 0, P = 0, d = 0, H = 0, tokens = 0;
};

template <class T>
typed_prompt<T> typed(const synthetic_set& set, const synthetic_prompt& p) {
  typed_prompt<T> out;
  out.L = set.layers;
  out.P = set.positions;
  out.d = set.width;
  out.H = set.heads;
  out.tokens = p.tokens;
  for (double v : p.states) out.states.push_back(static_cast<T>(v));
  for (double v : p.attention) out.attention.push_back(static_cast<T>(v));
  return out;
}

inline icl::collect::prompt_info info_of(const synthetic_prompt& p) {
  icl::collect::prompt_info info;
  info.index = p.index;
  info.label = p.label;
  info.attention = p.positions;
  return info;
}

inline icl::collect::collector_config config_of(const synthetic_set& set, icl::collect::precision stored) {
  icl::collect::collector_config c;
  c.layers = set.layers;
  c.width = set.width;
  c.positions = set.positions;
  c.stored = stored;
  return c;
}

/// Feeds prompt p (all layers and its attention) as double input.
inline void feed(icl::collect::prompt_collector& c, const synthetic_set& set, const synthetic_prompt& p,
                 bool with_attention = true) {
  const typed_prompt<double> t = typed<double>(set, p);
  if (with_attention) {
    c.add_prompt(info_of(p), t.hidden(), t.attn());
  } else {
    c.add_prompt(info_of(p), t.hidden());
  }
}

}  // namespace icl_test

#endif  // ICL_TESTS_COLLECT_SUPPORT_HPP
