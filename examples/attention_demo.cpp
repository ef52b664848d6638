// Attention metrics on a generated prompt: 4 layers x 4 heads of causal attention over a prompt
// of 4 demonstrations "x y ;" followed by a query "x", where layer 1 head 2 is planted as a
// previous-token head and layer 2 head 1 as an induction head (its last position attends to the
// label tokens). Prints the ratio, PTH and IH maps, the top heads, the label attention per class,
// its shift under reversed labels, the bias statistics, the ICL-minus-no-ICL change of the ratio
// (against the same prompt with the induction head not planted), and the accumulated scores and
// ratios over prompts of different lengths, fed to two "workers" and merged (worker b is fed one
// layer at a time, as an inference engine produces them). Then [P4]'s analyses on layer 2: the
// value-output vectors of a toy grouped-query layer whose values at the label positions carry
// the label tokens' unembedding rows, the heads' log-probability increase for each label at the
// authors' fixed final scale, the in-context heads, the label-position logit-minus, and the
// paper's bias measures on toy correctness data.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <icl/attention/bias.hpp>
#include <icl/attention/heads.hpp>
#include <icl/attention/in_context_heads.hpp>
#include <icl/attention/logit_lens.hpp>
#include <icl/attention/ratio.hpp>
#include <icl/attention/value_output.hpp>
#include <icl/core/random.hpp>

namespace {

constexpr std::size_t kLayers = 4, kHeads = 4;

/// Causal softmax attention [layers, heads, T, T] with random logits and the two planted heads.
std::vector<float> make_prompt(std::size_t T, const std::vector<std::size_t>& label_positions, icl::counter_rng& rng) {
  std::vector<float> a(kLayers * kHeads * T * T, 0.0f);
  for (std::size_t l = 0; l < kLayers; ++l) {
    for (std::size_t h = 0; h < kHeads; ++h) {
      for (std::size_t q = 0; q < T; ++q) {
        std::vector<double> logit(q + 1);
        for (std::size_t k = 0; k <= q; ++k) logit[k] = rng.uniform01();
        if (l == 1 && h == 2 && q > 0) logit[q - 1] += 6.0;  // previous-token head
        if (l == 2 && h == 1 && q == T - 1) {
          for (std::size_t p : label_positions) logit[p] += 4.0;  // induction head
        }
        double total = 0.0;
        for (double& v : logit) total += (v = std::exp(v));
        for (std::size_t k = 0; k <= q; ++k) a[((l * kHeads + h) * T + q) * T + k] = static_cast<float>(logit[k] / total);
      }
    }
  }
  return a;
}

void print_map(const char* title, const icl::attention::head_map& m) {
  std::printf("%s\n", title);
  for (std::size_t l = 0; l < m.layers; ++l) {
    std::printf("  layer %zu:", l);
    for (std::size_t h = 0; h < m.heads; ++h) std::printf(" %8.3f", m(l, h));
    std::printf("\n");
  }
}

}  // namespace

