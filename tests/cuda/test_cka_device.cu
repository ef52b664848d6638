// icl::cuda::linear_cka against icl::geometry::linear_cka on the host copy of the same data:
// biased and debiased, both routes (n x n Gram matrices and feature-space products), float,
// double, f16 and bf16, strided inputs, and the errors. Every case needs a device ([device]:
// skipped without one, see gpu_main.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/cuda.cuh"  // first: it includes the host library (Eigen) for nvcc
#pragma nv_diag_suppress 20012  // Eigen, under nvcc: see icl/cuda/detail/host_library.cuh
#include "icl/geometry/cka.hpp"
#pragma nv_diag_default 20012
#include "device_data.cuh"

namespace icl_cuda_cka_test {

using icl_cuda_test::element_types;
using icl_cuda_test::for_each_element_type;
using icl_cuda_test::strided_data;

template <class T, class Host>
void check_cka(icl::cuda::resources& res, element_types<T, Host> /*types*/) {
  const double tolerance = std::is_same_v<T, double> ? 1e-10 : 1e-5;
  // (n, d_x, d_y): the Gram route (n < d_x + d_y), then the feature route.
  const std::size_t shapes[][3] = {{30, 7, 40}, {60, 7, 9}};
  for (const auto& shape : shapes) {
    const std::size_t n = shape[0], dx = shape[1], dy = shape[2];
    // X row-major with padded rows; Y column-major.
    strided_data<T, Host> X(res, n, dx, static_cast<std::ptrdiff_t>(dx + 3), 1, n * (dx + 3), 0, 17);
    strided_data<T, Host> Y(res, n, dy, 1, static_cast<std::ptrdiff_t>(n), n * dy, 0, 23);
    for (const bool debiased : {false, true}) {
      INFO("n " << n << " d_x " << dx << " d_y " << dy << " debiased " << debiased);
      const double expected = icl::geometry::linear_cka(X.host_view(), Y.host_view(), debiased);
      CHECK(icl::cuda::linear_cka(res, X.device_view(), Y.device_view(), debiased) ==
            Approx(expected).epsilon(tolerance).margin(tolerance));
      CHECK(icl::cuda::linear_cka(res, X.device_view(), X.device_view(), debiased) == Approx(1.0).epsilon(tolerance));
    }
  }
}

TEST_CASE("linear_cka on the device equals icl::geometry::linear_cka", "[device]") {
  icl::cuda::resources res;
  for_each_element_type([&](auto types) { check_cka(res, types); });
}

TEST_CASE("linear_cka on the device raises the CPU path's errors", "[device]") {
  icl::cuda::resources res;
  const std::size_t n = 8, d = 3;
  strided_data<float, float> X(res, n, d, static_cast<std::ptrdiff_t>(d), 1, n * d, 0, 1);
  strided_data<float, float> Y(res, n, d, static_cast<std::ptrdiff_t>(d), 1, n * d, 0, 2);
  // The CPU's message for the same host data, under the device function's name.
  const auto expected = [](auto&& cpu_call) {
    try {
      cpu_call();
    } catch (const icl::invalid_argument& e) {
      const std::string message = e.what();
      return "icl::cuda::linear_cka" + message.substr(std::string("icl::geometry::linear_cka").size());
    }
    return std::string("(none)");
  };
  const auto short_view = X.device_view().row_range(0, 5);
  CHECK_THROWS_WITH(icl::cuda::linear_cka(res, short_view, Y.device_view()),
                    expected([&] { (void)icl::geometry::linear_cka(X.host_view().row_range(0, 5), Y.host_view()); }));
  const auto three = X.device_view().row_range(0, 3);
  CHECK_THROWS_WITH(icl::cuda::linear_cka(res, three, Y.device_view().row_range(0, 3), true),
                    "icl::cuda::linear_cka: debiased CKA needs n > 3 rows, got n = 3");
  X.at(5, 2) = std::numeric_limits<float>::quiet_NaN();
  Y.at(1, 0) = std::numeric_limits<float>::infinity();
  X.upload();
  Y.upload();
  CHECK_THROWS_WITH(icl::cuda::linear_cka(res, X.device_view(), Y.device_view()),
                    "icl::cuda::linear_cka: X (5, 2) is nan (NaN/Inf not allowed)");
  CHECK_THROWS_WITH(icl::cuda::linear_cka(res, Y.device_view(), Y.device_view()),
                    expected([&] { (void)icl::geometry::linear_cka(Y.host_view(), Y.host_view()); }));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) X.at(i, j) = 2.0f;  // every row equal
  }
  X.upload();
  strided_data<float, float> Z(res, n, d, static_cast<std::ptrdiff_t>(d), 1, n * d, 0, 3);
  for (const bool debiased : {false, true}) {
    CHECK_THROWS_WITH(icl::cuda::linear_cka(res, X.device_view(), Z.device_view(), debiased),
                      expected([&] { (void)icl::geometry::linear_cka(X.host_view(), Z.host_view(), debiased); }));
  }
}

TEST_CASE("linear_cka_async writes linear_cka's value into device memory", "[device]") {
  icl::cuda::resources res;
  const std::size_t n = 30, dx = 7, dy = 40;
  strided_data<float, float> X(res, n, dx, static_cast<std::ptrdiff_t>(dx), 1, n * dx, 0, 5);
  strided_data<float, float> Y(res, n, dy, static_cast<std::ptrdiff_t>(dy), 1, n * dy, 0, 6);
  icl::cuda::device_buffer<double> value(res, 1);
  double got = 0.0;
  for (const bool debiased : {false, true}) {
    icl::cuda::linear_cka_async(res, X.device_view(), Y.device_view(), value.data(), debiased).check();
    value.copy_to_host(&got, 1);
    CHECK(got == Approx(icl::cuda::linear_cka(res, X.device_view(), Y.device_view(), debiased)).epsilon(1e-12));
  }
  CHECK_THROWS_WITH(icl::cuda::linear_cka_async(res, X.device_view(), Y.device_view(), nullptr),
                    "icl::cuda::linear_cka_async: value is a null pointer");
  X.at(5, 2) = std::numeric_limits<float>::quiet_NaN();
  X.upload();
  const icl::cuda::async_status status =
      icl::cuda::linear_cka_async(res, X.device_view(), Y.device_view(), value.data());
  CHECK_THROWS_WITH(status.check(), "icl::cuda::linear_cka_async: X (5, 2) is nan (NaN/Inf not allowed)");
  value.copy_to_host(&got, 1);
  CHECK(std::isnan(got));
}

}  // namespace icl_cuda_cka_test
