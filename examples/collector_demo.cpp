// Collecting from an engine one prompt at a time (docs/collector.md): a toy "engine" of 8 layers
// evaluates 96 prompts of three tasks on 4 worker threads. Each worker's callback hands every
// layer's hidden state (the last position, in the engine's f16) and attention to its own shard
// of icl::collect::prompt_collector; the shards are merged at the end — in prompt order, whatever
// the arrival order — and the per-layer suite runs: RSA against the task hypothesis with
// permutation p-values (on the RDMs grown as prompts arrived), task decodability, probes,
// separability, effective dimension, CKA of consecutive layers and the attention scores.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include <icl/collect/collector.hpp>
#include <icl/core/random.hpp>

namespace {

constexpr std::size_t kLayers = 8, kWidth = 48, kHeads = 4, kPrompts = 96, kWorkers = 4;

/// The toy engine: prompt i of task i % 3; its state at layer l carries the task's direction
/// more and more strongly up to layer 5, and from layer 4 on head 1 attends to the label positions.
struct toy_engine {
  std::vector<double> direction = std::vector<double>(3 * kWidth);

  toy_engine() {
    icl::counter_rng rng(3);
    for (double& v : direction) v = rng.uniform01() - 0.5;
  }

  template <class Callback>
  void evaluate(std::size_t prompt, Callback&& on_layer) const {
    icl::counter_rng rng(100 + prompt);
    const std::size_t T = 10 + prompt % 4, task = prompt % 3;
    std::vector<icl::f16> hidden(kWidth);                 // the engine's own precision
    std::vector<float> attention(kHeads * T * T, 0.0f);  // [heads, T, T], causal rows summing to 1
    for (std::size_t l = 0; l < kLayers; ++l) {
      const double x = (static_cast<double>(l) - 5.0) / 2.0;
      const double gain = 3.0 * std::exp(-x * x);
      for (std::size_t k = 0; k < kWidth; ++k) {
        hidden[k] = icl::f16(static_cast<float>(gain * direction[task * kWidth + k] + rng.uniform01() - 0.5));
      }
      for (std::size_t h = 0; h < kHeads; ++h) {
        for (std::size_t q = 0; q < T; ++q) {
          float* row = attention.data() + (h * T + q) * T;
          float total = 0.0f;
          for (std::size_t k = 0; k <= q; ++k) {
            row[k] = static_cast<float>(rng.uniform01()) + (h == 1 && l >= 4 && k % 3 == 2 ? 4.0f : 0.0f);
            total += row[k];
          }
          for (std::size_t k = 0; k <= q; ++k) row[k] /= total;
        }
      }
      on_layer(l, icl::make_matrix_view(hidden.data(), 1, kWidth),
               icl::make_tensor_view<float, 3>(attention.data(), {kHeads, T, T}));
    }
  }
};

icl::collect::prompt_info describe(std::size_t prompt) {
  const std::size_t T = 10 + prompt % 4;
  icl::collect::prompt_info info;
  info.index = prompt;
  info.label = static_cast<int>(prompt % 3);
  for (std::size_t p = 2; p < T - 1; p += 3) info.attention.label_positions.push_back(p);
  info.attention.sources = {T - 1};
  info.attention.relevant = {2, 5};
  info.attention.irrelevant = {1, 4};
  return info;
}

}  // namespace

int main() {
  icl::collect::collector_config config;
  config.layers = kLayers;
  config.width = kWidth;
  config.positions = 1;  // the last position
  config.stored = icl::collect::precision::f16;
  config.grown_rdm = icl::rsa::dissimilarity::correlation;
  icl::collect::prompt_collector collector(config);

  const toy_engine engine;
  std::vector<icl::collect::prompt_collector> shards;
  for (std::size_t w = 0; w < kWorkers; ++w) shards.push_back(collector.make_shard());
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      icl::collect::prompt_collector& shard = shards[w];  // this worker's alone
      for (std::size_t prompt = w; prompt < kPrompts; prompt += kWorkers) {
        shard.begin_prompt(describe(prompt));
        engine.evaluate(prompt, [&](std::size_t layer, auto hidden, auto attention) {
          shard.add_layer(layer, hidden);
          shard.add_attention(layer, attention);
        });
        shard.end_prompt();
      }
    });
  }
  for (std::thread& t : workers) t.join();
  for (icl::collect::prompt_collector& shard : shards) collector.merge(std::move(shard));

  const icl::collect::memory_usage memory = collector.memory();
  std::printf("%zu prompts x %zu layers x %zu x d = %zu, f16: states %zu bytes, grown RDMs %zu, attention %zu\n",
              collector.prompts(), kLayers, config.positions, kWidth, memory.states, memory.grown_rdm,
              memory.attention);

  icl::collect::suite_params params;
  params.permutation.permutations = 1000;
  params.decode.k = 5;
  const icl::collect::suite_result r = collector.run_suite(params);

  std::printf("%5s %9s %8s %7s %7s %7s %7s %7s %7s %7s\n", "layer", "RSA rho", "p", "TD", "probe", "separ.",
              "eff.dim", "CKA+1", "PTH", "IH");
  for (std::size_t l = 0; l < kLayers; ++l) {
    std::printf("%5zu %9.3f %8.4f %7.3f %7.3f %7.3f %7.2f %7.3f %7.3f %7.3f\n", l, r.rsa[l].statistic,
                r.rsa[l].p_value, r.decodability.curve[l], r.probe_curve[l], r.separability_curve[l],
                r.effective_dimension[l],
                l + 1 < kLayers ? r.cka_consecutive[l] : std::nan(""),
                r.attention.previous_token_curve[l] / static_cast<double>(kPrompts),
                r.attention.induction_curve[l] / static_cast<double>(kPrompts));
  }
  std::printf("peaks: RSA layer %zu, decodability layer %zu, induction layer %zu (RDMs grown: %s)\n",
              r.rsa_curve.peak_layer(), r.decodability.peak_layer, r.attention.induction_curve.peak_layer(),
              r.used_grown_rdm ? "yes" : "no");
  return 0;
}
