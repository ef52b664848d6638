// The CUDA path's foundation: device views, argument checks, error translation, resources and
// the workspace allocator. [host] cases need no device; [device] cases run only where one is
// found (see gpu_main.cpp).
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/cuda.cuh"  // first: it includes the host library (Eigen) for nvcc
#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"

// The exception's type and its message (a string or a Catch2 string matcher).
#define ICL_CHECK_THROWS(expr, type, message) \
  do {                                        \
    CHECK_THROWS_AS(expr, type);              \
    CHECK_THROWS_WITH(expr, message);         \
  } while (false)

namespace icl_cuda_test {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// ---- views (no device) -----------------------------------------------------------------------------

// A device view never converts to a host view or back.
static_assert(!std::is_convertible_v<icl::cuda::device_matrix_view<const float>, icl::matrix_view<const float>>);
static_assert(!std::is_convertible_v<icl::matrix_view<const float>, icl::cuda::device_matrix_view<const float>>);
static_assert(!std::is_convertible_v<icl::cuda::device_tensor_view<const float, 4>, icl::tensor_view<const float, 4>>);
static_assert(!std::is_convertible_v<icl::tensor_view<const float, 4>, icl::cuda::device_tensor_view<const float, 4>>);
static_assert(std::is_convertible_v<icl::cuda::device_matrix_view<float>, icl::cuda::device_matrix_view<const float>>);
static_assert(!std::is_convertible_v<icl::cuda::device_matrix_view<const float>, icl::cuda::device_matrix_view<float>>);
static_assert(std::is_trivially_copyable_v<icl::cuda::device_tensor_view<const __half, 4>>);
static_assert(icl::cuda::is_device_element_type_v<__nv_bfloat16> && icl::cuda::is_device_element_type_v<const double>);
static_assert(!icl::cuda::is_device_element_type_v<int> && !icl::cuda::is_device_element_type_v<icl::f16>);

template <class T>
void check_matrix_views() {
  const T* p = reinterpret_cast<const T*>(std::size_t{4096});
  const auto X = icl::cuda::make_device_matrix_view(p, 3, 5);
  CHECK(X.data() == p);
  CHECK(X.rows() == 3);
  CHECK(X.cols() == 5);
  CHECK(X.row_stride() == 5);
  CHECK(X.col_stride() == 1);
  CHECK(X.rows_contiguous());
  CHECK(X.offset(2, 4) == 14);

  const auto Xt = X.transposed();
  CHECK((Xt.rows() == 5 && Xt.cols() == 3 && Xt.row_stride() == 1 && Xt.col_stride() == 5));
  CHECK(!Xt.rows_contiguous());
  const auto B = X.block(1, 2, 2, 3);
  CHECK((B.data() == p + 7 && B.rows() == 2 && B.cols() == 3 && B.row_stride() == 5));
  const auto R = X.row_range(2, 1);
  CHECK((R.data() == p + 10 && R.rows() == 1 && R.cols() == 5));

  // Strided, with a negative stride: as the host view.
  const auto S = icl::cuda::make_device_matrix_view(p, 4, 2, -3, 2);
  CHECK((S.row_stride() == -3 && S.col_stride() == 2 && S.offset(3, 1) == -7));
  CHECK(icl::cuda::device_matrix_view<const T>().empty());
}

TEST_CASE("device matrix views: shape, strides, sub-views", "[host]") {
  check_matrix_views<float>();
  check_matrix_views<double>();
  check_matrix_views<__half>();
  check_matrix_views<__nv_bfloat16>();
}

TEST_CASE("device tensor views: C order, strided, slices", "[host]") {
  const float* p = reinterpret_cast<const float*>(std::size_t{4096});
  const auto A = icl::cuda::make_device_tensor_view(p, std::array<std::size_t, 4>{2, 3, 4, 5});
  CHECK(A.extents() == (std::array<std::size_t, 4>{2, 3, 4, 5}));
  CHECK(A.strides() == (std::array<std::ptrdiff_t, 4>{60, 20, 5, 1}));
  CHECK(A.size() == 120);
  // The host view computes the same strides.
  const auto host = icl::make_tensor_view(p, std::array<std::size_t, 4>{2, 3, 4, 5});
  CHECK(host.strides() == A.strides());

  const auto H = icl::cuda::make_device_tensor_view(p, std::array<std::size_t, 3>{2, 3, 4},
                                                    std::array<std::ptrdiff_t, 3>{1, 8, 2});
  const auto layer = H.matrix(1);
  CHECK((layer.data() == p + 1 && layer.rows() == 3 && layer.cols() == 4));
  CHECK((layer.row_stride() == 8 && layer.col_stride() == 2));
  const auto M = icl::cuda::make_device_tensor_view(p, std::array<std::size_t, 2>{3, 7}).as_matrix();
  CHECK((M.rows() == 3 && M.cols() == 7 && M.row_stride() == 7));
}

// ---- argument checks and errors (no device) ------------------------------------------------------------

TEST_CASE("device view checks: overflow and null pointers, as on the host", "[host]") {
  const std::size_t huge = std::size_t{1} << 40;
  const float* p = reinterpret_cast<const float*>(std::size_t{4096});
  ICL_CHECK_THROWS(icl::cuda::detail::check_device_matrix("icl::cuda::f", "X",
                                                              icl::cuda::make_device_matrix_view(p, huge, huge)),
                       icl::invalid_argument, "icl::cuda::f: X overflows size_t (1099511627776 x 1099511627776)");
  ICL_CHECK_THROWS(icl::cuda::detail::check_device_matrix(
                           "icl::cuda::f", "X", icl::cuda::make_device_matrix_view(static_cast<const float*>(nullptr), 2, 3)),
                       icl::invalid_argument, "icl::cuda::f: X has a null data pointer with shape 2 x 3");
  CHECK_NOTHROW(icl::cuda::detail::check_device_matrix(
      "icl::cuda::f", "X", icl::cuda::make_device_matrix_view(static_cast<const float*>(nullptr), 0, 3)));
  ICL_CHECK_THROWS(
      icl::cuda::detail::check_device_tensor(
          "icl::cuda::f", "attention",
          icl::cuda::make_device_tensor_view(static_cast<const __half*>(nullptr), std::array<std::size_t, 4>{1, 2, 3, 3})),
      icl::invalid_argument, "icl::cuda::f: attention has a null data pointer");
  CHECK_THROWS_AS(icl::cuda::detail::check_device_tensor(
                      "icl::cuda::f", "attention",
                      icl::cuda::make_device_tensor_view(p, std::array<std::size_t, 4>{huge, huge, 2, 2})),
                  icl::invalid_argument);
}

// The status carried by the icl::cuda::status_error<Status> that call() throws (success if none).
template <class Status, class Call>
Status status_thrown(Call call) {
  try {
    call();
  } catch (const icl::cuda::status_error<Status>& e) {
    return e.status();
  }
  return Status{};
}

TEST_CASE("CUDA runtime and cuBLAS statuses become icl::error naming the call and the status", "[host]") {
  CHECK_NOTHROW(icl::cuda::detail::check_cuda("icl::cuda::f", "cudaMalloc", cudaSuccess));
  CHECK_NOTHROW(icl::cuda::detail::check_cublas("icl::cuda::f", "cublasSgemm", CUBLAS_STATUS_SUCCESS));
  const auto status_of = [](auto&& call, const char* message_start) {
    try {
      call();
    } catch (const icl::error& e) {
      CHECK_THAT(e.what(), StartsWith(message_start));
      return std::string(e.what());
    }
    FAIL("no exception");
    return std::string();
  };
  const std::string cuda_message = status_of(
      [] { icl::cuda::detail::check_cuda("icl::cuda::f", "cudaMallocAsync", cudaErrorMemoryAllocation); },
      "icl::cuda::f: cudaMallocAsync failed: cudaErrorMemoryAllocation (");
  CHECK_THAT(cuda_message, Contains(cudaGetErrorString(cudaErrorMemoryAllocation)));
  status_of([] { icl::cuda::detail::check_cublas("icl::cuda::f", "cublasGemmEx", CUBLAS_STATUS_NOT_SUPPORTED); },
            "icl::cuda::f: cublasGemmEx failed: CUBLAS_STATUS_NOT_SUPPORTED (");
  CHECK(status_thrown<cublasStatus_t>([] { icl::cuda::detail::check_cublas("f", "c", CUBLAS_STATUS_ALLOC_FAILED); }) ==
        CUBLAS_STATUS_ALLOC_FAILED);
  CHECK(status_thrown<cudaError_t>([] { icl::cuda::detail::check_cuda("f", "c", cudaErrorInvalidValue); }) ==
        cudaErrorInvalidValue);
  // Both are icl::error.
  CHECK_THROWS_AS(icl::cuda::detail::check_cuda("f", "c", cudaErrorInvalidValue), icl::error);
  CHECK_THROWS_AS(icl::cuda::detail::check_cublas("f", "c", CUBLAS_STATUS_INVALID_VALUE), icl::error);
}

TEST_CASE("resources reject a null allocator before touching the device", "[host]") {
  ICL_CHECK_THROWS(icl::cuda::resources(cudaStreamPerThread, nullptr), icl::invalid_argument,
                       "icl::cuda::resources: allocator is null");
}

// ---- on a device ------------------------------------------------------------------------------------------

// Counts what goes through it, and serves from cudaMallocAsync.
class counting_allocator final : public icl::cuda::workspace_allocator {
 public:
  void* allocate(std::size_t bytes, cudaStream_t stream) override {
    ++allocations;
    live_bytes += bytes;
    return inner.allocate(bytes, stream);
  }
  void deallocate(void* ptr, std::size_t bytes, cudaStream_t stream) noexcept override {
    ++deallocations;
    live_bytes -= bytes;
    inner.deallocate(ptr, bytes, stream);
  }
  icl::cuda::stream_ordered_allocator inner;
  int allocations = 0;
  int deallocations = 0;
  std::size_t live_bytes = 0;
};

// out(i, j) = 2 * in(i, j), through the views' device accessors (any strides).
template <class T>
__global__ void twice(icl::cuda::device_matrix_view<const T> in, icl::cuda::device_matrix_view<T> out) {
  const std::size_t i = blockIdx.x, j = threadIdx.x;
  if (i < in.rows() && j < in.cols()) out(i, j) = in(i, j) + in(i, j);
}

// out[k] = A(layer, head, q, k') summed over k' for k = flat (layer, head, q).
__global__ void row_sums(icl::cuda::device_tensor_view<const float, 4> A, float* out) {
  const std::size_t l = blockIdx.x, h = blockIdx.y, q = threadIdx.x;
  if (q >= A.extent(2)) return;
  float sum = 0.0f;
  for (std::size_t k = 0; k < A.extent(3); ++k) sum += A(l, h, q, k);
  out[(l * A.extent(1) + h) * A.extent(2) + q] = sum;
}

TEST_CASE("resources: the stream, a cuBLAS handle bound to it, the device", "[device]") {
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess);
  {
    icl::cuda::resources res(stream);
    CHECK(res.stream() == stream);
    REQUIRE(res.cublas_handle() != nullptr);
    cudaStream_t bound = nullptr;
    REQUIRE(cublasGetStream(res.cublas_handle(), &bound) == CUBLAS_STATUS_SUCCESS);
    CHECK(bound == stream);
    int device = -1;
    REQUIRE(cudaGetDevice(&device) == cudaSuccess);
    CHECK(res.device() == device);
    icl::cuda::resources moved(std::move(res));
    CHECK(moved.cublas_handle() != nullptr);
    CHECK(res.cublas_handle() == nullptr);  // NOLINT(bugprone-use-after-move)
    CHECK_NOTHROW(moved.synchronize());
  }
  CHECK(cudaStreamDestroy(stream) == cudaSuccess);
  icl::cuda::resources per_thread;
  CHECK(per_thread.stream() == cudaStreamPerThread);
}

