// The tutorial of docs/tutorial.md: from activations dumped with numpy / safetensors to
// per-layer RSA with permutation p-values and bootstrap intervals, task decodability, and
// attention ratios. The data is data/demo/function: a 4-layer transformer trained to infer one
// of 4 functions from demonstrations "x f(x) ... x" (see data/demo/README.md).
// Run from the repository root (the examples test does): ./build/dev/examples/example_tutorial

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <icl/attention/ratio.hpp>
#include <icl/decode/knn.hpp>
#include <icl/io/load.hpp>  // the readers: the icl_metrics::io component, not in <icl/icl.hpp>
#include <icl/rsa/alignment.hpp>
#include <icl/rsa/hypothesis.hpp>

namespace {

// Row `row` of an int64 [rows, width] array padded with -1, as positions.
std::vector<std::size_t> positions(const std::vector<std::int64_t>& table, std::size_t width, std::size_t row) {
  std::vector<std::size_t> out;
  for (std::size_t j = 0; j < width; ++j) {
    const std::int64_t p = table[row * width + j];
    if (p >= 0) out.push_back(static_cast<std::size_t>(p));
  }
  return out;
}

}  // namespace

int main() {
  try {
    // ---- 1. Read the dump (memory-mapped; the views point into the files) --------------------
    const std::string dir = "data/demo/function";
    const icl::io::safetensors_file activations(dir + "/activations.safetensors");
    const icl::io::array hidden_icl = activations.get("hidden_icl");        // f32 [layers, n, d]
    const icl::io::array hidden_no_icl = activations.get("hidden_no_icl");  // the queries alone
    const auto with_icl = hidden_icl.view<float, 3>();
    const auto without_icl = hidden_no_icl.view<float, 3>();
    const std::vector<int> concepts = icl::io::load(dir + "/concepts.npy").labels();  // int64 -> int
    const std::vector<int> shots = icl::io::load(dir + "/demonstrations.npy").labels();
    const std::size_t layers = with_icl.extent(0), n = with_icl.extent(1);
    std::printf("%zu layers, %zu prompts, d = %zu\n", layers, n, with_icl.extent(2));

    // ---- 2. RSA per layer: the prompts with 8 demonstrations against the concept hypothesis --
    // The prompts are sorted by their number of demonstrations: those with 8 are one row range,
    // viewed in place with the strides of the whole tensor.
    std::size_t first = 0;
    while (first < n && shots[first] != 8) ++first;
    const std::size_t count = n - first;
    const auto rows = [&](const icl::tensor_view<const float, 3>& H) {
      return icl::make_tensor_view<float, 3>(H.data() + first * static_cast<std::size_t>(H.stride(1)),
                                             {layers, count, H.extent(2)}, H.strides());
    };
    const std::vector<int> group(concepts.begin() + static_cast<std::ptrdiff_t>(first), concepts.end());
    const icl::rsa::rdm hypothesis = icl::rsa::categorical_rdm(group);  // 0: same function, 1: not

    icl::rsa::rsa_curve_params rsa;  // correlation-distance RDMs compared by Spearman's rho
    rsa.permutations = 1000;         // p >= 1/1001
    rsa.bootstrap_samples = 200;
    rsa.seed = 1;
    const icl::rsa::layer_rsa_result with = icl::rsa::rsa_curve(rows(with_icl), hypothesis, rsa);
    const icl::layer_curve alone = icl::rsa::alignment_curve(rows(without_icl), hypothesis, rsa.alignment);

    std::printf("\nRSA, %zu prompts with 8 demonstrations: Spearman r of the correlation-distance RDM with\n"
                "the categorical RDM of the function (p: 1000 permutations; 95%% bootstrap interval)\n",
                count);
    std::printf("layer   r (ICL)    p      95%% interval      r (no ICL)\n");
    for (std::size_t l = 0; l < with.layers(); ++l) {
      std::printf("%5zu  %8.4f  %6.4f  [%7.4f, %7.4f]  %9.4f\n", l, with.statistic[l], with.p_value[l],
                  with.ci_low[l], with.ci_high[l], alone.values[l]);
    }
    std::printf("peak at layer %zu\n", with.peak_layer());

    // ---- 3. Task decodability: leave-one-out 10-NN accuracy of the function, every layer -----
    const auto td = icl::decode::decodability_curve(with_icl, concepts);
    const auto td_alone = icl::decode::decodability_curve(without_icl, concepts);
    std::printf("\nTask decodability (all %zu prompts, k = 10, chance 0.25), peak at layer %zu\n", n, td.peak_layer);
    std::printf("layer   ICL     no ICL\n");
    for (std::size_t l = 0; l < layers; ++l) {
      std::printf("%5zu  %6.3f  %6.3f\n", l, td.curve.values[l], td_alone.curve.values[l]);
    }

    // ---- 4. Attention ratio: query -> answer tokens f(x_i) versus input tokens x_i -----------
    const icl::io::safetensors_file attention(dir + "/attention.safetensors");
    const icl::io::array maps_array = attention.get("maps");  // f16 [prompts, layers, heads, T, T]
    const auto maps = maps_array.view<icl::f16, 5>();
    const std::vector<std::int64_t> sources = attention.get("sources").integers();
    const std::vector<std::int64_t> relevant = attention.get("relevant").integers();
    const std::vector<std::int64_t> irrelevant = attention.get("irrelevant").integers();
    const std::size_t prompts = maps.extent(0);
    const std::size_t width = relevant.size() / prompts, source_width = sources.size() / prompts;

    icl::attention::ratio_accumulator ratios;  // per-token means of the two key sets
    for (std::size_t p = 0; p < prompts; ++p) {
      ratios.add(maps[p], positions(sources, source_width, p), positions(relevant, width, p),
                 positions(irrelevant, width, p));
    }
    const icl::attention::head_map mean_ratio = ratios.result();       // mean of per-prompt ratios
    const icl::attention::head_map summed = ratios.ratio_of_sums();   // ratio of summed attention
    std::printf("\nAttention ratio per head over %zu prompts: mean of the per-prompt ratios, then\n"
                "(in brackets) the ratio of the attention summed over prompts\n",
                prompts);
    for (std::size_t l = 0; l < mean_ratio.layers; ++l) {
      std::printf("layer %zu:", l);
      for (std::size_t h = 0; h < mean_ratio.heads; ++h) std::printf(" %6.2f", mean_ratio(l, h));
      std::printf("  (");
      for (std::size_t h = 0; h < summed.heads; ++h) std::printf("%s%.2f", h == 0 ? "" : " ", summed(l, h));
      std::printf(")\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
