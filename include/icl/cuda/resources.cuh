#ifndef ICL_CUDA_RESOURCES_CUH
#define ICL_CUDA_RESOURCES_CUH

/// icl::cuda::resources: what every device function takes first. It holds
///   - the stream all work is queued on (the caller's: the library creates none);
///   - a cuBLAS handle bound to that stream, created once with the resources object;
///   - the workspace allocator every temporary comes from (by default stream-ordered
///     cudaMallocAsync / cudaFreeAsync on the stream; an engine passes its own memory pool);
///   - cuBLAS's workspace (cublasSetWorkspace), taken from that allocator once, at the first
///     product the library asks of cuBLAS (cublas_handle_with_workspace), so that cuBLAS
///     allocates nothing of its own when the products run.
/// Functions that return a host result synchronise that stream only (cudaStreamSynchronize),
/// never the device. A resources object is used by one host thread at a time.

#include <cstddef>
#include <memory>
#include <utility>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "icl/core/error.hpp"
#include "icl/cuda/error.cuh"

namespace icl::cuda {

/// Where the device functions get their temporary device memory. Both calls are made in stream
/// order: memory returned by allocate(bytes, stream) may be used by work queued on `stream`
/// after the call, and deallocate(ptr, bytes, stream) is called once that work is queued (not
/// finished), with the same size and stream.
class workspace_allocator {
 public:
  virtual ~workspace_allocator() = default;
  /// `bytes` bytes of device memory (nullptr for 0); throws an icl::error when it cannot.
  virtual void* allocate(std::size_t bytes, cudaStream_t stream) = 0;
  /// Gives back what allocate() returned; must not throw.
  virtual void deallocate(void* ptr, std::size_t bytes, cudaStream_t stream) noexcept = 0;
};

/// The default allocator: cudaMallocAsync / cudaFreeAsync on the stream (the device's default
/// memory pool), so that repeated calls reuse memory without a device-wide synchronisation.
class stream_ordered_allocator final : public workspace_allocator {
 public:
  void* allocate(std::size_t bytes, cudaStream_t stream) override {
    if (bytes == 0) return nullptr;
    void* ptr = nullptr;
    detail::check_cuda("icl::cuda::stream_ordered_allocator::allocate", "cudaMallocAsync",
                       cudaMallocAsync(&ptr, bytes, stream));
    return ptr;
  }
  void deallocate(void* ptr, std::size_t /*bytes*/, cudaStream_t stream) noexcept override {
    if (ptr != nullptr) static_cast<void>(cudaFreeAsync(ptr, stream));
  }
};

/// The default size of the cuBLAS workspace a resources object gives its handle: 32 MiB, what
/// cuBLAS asks for on Hopper (less serves older devices).
inline constexpr std::size_t default_cublas_workspace_bytes = std::size_t{32} << 20;

class resources {
 public:
  /// Work goes to `stream`; the default, cudaStreamPerThread, is the calling thread's default
  /// stream (it does not synchronise with other streams, unlike the legacy stream 0, which the
  /// caller may still pass as `0` or cudaStreamLegacy). Pass the engine's or PyTorch's current
  /// stream to order the metrics with the work that produced the tensors. `allocator` (not
  /// null) serves every temporary; the resources object shares its ownership. The device is
  /// the current one at construction. `cublas_workspace_bytes` of the allocator's memory become
  /// the cuBLAS handle's workspace when the library first needs cuBLAS (0: cuBLAS's own).
  explicit resources(cudaStream_t stream = cudaStreamPerThread,
                     std::shared_ptr<workspace_allocator> allocator = std::make_shared<stream_ordered_allocator>(),
                     std::size_t cublas_workspace_bytes = default_cublas_workspace_bytes)
      : stream_(stream), allocator_(std::move(allocator)) {
    constexpr const char* function = "icl::cuda::resources";
    if (!allocator_) icl::detail::throw_invalid(function, "allocator is null");
    detail::check_cuda(function, "cudaGetDevice", cudaGetDevice(&device_));
    detail::check_cublas(function, "cublasCreate", cublasCreate(&cublas_));
    const cublasStatus_t bound = cublasSetStream(cublas_, stream_);
    if (bound != CUBLAS_STATUS_SUCCESS) {
      static_cast<void>(cublasDestroy(cublas_));
      detail::check_cublas(function, "cublasSetStream", bound);
    }
    requested_workspace_bytes_ = cublas_workspace_bytes;
  }