TEST_CASE("a round trip through the caller's allocator, and a kernel over strided views", "[device]") {
  auto allocator = std::make_shared<counting_allocator>();
  icl::cuda::resources res(cudaStreamPerThread, allocator);
  const std::vector<float> host = {1, 2, 3, 4, 5, 6};  // 2 x 3
  {
    icl::cuda::device_buffer<float> in(res, host.size());
    icl::cuda::device_buffer<float> out(res, host.size());
    CHECK(allocator->allocations == 2);
    CHECK(allocator->live_bytes == 2 * host.size() * sizeof(float));
    in.copy_from_host(host.data(), host.size());

    // The transpose of the input (3 x 2, strides 1 and 3) doubled into a contiguous 3 x 2.
    const auto inT = icl::cuda::make_device_matrix_view(in.data(), 2, 3).transposed();
    icl::cuda::detail::check_device_matrix("icl::cuda::test", "in", inT);
    twice<<<3, 2, 0, res.stream()>>>(inT, out.matrix(3, 2));
    icl::cuda::detail::check_launch("icl::cuda::test", "twice");
    std::vector<float> back(host.size());
    out.copy_to_host(back.data(), back.size());
    CHECK(back == (std::vector<float>{2, 8, 4, 10, 6, 12}));

    ICL_CHECK_THROWS(out.copy_to_host(back.data(), 7), icl::invalid_argument,
                         "icl::cuda::device_buffer::copy_to_host: 7 elements requested, the buffer holds 6");
    icl::cuda::device_buffer<float> moved(std::move(in));
    CHECK((moved.size() == 6 && in.data() == nullptr));  // NOLINT(bugprone-use-after-move)
  }
  CHECK(allocator->deallocations == 2);
  CHECK(allocator->live_bytes == 0);
  res.synchronize();
}

