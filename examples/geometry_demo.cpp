// Hidden-state geometry on generated data (docs/geometry.md): a toy 8-layer "model" whose
// final-token states separate three label classes early and only later turn the class signal
// toward the unembedding rows of the label tokens, as in [P2]'s account of in-context learning.
// Prints, per layer, separability and the alignment measures (pair-averaged), the peak layers,
// the rank-10 denoised logit lens (the default rank, [P2] Fig. 6), linear CKA between
// consecutive layers, layer retention with the decoded directions, the Mann–Whitney test on the
// layers of two head lists, and a task vector injected into a state.
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <utility>
#include <vector>

#include <icl/core/random.hpp>
#include <icl/geometry/alignment.hpp>
#include <icl/geometry/cka.hpp>
#include <icl/geometry/head_layers.hpp>
#include <icl/geometry/retention.hpp>
#include <icl/geometry/task_vectors.hpp>

int main() {
  const std::size_t layers = 8, n = 150, d = 64, vocabulary = 50;
  const std::vector<std::size_t> label_tokens = {7, 19, 33};  // token ids of the labels 0, 1, 2
  icl::counter_rng rng(2025);
  auto normal = [&rng] {
    const double u1 = rng.uniform01() + 1e-300, u2 = rng.uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  // Unembedding E (|V| x d), final RMSNorm gain γ, and a class-specific direction F_c that is
  // not aligned with any token.
  std::vector<float> unembedding(vocabulary * d);
  for (auto& v : unembedding) v = static_cast<float>(normal() / std::sqrt(static_cast<double>(d)));
  std::vector<double> gamma(d), offaxis(3 * d);
  for (auto& g : gamma) g = 0.8 + 0.4 * rng.uniform01();
  for (auto& f : offaxis) f = normal() / std::sqrt(static_cast<double>(d));

  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % 3);
  // Layer l: h_i = s_l (cos θ_l E_{token(y_i)} + sin θ_l F_{y_i}) · 4 + noise, with the signal s_l
  // growing over the first layers and the angle θ_l turning from 90° to 0° over the last ones.
  std::vector<float> states(layers * n * d);
  for (std::size_t l = 0; l < layers; ++l) {
    const double s = std::min(1.0, 0.25 + 0.25 * static_cast<double>(l));
    const double theta = 1.5707963267948966 * std::min(1.0, std::max(0.0, (6.0 - static_cast<double>(l)) / 4.0));
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = static_cast<std::size_t>(labels[i]);
      for (std::size_t j = 0; j < d; ++j) {
        const double signal = std::cos(theta) * unembedding[label_tokens[c] * d + j] + std::sin(theta) * offaxis[c * d + j];
        states[(l * n + i) * d + j] = static_cast<float>(4.0 * s * signal + 0.6 * normal());
      }
    }
  }
  const auto H = icl::make_tensor_view<float, 3>(states.data(), {layers, n, d});
  const auto E = icl::make_matrix_view(unembedding.data(), vocabulary, d);

  icl::geometry::separability_alignment_params params;
  params.final_norm = icl::rms_norm_params{gamma, 1e-5};  // logit lens through the toy model's final RMSNorm
  params.label_token_ids = label_tokens;  // E is the whole unembedding: argmax over all 50 tokens
  params.seed = 1;
  const auto curves = icl::geometry::separability_alignment_curves(H, labels, E, params);

  std::printf("n = %zu prompts, d = %zu, 3 classes (3 label pairs), unembedding of %zu tokens\n", n, d, vocabulary);
  std::printf("layer  separab.  dir.sep.  output   3-way out  singular  variance  mean    composite  eff.dim  denoised(r=10)\n");
  for (std::size_t l = 0; l < layers; ++l) {
    std::printf("%5zu  %8.3f  %8.3f  %7.3f  %9.3f  %8.3f  %8.3f  %6.2f  %9.3f  %7.2f  %8.3f\n", l, curves.separability[l],
                curves.directional_separability[l], curves.output_alignment[l], curves.output_alignment_all_classes[l],
                curves.singular_alignment[l], curves.variance_alignment[l], curves.mean_alignment[l],
                curves.composite_alignment[l], curves.effective_dimension[l], curves.denoised_output_alignment[l]);
  }
  std::printf("peak layer: separability %zu, output alignment %zu, mean alignment %zu\n",
              curves.separability.peak_layer(), curves.output_alignment.peak_layer(), curves.mean_alignment.peak_layer());

  const auto& last = curves.layers.back();
  std::printf("last layer per pair:");
  for (const auto& pair : last.pairs) {
    std::printf("  (%d,%d) sep %.2f out %.2f", pair.label_a, pair.label_b, pair.separability, pair.output_alignment);
  }
  std::printf("\n");

  const auto cka = icl::geometry::cka_matrix(H);
  std::printf("linear CKA between consecutive layers:");
  for (std::size_t l = 0; l + 1 < layers; ++l) std::printf(" %.3f", cka(l, l + 1));
  std::printf("\ndebiased CKA(layer 0, layer %zu) = %.3f\n", layers - 1,
              icl::geometry::linear_cka(H.matrix(0), H.matrix(layers - 1), true));

  // Layer retention: how much of each top-3 direction of layer l−1 lies in layer l's top-3
  // subspace (1 kept, 0 filtered), and the tokens each direction of layer 6 points to.
  const auto retention = icl::geometry::layer_retention(H, 3, E, 3);
  std::printf("retention of the top-3 directions (layer l-1 -> l):\n");
  for (const auto& step : retention) {
    std::printf("  %zu -> %zu: %.3f %.3f %.3f\n", step.layer - 1, step.layer, step.norms[0], step.norms[1], step.norms[2]);
  }
  const auto& late = retention.back();
  std::printf("layer %zu direction 1 top tokens: %zu %zu %zu (label tokens 7, 19, 33)\n", late.layer - 1,
              late.top_tokens[0][0], late.top_tokens[0][1], late.top_tokens[0][2]);

  // Where two head sets sit: e.g. the top previous-token heads and the top induction heads as
  // icl::attention::top_heads returns them, (layer, head) pairs.
  const std::vector<std::pair<std::size_t, std::size_t>> previous_token = {{0, 2}, {1, 0}, {1, 3}, {2, 1}, {0, 5}};
  const std::vector<std::pair<std::size_t, std::size_t>> induction = {{3, 1}, {4, 4}, {5, 0}, {2, 2}, {5, 6}, {6, 1}};
  const auto mw = icl::geometry::head_layer_mann_whitney(previous_token, induction, icl::alternative::less);
  std::printf("Mann-Whitney on head layers (PTH earlier than IH): U = %.1f, p = %.4f\n", mw.statistic, mw.p_value);

  // A task vector: the mean state of the last layer over prompts, added with λ = 0.5 to a
  // float buffer the way an engine would (here one row of a copy of layer 0).
  const std::vector<double> v = icl::geometry::state_task_vector(H, layers - 1);
  std::vector<float> state(states.begin(), states.begin() + static_cast<std::ptrdiff_t>(d));
  const icl::matrix_view<float> row(state.data(), 1, d, static_cast<std::ptrdiff_t>(d), 1);
  icl::geometry::inject_task_vector(row, v, 0.5);
  double size = 0.0;
  for (const double x : v) size += std::abs(x);
  std::printf("task vector |v|_1 = %.3f; first entry %.3f -> %.3f after injection\n", size, states[0], state[0]);
  return 0;
}