int main() {
  icl::counter_rng rng(7);
  // 4 demonstrations "x y ;" (positions 3i, 3i+1, 3i+2) and the query x at position 12.
  const std::size_t T = 13;
  const std::vector<std::size_t> labels = {1, 4, 7, 10};
  const std::vector<int> label_class = {0, 1, 1, 0};
  std::vector<std::size_t> others;
  for (std::size_t k = 0; k < T; ++k) {
    if (k % 3 != 1) others.push_back(k);
  }
  const auto a = make_prompt(T, labels, rng);
  const auto A = icl::make_tensor_view<float, 4>(a.data(), {kLayers, kHeads, T, T});

  const auto ratio = icl::attention::attention_ratio(A, {T - 1}, labels, others);
  print_map("attention ratio, last token -> label tokens vs the rest (per-token means):", ratio);
  std::printf("  zero denominators: %zu\n", ratio.zero_denominator_count);

  const auto pth = icl::attention::previous_token_score(A);
  const auto ih = icl::attention::induction_score(A, labels);
  print_map("previous-token score (sum of the subdiagonal):", pth);
  print_map("induction score (last token -> label tokens):", ih);
  for (const auto& [l, h] : icl::attention::top_heads(pth, 0.1)) std::printf("top 10%% PTH head: layer %zu head %zu\n", l, h);
  for (const auto& [l, h] : icl::attention::top_heads(ih, 0.1)) std::printf("top 10%% IH head: layer %zu head %zu\n", l, h);

  const auto la = icl::attention::label_attention(A, labels, label_class);
  std::printf("label attention of layer 2 head 1: class %d %.3f, class %d %.3f\n", la.classes[0], la(2, 1, 0),
              la.classes[1], la(2, 1, 1));

  // Reversing the labels moves layer 2 head 1's label attention from one class to the other.
  const std::vector<int> reversed_class = {1, 0, 0, 1};
  const auto shift = icl::attention::label_attention_shift(la, icl::attention::label_attention(A, labels, reversed_class));
  std::printf("label attention shift under reversed labels, layer 2 head 1: class %d %+.3f, class %d %+.3f\n",
              shift.classes[0], shift(2, 1, 0), shift.classes[1], shift(2, 1, 1));

  // Bias statistics: classes 0, 1, 1 and 1 (class 1 is the majority); the planted head spreads its
  // label attention evenly, so its majority and recency excesses are near 0.
  const auto bias = icl::attention::label_bias_statistics(A, labels, {0, 1, 1, 1});
  std::printf("layer 2 head 1: majority excess %+.3f, recency excess %+.3f, shares nearest first:", bias.majority(2, 1),
              bias.recency(2, 1));
  for (std::size_t j = 0; j < bias.max_demonstrations; ++j) std::printf(" %.3f", bias.profile(2, 1, j));
  std::printf("\n");

  // ICL minus no-ICL: the same prompt where the induction head does not find the labels.
  icl::counter_rng rng_no_icl(7);
  const auto a_no_icl = make_prompt(T, {}, rng_no_icl);
  const auto ratio_no_icl = icl::attention::attention_ratio(icl::make_tensor_view<float, 4>(a_no_icl.data(), {kLayers, kHeads, T, T}),
                                                            {T - 1}, labels, others);
  const auto change = icl::attention::icl_change(ratio, ratio_no_icl);
  std::printf("ratio change (ICL - no ICL) of layer 2 head 1: %+.3f; largest elsewhere: %.3f\n", change(2, 1), [&] {
    double largest = 0.0;
    for (std::size_t u = 0; u < change.values.size(); ++u) {
      if (u != 2 * kHeads + 1) largest = std::max(largest, std::abs(change.values[u]));
    }
    return largest;
  }());

  // Prompts with 2..5 demonstrations, accumulated on two "workers" and merged.
  icl::attention::previous_token_accumulator pth_a, pth_b;
  icl::attention::induction_accumulator ih_a, ih_b;
  icl::attention::ratio_accumulator ratio_a, ratio_b;
  for (std::size_t demos = 2; demos <= 5; ++demos) {
    const std::size_t n = 3 * demos + 1;
    std::vector<std::size_t> lab, rest;
    for (std::size_t i = 0; i < demos; ++i) lab.push_back(3 * i + 1);
    for (std::size_t k = 0; k < n; ++k) {
      if (k % 3 != 1) rest.push_back(k);
    }
    const auto p = make_prompt(n, lab, rng);
    const auto P = icl::make_tensor_view<float, 4>(p.data(), {kLayers, kHeads, n, n});
    (demos % 2 == 0 ? pth_a : pth_b).add(P);
    (demos % 2 == 0 ? ih_a : ih_b).add(P, lab);
    if (demos % 2 == 0) {
      ratio_a.add(P, {n - 1}, lab, rest);
    } else {
      for (std::size_t l = 0; l < kLayers; ++l) ratio_b.add_layer(l, P[l], {n - 1}, lab, rest);
    }
  }
  pth_a.merge(pth_b);
  ih_a.merge(ih_b);
  ratio_a.merge(ratio_b);
  // Two summaries of the ratio over prompts: the mean of the per-prompt ratios, and the summed
  // label attention over the summed attention to the rest (robust to small denominators).
  const auto mean_ratio = ratio_a.result(), pooled_ratio = ratio_a.ratio_of_sums();
  std::printf("ratio of layer 2 head 1 over %zu prompts: mean of ratios %.2f, ratio of sums %.2f\n",
              ratio_a.prompts(), mean_ratio(2, 1), pooled_ratio(2, 1));
  const auto top_pth = icl::attention::top_heads(pth_a.result(), 0.1);
  const auto top_ih = icl::attention::top_heads(ih_a.result(), 0.1);
  std::printf("over %zu prompts: top PTH head layer %zu head %zu (%.2f), top IH head layer %zu head %zu (%.2f)\n",
              pth_a.prompts(), top_pth[0].first, top_pth[0].second, pth_a.result()(top_pth[0].first, top_pth[0].second),
              top_ih[0].first, top_ih[0].second, ih_a.result()(top_ih[0].first, top_ih[0].second));
  // [P4] on layer 2 of the first prompt: 4 query heads on 2 kv heads, d_head = d_model = 8,
  // W_O = [I I I I] (head h owns columns 8h .. 8h+7), vocabulary of 10 with foo = 3, bar = 7.
  const std::size_t d = 8, vocab = 10, foo = 3, bar = 7, kv_heads = 2;
  std::vector<double> E(vocab * d), values(kv_heads * T * d), W_O(d * kHeads * d, 0.0), x(d), final_hidden(d);
  for (double& v : E) v = rng.uniform01() * 2.0 - 1.0;
  for (std::size_t g = 0; g < kv_heads; ++g) {
    for (std::size_t p = 0; p < T; ++p) {
      for (std::size_t j = 0; j < d; ++j) {
        double v = 0.2 * (rng.uniform01() - 0.5);
        for (std::size_t i = 0; i < labels.size(); ++i) {
          if (labels[i] == p) v += 3.0 * E[(label_class[i] == 0 ? foo : bar) * d + j];
        }
        values[(g * T + p) * d + j] = v;
      }
    }
  }
  for (std::size_t h = 0; h < kHeads; ++h) {
    for (std::size_t j = 0; j < d; ++j) W_O[j * (kHeads * d) + h * d + j] = 1.0;
  }
  for (std::size_t j = 0; j < d; ++j) {
    x[j] = rng.uniform01() - 0.5;
    final_hidden[j] = 2.0 * (rng.uniform01() - 0.5);
  }
  const auto V = icl::make_tensor_view<double, 3>(values.data(), {kv_heads, T, d});
  const auto WO = icl::make_matrix_view(W_O.data(), d, kHeads * d);
  const auto Ev = icl::make_matrix_view(E.data(), vocab, d);
  const auto O = icl::attention::head_outputs(A[2], V, WO);  // [heads, d]
  const auto X = icl::make_matrix_view(x.data(), 1, d);
  const auto scores = icl::attention::head_logprob_increase(
      Ev, {foo, bar}, X, icl::make_tensor_view<double, 3>(O.data(), {1, kHeads, d}), final_hidden);
  print_map("log-probability increase of foo per head of layer 2 (fixed final scale):", scores[0]);
  print_map("log-probability increase of bar per head of layer 2:", scores[1]);
  icl::attention::head_selection_params selection;
  selection.top_k = 1;
  const auto in_context = icl::attention::select_in_context_heads(scores, selection);
  std::printf("in-context heads of layer 2 (top 1 per label, merged):");
  for (const auto& [l, h] : in_context.merged) std::printf(" head %zu", h);
  std::printf("\n");
  const auto vo = icl::attention::value_output_vectors(A[2], V, WO, 1);
  const auto minus = icl::attention::label_logit_minus(icl::make_matrix_view(vo.weighted.data(), T, d), Ev, foo, bar,
                                                       {1, 10}, {4, 7}, final_hidden);
  std::printf("head 1 (kv head %zu): logit-minus foo - bar at foo positions %+.3f, at bar positions %+.3f\n",
              vo.kv_head, minus.at_a, minus.at_b);
  // The paper's bias measures on toy correctness data.
  const auto gap = icl::attention::majority_label_gap({1, 1, 1, 0, 1, 1, 1, 1}, {1, 0, 1, 0, 1, 1, 0, 1});
  const double order_sd = icl::attention::order_accuracy_std({{1, 1, 0, 1}, {1, 0, 0, 1}, {1, 1, 1, 1}});
  std::printf("majority-label accuracy gap %.3f (balanced %.3f, one fewer %.3f); accuracy std across orders %.3f\n",
              gap.gap, gap.balanced, gap.reduced, order_sd);

  const bool ok = in_context.per_label[0][0].second == 1 && minus.at_a > 0.0 &&
                  minus.at_b < 0.0 && top_pth[0] == std::make_pair(std::size_t{1}, std::size_t{2}) &&
                  top_ih[0] == std::make_pair(std::size_t{2}, std::size_t{1}) && change(2, 1) > 1.0 &&
                  std::abs(bias.majority(2, 1)) < 0.1 &&
                  icl::attention::top_heads(pooled_ratio, 0.1)[0] == std::make_pair(std::size_t{2}, std::size_t{1});
  return ok ? 0 : 1;
}