TEST_CASE("the cuBLAS workspace comes from the allocator once, at the first product", "[device]") {
  auto allocator = std::make_shared<counting_allocator>();
  {
    icl::cuda::resources res(cudaStreamPerThread, allocator);
    CHECK(res.cublas_workspace_bytes() == 0);
    CHECK(allocator->allocations == 0);
    CHECK(res.cublas_handle_with_workspace() == res.cublas_handle());
    CHECK(res.cublas_workspace_bytes() == icl::cuda::default_cublas_workspace_bytes);
    static_cast<void>(res.cublas_handle_with_workspace());
    CHECK(allocator->allocations == 1);
  }
  CHECK(allocator->deallocations == 1);
  CHECK(allocator->live_bytes == 0);
}

TEST_CASE("a tensor view read in a kernel", "[device]") {
  icl::cuda::resources res;
  std::vector<float> host(2 * 3 * 4 * 5);
  for (std::size_t k = 0; k < host.size(); ++k) host[k] = static_cast<float>(k % 7);
  icl::cuda::device_buffer<float> A(res, host.size());
  icl::cuda::device_buffer<float> sums(res, 2 * 3 * 4);
  A.copy_from_host(host.data(), host.size());
  row_sums<<<dim3(2, 3), 4, 0, res.stream()>>>(
      icl::cuda::make_device_tensor_view<float, 4>(A.data(), {2, 3, 4, 5}), sums.data());
  icl::cuda::detail::check_launch("icl::cuda::test", "row_sums");
  std::vector<float> got(sums.size());
  sums.copy_to_host(got.data(), got.size());
  for (std::size_t r = 0; r < got.size(); ++r) {
    float expected = 0.0f;
    for (std::size_t k = 0; k < 5; ++k) expected += host[r * 5 + k];
    CHECK(got[r] == expected);
  }
}

