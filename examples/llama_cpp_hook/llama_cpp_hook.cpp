// icl-metrics inside llama.cpp: the eval callback (llama_context_params::cb_eval) hands over each
// block's residual output `l_out-{il}` and, with flash attention off, the attention weights
// `kq_soft_max-{il}` as f32 tensors of the CPU backend. They go straight into an
// icl::collect::prompt_collector, one prompt at a time and one layer at a time: the last
// position's state is stored (no other copy), the attention is reduced by the icl::attention
// accumulators as it arrives (never stored), and the RDM of every block grows by one row per
// prompt. At the end the collector runs the per-layer suite and the program prints it.
//
//   llama_cpp_hook MODEL.gguf [prompts=32] [demonstrations=4]
//
// Task: in-context sentiment classification with unrelated labels ("foo" = positive, "bar" =
// negative), "Review: <sentence>\nSentiment: <label>\n" demonstrations, then a query.
// Per block: RSA of the query states against the class hypothesis with its permutation p-value,
// task decodability and probe accuracy of the query's class, separability, CKA with the next
// block, previous-token and induction scores, and the attention ratio from the last position to
// the labels of the query's class versus the other labels. See README.md in this folder.

#include <llama.h>
#include <ggml-backend.h>
#include <ggml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "icl/attention/heads.hpp"
#include "icl/collect/collector.hpp"
#include "icl/core/view.hpp"

