// Task decodability on generated hidden states: a toy "model" of 10 layers whose states encode
// which of four tasks a prompt belongs to more and more clearly with depth (peaking at layer 7).
// Prints the leave-one-out kNN decodability curve, its peak layer, the per-class values and the
// pairwise matrix at the peak, and the same curve fed one layer at a time (the incremental form).
//
// Build and run (./scripts/demo does not build the examples):
//   cmake --preset dev && cmake --build --preset dev --target example_decode_demo
//   ./build/dev/examples/example_decode_demo
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <icl/core/random.hpp>
#include <icl/decode/knn.hpp>

int main() {
  const std::size_t layers = 10, n = 240, d = 64;
  const int task_labels[] = {-1, 3, 4, 10};  // any int labels: results follow their sorted order
  std::vector<int> task(n);
  for (std::size_t i = 0; i < n; ++i) task[i] = task_labels[i % 4];

  icl::counter_rng rng(7);
  auto normal = [&rng] {
    const double u1 = 1.0 - rng.uniform01(), u2 = rng.uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  // One random direction per task; layer l adds gain(l) times it to Gaussian noise.
  std::vector<double> direction(4 * d);
  for (double& v : direction) v = normal();
  std::vector<float> states(layers * n * d);  // [layers, n, d], C order
  for (std::size_t l = 0; l < layers; ++l) {
    const double x = (static_cast<double>(l) - 7.0) / 3.0;
    const double gain = 0.45 * std::exp(-x * x);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        states[(l * n + i) * d + j] = static_cast<float>(gain * direction[(i % 4) * d + j] + normal());
      }
    }
  }
  const auto H = icl::make_tensor_view<float, 3>(states.data(), {layers, n, d});

  icl::decode::decode_params params;  // k = 10, Euclidean
  const auto result = icl::decode::decodability_curve(H, task, params);
  std::printf("leave-one-out %zu-NN task decodability (%s), %zu prompts, %zu tasks (chance 0.25)\n", params.k,
              std::string(icl::to_string(params.dissimilarity)).c_str(), n, result.layers[0].classes.size());
  for (std::size_t l = 0; l < layers; ++l) {
    std::printf("  layer %2zu  TD %.3f  %s\n", l, result.curve[l],
                std::string(static_cast<std::size_t>(result.curve[l] * 40.0), '#').c_str());
  }
  const std::size_t peak = result.peak_layer;
  std::printf("peak layer %zu (TD %.3f)\n", peak, result.curve[peak]);
  const auto& best = result.layers[peak];
  for (std::size_t c = 0; c < best.classes.size(); ++c) {
    std::printf("  task %3d: %zu prompts, TD %.3f\n", best.classes[c], best.class_counts[c], best.per_class[c]);
  }

  const auto pairs = icl::decode::pairwise_decodability(H.matrix(peak), task, params);
  std::printf("pairwise TD at layer %zu (diagonal undefined):\n       ", peak);
  for (int label : pairs.classes) std::printf("%7d", label);
  std::printf("\n");
  for (std::size_t a = 0; a < pairs.size(); ++a) {
    std::printf("  %4d ", pairs.classes[a]);
    for (std::size_t b = 0; b < pairs.size(); ++b) {
      if (a == b) {
        std::printf("%7s", "-");
      } else {
        std::printf("%7.3f", pairs(a, b));
      }
    }
    std::printf("\n");
  }

  // The incremental form: an inference engine hands over one layer at a time.
  icl::decode::decodability_tracker tracker(task, params);
  for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H.matrix(l));
  const bool same = tracker.curve().values == result.curve.values;
  std::printf("tracker fed layer by layer: peak layer %zu, same curve: %s\n", tracker.peak_layer(), same ? "yes" : "no");
  return same && tracker.peak_layer() == peak ? 0 : 1;
}