TEST_CASE("a host pointer passed as a device view is rejected", "[device]") {
  const std::vector<double> host(6, 1.0);
  ICL_CHECK_THROWS(
      icl::cuda::detail::check_device_matrix("icl::cuda::f", "X", icl::cuda::make_device_matrix_view(host.data(), 2, 3)),
      icl::invalid_argument, StartsWith("icl::cuda::f: X points to host memory"));
  ICL_CHECK_THROWS(icl::cuda::detail::check_device_tensor(
                           "icl::cuda::f", "attention",
                           icl::cuda::make_device_tensor_view(host.data(), std::array<std::size_t, 3>{1, 2, 3})),
                       icl::invalid_argument, StartsWith("icl::cuda::f: attention points to host memory"));
  icl::cuda::resources res;
  icl::cuda::device_buffer<double> device(res, 6);
  CHECK_NOTHROW(icl::cuda::detail::check_device_matrix("icl::cuda::f", "X",
                                                       icl::cuda::make_device_matrix_view<double>(device.data(), 2, 3)));
}

TEST_CASE("out of memory is an icl::cuda::cuda_error, and the stream stays usable", "[device]") {
  icl::cuda::resources res;
  try {
    icl::cuda::device_buffer<float> too_big(res, std::size_t{1} << 60);
    FAIL("no exception");
  } catch (const icl::cuda::cuda_error& e) {
    CHECK(e.status() == cudaErrorMemoryAllocation);
    CHECK_THAT(e.what(), StartsWith("icl::cuda::stream_ordered_allocator::allocate: cudaMallocAsync failed: "
                                    "cudaErrorMemoryAllocation"));
  }
  CHECK(cudaGetLastError() == cudaSuccess);
  icl::cuda::device_buffer<float> small(res, 4);
  const std::vector<float> host = {1, 2, 3, 4};
  small.copy_from_host(host.data(), host.size());
  std::vector<float> back(4);
  small.copy_to_host(back.data(), back.size());
  CHECK(back == host);
}