  resources(const resources&) = delete;
  resources& operator=(const resources&) = delete;
  resources(resources&& other) noexcept
      : stream_(other.stream_),
        cublas_(std::exchange(other.cublas_, nullptr)),
        allocator_(std::move(other.allocator_)),
        device_(other.device_),
        workspace_(std::exchange(other.workspace_, nullptr)),
        workspace_bytes_(std::exchange(other.workspace_bytes_, 0)),
        requested_workspace_bytes_(other.requested_workspace_bytes_) {}
  resources& operator=(resources&& other) noexcept {
    if (this != &other) {
      destroy();
      stream_ = other.stream_;
      cublas_ = std::exchange(other.cublas_, nullptr);
      allocator_ = std::move(other.allocator_);
      device_ = other.device_;
      workspace_ = std::exchange(other.workspace_, nullptr);
      workspace_bytes_ = std::exchange(other.workspace_bytes_, 0);
      requested_workspace_bytes_ = other.requested_workspace_bytes_;
    }
    return *this;
  }
  ~resources() { destroy(); }

  cudaStream_t stream() const noexcept { return stream_; }
  /// The cuBLAS handle, bound to stream().
  cublasHandle_t cublas_handle() const noexcept { return cublas_; }
  workspace_allocator& allocator() const noexcept { return *allocator_; }
  const std::shared_ptr<workspace_allocator>& shared_allocator() const noexcept { return allocator_; }
  /// The device that was current when the object was made.
  int device() const noexcept { return device_; }
  /// The size of the cuBLAS workspace taken from the allocator so far (0: none yet).
  std::size_t cublas_workspace_bytes() const noexcept { return workspace_bytes_; }

  /// The cuBLAS handle for the library's products: on the first call, the workspace asked for at
  /// construction is taken from the allocator (in stream order) and given to the handle
  /// (cublasSetWorkspace); later calls return the handle as it is.
  cublasHandle_t cublas_handle_with_workspace() {
    if (workspace_ == nullptr && requested_workspace_bytes_ != 0) {
      void* memory = allocator_->allocate(requested_workspace_bytes_, stream_);
      const cublasStatus_t set = cublasSetWorkspace(cublas_, memory, requested_workspace_bytes_);
      if (set != CUBLAS_STATUS_SUCCESS) allocator_->deallocate(memory, requested_workspace_bytes_, stream_);
      detail::check_cublas("icl::cuda::resources", "cublasSetWorkspace", set);
      workspace_ = memory;
      workspace_bytes_ = requested_workspace_bytes_;
    }
    return cublas_;
  }

  /// Waits for the work queued on stream() (cudaStreamSynchronize: this stream only).
  void synchronize() const {
    detail::check_cuda("icl::cuda::resources::synchronize", "cudaStreamSynchronize", cudaStreamSynchronize(stream_));
  }

 private:
  void destroy() noexcept {
    if (cublas_ != nullptr) static_cast<void>(cublasDestroy(cublas_));
    cublas_ = nullptr;
    if (workspace_ != nullptr) allocator_->deallocate(workspace_, workspace_bytes_, stream_);
    workspace_ = nullptr;
    workspace_bytes_ = 0;
  }

  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  std::shared_ptr<workspace_allocator> allocator_;
  int device_ = 0;
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = 0;
  std::size_t requested_workspace_bytes_ = 0;
};

}  // namespace icl::cuda

#endif  // ICL_CUDA_RESOURCES_CUH
