// A PyTorch C++/CUDA extension over icl::cuda: the metrics run on CUDA tensors where they lie,
// on PyTorch's current stream, with PyTorch's caching allocator behind every temporary.
//
//   import icl_torch
//   d = icl_torch.rdm(H, "correlation")        # H: [n, d] CUDA tensor -> condensed RDM, float64, same device
//   td = icl_torch.task_decodability(H, labels, 10)
//   pth = icl_torch.previous_token_score(A)     # A: [layers, heads, T, T] -> [layers, heads] float64 (CPU)
//
// What it shows (docs/cuda.md, "From a PyTorch C++ extension"):
//   - the pointer: tensor.data_ptr(), with the element type from tensor.scalar_type()
//     (float32 -> float, float64 -> double, float16 -> __half, bfloat16 -> __nv_bfloat16; at::Half
//     and at::BFloat16 have the same 16 bits as __half and __nv_bfloat16);
//   - the strides: tensor.stride(k), already in elements, passed as they are (no .contiguous());
//   - the stream: at::cuda::getCurrentCUDAStream() into icl::cuda::resources, so the metrics are
//     ordered after the work that produced the tensor;
//   - the allocator: c10's CUDA caching allocator behind the resources' workspace allocator.
// See setup.py and README.md in this folder.

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/extension.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/cuda/attention.cuh"
#include "icl/cuda/decode.cuh"
#include "icl/cuda/rdm.cuh"
#include "icl/cuda/resources.cuh"

namespace {

/// Every temporary of the library from PyTorch's caching allocator, in stream order on the
/// stream the library passes (the resources' stream: PyTorch's current one).
class torch_allocator final : public icl::cuda::workspace_allocator {
 public:
  void* allocate(std::size_t bytes, cudaStream_t stream) override {
    return bytes == 0 ? nullptr : c10::cuda::CUDACachingAllocator::raw_alloc_with_stream(bytes, stream);
  }
  void deallocate(void* ptr, std::size_t /*bytes*/, cudaStream_t /*stream*/) noexcept override {
    if (ptr != nullptr) c10::cuda::CUDACachingAllocator::raw_delete(ptr);
  }
};

/// A resources object on the current device and PyTorch's current stream there. Making one
/// creates a cuBLAS handle, so one is kept per (device, stream) and thread.
icl::cuda::resources& current_resources() {
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  const int device = static_cast<int>(c10::cuda::current_device());
  struct entry {
    int device;
    cudaStream_t stream;
    std::unique_ptr<icl::cuda::resources> res;
  };
  thread_local std::vector<entry> cache;
  for (entry& e : cache) {
    if (e.device == device && e.stream == stream) return *e.res;
  }
  cache.push_back(
      {device, stream, std::make_unique<icl::cuda::resources>(stream, std::make_shared<torch_allocator>())});
  return *cache.back().res;
}

/// f(view) with the device view of a CUDA tensor of rank N, for its element type.
template <std::size_t N, class F>
auto with_device_view(const torch::Tensor& t, const char* name, F&& f) {
  TORCH_CHECK(t.is_cuda(), name, " must be a CUDA tensor");
  TORCH_CHECK(t.dim() == static_cast<int64_t>(N), name, " must have ", N, " dimensions, got ", t.dim());
  std::array<std::size_t, N> extents{};
  std::array<std::ptrdiff_t, N> strides{};
  for (std::size_t k = 0; k < N; ++k) {
    extents[k] = static_cast<std::size_t>(t.size(static_cast<int64_t>(k)));
    strides[k] = static_cast<std::ptrdiff_t>(t.stride(static_cast<int64_t>(k)));  // in elements
  }
  const auto view = [&](auto* data) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(data)>>;
    return f(icl::cuda::make_device_tensor_view<T, N>(data, extents, strides));
  };
  switch (t.scalar_type()) {
    case at::kFloat:
      return view(t.data_ptr<float>());
    case at::kDouble:
      return view(t.data_ptr<double>());
    case at::kHalf:
      return view(reinterpret_cast<const __half*>(t.data_ptr<at::Half>()));
    case at::kBFloat16:
      return view(reinterpret_cast<const __nv_bfloat16*>(t.data_ptr<at::BFloat16>()));
    default:
      throw std::invalid_argument(std::string(name) + ": dtype " + std::string(c10::toString(t.scalar_type())) +
                                  " is not float32, float64, float16 or bfloat16");
  }
}

/// The condensed RDM (n(n-1)/2 float64 values, scipy order) of the rows of H [n, d], computed into
/// a tensor on H's device: icl::cuda::compute_rdm_into.
torch::Tensor rdm(const torch::Tensor& H, const std::string& dissimilarity) {
  const c10::cuda::CUDAGuard guard(H.device());
  const auto d = icl::from_string<icl::rsa::dissimilarity>(dissimilarity);
  const int64_t n = H.size(0);
  torch::Tensor out = torch::empty({n * (n - 1) / 2}, H.options().dtype(torch::kFloat64));
  with_device_view<2>(H, "H", [&](auto view) {
    icl::cuda::compute_rdm_into(current_resources(), view.as_matrix(), d, out.data_ptr<double>());
    return 0;
  });
  return out;
}

/// Leave-one-out kNN decodability of labels from the rows of H: icl::cuda::task_decodability.
double task_decodability(const torch::Tensor& H, const std::vector<int>& labels, std::size_t k) {
  const c10::cuda::CUDAGuard guard(H.device());
  return with_device_view<2>(H, "H", [&](auto view) {
    return icl::cuda::task_decodability(current_resources(), view.as_matrix(), labels, k).overall;
  });
}

/// previous_token_score of [layers, heads, T, T] attention, as a [layers, heads] CPU tensor.
torch::Tensor previous_token_score(const torch::Tensor& A) {
  const c10::cuda::CUDAGuard guard(A.device());
  const icl::attention::head_map m = with_device_view<4>(
      A, "A", [&](auto view) { return icl::cuda::previous_token_score(current_resources(), view); });
  return torch::tensor(m.values, torch::kFloat64)
      .reshape({static_cast<int64_t>(m.layers), static_cast<int64_t>(m.heads)});
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "icl-metrics on CUDA tensors (icl::cuda), on PyTorch's current stream";
  m.def("rdm", &rdm, "condensed RDM of the rows of H [n, d] (float64, on H's device)", pybind11::arg("H"),
        pybind11::arg("dissimilarity") = "correlation");
  m.def("task_decodability", &task_decodability, "leave-one-out kNN decodability", pybind11::arg("H"),
        pybind11::arg("labels"), pybind11::arg("k") = 10);
  m.def("previous_token_score", &previous_token_score, "previous-token score per head of [layers, heads, T, T]",
        pybind11::arg("A"));
}