// ---- device metrics -----------------------------------------------------------------------------------

// [2, 3, 6, 6] attention in T on the device; the CPU library's score of the same values.
template <class T, class Host>
void check_previous_token_on_device(icl::cuda::resources& res) {
  const std::size_t L = 2, H = 3, n = 6;
  std::vector<Host> host(L * H * n * n);
  for (std::size_t i = 0; i < host.size(); ++i) host[i] = Host(static_cast<float>((i * 37) % 101) / 128.0f);
  static_assert(sizeof(Host) == sizeof(T));
  icl::cuda::device_buffer<T> device(res, host.size());
  device.copy_from_host(reinterpret_cast<const T*>(host.data()), host.size());
  const std::array<std::size_t, 4> shape{L, H, n, n};
  const auto expected = icl::attention::previous_token_score(icl::make_tensor_view(host.data(), shape));
  const auto got = icl::cuda::previous_token_score(res, icl::cuda::make_device_tensor_view<T, 4>(device.data(), shape));
  CHECK((got.layers == L && got.heads == H));
  CHECK(got.values == expected.values);  // the same sums in the same order, in double
  // Transposed last axes, and one layer.
  const std::array<std::ptrdiff_t, 4> strides{H * n * n, n * n, 1, n};
  CHECK(icl::cuda::previous_token_score(res, icl::cuda::make_device_tensor_view<T, 4>(device.data(), shape, strides))
            .values == icl::attention::previous_token_score(icl::make_tensor_view(host.data(), shape, strides)).values);
  const auto layer = icl::cuda::make_device_tensor_view<T, 3>(device.data() + H * n * n, {H, n, n});
  CHECK(icl::cuda::previous_token_score(res, layer).values ==
        icl::attention::previous_token_score(icl::make_tensor_view(host.data() + H * n * n, std::array<std::size_t, 3>{H, n, n}))
            .values);

  // A NaN: the CPU error, naming its place.
  host[((1 * H + 2) * n + 4) * n + 3] = Host(std::numeric_limits<float>::quiet_NaN());
  device.copy_from_host(reinterpret_cast<const T*>(host.data()), host.size());
  ICL_CHECK_THROWS(icl::cuda::previous_token_score(res, icl::cuda::make_device_tensor_view<T, 4>(device.data(), shape)),
                   icl::invalid_argument,
                   "icl::cuda::previous_token_score: attention (layer 1, head 2, query 4, key 3) is nan (NaN/Inf not allowed)");
}

