// icl::cuda::compare and icl::cuda::permutation_test against icl::rsa::compare and
// icl::rsa::permutation_test on the host copy of the same values: pearson, spearman, rho_a,
// cosine and whitened_cosine; float, double, f16 and bf16 vectors read through strides; host RDMs; an RDM written by
// compute_rdm_into; compare_async; the errors. Every case needs a device ([device]: skipped
// without one, see gpu_main.cpp).
//
// Tolerances: the statistic within 1e-12 relative (double sums in another order; ranks exact);
// the null distribution likewise; the p-value exactly (the data have no permuted statistic
// within rounding of the observed one other than exact ties, which both paths count).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/cuda.cuh"  // first: it includes the host library (Eigen) for nvcc
#pragma nv_diag_suppress 20012  // Eigen, under nvcc: see icl/cuda/detail/host_library.cuh
#include "icl/rsa/compare.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#pragma nv_diag_default 20012
#include "device_data.cuh"

namespace icl_cuda_compare_test {

using icl::rsa::comparison;
using icl_cuda_test::element_types;
using icl_cuda_test::for_each_element_type;
using icl_cuda_test::strided_data;

constexpr comparison device_comparisons[] = {comparison::pearson, comparison::spearman, comparison::rho_a,
                                             comparison::cosine, comparison::whitened_cosine};

/// A condensed vector of m values, element k at offset first + k·stride of its buffer.
template <class T, class Host>
struct vector_data {
  vector_data(icl::cuda::resources& res, std::size_t m, std::ptrdiff_t stride, unsigned seed)
      : values(res, m, 1, stride, 1, static_cast<std::size_t>(stride < 0 ? -stride : stride) * m,
               stride < 0 ? static_cast<std::size_t>(-stride) * (m - 1) : 0, seed) {}
  std::vector<double> host() const {
    std::vector<double> out(values.n);
    for (std::size_t k = 0; k < values.n; ++k) out[k] = static_cast<double>(values.host_view()(k, 0));
    return out;
  }
  icl::cuda::device_vector_view<const T> device() const {
    return icl::cuda::make_device_tensor_view<T, 1>(values.device.data() + values.first, {values.n},
                                                    {values.row_stride});
  }
  strided_data<T, Host> values;
};

/// The CPU's message for a call, under the device function's name.
template <class F>
std::string cpu_message(F&& f, const std::string& cpu_name, const std::string& device_name) {
  try {
    (void)f();
  } catch (const icl::invalid_argument& e) {
    const std::string message = e.what();
    return device_name + message.substr(cpu_name.size());
  }
  return "(none)";
}

template <class T, class Host>
void check_values(icl::cuda::resources& res, element_types<T, Host> /*types*/) {
  const std::size_t n = 31, m = n * (n - 1) / 2;  // condensed RDMs (whitened_cosine needs n)
  for (const std::ptrdiff_t stride : {std::ptrdiff_t{1}, std::ptrdiff_t{3}, std::ptrdiff_t{-2}}) {
    vector_data<T, Host> a(res, m, stride, 1), b(res, m, stride, 2);
    for (std::size_t k = 0; k < m; k += 4) b.values.at(k, 0) = Host(1.0f);  // ties
    b.values.upload();
    const std::vector<double> ha = a.host(), hb = b.host();
    for (const comparison c : device_comparisons) {
      INFO(icl::rsa::to_string(c) << ", stride " << stride);
      const double expected = icl::rsa::compare(ha, hb, c);
      CHECK(icl::cuda::compare(res, a.device(), b.device(), c) == Approx(expected).epsilon(1e-12).margin(1e-14));
      icl::cuda::device_buffer<double> out(res, 1);
      icl::rsa::compare_params quiet;
      quiet.nan = icl::nan_policy::propagate;
      icl::cuda::compare_async(res, a.device(), b.device(), c, out.data(), quiet).check();
      double got = 0.0;
      out.copy_to_host(&got, 1);
      CHECK(got == Approx(expected).epsilon(1e-12).margin(1e-14));

      icl::rsa::permutation_params params;
      params.permutations = 500;
      params.seed = 7;
      params.keep_null = true;
      const icl::rsa::rdm ra = icl::rsa::rdm_from_condensed(ha), rb = icl::rsa::rdm_from_condensed(hb);
      const auto cpu = icl::rsa::permutation_test(ra, rb, c, params);
      for (const auto& result : {icl::cuda::permutation_test(res, a.device(), b.device(), c, params),
                                 icl::cuda::permutation_test(res, ra, rb, c, params)}) {
        CHECK(result.statistic == Approx(cpu.statistic).epsilon(1e-12).margin(1e-14));
        CHECK(result.p_value == cpu.p_value);
        CHECK(result.permutations == cpu.permutations);
        REQUIRE(result.null_distribution.size() == cpu.null_distribution.size());
        for (std::size_t k = 0; k < cpu.null_distribution.size(); ++k) {
          CHECK(result.null_distribution[k] == Approx(cpu.null_distribution[k]).epsilon(1e-12).margin(1e-14));
        }
      }
    }
  }
}

TEST_CASE("compare and permutation_test on the device equal the CPU library's", "[device]") {
  icl::cuda::resources res;
  for_each_element_type([&](auto types) { check_values(res, types); });
}

TEST_CASE("the device comparison of host RDMs, of a compute_rdm_into RDM and of long vectors", "[device]") {
  icl::cuda::resources res;
  const std::size_t n = 40, d = 12, m = n * (n - 1) / 2;
  strided_data<float, float> rows(res, n, d, static_cast<std::ptrdiff_t>(d), 1, n * d, 0, 4);
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % 3);
  const icl::rsa::rdm hypothesis = icl::rsa::categorical_rdm(labels);
  const icl::rsa::rdm cpu_rdm = icl::rsa::compute_rdm(rows.host_view(), icl::rsa::dissimilarity::correlation);
  icl::cuda::device_buffer<double> condensed(res, m), model(res, m);
  icl::cuda::compute_rdm_into(res, rows.device_view(), icl::rsa::dissimilarity::correlation, condensed.data());
  model.copy_from_host(hypothesis.condensed().data(), m);
  const auto da = icl::cuda::make_device_tensor_view<double, 1>(condensed.data(), {m});
  const auto db = icl::cuda::make_device_tensor_view<double, 1>(model.data(), {m});
  for (const comparison c : device_comparisons) {
    INFO(icl::rsa::to_string(c));
    const double expected = icl::rsa::compare(cpu_rdm, hypothesis, c);
    // The RDM itself differs from the CPU's by the float Gram products' rounding.
    CHECK(icl::cuda::compare(res, da, db, c) == Approx(expected).epsilon(1e-5).margin(1e-6));
    CHECK(icl::cuda::compare(res, cpu_rdm, hypothesis, c) == Approx(expected).epsilon(1e-12).margin(1e-14));
    const auto p = icl::cuda::permutation_test(res, cpu_rdm, hypothesis, c, 200, 3);
    CHECK(p.p_value == icl::rsa::permutation_test(cpu_rdm, hypothesis, c, 200, 3).p_value);
  }
  // Beyond one grid stride, and several chunks per permutation.
  const std::size_t long_m = 800 * 799 / 2;
  vector_data<double, double> la(res, long_m, 1, 8), lb(res, long_m, 1, 9);
  for (const comparison c : device_comparisons) {
    INFO(icl::rsa::to_string(c) << ", m = " << long_m);
    const std::vector<double> ha = la.host(), hb = lb.host();
    CHECK(icl::cuda::compare(res, la.device(), lb.device(), c) ==
          Approx(icl::rsa::compare(ha, hb, c)).epsilon(1e-12).margin(1e-14));
    const auto got = icl::cuda::permutation_test(res, la.device(), lb.device(), c, 50, 1);
    const auto cpu = icl::rsa::permutation_test(icl::rsa::rdm_from_condensed(ha), icl::rsa::rdm_from_condensed(hb),
                                                c, 50, 1);
    CHECK(got.p_value == cpu.p_value);
  }
}

