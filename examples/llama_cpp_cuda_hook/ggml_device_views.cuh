#ifndef ICL_EXAMPLES_GGML_DEVICE_VIEWS_CUH
#define ICL_EXAMPLES_GGML_DEVICE_VIEWS_CUH

// Device views of the tensors llama.cpp's CUDA backend hands to the eval callback, made from what
// a ggml_tensor holds: `data` (a device pointer when the tensor's buffer is not a host buffer),
// `ne` (elements per dimension, innermost first) and `nb` (strides in BYTES, same order). The
// views take strides in ELEMENTS and list dimensions outermost first, so each nb is divided by
// the element size (it must be a multiple) and the order is reversed.
//
// No ggml header is needed: the caller passes t->data, t->ne and t->nb, and chooses the element
// type from t->type (GGML_TYPE_F32: float, GGML_TYPE_F16: __half, GGML_TYPE_BF16:
// __nv_bfloat16). examples/llama_cpp_cuda_hook/check_ggml_device_views.cu checks the layouts.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "icl/cuda/view.cuh"

namespace ggml_views {

/// nb (bytes) as a stride in elements of `element_size` bytes; throws when it is not a multiple.
inline std::ptrdiff_t element_stride(std::size_t nb, std::size_t element_size, const char* tensor) {
  if (nb % element_size != 0) {
    throw std::invalid_argument(std::string(tensor) + ": byte stride " + std::to_string(nb) +
                                " is not a multiple of the element size " + std::to_string(element_size));
  }
  return static_cast<std::ptrdiff_t>(nb / element_size);
}

/// A block's residual stream `l_out-{il}`, ggml shape [n_embd, rows]: rows x n_embd, one
/// position per row (rows = the positions whose states the graph keeps).
template <class T>
icl::cuda::device_matrix_view<const T> states_view(const void* data, const std::int64_t (&ne)[4],
                                                   const std::size_t (&nb)[4], const char* tensor) {
  if (ne[2] != 1 || ne[3] != 1) {
    throw std::invalid_argument(std::string(tensor) + ": expected a 2-D [n_embd, rows] tensor");
  }
  return icl::cuda::make_device_matrix_view<T>(static_cast<const T*>(data), static_cast<std::size_t>(ne[1]),
                                               static_cast<std::size_t>(ne[0]),
                                               element_stride(nb[1], sizeof(T), tensor),
                                               element_stride(nb[0], sizeof(T), tensor));
}

/// One block's attention weights `kq_soft_max-{il}`, ggml shape [n_kv, T, heads] (key, query,
/// head): [heads, T, T] with element (h, q, k) the weight of key k in query q's row. Only the
/// first `tokens` keys are taken (the cells of this prompt; those beyond are masked padding),
/// so n_kv >= tokens and the query count must equal tokens.
template <class T>
icl::cuda::device_tensor_view<const T, 3> attention_view(const void* data, const std::int64_t (&ne)[4],
                                                         const std::size_t (&nb)[4], std::size_t tokens,
                                                         const char* tensor) {
  if (static_cast<std::size_t>(ne[1]) != tokens || static_cast<std::size_t>(ne[0]) < tokens || ne[3] != 1) {
    throw std::invalid_argument(std::string(tensor) + ": expected [n_kv >= " + std::to_string(tokens) + ", " +
                                std::to_string(tokens) + ", heads], got [" + std::to_string(ne[0]) + ", " +
                                std::to_string(ne[1]) + ", " + std::to_string(ne[2]) + ", " +
                                std::to_string(ne[3]) + "]");
  }
  return icl::cuda::make_device_tensor_view<T, 3>(
      static_cast<const T*>(data), {static_cast<std::size_t>(ne[2]), tokens, tokens},
      {element_stride(nb[2], sizeof(T), tensor), element_stride(nb[1], sizeof(T), tensor),
       element_stride(nb[0], sizeof(T), tensor)});
}

}  // namespace ggml_views

#endif  // ICL_EXAMPLES_GGML_DEVICE_VIEWS_CUH