TEST_CASE("previous_token_score on the device equals icl::attention's", "[device]") {
  icl::cuda::resources res;
  check_previous_token_on_device<float, float>(res);
  check_previous_token_on_device<double, double>(res);
  check_previous_token_on_device<__half, icl::f16>(res);
  check_previous_token_on_device<__nv_bfloat16, icl::bf16>(res);

  // icl::attention's shape errors, with the device function's name.
  icl::cuda::device_buffer<float> small(res, 12);
  ICL_CHECK_THROWS(icl::cuda::previous_token_score(
                       res, icl::cuda::make_device_tensor_view<float, 4>(small.data(), {1, 1, 3, 4})),
                   icl::invalid_argument,
                   "icl::cuda::previous_token_score: attention maps must be square (T x T), got 3 x 4");
  ICL_CHECK_THROWS(icl::cuda::previous_token_score(
                       res, icl::cuda::make_device_tensor_view<float, 4>(small.data(), {1, 1, 1, 1})),
                   icl::invalid_argument, "icl::cuda::previous_token_score: attention has T = 1 positions, need at least 2");
  const std::vector<float> on_host(4, 0.25f);
  ICL_CHECK_THROWS(icl::cuda::previous_token_score(
                       res, icl::cuda::make_device_tensor_view<float, 4>(on_host.data(), {1, 1, 2, 2})),
                   icl::invalid_argument, StartsWith("icl::cuda::previous_token_score: attention points to host memory"));
}

// One prompt's [layers, heads, n, n] attention: values 1/scale .. mod/scale in a fixed pattern on
// the host, the same on the device, and the views of both.
template <class T>
struct attention_fixture {
  attention_fixture(std::size_t layers, std::size_t heads, std::size_t n, std::size_t step, std::size_t mod, T scale)
      : shape{layers, heads, n, n}, host(layers * heads * n * n), device(res, host.size()) {
    for (std::size_t i = 0; i < host.size(); ++i) host[i] = static_cast<T>(1 + (i * step) % mod) / scale;
    device.copy_from_host(host.data(), host.size());
  }
  icl::tensor_view<const T, 4> host_view() const { return icl::make_tensor_view(host.data(), shape); }
  icl::cuda::device_tensor_view<const T, 4> device_view() const {
    return icl::cuda::make_device_tensor_view<T, 4>(device.data(), shape);
  }

  icl::cuda::resources res;
  std::array<std::size_t, 4> shape;
  std::vector<T> host;
  icl::cuda::device_buffer<T> device;
};

TEST_CASE("induction_score on the device equals icl::attention's", "[device]") {
  attention_fixture<float> f(2, 2, 6, 3, 5, 32.0f);
  auto& res = f.res;
  const std::vector<std::size_t> keys{3, 0, 1};
  const auto A = f.device_view();
  CHECK(icl::cuda::induction_score(res, A, keys).values == icl::attention::induction_score(f.host_view(), keys).values);
  const auto layer = icl::cuda::make_device_tensor_view<float, 3>(f.device.data(), {2, 6, 6});
  CHECK(icl::cuda::induction_score(res, layer, keys).values ==
        icl::attention::induction_score(f.host_view()[0], keys).values);
  ICL_CHECK_THROWS(icl::cuda::induction_score(res, A, {2, 6}), icl::invalid_argument,
                   "icl::cuda::induction_score: label_positions[1] = 6 must be < T = 6");
  icl::attention::attention_params strict;
  strict.check_row_sums = true;
  ICL_CHECK_THROWS(icl::cuda::induction_score(res, A, keys, strict), icl::invalid_argument,
                   StartsWith("icl::cuda::induction_score: attention row of layer 0, head 0, query position 5 sums to "));
}

TEST_CASE("label_attention on the device equals icl::attention's", "[device]") {
  attention_fixture<double> f(2, 3, 7, 5, 9, 64.0);
  const std::vector<std::size_t> keys{1, 5, 3, 0};
  const std::vector<int> labels{7, -2, 7, 4};
  const auto expected = icl::attention::label_attention(f.host_view(), keys, labels);
  const auto got = icl::cuda::label_attention(f.res, f.device_view(), keys, labels);
  CHECK(got.classes == expected.classes);
  CHECK(got.values == expected.values);
  ICL_CHECK_THROWS(icl::cuda::label_attention(f.res, f.device_view(), keys, {1, 2}),
                   icl::invalid_argument, "icl::cuda::label_attention: labels has 2 entries but label_positions has 4 rows");
}