TEST_CASE("the device comparison raises the CPU path's errors", "[device]") {
  icl::cuda::resources res;
  const std::size_t m = 10;
  vector_data<float, float> a(res, m, 2, 1), constant(res, m, 1, 2), bad(res, m, 1, 3);
  for (std::size_t k = 0; k < m; ++k) constant.values.at(k, 0) = 2.5f;
  constant.values.upload();
  bad.values.at(6, 0) = std::numeric_limits<float>::quiet_NaN();
  bad.values.upload();
  const std::vector<double> ha = a.host(), hc = constant.host(), hbad = bad.host();
  const std::string cpu = "icl::rsa::compare", dev = "icl::cuda::compare";
  for (const comparison c : {comparison::pearson, comparison::spearman}) {
    INFO(icl::rsa::to_string(c));
    CHECK_THROWS_WITH(icl::cuda::compare(res, a.device(), constant.device(), c),
                      cpu_message([&] { return icl::rsa::compare(ha, hc, c); }, cpu, dev));
    CHECK_THROWS_WITH(icl::cuda::compare(res, bad.device(), a.device(), c),
                      cpu_message([&] { return icl::rsa::compare(hbad, ha, c); }, cpu, dev));
    icl::rsa::compare_params quiet;
    quiet.nan = icl::nan_policy::propagate;
    CHECK(std::isnan(icl::cuda::compare(res, a.device(), constant.device(), c, quiet)));
    // compare_async: NaN on the device, the error from check() under raise.
    icl::cuda::device_buffer<double> value(res, 1);
    const icl::cuda::async_status status =
        icl::cuda::compare_async(res, a.device(), constant.device(), c, value.data());
    CHECK_THROWS_WITH(status.check(), cpu_message([&] { return icl::rsa::compare(ha, hc, c); }, cpu,
                                                  "icl::cuda::compare_async"));
    double got = 0.0;
    value.copy_to_host(&got, 1);
    CHECK(std::isnan(got));
    CHECK(std::isnan(icl::cuda::compare(res, bad.device(), a.device(), c, quiet)));
  }
  const auto shorter = icl::cuda::make_device_tensor_view<float, 1>(a.values.device.data(), {m - 1}, {2});
  CHECK_THROWS_WITH(icl::cuda::compare(res, a.device(), shorter, comparison::pearson),
                    "icl::cuda::compare: a has 10 values but b has 9 (sizes must match)");
  const auto one = icl::cuda::make_device_tensor_view<float, 1>(a.values.device.data(), {1});
  CHECK_THROWS_WITH(icl::cuda::compare(res, one, one, comparison::pearson),
                    "icl::cuda::compare: need at least 2 pairs (m >= 2, i.e. n >= 3 conditions), got m = 1");
  CHECK_THROWS_WITH(icl::cuda::compare(res, a.device(), a.device(), comparison::kendall_tau_b),
                    Catch::Matchers::StartsWith("icl::cuda::compare: kendall_tau_b is not computed on the device"));
  const std::vector<float> on_host(m, 1.0f);
  const auto host_view = icl::cuda::make_device_tensor_view<float, 1>(on_host.data(), {m});
  CHECK_THROWS_WITH(icl::cuda::compare(res, host_view, a.device(), comparison::pearson),
                    Catch::Matchers::StartsWith("icl::cuda::compare: a points to host memory"));
  // The permutation test: a length that is not n(n-1)/2, N = 0, a constant vector.
  const auto nine = icl::cuda::make_device_tensor_view<float, 1>(a.values.device.data(), {9}, {2});
  CHECK_THROWS_WITH(icl::cuda::compare(res, nine, nine, comparison::whitened_cosine),
                    Catch::Matchers::StartsWith("icl::cuda::compare: length 9 is not a triangular number"));
  CHECK_THROWS_WITH(icl::cuda::permutation_test(res, nine, nine, comparison::pearson, 10, 0),
                    Catch::Matchers::StartsWith("icl::cuda::permutation_test: length 9 is not a triangular number"));
  icl::rsa::permutation_params none;
  none.permutations = 0;
  CHECK_THROWS_WITH(icl::cuda::permutation_test(res, a.device(), a.device(), comparison::pearson, none),
                    "icl::cuda::permutation_test: need at least 1 permutation, got 0");
  const icl::rsa::rdm ra = icl::rsa::rdm_from_condensed(ha), rc = icl::rsa::rdm_from_condensed(hc);
  CHECK_THROWS_WITH(icl::cuda::permutation_test(res, a.device(), constant.device(), comparison::spearman, 10, 0),
                    cpu_message([&] { return icl::rsa::permutation_test(ra, rc, comparison::spearman, 10, 0).p_value; },
                                "icl::rsa::permutation_test", "icl::cuda::permutation_test"));
  CHECK_THROWS_WITH(icl::cuda::compare_async(res, a.device(), a.device(), comparison::pearson, nullptr),
                    "icl::cuda::compare_async: out is a null pointer");
}

}  // namespace icl_cuda_compare_test