namespace {

// ---- prompts ------------------------------------------------------------------------------------
const char* const kPositive[] = {"wonderful", "excellent", "delicious", "great", "amazing", "lovely", "fantastic", "superb"};
const char* const kNegative[] = {"terrible", "awful", "horrible", "boring", "disgusting", "dreadful", "bad", "poor"};
const char* const kNouns[] = {"food", "movie", "service", "hotel", "book", "concert", "staff", "view", "coffee", "game"};

struct lcg {
  std::uint64_t s;
  std::size_t below(std::size_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>((s >> 33) % n);
  }
};

std::string sentence(lcg& r, int cls) {
  const char* adj = cls == 0 ? kPositive[r.below(8)] : kNegative[r.below(8)];
  return std::string("the ") + kNouns[r.below(10)] + " was " + adj;
}

struct prompt {
  std::vector<llama_token> tokens;
  std::vector<std::size_t> label_positions;
  std::vector<int> label_classes;
  int query_class = 0;
};

std::vector<llama_token> tokenize(const llama_vocab* vocab, const std::string& text) {
  const auto len = static_cast<int32_t>(text.size());
  int32_t n = -llama_tokenize(vocab, text.c_str(), len, nullptr, 0, false, true);
  std::vector<llama_token> out(static_cast<std::size_t>(std::max(n, 0)));
  if (n > 0 && llama_tokenize(vocab, text.c_str(), len, out.data(), n, false, true) != n) {
    throw std::runtime_error("llama_tokenize failed on '" + text + "'");
  }
  return out;
}

void append(std::vector<llama_token>& to, const std::vector<llama_token>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Built from segments that end on pre-tokenizer boundaries, so the label positions are exact.
prompt make_prompt(const llama_vocab* vocab, lcg& r, std::size_t demos, int query_class, const llama_token labels[2]) {
  prompt p;
  for (std::size_t i = 0; i < demos; ++i) {
    const int c = static_cast<int>(r.below(2));
    append(p.tokens, tokenize(vocab, "Review: " + sentence(r, c) + "\nSentiment:"));
    p.label_positions.push_back(p.tokens.size());
    p.label_classes.push_back(c);
    p.tokens.push_back(labels[c]);
    append(p.tokens, tokenize(vocab, "\n"));
  }
  append(p.tokens, tokenize(vocab, "Review: " + sentence(r, query_class) + "\nSentiment:"));
  p.query_class = query_class;
  return p;
}

// ---- the callback -------------------------------------------------------------------------------
struct hook_state {
  icl::collect::prompt_collector* collector = nullptr;
  std::size_t heads = 0, d = 0;
  std::size_t tokens = 0;  // T of the prompt being evaluated
  std::size_t hidden_seen = 0, attention_seen = 0;
  std::string error;
};

// "l_out-12" -> 12; -1 when the name does not start with prefix followed by '-' and a number.
long layer_of(const char* name, const char* prefix) {
  const std::size_t n = std::strlen(prefix);
  if (std::strncmp(name, prefix, n) != 0) return -1;
  const char* dash = std::strrchr(name, '-');
  if (dash == nullptr || dash[1] == '\0') return -1;
  char* end = nullptr;
  const long il = std::strtol(dash + 1, &end, 10);
  return *end == '\0' ? il : -1;
}

bool wanted(const ggml_tensor* t) {
  return layer_of(t->name, "l_out") >= 0 || layer_of(t->name, "kq_soft_max") >= 0;
}

bool on_tensor(ggml_tensor* t, bool ask, void* user) {
  auto& s = *static_cast<hook_state*>(user);
  if (ask) return wanted(t);
  if (!wanted(t) || !s.error.empty()) return true;
  try {
    if (t->type != GGML_TYPE_F32) throw std::runtime_error(std::string(t->name) + " is not f32");
    if (t->buffer != nullptr && !ggml_backend_buffer_is_host(t->buffer)) {
      throw std::runtime_error(std::string(t->name) + " is not in host memory (run on the CPU backend)");
    }
    const auto* data = static_cast<const float*>(t->data);
    const std::size_t T = s.tokens;
    const auto es = static_cast<std::ptrdiff_t>(sizeof(float));
    long il = layer_of(t->name, "l_out");
    if (il >= 0) {
      // [d, rows]: the last row is the last position (the last block keeps only output rows).
      const auto rows = static_cast<std::size_t>(t->ne[1]);
      if (static_cast<std::size_t>(t->ne[0]) != s.d) throw std::runtime_error(std::string(t->name) + ": unexpected width");
      const float* row = reinterpret_cast<const float*>(reinterpret_cast<const char*>(data) + (rows - 1) * t->nb[1]);
      const auto feature_stride = static_cast<std::ptrdiff_t>(t->nb[0]) / es;
      s.collector->add_layer(static_cast<std::size_t>(il),
                             icl::make_matrix_view(row, 1, s.d, static_cast<std::ptrdiff_t>(s.d) * feature_stride,
                                                   feature_stride));
      ++s.hidden_seen;
      return true;
    }
    il = layer_of(t->name, "kq_soft_max");
    // [n_kv, T, heads]: keys 0..T-1 are this prompt's positions (the cache was cleared; the
    // padding cells beyond T are masked to 0). Viewed as [heads, T, T] through its strides.
    if (static_cast<std::size_t>(t->ne[1]) != T || static_cast<std::size_t>(t->ne[0]) < T ||
        static_cast<std::size_t>(t->ne[2]) != s.heads) {
      throw std::runtime_error(std::string(t->name) + ": unexpected shape");
    }
    const icl::tensor_view<const float, 3> A(
        data, {s.heads, T, T},
        {static_cast<std::ptrdiff_t>(t->nb[2]) / es, static_cast<std::ptrdiff_t>(t->nb[1]) / es,
         static_cast<std::ptrdiff_t>(t->nb[0]) / es});
    s.collector->add_attention(static_cast<std::size_t>(il), A);
    ++s.attention_seen;
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.gguf [prompts=32] [demonstrations=4]\n", argv[0]);
    return 2;
  }
  const std::size_t n_prompts = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 32;
  const std::size_t demos = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 4;
  if (n_prompts < 8 || demos < 2) {
    std::fprintf(stderr, "need at least 8 prompts and 2 demonstrations\n");
    return 2;
  }

  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(argv[1], mp);
  if (model == nullptr) {
    std::fprintf(stderr, "cannot load %s\n", argv[1]);
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(model);

  const auto n_layers = static_cast<std::size_t>(llama_model_n_layer(model));
  hook_state s;
  s.heads = static_cast<std::size_t>(llama_model_n_head(model));
  s.d = static_cast<std::size_t>(llama_model_n_embd(model));

  // One state per block and prompt (the last position), stored as the CPU backend computes it
  // (f32; precision::f16 would halve the memory); an RDM per block grown as prompts arrive.
  icl::collect::collector_config config;
  config.layers = n_layers;
  config.width = s.d;
  config.positions = 1;
  config.stored = icl::collect::precision::f32;
  config.grown_rdm = icl::rsa::dissimilarity::correlation;
  config.reserve_prompts = n_prompts;
  icl::collect::prompt_collector collector(config);
  s.collector = &collector;

  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = 1024;
  cp.n_batch = 1024;
  cp.n_ubatch = 1024;  // one graph per prompt: kq_soft_max covers every position
  cp.n_threads = 1;
  cp.n_threads_batch = 1;
  cp.cb_eval = on_tensor;
  cp.cb_eval_user_data = &s;
#ifdef LLAMA_HOOK_HAS_FLASH_ATTN_TYPE
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
#else
  cp.flash_attn = false;
#endif
  llama_context* ctx = llama_init_from_model(model, cp);
  if (ctx == nullptr) {
    std::fprintf(stderr, "cannot create a context\n");
    return 1;
  }

  llama_token labels[2];
  for (int c = 0; c < 2; ++c) {
    const auto ids = tokenize(vocab, c == 0 ? " foo" : " bar");
    if (ids.size() != 1) {
      std::fprintf(stderr, "label %d is not one token\n", c);
      return 1;
    }
    labels[c] = ids[0];
  }

  lcg r{20240};
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n_prompts; ++i) {
    const prompt p = make_prompt(vocab, r, demos, static_cast<int>(i % 2), labels);
    icl::collect::prompt_info info;
    info.index = i;
    info.label = p.query_class;
    const std::size_t T = p.tokens.size();
    info.attention.sources = {T - 1};
    info.attention.label_positions = p.label_positions;
    for (std::size_t k = 0; k < p.label_positions.size(); ++k) {
      (p.label_classes[k] == p.query_class ? info.attention.relevant : info.attention.irrelevant)
          .push_back(p.label_positions[k]);
    }
    if (info.attention.relevant.empty() || info.attention.irrelevant.empty()) {
      info.attention.relevant.clear();  // no ratio for this prompt: its demonstrations have one class
      info.attention.irrelevant.clear();
    }
    s.tokens = T;
    collector.begin_prompt(info);
    llama_memory_clear(llama_get_memory(ctx), true);
    std::vector<llama_token> toks = p.tokens;
    if (llama_decode(ctx, llama_batch_get_one(toks.data(), static_cast<int32_t>(toks.size()))) != 0) {
      std::fprintf(stderr, "llama_decode failed on prompt %zu\n", i);
      return 1;
    }
    try {
      if (!s.error.empty()) throw std::runtime_error(s.error);
      collector.end_prompt();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "prompt %zu: %s\n", i, e.what());
      return 1;
    }
    const float* logits = llama_get_logits_ith(ctx, -1);
    const int pred = logits[labels[0]] >= logits[labels[1]] ? 0 : 1;
    correct += pred == p.query_class ? 1U : 0U;
  }
  if (s.hidden_seen != n_prompts * n_layers || s.attention_seen != n_prompts * n_layers) {
    std::fprintf(stderr, "the callback saw %zu l_out and %zu kq_soft_max tensors, expected %zu each\n",
                 s.hidden_seen, s.attention_seen, n_prompts * n_layers);
    return 1;
  }

  const icl::collect::memory_usage memory = collector.memory();
  std::printf("llama.cpp + icl-metrics: %zu prompts, %zu demonstrations (foo = positive, bar = negative)\n",
              n_prompts, demos);
  std::printf("collected: %zu blocks x d = %zu; states %zu bytes, grown RDMs %zu, attention %zu\n", n_layers, s.d,
              memory.states, memory.grown_rdm, memory.attention);
  std::printf("2-way accuracy at the query: %.3f\n", static_cast<double>(correct) / static_cast<double>(n_prompts));

  icl::collect::suite_params params;
  params.permutation.permutations = 1000;
  params.decode.k = 5;
  params.cv.folds = 4;
  icl::collect::suite_result res;
  try {
    res = collector.run_suite(params);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "metric failed: %s\n", e.what());
    return 1;
  }
  const double per_prompt = 1.0 / static_cast<double>(n_prompts);
  std::printf("%5s %7s %7s %8s %7s %7s %7s %7s %7s %8s\n", "block", "RSA", "p", "TD(5nn)", "probe", "separ.",
              "CKA+1", "PTH", "IH", "ratio");
  for (std::size_t l = 0; l < n_layers; ++l) {
    const double cka = l + 1 < n_layers ? res.cka_consecutive[l] : std::nan("");  // no next block
    const double ratio = res.attention.ratio ? res.attention.ratio_curve[l] : 0.0;
    std::printf("%5zu %7.3f %7.4f %8.3f %7.3f %7.3f %7.3f %7.3f %7.3f %8.3f\n", l + 1, res.rsa[l].statistic,
                res.rsa[l].p_value, res.decodability.curve[l], res.probe_curve[l], res.separability_curve[l], cka,
                res.attention.previous_token_curve[l] * per_prompt, res.attention.induction_curve[l] * per_prompt,
                ratio);
  }
  std::printf("top induction heads (block, head): ");
  for (const auto& [layer, head] : icl::attention::top_heads(*res.attention.induction, 0.05)) {
    std::printf("L%zuH%zu (%.2f) ", layer + 1, head, (*res.attention.induction)(layer, head) * per_prompt);
  }
  std::printf("\n");

  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