TEST_CASE("attention_ratio on the device equals icl::attention's", "[device]") {
  attention_fixture<float> f(2, 3, 9, 11, 13, 64.0f);
  const std::vector<std::size_t> sources{8, 4}, relevant{1, 3, 5}, irrelevant{0, 2};
  const auto expected = icl::attention::attention_ratio(f.host_view(), sources, relevant, irrelevant);
  const auto got = icl::cuda::attention_ratio(f.res, f.device_view(), sources, relevant, irrelevant);
  CHECK(got.zero_denominator == expected.zero_denominator);
  REQUIRE(got.values.size() == expected.values.size());
  for (std::size_t i = 0; i < got.values.size(); ++i) CHECK(got.values[i] == Approx(expected.values[i]).epsilon(1e-6));
  ICL_CHECK_THROWS(icl::cuda::attention_ratio(f.res, f.device_view(), {9}, relevant, irrelevant), icl::invalid_argument,
                   "icl::cuda::attention_ratio: sources[0] = 9 must be < T = 9");
}

TEST_CASE("the _async head scores write the host results into device memory", "[device]") {
  attention_fixture<float> f(2, 3, 9, 11, 13, 64.0f);
  auto& res = f.res;
  const auto A = f.device_view();
  icl::cuda::device_buffer<double> out(res, 2 * 3 * 4);
  const auto map = out.matrix(2, 3);
  const icl::cuda::device_matrix_view<double> map_t(out.data(), 2, 3, 1, 2);  // column-major
  const auto read_back = [&] {
    std::vector<double> back(6);
    out.copy_to_host(back.data(), back.size());
    return back;
  };
  const auto column_major = [](std::vector<double> v) {
    return std::vector<double>{v[0], v[2], v[4], v[1], v[3], v[5]};
  };
  icl::cuda::previous_token_score_async(res, A, map).check();
  CHECK(read_back() == icl::cuda::previous_token_score(res, A).values);
  const std::vector<std::size_t> keys{3, 0, 1};
  icl::cuda::induction_score_async(res, A, keys, map_t).check();
  CHECK(column_major(read_back()) == icl::cuda::induction_score(res, A, keys).values);
  const std::vector<std::size_t> sources{8, 4}, relevant{1, 3, 5}, irrelevant{0, 2};
  icl::cuda::attention_ratio_async(res, A, sources, relevant, irrelevant, map).check();
  CHECK(read_back() == icl::cuda::attention_ratio(res, A, sources, relevant, irrelevant).values);
  const std::vector<int> labels{4, 9, 4};
  const auto labelled = icl::cuda::label_attention(res, A, keys, labels);
  icl::cuda::label_attention_async(res, A, keys, labels,
                                   icl::cuda::device_tensor_view<double, 3>(out.data(), {2, 3, 2}, {6, 2, 1}))
      .check();
  std::vector<double> values(12);
  out.copy_to_host(values.data(), values.size());
  CHECK(values == labelled.values);

  // Argument errors before anything is queued; a NaN reported by check(), its head NaN in out.
  ICL_CHECK_THROWS(icl::cuda::previous_token_score_async(res, A, out.matrix(3, 2)), icl::invalid_argument,
                   "icl::cuda::previous_token_score_async: out is 3 x 2, expected layers x heads = 2 x 3");
  f.host[((1 * 3 + 2) * 9 + 4) * 9 + 3] = std::numeric_limits<float>::quiet_NaN();
  f.device.copy_from_host(f.host.data(), f.host.size());
  const icl::cuda::async_status status = icl::cuda::previous_token_score_async(res, A, map);
  ICL_CHECK_THROWS(status.check(), icl::invalid_argument,
                   "icl::cuda::previous_token_score_async: attention (layer 1, head 2, query 4, key 3) is nan (NaN/Inf "
                   "not allowed)");
  const auto with_nan = read_back();
  CHECK(std::isnan(with_nan[5]));
  CHECK(!std::isnan(with_nan[4]));
}

}  // namespace icl_cuda_test
