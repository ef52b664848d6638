// RSA on generated hidden states: a toy "model" whose middle layers encode a task parameter
// (a regression slope) more strongly when in-context demonstrations are present.
// Computes, per layer, the alignment of the hidden-state RDM with the slope hypothesis and the
// ICL effect; per layer again with a permutation p-value and a bootstrap interval (rsa_curve);
// the same curve one layer at a time, as an engine callback would (hypothesis_alignment_tracker);
// at the peak layer, a within/between group test and the other comparisons; the [P1] preset
// (max-pooling over a token subset, z-scored features, cosine RDM, Spearman) from token states;
// and the association across layers of the ICL change in alignment with the ICL change in
// task decodability (behaviour_association: r, R², permutation p-value, bootstrap interval).
// Build and run (docs/rsa.md; ./scripts/demo does not build the examples):
//   cmake --preset dev && cmake --build --preset dev --target example_rsa_demo
//   ./build/dev/examples/example_rsa_demo
#include <cmath>
#include <cstdio>
#include <vector>

#include <icl/core/association.hpp>
#include <icl/icl.hpp>
#include <icl/rsa/p1.hpp>

int main() {
  const std::size_t layers = 8, n = 48, d = 256;
  const double slopes[] = {-2.0, -1.0, 1.0, 2.0};
  std::vector<double> slope(n);
  std::vector<int> task(n);
  for (std::size_t i = 0; i < n; ++i) {
    task[i] = static_cast<int>(i % 4);
    slope[i] = slopes[i % 4];
  }
  // A fixed direction per feature; the slope is written along it with a layer-dependent gain
  // that peaks in the middle layers (stronger with demonstrations), on top of Gaussian noise.
  icl::counter_rng rng(2024);
  auto normal = [&rng] {
    const double u1 = rng.uniform01() + 1e-300, u2 = rng.uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  std::vector<double> direction(d), curvature(d);
  for (std::size_t j = 0; j < d; ++j) {
    direction[j] = normal();
    curvature[j] = normal();
  }
  std::vector<float> with_icl(layers * n * d), without_icl(layers * n * d);
  for (std::size_t l = 0; l < layers; ++l) {
    const double x = (static_cast<double>(l) - 4.0) / 2.0;
    const double gain = 0.35 * std::exp(-x * x);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        const double signal = slope[i] * direction[j] + 0.1 * slope[i] * slope[i] * curvature[j];
        const std::size_t k = (l * n + i) * d + j;
        with_icl[k] = static_cast<float>(gain * signal + normal());
        without_icl[k] = static_cast<float>(0.25 * gain * signal + normal());
      }
    }
  }
  const auto H_icl = icl::make_tensor_view<float, 3>(with_icl.data(), {layers, n, d});
  const auto H_none = icl::make_tensor_view<float, 3>(without_icl.data(), {layers, n, d});

  const icl::rsa::rdm hypothesis = icl::rsa::parameter_rdm(slope);
  const auto effect = icl::rsa::icl_effect(H_icl, H_none, hypothesis);  // correlation RDMs, Spearman

  std::printf("Hypothesis alignment (Spearman, correlation-dissimilarity RDMs), n = %zu prompts, d = %zu\n", n, d);
  std::printf("layer   with ICL   without   delta\n");
  for (std::size_t l = 0; l < layers; ++l) {
    std::printf("%5zu   %8.4f  %8.4f  %+7.4f\n", l, effect.with_icl[l], effect.without_icl[l], effect.delta[l]);
  }
  const std::size_t peak = effect.with_icl.peak_layer();
  std::printf("peak layer (with ICL): %zu\n\n", peak);

  // Per layer, with inference: the statistic, its permutation p-value and a bootstrap interval.
  icl::rsa::rsa_curve_params inference;  // alignment: correlation RDMs, Spearman (the defaults)
  inference.permutations = 2000;
  inference.bootstrap_samples = 500;
  inference.seed = 7;
  const icl::rsa::layer_rsa_result rsa = icl::rsa::rsa_curve(H_icl, hypothesis, inference);
  std::printf("with ICL, %zu permutations and %zu bootstrap samples per layer\n", inference.permutations,
              inference.bootstrap_samples);
  std::printf("layer       rho   p-value   95%% interval\n");
  for (std::size_t l = 0; l < rsa.layers(); ++l) {
    std::printf("%5zu   %7.4f   %7.5f   [%7.4f, %7.4f]\n", l, rsa.statistic[l], rsa.p_value[l], rsa.ci_low[l],
                rsa.ci_high[l]);
  }
  std::printf("peak layer: %zu\n\n", rsa.peak_layer());

  // One layer at a time, as an inference engine's callback produces them.
  icl::rsa::hypothesis_alignment_tracker tracker(hypothesis);
  for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H_icl.matrix(l));
  std::printf("tracker: %zu layers, peak layer %zu (the same curve as above)\n\n", tracker.size(), tracker.peak_layer());
  if (tracker.curve().values != effect.with_icl.values || rsa.curve.values != effect.with_icl.values) {
    std::fprintf(stderr, "the three forms of the with-ICL curve disagree\n");
    return 1;
  }

  const auto peak_rdm = icl::rsa::compute_rdm(H_icl.matrix(peak), icl::rsa::dissimilarity::correlation);
  const auto groups = icl::rsa::within_between_test(peak_rdm, task, icl::alternative::less);
  std::printf("within-task vs between-task dissimilarity: %.4f vs %.4f, Welch t = %.3f, df = %.1f, p = %.3g\n",
              groups.mean_within, groups.mean_between, groups.test.t, groups.test.df, groups.test.p_value);
  for (auto c : {icl::rsa::comparison::pearson, icl::rsa::comparison::kendall_tau_b, icl::rsa::comparison::rho_a,
                 icl::rsa::comparison::whitened_cosine}) {
    std::printf("compare(%s) at layer %zu: %.4f\n", icl::rsa::to_string(c), peak, icl::rsa::compare(peak_rdm, hypothesis, c));
  }

  // The [P1] preset from token states [layers, n, T, d]: three tokens per prompt, each the
  // prompt's state plus token noise; the embedding max-pools tokens 1 and 2.
  const std::size_t T = 3;
  std::vector<float> tokens(layers * n * T * d);
  for (std::size_t l = 0; l < layers; ++l)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t j = 0; j < d; ++j)
          tokens[((l * n + i) * T + t) * d + j] = with_icl[(l * n + i) * d + j] + static_cast<float>(0.3 * normal());
  const auto token_view = icl::make_tensor_view<float, 4>(tokens.data(), {layers, n, T, d});
  icl::rsa::rsa_curve_params p1 = icl::rsa::p1_curve_params();  // cosine RDMs of z-scored features, Spearman
  p1.permutations = 1000;
  p1.bootstrap_samples = 200;
  const auto p1_curve = icl::rsa::p1_rsa_curve(token_view, std::vector<std::size_t>{1, 2}, hypothesis, p1);
  std::printf("\n[P1] preset (max-pool tokens 1-2, z-score features, cosine RDM, Spearman)\n");
  for (std::size_t l = 0; l < p1_curve.layers(); ++l) {
    std::printf("%5zu   %7.4f   p = %7.5f\n", l, p1_curve.statistic[l], p1_curve.p_value[l]);
  }
  std::printf("peak layer: %zu\n\n", p1_curve.peak_layer());

  // Across layers: does the ICL change in alignment go with the ICL change in task decodability
  // (here the stand-in for a behaviour gain)? Pearson and Spearman r, R², permutation p-value,
  // bootstrap interval.
  std::vector<double> td_gain(layers);
  for (std::size_t l = 0; l < layers; ++l) {
    td_gain[l] = icl::decode::task_decodability(H_icl.matrix(l), task, 5).overall -
                 icl::decode::task_decodability(H_none.matrix(l), task, 5).overall;
  }
  icl::stats::association_params assoc;
  assoc.permutations = 5000;
  assoc.bootstrap_samples = 2000;
  assoc.seed = 11;
  const auto link = icl::stats::behaviour_association(effect.delta.values, td_gain, assoc);
  std::printf("alignment change vs decodability change over %zu layers: Pearson r = %.3f, Spearman r = %.3f, "
              "R^2 = %.3f, permutation p = %.4f, 95%% interval [%.3f, %.3f]\n",
              link.n, link.pearson_r, link.spearman_r, link.r_squared, link.p_value, link.ci_low, link.ci_high);
  return 0;
}
