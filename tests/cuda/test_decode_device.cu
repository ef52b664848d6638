// icl::cuda::task_decodability and decodability_curve on the device against icl::decode on a host
// copy of the same values: the four element types, strided views, tile sizes, and the CPU
// path's errors. [device] cases: without a CUDA device the test reports "skipped: no CUDA device".
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "icl/cuda.cuh"  // first: it includes the host library (Eigen) for nvcc
#include "icl/decode/knn.hpp"
#include "device_data.cuh"

namespace icl_cuda_decode_test {

using Catch::Matchers::StartsWith;

// The message of what call() throws (as icl::invalid_argument: "invalid: ...", else "error: ..."),
// with the CPU function's name replaced by the device one's.
template <class Call>
std::string message_of(Call call, const std::string& from = "", const std::string& to = "") {
  std::string m = "(none)";
  try {
    call();
  } catch (const icl::invalid_argument& e) {
    m = std::string("invalid: ") + e.what();
  } catch (const icl::error& e) {
    m = std::string("error: ") + e.what();
  }
  const auto at = from.empty() ? std::string::npos : m.find(from);
  if (at != std::string::npos) m.replace(at, from.size(), to);
  return m;
}

void check_same(const icl::decode::decodability_result& got, const icl::decode::decodability_result& expected) {
  CHECK(got.predictions == expected.predictions);
  CHECK(got.per_class == expected.per_class);
  CHECK((got.overall == expected.overall && got.classes == expected.classes &&
         got.class_counts == expected.class_counts && got.k == expected.k &&
         got.dissimilarity == expected.dissimilarity));
}

// The data rounded to integers (every Gram product exact in the compute type: the device's
// distances equal the CPU's, ties included), on the host and the device.
template <class T, class Host>
void make_lattice(icl_cuda_test::strided_data<T, Host>& X) {
  for (Host& v : X.host) v = Host(std::round(static_cast<float>(v)));
  X.upload();
}

std::vector<int> labels_of(std::size_t n) {
  std::vector<int> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<int>((i * 7) % 3) * 5 - 3;
  return y;
}

// TestType: (device element type, host element type).
TEMPLATE_TEST_CASE("task_decodability on the device equals icl::decode's", "[device]", (std::pair<float, float>),
                   (std::pair<double, double>), (std::pair<__half, icl::f16>), (std::pair<__nv_bfloat16, icl::bf16>)) {
  using T = typename TestType::first_type;
  using Host = typename TestType::second_type;
  icl::cuda::resources res;
  const std::size_t n = 29, d = 6;
  const auto labels = labels_of(n);
  // Row-major; column-major (cuBLAS reads both in place); every other column, and rows in
  // reverse (packed first).
  struct layout {
    std::ptrdiff_t rs, cs;
    std::size_t first;
  };
  const layout layouts[] = {{static_cast<std::ptrdiff_t>(d), 1, 0},
                            {1, static_cast<std::ptrdiff_t>(n), 0},
                            {static_cast<std::ptrdiff_t>(2 * d), 2, 0},
                            {-static_cast<std::ptrdiff_t>(2 * d), 1, 2 * d * (n - 1)}};
  for (const layout& s : layouts) {
    icl_cuda_test::strided_data<T, Host> X(res, n, d, s.rs, s.cs, 2 * n * d, s.first, 3);
    make_lattice(X);
    for (const std::size_t k : {std::size_t{1}, std::size_t{4}, std::size_t{10}, n - 1}) {
      for (const std::size_t block : {std::size_t{0}, std::size_t{5}}) {
        INFO("strides " << s.rs << ", " << s.cs << " k " << k << " block_rows " << block);
        icl::decode::decode_params params;
        params.k = k;
        params.block_rows = block;
        const auto expected = icl::decode::task_decodability(X.host_view(), labels, params);
        check_same(icl::cuda::task_decodability(res, X.device_view(), labels, params),
                   expected);
      }
    }
    // The k-only form.
    check_same(icl::cuda::task_decodability(res, X.device_view(), labels, 3),
               icl::decode::task_decodability(X.host_view(), labels, 3));
  }
}

TEST_CASE("task_decodability on the device: cosine on continuous data", "[device]") {
  icl::cuda::resources res;
  const std::size_t n = 40, d = 7;
  const icl_cuda_test::strided_data<double, double> X(res, n, d, d, 1, n * d, 0, 8);
  const auto labels = labels_of(n);
  for (const auto kind : {icl::decode::dissimilarity::cosine, icl::decode::dissimilarity::euclidean}) {
    icl::decode::decode_params params;
    params.k = 5;
    params.dissimilarity = kind;
    params.block_rows = 16;
    check_same(icl::cuda::task_decodability(res, X.device_view(), labels, params),
               icl::decode::task_decodability(X.host_view(), labels, params));
  }
}

TEST_CASE("decodability_curve on the device equals icl::decode's", "[device]") {
  icl::cuda::resources res;
  const std::size_t L = 3, n = 17, d = 4;
  icl_cuda_test::strided_data<float, float> X(res, L * n, d, d, 1, L * n * d, 0, 5);
  make_lattice(X);
  const auto labels = labels_of(n);
  icl::decode::decode_params params;
  params.k = 3;
  const auto expected = icl::decode::decodability_curve(
      icl::make_tensor_view(X.host.data(), std::array<std::size_t, 3>{L, n, d}), labels, params);
  // Layers last in memory: [L, n, d] with strides (1, d·L, L).
  std::vector<float> moved(L * n * d);
  for (std::size_t l = 0; l < L; ++l) {
    for (std::size_t q = 0; q < n * d; ++q) moved[q * L + l] = X.host[l * n * d + q];
  }
  icl::cuda::device_buffer<float> strided(res, moved.size());
  strided.copy_from_host(moved.data(), moved.size());
  for (const auto& H : {icl::cuda::make_device_tensor_view<float, 3>(X.device.data(), {L, n, d}),
                        icl::cuda::make_device_tensor_view<float, 3>(
                            strided.data(), {L, n, d},
                            {1, static_cast<std::ptrdiff_t>(d * L), static_cast<std::ptrdiff_t>(L)})}) {
    const auto got = icl::cuda::decodability_curve(res, H, labels, params);
    CHECK(got.curve.values == expected.curve.values);
    CHECK(got.peak_layer == expected.peak_layer);
    REQUIRE(got.layers.size() == L);
    for (std::size_t l = 0; l < L; ++l) check_same(got.layers[l], expected.layers[l]);
  }
  CHECK(message_of([&] {
          (void)icl::cuda::decodability_curve(res, icl::cuda::make_device_tensor_view<float, 3>(X.device.data(), {L, n, d}),
                                              std::vector<int>(n - 1, 0), params);
        }) == "invalid: icl::cuda::decodability_curve: H has 17 rows per layer but labels has 16 entries");

  // The _async form: the overall accuracies into device memory.
  const auto H3 = icl::cuda::make_device_tensor_view<float, 3>(X.device.data(), {L, n, d});
  const auto on_device = icl::cuda::decodability_curve(res, H3, labels, params);
  icl::cuda::device_buffer<double> out(res, 2 * L);
  std::vector<double> back(2 * L);
  // Every other entry of out: a strided curve.
  icl::cuda::decodability_curve_async(res, H3, labels,
                                      icl::cuda::device_tensor_view<double, 1>(out.data(), {L}, {2}), params)
      .check();
  out.copy_to_host(back.data(), back.size());
  for (std::size_t l = 0; l < L; ++l) CHECK(back[2 * l] == on_device.curve.values[l]);
  icl::cuda::task_decodability_async(res, H3.matrix(1), labels, out.data(), params).check();
  out.copy_to_host(back.data(), 1);
  CHECK(back[0] == on_device.layers[1].overall);
  CHECK_THROWS_WITH(icl::cuda::decodability_curve_async(
                        res, H3, labels, icl::cuda::device_tensor_view<double, 1>(out.data(), {L - 1}, {1}), params),
                    "icl::cuda::decodability_curve_async: curve has 2 entries, expected layers = 3");
  // A NaN in layer 2: NaN there, and check() throws decodability_curve's error.
  X.at(2 * n + 4, 1) = std::numeric_limits<float>::quiet_NaN();
  X.upload();
  const std::string sync = message_of([&] { (void)icl::cuda::decodability_curve(res, H3, labels, params); });
  const icl::cuda::async_status status = icl::cuda::decodability_curve_async(
      res, H3, labels, icl::cuda::device_tensor_view<double, 1>(out.data(), {L}, {1}), params);
  CHECK(sync != "(none)");
  CHECK(message_of([&] { status.check(); }, "icl::cuda::decodability_curve_async", "icl::cuda::decodability_curve") ==
        sync);
  out.copy_to_host(back.data(), L);
  CHECK(back[1] == on_device.curve.values[1]);
  CHECK(std::isnan(back[2]));
}

TEST_CASE("task_decodability on the device raises icl::decode's errors", "[device]") {
  icl::cuda::resources res;
  const std::size_t n = 6, d = 3;
  std::vector<float> host(n * d, 1.0f);
  for (std::size_t q = 0; q < host.size(); ++q) host[q] = static_cast<float>(q % 4);
  const std::vector<int> labels = {0, 1, 0, 1, 1, 0};
  icl::cuda::device_buffer<float> device(res, host.size());
  const auto expect_same = [&](const std::vector<int>& y, std::size_t k) {
    device.copy_from_host(host.data(), host.size());
    const auto H = icl::cuda::make_device_matrix_view<float>(device.data(), n, d);
    const std::string expected =
        message_of([&] { (void)icl::decode::task_decodability(icl::make_matrix_view(host.data(), n, d), y, k); },
                   "icl::decode::task_decodability", "icl::cuda::task_decodability");
    CHECK(expected != "(none)");
    CHECK(message_of([&] { (void)icl::cuda::task_decodability(res, H, y, k); }) == expected);
  };
  expect_same({0, 1, 0}, 2);                  // labels size
  expect_same(labels, n);                     // k >= n
  expect_same(labels, 0);                     // k = 0
  expect_same(std::vector<int>(n, 4), 2);     // a single class
  host[4 * d + 2] = std::numeric_limits<float>::quiet_NaN();
  expect_same(labels, 2);                     // NaN, named with its row and column
  host[4 * d + 2] = 1e30f;
  expect_same(labels, 2);                     // a squared norm beyond float's range
  host[4 * d + 2] = 1.0f;
  for (std::size_t j = 0; j < d; ++j) host[2 * d + j] = 0.0f;
  device.copy_from_host(host.data(), host.size());
  icl::decode::decode_params cosine;
  cosine.k = 2;
  cosine.dissimilarity = icl::decode::dissimilarity::cosine;
  CHECK(message_of([&] {
          (void)icl::cuda::task_decodability(res, icl::cuda::make_device_matrix_view<float>(device.data(), n, d), labels,
                                             cosine);
        }) == "invalid: icl::cuda::task_decodability: row 2 of H is zero (cosine distance undefined)");
  // A host pointer, and an empty view.
  CHECK_THROWS_WITH(icl::cuda::task_decodability(res, icl::cuda::make_device_matrix_view(host.data(), n, d), labels, 2),
                    StartsWith("icl::cuda::task_decodability: H points to host memory"));
  CHECK(message_of([&] {
          (void)icl::cuda::task_decodability(res, icl::cuda::make_device_matrix_view<float>(device.data(), 0, d),
                                             std::vector<int>{}, 2);
        }) == "invalid: icl::cuda::task_decodability: H is empty (0 x 3)");
  // The stream is usable after the errors.
  host.assign(host.size(), 1.0f);
  for (std::size_t q = 0; q < host.size(); ++q) host[q] = static_cast<float>(q % 5);
  expect_same({0, 1, 0}, 2);
}

}  // namespace icl_cuda_decode_test
