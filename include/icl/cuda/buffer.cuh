#ifndef ICL_CUDA_BUFFER_CUH
#define ICL_CUDA_BUFFER_CUH

/// icl::cuda::device_buffer<T>: `count` elements of device memory from a resources object's
/// workspace allocator, given back on its stream when the buffer goes (RAII, move-only).

#include <cstddef>
#include <memory>
#include <utility>

#include <cuda_runtime_api.h>

#include "icl/core/error.hpp"
#include "icl/cuda/error.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"

namespace icl::cuda {

template <class T>
class device_buffer {
 public:
  device_buffer() = default;
  /// Uninitialised storage for `count` elements, allocated in stream order on res.stream().
  /// The buffer shares the allocator, so it may outlive `res`.
  device_buffer(const resources& res, std::size_t count)
      : allocator_(res.shared_allocator()), stream_(res.stream()), size_(count) {
    const std::size_t bytes = icl::detail::checked_mul("icl::cuda::device_buffer", count, sizeof(T), "byte count");
    data_ = static_cast<T*>(allocator_->allocate(bytes, stream_));
  }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  device_buffer(device_buffer&& other) noexcept
      : allocator_(std::move(other.allocator_)),
        stream_(other.stream_),
        data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)) {}
  device_buffer& operator=(device_buffer&& other) noexcept {
    if (this != &other) {
      release();
      allocator_ = std::move(other.allocator_);
      stream_ = other.stream_;
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~device_buffer() { release(); }

  T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  cudaStream_t stream() const noexcept { return stream_; }

  /// The buffer as a rows x cols row-major matrix (rows * cols must not exceed size()).
  device_matrix_view<T> matrix(std::size_t rows, std::size_t cols) const {
    check_count("icl::cuda::device_buffer::matrix", icl::detail::checked_mul("icl::cuda::device_buffer::matrix",
                                                                              rows, cols, "rows x cols"));
    return device_matrix_view<T>(data_, rows, cols, static_cast<std::ptrdiff_t>(cols), 1);
  }

  /// Copies `count` elements from host memory into the start of the buffer (queued on stream()).
  void copy_from_host(const T* host, std::size_t count) {
    constexpr const char* function = "icl::cuda::device_buffer::copy_from_host";
    check_count(function, count);
    if (count == 0) return;
    detail::check_cuda(function, "cudaMemcpyAsync",
                       cudaMemcpyAsync(data_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream_));
  }
  /// Copies the first `count` elements to host memory and waits for them (this stream only).
  void copy_to_host(T* host, std::size_t count) const {
    constexpr const char* function = "icl::cuda::device_buffer::copy_to_host";
    check_count(function, count);
    if (count == 0) return;
    detail::check_cuda(function, "cudaMemcpyAsync",
                       cudaMemcpyAsync(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost, stream_));
    detail::check_cuda(function, "cudaStreamSynchronize", cudaStreamSynchronize(stream_));
  }

 private:
  void check_count(const char* function, std::size_t count) const {
    if (count > size_) icl::detail::throw_invalid(function, count, " elements requested, the buffer holds ", size_);
  }
  void release() noexcept {
    if (data_ != nullptr) allocator_->deallocate(data_, size_ * sizeof(T), stream_);
    data_ = nullptr;
    size_ = 0;
  }

  std::shared_ptr<workspace_allocator> allocator_;
  cudaStream_t stream_ = nullptr;
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace icl::cuda

#endif  // ICL_CUDA_BUFFER_CUH
