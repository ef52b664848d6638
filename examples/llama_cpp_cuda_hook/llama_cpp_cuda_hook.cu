// icl-metrics inside llama.cpp's CUDA backend: the eval callback (llama_context_params::cb_eval)
// hands over each block's residual output `l_out-{il}` and, with flash attention off, the
// attention weights `kq_soft_max-{il}`, in device memory (their buffers are not host buffers).
// The callback makes device views of them from tensor->data and ggml's byte strides nb
// (ggml_device_views.cuh) and runs the icl::cuda metrics on them where they lie: nothing is
// copied to the host but the per-head and per-block results.
//
//   llama_cpp_cuda_hook MODEL.gguf [length=64] [n_gpu_layers=999]
//
// The prompt: `length` random tokens, then the same tokens again. In the second copy a token's
// earlier occurrence tells what comes next, which induction heads use. Per block the program
// prints the previous-token score (mean over heads), the induction score of the last position
// (attention to the position after the last token's first occurrence, best head), the task
// decodability (5-NN, leave-one-out) of "first or second copy" from the positions' states, and
// the linear CKA of the positions' states with the previous block's. See README.md here.

#include <llama.h>
#include <ggml-backend.h>
#include <ggml.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/cuda/attention.cuh"
#include "icl/cuda/buffer.cuh"
#include "icl/cuda/cka.cuh"
#include "icl/cuda/decode.cuh"
#include "icl/cuda/resources.cuh"

#include "ggml_device_views.cuh"

namespace {

/// The block of a tensor named "<prefix...>-<il>" (e.g. "kq_soft_max-3", "kq_soft_max_ext-3" for
/// the prefix "kq_soft_max"), or -1.
int block_of(const char* name, const char* prefix) {
  const std::string s(name);
  const std::size_t dash = s.find_last_of('-');
  if (s.rfind(prefix, 0) != 0 || dash == std::string::npos || dash + 1 == s.size() ||
      s.find_first_not_of("0123456789", dash + 1) != std::string::npos) {
    return -1;
  }
  return std::atoi(s.c_str() + dash + 1);
}

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(call) + ": " + cudaGetErrorString(status));
}

/// A stream and an icl::cuda::resources object per device the engine's tensors lie on. The
/// metrics run on this stream, not on the engine's: ggml-cuda keeps its streams to itself, and
/// the scheduler synchronises the backend before it calls cb_eval, so the tensor is complete when
/// the callback sees it. Every metric used here returns a host result, so its stream is waited
/// for before the callback returns and the engine reuses the tensor's memory.
struct device_context {
  cudaStream_t stream = nullptr;
  std::unique_ptr<icl::cuda::resources> res;
};

struct block_results {
  double previous_token = std::nan("");  // mean over heads, per query
  double induction = std::nan("");       // best head
  std::size_t induction_head = 0;
  double decodability = std::nan("");    // first vs second copy, 5-NN
  double cka_previous = std::nan("");    // with the previous block's states
};

struct hook_state {
  std::size_t tokens = 0;         // T of the prompt
  std::size_t induction_key = 0;  // the position after the last token's first occurrence
  std::vector<int> copy_labels;   // per position: 0 first copy (and BOS), 1 second copy
  std::vector<block_results> blocks;
  std::map<int, device_context> devices;
  // The previous block's states (T x n_embd floats) for the CKA, on device prev_device.
  std::unique_ptr<icl::cuda::device_buffer<float>> previous;
  int previous_device = -1;
  std::size_t hidden_seen = 0, attention_seen = 0;
  std::string error;

  ~hook_state() {
    previous.reset();
    for (auto& [device, context] : devices) {
      static_cast<void>(cudaSetDevice(device));
      context.res.reset();
      static_cast<void>(cudaStreamDestroy(context.stream));
    }
  }

