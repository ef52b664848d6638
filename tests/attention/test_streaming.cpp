// The accumulators fed one layer at a time (add_layer), as an inference engine computes the
// attention of each layer and drops it: the same results as whole prompts, in any layer order.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "icl/attention/bias.hpp"
#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"
#include "support/attention.hpp"
#include "support/fixture.hpp"

namespace {

using icl_test::positions;
using icl_test::prompt_attention;

std::string prefix(int p) { return "p" + std::to_string(p) + "_"; }

void require_same(const icl::attention::head_map& a, const icl::attention::head_map& b) {
  REQUIRE(a.layers == b.layers);
  REQUIRE(a.heads == b.heads);
  for (std::size_t i = 0; i < a.values.size(); ++i) REQUIRE(a.values[i] == Approx(b.values[i]).epsilon(1e-14));
}

}  // namespace

TEMPLATE_TEST_CASE("accumulators fed layer by layer equal whole prompts", "[attention][accumulator][streaming]", float,
                   icl::f16) {
  const icl_test::fixture_file f("attention_heads.txt");
  icl::attention::ratio_accumulator ratio_whole, ratio_layers;
  icl::attention::previous_token_accumulator pth_whole, pth_layers;
  icl::attention::induction_accumulator ih_whole, ih_layers;
  for (int p = 0; p < 3; ++p) {
    const auto A = prompt_attention<TestType>(f, p, p == 1);
    const auto src = positions(f, prefix(p) + "sources"), rel = positions(f, prefix(p) + "relevant"),
               irr = positions(f, prefix(p) + "irrelevant"), lab = positions(f, prefix(p) + "label_positions");
    ratio_whole.add(A.view, src, rel, irr);
    pth_whole.add(A.view);
    ih_whole.add(A.view, lab);
    // Layers in reverse order for odd prompts: the order does not matter.
    const std::size_t L = A.view.extent(0);
    for (std::size_t k = 0; k < L; ++k) {
      const std::size_t l = p % 2 == 1 ? L - 1 - k : k;
      ratio_layers.add_layer(l, A.view[l], src, rel, irr);
      pth_layers.add_layer(l, A.view[l]);
      ih_layers.add_layer(l, A.view[l], lab);
    }
  }
  REQUIRE(ratio_layers.prompts() == 3);
  REQUIRE(ratio_layers.layer_prompts() == std::vector<std::size_t>{3, 3, 3});
  require_same(ratio_layers.result(), ratio_whole.result());
  require_same(pth_layers.result(), pth_whole.result());
  require_same(ih_layers.result(), ih_whole.result());
  // And against the numpy mean of the ratio.
  icl_test::require_rel(ratio_layers.result().values, f.values("mean_ratio"), 2e-3);

  // merge of a per-layer accumulator into a whole-prompt one.
  ratio_whole.merge(ratio_layers);
  REQUIRE(ratio_whole.prompts() == 6);
  require_same(ratio_whole.result(), ratio_layers.result());
}

