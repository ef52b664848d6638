#ifndef ICL_CUDA_ASYNC_CUH
#define ICL_CUDA_ASYNC_CUH

/// icl::cuda::async_status: what an `_async` device function returns. An `_async` call checks its
/// arguments on the host (throwing as the synchronous function does, before anything is queued),
/// queues its work on res.stream(), writes its results into the caller's device memory and
/// returns without waiting. What the synchronous function finds only by reading the device's
/// results (a NaN/Inf element, an all-zero row, a row that does not sum to 1) cannot be thrown
/// then. The call writes NaN where such a finding makes a value undefined, and keeps its per-unit
/// findings (a few doubles per head) in device memory owned by the returned status:
///
///   auto status = icl::cuda::previous_token_score_async(res, A, out);   // queued
///   ...                                                                   // more work on the stream
///   status.check();   // waits for res.stream(); throws what previous_token_score would have thrown
///
/// check() may be called any number of times, or never (then nothing is reported, and the
/// memory goes back to the allocator in stream order when the status goes).

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "icl/cuda/buffer.cuh"

namespace icl::cuda {

class async_status {
 public:
  /// A status with nothing to check.
  async_status() = default;

  /// The status of a call whose findings are `findings` (device memory, written in stream order):
  /// check() copies them to the host once the stream has run and calls raise(host_findings),
  /// which throws the synchronous function's error, if any.
  template <class Finding, class Raise>
  static async_status of(device_buffer<Finding> findings, Raise raise) {
    return of_state(std::make_shared<device_buffer<Finding>>(std::move(findings)),
                    [raise](const device_buffer<Finding>& held) {
                      std::vector<Finding> host(held.size());
                      held.copy_to_host(host.data(), host.size());  // waits for the stream
                      raise(host.data());
                    });
  }

  /// The status of a call whose state (device memory written in stream order, and what reads it)
  /// is `state`: check() calls check(*state), which waits for the stream and throws.
  template <class State, class Check>
  static async_status of_state(std::shared_ptr<State> state, Check check) {
    async_status out;
    out.check_ = [state, check]() { check(*state); };
    return out;
  }

  /// Waits for the work queued on the stream of the call, then throws the error that the
  /// synchronous function would have thrown on the same input, if any.
  void check() const {
    if (check_) check_();
  }

 private:
  std::function<void()> check_;
};

}  // namespace icl::cuda

#endif  // ICL_CUDA_ASYNC_CUH
