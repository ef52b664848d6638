// Uses the installed (or build-tree) package's cuda component from a .cu file compiled by nvcc:
// device views, the resources object and a device buffer. Without a CUDA device it checks what
// needs none (the views, the error translation) and says that it ran no device code.
#include <icl/cuda.cuh>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace {

__global__ void square(icl::cuda::device_matrix_view<float> X) {
  const std::size_t i = blockIdx.x, j = threadIdx.x;
  if (i < X.rows() && j < X.cols()) X(i, j) *= X(i, j);
}

int fail(const char* what) {
  std::fprintf(stderr, "icl_metrics_cuda_consumer: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  const auto A = icl::cuda::make_device_tensor_view(static_cast<const __half*>(nullptr),
                                                    std::array<std::size_t, 4>{2, 4, 8, 8});
  if (A.stride(0) != 256 || A.stride(3) != 1) return fail("wrong C-order strides");
  try {
    icl::cuda::detail::check_cuda("consumer", "cudaMalloc", cudaErrorMemoryAllocation);
    return fail("no exception from check_cuda");
  } catch (const icl::error& e) {
    if (std::string(e.what()).find("cudaErrorMemoryAllocation") == std::string::npos) return fail(e.what());
  }

  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    static_cast<void>(cudaGetLastError());
    std::printf("icl_metrics_cuda_consumer: ok (built with nvcc; no CUDA device, no device code run)\n");
    return 0;
  }
  try {
    icl::cuda::resources res;
    icl::cuda::device_buffer<float> buffer(res, 6);
    const std::vector<float> host = {1, 2, 3, 4, 5, 6};
    buffer.copy_from_host(host.data(), host.size());
    square<<<2, 3, 0, res.stream()>>>(buffer.matrix(2, 3));
    icl::cuda::detail::check_launch("consumer", "square");
    std::vector<float> back(host.size());
    buffer.copy_to_host(back.data(), back.size());
    if (back[5] != 36.0f) return fail("wrong result from the device");
  } catch (const icl::error& e) {
    return fail(e.what());
  }
  std::printf("icl_metrics_cuda_consumer: ok (on a CUDA device)\n");
  return 0;
}