TEST_CASE("per-layer feeding: errors", "[attention][accumulator][streaming][errors]") {
  using Catch::Contains;
  const std::vector<double> a = {1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5};
  const auto one_head = icl::make_tensor_view<double, 3>(a.data(), {1, 3, 3});
  const std::vector<double> two(18, 0.5);
  const auto two_heads = icl::make_tensor_view<double, 3>(two.data(), {2, 3, 3});

  icl::attention::ratio_accumulator ratio;
  ratio.add_layer(0, one_head, {2}, {1}, {0});
  ratio.add_layer(2, one_head, {2}, {1}, {0});  // layer 1 not fed yet
  REQUIRE(ratio.layer_prompts() == std::vector<std::size_t>{1, 0, 1});
  REQUIRE_THROWS_WITH(ratio.result(), Contains("icl::attention::ratio_accumulator::result: layer 1 received no attention"));
  REQUIRE_THROWS_WITH(ratio.add_layer(1, two_heads, {2}, {1}, {0}),
                      Contains("icl::attention::ratio_accumulator::add_layer: layer 1 has 2 heads, the accumulated "
                               "layers have 1"));
  ratio.add_layer(1, one_head, {2}, {1}, {0});
  REQUIRE(ratio.result().layers == 3);
  // A whole prompt must then have 3 layers.
  const auto whole = icl::make_tensor_view<double, 4>(a.data(), {1, 1, 3, 3});
  REQUIRE_THROWS_WITH(ratio.add(whole, {2}, {1}, {0}),
                      Contains("shape 1 layers x 1 heads does not match the accumulated 3 x 1"));
  REQUIRE_THROWS_WITH(ratio.add_layer(0, one_head, {3}, {1}, {0}), Contains("sources[0] = 3 must be < T = 3"));

  icl::attention::previous_token_accumulator pth;
  REQUIRE_THROWS_WITH(pth.result(), Contains("no prompt was added"));
  pth.add_layer(1, one_head);
  REQUIRE_THROWS_WITH(pth.result(), Contains("layer 0 received no attention"));
  icl::attention::induction_accumulator ih;
  ih.add_layer(0, two_heads, {1});
  REQUIRE_THROWS_WITH(ih.add_layer(0, one_head, {1}), Contains("layer 0 has 1 heads, the accumulated layers have 2"));
  REQUIRE(ih.result().heads == 2);
}

TEST_CASE("one accumulator per worker thread, merged at the end, equals one accumulator",
          "[attention][accumulator][threads]") {
  const icl_test::fixture_file f("attention_heads.txt");
  std::vector<icl_test::typed_attention<float>> tensors;
  for (int p = 0; p < 3; ++p) tensors.push_back(prompt_attention<float>(f, p, p == 2));
  const auto pos = [&](int p, const char* what) { return positions(f, prefix(p) + what); };

  // The documented design: each worker owns its accumulators; nothing is shared while they run.
  struct worker {
    icl::attention::ratio_accumulator ratio;
    icl::attention::previous_token_accumulator pth;
    icl::attention::induction_accumulator ih;
    icl::attention::label_bias_accumulator bias;
    void add(const icl::tensor_view<const float, 4>& A, const std::vector<std::size_t>& src,
             const std::vector<std::size_t>& rel, const std::vector<std::size_t>& irr,
             const std::vector<std::size_t>& lab, const std::vector<int>& classes) {
      ratio.add(A, src, rel, irr);
      pth.add(A);
      ih.add(A, lab);
      bias.add(A, lab, classes);
    }
    void merge(const worker& other) {
      ratio.merge(other.ratio);
      pth.merge(other.pth);
      ih.merge(other.ih);
      bias.merge(other.bias);
    }
  };
  worker serial;
  std::vector<worker> workers(3);
  std::vector<std::thread> threads;
  for (int p = 0; p < 3; ++p) {
    const auto src = pos(p, "sources"), rel = pos(p, "relevant"), irr = pos(p, "irrelevant"),
               lab = pos(p, "label_positions");
    const auto classes = f.ints(prefix(p) + "labels");
    serial.add(tensors[p].view, src, rel, irr, lab, classes);
    threads.emplace_back([&, p, src, rel, irr, lab, classes] {
      workers[p].add(tensors[p].view, src, rel, irr, lab, classes);
    });
  }
  for (auto& t : threads) t.join();
  worker merged;
  for (const auto& w : workers) merged.merge(w);

  REQUIRE(merged.ratio.prompts() == 3);
  require_same(merged.ratio.result(), serial.ratio.result());
  require_same(merged.ratio.ratio_of_sums(), serial.ratio.ratio_of_sums());
  require_same(merged.pth.result(), serial.pth.result());
  require_same(merged.ih.result(), serial.ih.result());
  const auto a = merged.bias.result(), b = serial.bias.result();
  REQUIRE(a.prompts == 3);
  REQUIRE(a.profile_prompts == b.profile_prompts);
  for (std::size_t i = 0; i < a.recency_profile.size(); ++i) {
    REQUIRE(a.recency_profile[i] == Approx(b.recency_profile[i]).epsilon(1e-14));
  }
}