  /// The resources of the device `data` lies on, made current.
  icl::cuda::resources& resources_for(const void* data, int& device) {
    cudaPointerAttributes attributes{};
    check(cudaPointerGetAttributes(&attributes, data), "cudaPointerGetAttributes");
    if (attributes.type != cudaMemoryTypeDevice) throw std::runtime_error("the tensor is not in device memory");
    device = attributes.device;
    check(cudaSetDevice(device), "cudaSetDevice");
    device_context& context = devices[device];
    if (!context.res) {
      check(cudaStreamCreateWithFlags(&context.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
      context.res = std::make_unique<icl::cuda::resources>(context.stream);
    }
    return *context.res;
  }
};

/// kq_soft_max-{il}: [n_kv, T, heads] -> [heads, T, T]; the head scores of this block.
void on_attention(hook_state& s, const ggml_tensor* t, std::size_t il) {
  int device = 0;
  icl::cuda::resources& res = s.resources_for(t->data, device);
  const auto A = ggml_views::attention_view<float>(t->data, t->ne, t->nb, s.tokens, t->name);
  const icl::attention::head_map previous = icl::cuda::previous_token_score(res, A);
  const icl::attention::head_map induction = icl::cuda::induction_score(res, A, {s.induction_key});
  block_results& b = s.blocks[il];
  double sum = 0.0;
  b.induction = -1.0;
  for (std::size_t h = 0; h < previous.heads; ++h) {
    sum += previous(0, h);
    if (induction(0, h) > b.induction) {
      b.induction = induction(0, h);
      b.induction_head = h;
    }
  }
  b.previous_token = sum / static_cast<double>(previous.heads) / static_cast<double>(s.tokens - 1);
  ++s.attention_seen;
}

/// l_out-{il}: [n_embd, rows] -> rows x n_embd. The blocks that keep every position (all but the
/// last, which keeps the output rows only) get the decodability and the CKA with the previous one.
void on_states(hook_state& s, const ggml_tensor* t, std::size_t il) {
  ++s.hidden_seen;
  const auto X = ggml_views::states_view<float>(t->data, t->ne, t->nb, t->name);
  if (X.rows() != s.tokens) return;
  int device = 0;
  icl::cuda::resources& res = s.resources_for(t->data, device);
  block_results& b = s.blocks[il];
  b.decodability = icl::cuda::task_decodability(res, X, s.copy_labels, 5).overall;
  const std::size_t d = X.cols();
  if (s.previous && s.previous_device == device) {
    const icl::cuda::device_matrix_view<const float> previous = s.previous->matrix(s.tokens, d);
    b.cka_previous = icl::cuda::linear_cka(res, previous, X);
  }
  if (X.col_stride() != 1) {  // keep only rows whose features are contiguous
    s.previous.reset();
    return;
  }
  if (!s.previous || s.previous_device != device) {
    s.previous = std::make_unique<icl::cuda::device_buffer<float>>(res, s.tokens * d);
    s.previous_device = device;
  }
  check(cudaMemcpy2DAsync(s.previous->data(), d * sizeof(float), X.data(),
                          static_cast<std::size_t>(X.row_stride()) * sizeof(float), d * sizeof(float), s.tokens,
                          cudaMemcpyDeviceToDevice, res.stream()),
        "cudaMemcpy2DAsync");
  res.synchronize();  // the copy has read the tensor before the engine reuses its memory
}

/// Throws unless `t` is an f32 tensor in device memory.
void require_device_f32(const ggml_tensor* t) {
  const bool on_host = t->buffer == nullptr || ggml_backend_buffer_is_host(t->buffer);
  const std::string problem = on_host ? "is in host memory: run the block on the GPU (n_gpu_layers, a CUDA build of "
                                        "llama.cpp), or use examples/llama_cpp_hook"
                              : t->type != GGML_TYPE_F32 ? std::string("is ") + ggml_type_name(t->type) + ", not f32"
                                                         : std::string();
  if (!problem.empty()) throw std::runtime_error(std::string(t->name) + " " + problem);
}

/// cb_eval: asked first whether a tensor is wanted, then called with it once it is computed.
/// The first error is kept and stops the work of later calls; main reports it.
bool on_tensor(ggml_tensor* t, bool ask, void* user) {
  auto& s = *static_cast<hook_state*>(user);
  const int attention_block = block_of(t->name, "kq_soft_max");
  const int states_block = block_of(t->name, "l_out");
  const bool want = attention_block >= 0 || states_block >= 0;
  if (ask) return want;
  if (!want || !s.error.empty()) return true;  // false would stop the computation
  try {
    require_device_f32(t);
    if (attention_block >= 0) on_attention(s, t, static_cast<std::size_t>(attention_block));
    if (states_block >= 0) on_states(s, t, static_cast<std::size_t>(states_block));
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  return true;
}

/// The model and its context, freed in the right order.
struct engine {
  llama_model* model = nullptr;
  llama_context* context = nullptr;

  engine(const char* path, int gpu_layers, hook_state& hook) {
    llama_backend_init();
    llama_model_params model_params = llama_model_default_params();
    model_params.n_gpu_layers = gpu_layers;
    model = llama_model_load_from_file(path, model_params);
    if (model == nullptr) throw std::runtime_error(std::string("cannot load ") + path);
    llama_context_params params = llama_context_default_params();
#ifdef LLAMA_HOOK_HAS_FLASH_ATTN_TYPE
    params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
#else
    params.flash_attn = false;
#endif
    params.n_ctx = params.n_batch = params.n_ubatch = 1024;  // one graph: kq_soft_max covers every position
    params.offload_kqv = true;
    params.cb_eval = on_tensor;
    params.cb_eval_user_data = &hook;
    context = llama_init_from_model(model, params);
    if (context == nullptr) throw std::runtime_error("cannot create a context");
  }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  ~engine() {
    if (context != nullptr) llama_free(context);
    if (model != nullptr) llama_model_free(model);
    llama_backend_free();
  }
};

/// BOS (when the model has one), `length` random tokens from the upper nine tenths of the
/// vocabulary (the low ids are often bytes and special tokens), the same tokens again; `first`:
/// the position of the first random token.
std::vector<llama_token> repeated_random_tokens(const llama_vocab* vocab, std::size_t length, std::size_t& first) {
  std::vector<llama_token> tokens;
  if (llama_vocab_bos(vocab) != LLAMA_TOKEN_NULL) tokens.push_back(llama_vocab_bos(vocab));
  first = tokens.size();
  const int32_t n_vocab = llama_vocab_n_tokens(vocab);
  std::mt19937 generator(20240);
  std::uniform_int_distribution<int32_t> pick(n_vocab / 10, n_vocab - 1);
  for (std::size_t i = 0; i < length; ++i) tokens.push_back(pick(generator));
  tokens.insert(tokens.end(), tokens.begin() + static_cast<std::ptrdiff_t>(first), tokens.end());
  return tokens;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::size_t length = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  if (argc < 2 || length < 8 || length > 500) {
    std::fprintf(stderr, "usage: %s MODEL.gguf [length=64, 8 to 500] [n_gpu_layers=999]\n", argv[0]);
    return 2;
  }
  hook_state s;
  engine e(argv[1], argc > 3 ? std::atoi(argv[3]) : 999, s);
  const auto n_layers = static_cast<std::size_t>(llama_model_n_layer(e.model));
  std::size_t first = 0;
  std::vector<llama_token> tokens = repeated_random_tokens(llama_model_get_vocab(e.model), length, first);
  s.tokens = tokens.size();
  s.induction_key = s.tokens - length;  // after the first occurrence (position T-1-length) of the last token
  s.copy_labels.assign(s.tokens, 0);
  std::fill(s.copy_labels.begin() + static_cast<std::ptrdiff_t>(first + length), s.copy_labels.end(), 1);
  s.blocks.resize(n_layers);

  if (llama_decode(e.context, llama_batch_get_one(tokens.data(), static_cast<int32_t>(tokens.size()))) != 0) {
    throw std::runtime_error("llama_decode failed");
  }
  if (!s.error.empty()) throw std::runtime_error(s.error);
  if (s.attention_seen != n_layers || s.hidden_seen != n_layers) {
    throw std::runtime_error("the callback saw " + std::to_string(s.hidden_seen) + " l_out and " +
                             std::to_string(s.attention_seen) + " kq_soft_max tensors on the device, expected " +
                             std::to_string(n_layers) + " each");
  }

  std::printf("llama.cpp (CUDA) + icl::cuda: %zu random tokens, repeated (T = %zu), %zu blocks\n", length, s.tokens,
              n_layers);
  std::printf("%5s %9s %9s %6s %10s %8s\n", "block", "prev-tok", "induction", "head", "TD(copy)", "CKA-1");
  for (std::size_t l = 0; l < n_layers; ++l) {
    const block_results& b = s.blocks[l];
    std::printf("%5zu %9.3f %9.3f %6zu %10.3f %8.3f\n", l + 1, b.previous_token, b.induction, b.induction_head,
                b.decodability, b.cka_previous);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "llama_cpp_cuda_hook: %s\n", e.what());
  return 1;
}
