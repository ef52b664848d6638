// icl::cuda::compute_rdm against icl::rsa::compute_rdm on the host copy of the same data: every
// dissimilarity, float, double, f16 and bf16, row-major, padded, column-major and strided
// layouts, several tile sizes, the errors and the NaN propagation. Every case needs a device
// ([device]: skipped without one, see gpu_main.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/cuda.cuh"  // first: it includes the host library (Eigen) for nvcc
#pragma nv_diag_suppress 20012  // Eigen, under nvcc: see icl/cuda/detail/host_library.cuh
#include "icl/rsa/rdm.hpp"
#pragma nv_diag_default 20012
#include "device_data.cuh"

namespace icl_cuda_rdm_test {

using icl::rsa::dissimilarity;
using icl_cuda_test::element_types;
using icl_cuda_test::for_each_element_type;
using icl_cuda_test::strided_data;

constexpr dissimilarity all_dissimilarities[] = {dissimilarity::euclidean, dissimilarity::sqeuclidean,
                                                 dissimilarity::sqeuclidean_per_feature, dissimilarity::correlation,
                                                 dissimilarity::cosine};

template <class T>
void require_close(const std::vector<double>& got, const std::vector<double>& expected) {
  // Gram products in float (float, f16, bf16) or double, summed in another order than the CPU's.
  const double tolerance = std::is_same_v<T, double> ? 1e-10 : 1e-4;
  REQUIRE(got.size() == expected.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    INFO("condensed position " << k << ": " << got[k] << " against " << expected[k]);
    REQUIRE((std::isnan(expected[k]) ? std::isnan(got[k])
                                     : got[k] == Approx(expected[k]).epsilon(tolerance).margin(tolerance)));
  }
}

/// The message of what the CPU path throws, under the device function's name.
template <class Host>
std::string cpu_message(icl::matrix_view<const Host> X, dissimilarity d) {
  try {
    (void)icl::rsa::compute_rdm(X, d);
  } catch (const icl::invalid_argument& e) {
    std::string message = e.what();
    const std::string cpu = "icl::rsa::compute_rdm";
    return "icl::cuda::compute_rdm" + message.substr(cpu.size());
  }
  return "(none)";
}

template <class T, class Host>
void check_layouts(icl::cuda::resources& res, element_types<T, Host> /*types*/) {
  const std::size_t n = 37, d = 19;
  struct layout {
    const char* name;
    std::ptrdiff_t rs, cs;
    std::size_t span, first;
  };
  const layout layouts[] = {
      {"row-major", static_cast<std::ptrdiff_t>(d), 1, n * d, 0},
      {"padded rows", static_cast<std::ptrdiff_t>(d + 5), 1, n * (d + 5), 0},
      {"column-major", 1, static_cast<std::ptrdiff_t>(n), n * d, 0},
      {"every other column, rows reversed", -static_cast<std::ptrdiff_t>(2 * d), 2, 2 * n * d, 2 * d * (n - 1)}};
  for (const layout& l : layouts) {
    strided_data<T, Host> data(res, n, d, l.rs, l.cs, l.span, l.first, 11);
    for (const dissimilarity dis : all_dissimilarities) {
      const std::vector<double> expected = icl::rsa::compute_rdm(data.host_view(), dis).condensed();
      for (const std::size_t block_rows : {std::size_t{0}, std::size_t{1}, std::size_t{8}, n + 3}) {
        INFO(l.name << ", " << icl::rsa::to_string(dis) << ", block_rows " << block_rows);
        icl::rsa::rdm_params params;
        params.block_rows = block_rows;
        const icl::rsa::rdm got = icl::cuda::compute_rdm(res, data.device_view(), dis, params);
        CHECK(got.n() == n);
        require_close<T>(got.condensed(), expected);
      }
    }
  }
}

TEST_CASE("compute_rdm on the device equals icl::rsa::compute_rdm in every layout", "[device]") {
  icl::cuda::resources res;
  for_each_element_type([&](auto types) { check_layouts(res, types); });
}

template <class T, class Host>
void check_errors(icl::cuda::resources& res, element_types<T, Host> /*types*/) {
  const std::size_t n = 9, d = 6;
  strided_data<T, Host> data(res, n, d, static_cast<std::ptrdiff_t>(d), 1, n * d, 0, 5);
  for (std::size_t j = 0; j < d; ++j) {
    data.at(2, j) = Host(0.0f);  // row 2: all zeros
    data.at(6, j) = Host(1.5f);  // row 6: constant
  }
  data.upload();
  for (const dissimilarity dis : {dissimilarity::cosine, dissimilarity::correlation}) {
    INFO(icl::rsa::to_string(dis));
    const std::string expected = cpu_message(data.host_view(), dis);
    CHECK_THROWS_AS(icl::cuda::compute_rdm(res, data.device_view(), dis), icl::invalid_argument);
    CHECK_THROWS_WITH(icl::cuda::compute_rdm(res, data.device_view(), dis), expected);
  }
  data.at(7, 4) = Host(std::numeric_limits<float>::infinity());
  data.at(4, 3) = Host(std::numeric_limits<float>::quiet_NaN());
  data.upload();
  for (const dissimilarity dis : all_dissimilarities) {
    INFO(icl::rsa::to_string(dis));
    // The NaN/Inf row first, naming its element, as on the CPU.
    CHECK_THROWS_WITH(icl::cuda::compute_rdm(res, data.device_view(), dis), cpu_message(data.host_view(), dis));
    // nan_policy::propagate: NaN exactly where the CPU has NaN.
    icl::rsa::rdm_params params;
    params.nan = icl::nan_policy::propagate;
    require_close<T>(icl::cuda::compute_rdm(res, data.device_view(), dis, params).condensed(),
                     icl::rsa::compute_rdm(data.host_view(), dis, params).condensed());
  }
}

TEST_CASE("compute_rdm on the device raises the CPU path's errors", "[device]") {
  icl::cuda::resources res;
  for_each_element_type([&](auto types) { check_errors(res, types); });

  icl::cuda::device_buffer<float> small(res, 8);
  CHECK_THROWS_WITH(icl::cuda::compute_rdm(res, icl::cuda::make_device_matrix_view<float>(small.data(), 1, 8),
                                           dissimilarity::euclidean),
                    "icl::cuda::compute_rdm: need n >= 2 conditions (rows), got 1");
  CHECK_THROWS_WITH(icl::cuda::compute_rdm(res, icl::cuda::make_device_matrix_view<float>(small.data(), 4, 0),
                                           dissimilarity::euclidean),
                    "icl::cuda::compute_rdm: need d >= 1 features (columns), got 0");
  const std::vector<float> on_host(8, 1.0f);
  CHECK_THROWS_WITH(icl::cuda::compute_rdm(res, icl::cuda::make_device_matrix_view<float>(on_host.data(), 2, 4),
                                           dissimilarity::euclidean),
                    Catch::Matchers::StartsWith("icl::cuda::compute_rdm: X points to host memory"));
  CHECK_THROWS_AS(icl::cuda::compute_rdm(res, icl::cuda::make_device_matrix_view<float>(small.data(), 2, 4),
                                         static_cast<dissimilarity>(99)),
                  icl::invalid_argument);
}

TEST_CASE("compute_rdm_into writes the condensed RDM into the caller's device memory", "[device]") {
  icl::cuda::resources res;
  const std::size_t n = 21, d = 10, m = n * (n - 1) / 2;
  strided_data<__half, icl::f16> data(res, n, d, static_cast<std::ptrdiff_t>(d), 1, n * d, 0, 3);
  icl::cuda::device_buffer<double> out(res, m);
  std::vector<double> got(m);
  for (const dissimilarity dis : all_dissimilarities) {
    INFO(icl::rsa::to_string(dis));
    icl::rsa::rdm_params params;
    params.nan = icl::nan_policy::propagate;  // nothing waits
    icl::cuda::compute_rdm_into(res, data.device_view(), dis, out.data(), params);
    out.copy_to_host(got.data(), m);
    require_close<__half>(got, icl::rsa::compute_rdm(data.host_view(), dis).condensed());
    icl::cuda::compute_rdm_into(res, data.device_view(), dis, out.data());  // raise: waits, no error here
    out.copy_to_host(got.data(), m);
    require_close<__half>(got, icl::rsa::compute_rdm(data.host_view(), dis).condensed());
  }
  CHECK_THROWS_WITH(icl::cuda::compute_rdm_into(res, data.device_view(), dissimilarity::cosine, nullptr),
                    "icl::cuda::compute_rdm_into: out is a null pointer");
}

}  // namespace icl_cuda_rdm_test
