// The device linear CKA's arithmetic (icl/cuda/detail/cka_terms.hpp, with the centring of
// rdm_tile.hpp) run on the CPU over the kernels' index space — column means, centred values in
// the compute type, the products of the route the CPU library chooses, the sums of products and
// the rows' terms in double — and compared with icl::geometry::linear_cka.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "icl/cuda/detail/cka_terms.hpp"
#include "icl/cuda/detail/rdm_tile.hpp"
#include "icl/geometry/cka.hpp"

namespace {

namespace device = icl::detail::device;

/// The column kernel and the centring kernel: X (row-major n x d) centred by columns, in C.
template <class C>
std::vector<C> centred(const std::vector<double>& x, std::size_t n, std::size_t d) {
  std::vector<C> out(n * d);
  for (std::size_t j = 0; j < d; ++j) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(static_cast<C>(x[i * d + j]));
    const double mean = device::row_mean(sum, n);
    for (std::size_t i = 0; i < n; ++i) {
      out[i * d + j] = device::centered_value<C>(static_cast<double>(static_cast<C>(x[i * d + j])), mean);
    }
  }
  return out;
}

/// out (a_rows x b_rows) = A · Bᵀ over k, A and B given by element accessors; products in C.
template <class C, class A, class B>
std::vector<C> product(std::size_t a_rows, std::size_t b_rows, std::size_t k, A a, B b) {
  std::vector<C> out(a_rows * b_rows);
  for (std::size_t r = 0; r < a_rows; ++r) {
    for (std::size_t c = 0; c < b_rows; ++c) {
      C acc = 0;
      for (std::size_t l = 0; l < k; ++l) acc += a(r, l) * b(c, l);
      out[r * b_rows + c] = acc;
    }
  }
  return out;
}

/// The sums kernel: every entry of the route's matrices through cka_operands::add, in double.
template <class C>
void add_products(const device::cka_operands<C>& ops, device::cka_sums& s) {
  double acc[3] = {0.0, 0.0, 0.0};
  for (std::size_t e = 0; e < ops.entries(); ++e) ops.add(e, acc);
  s.kk = acc[0];
  s.ll = acc[1];
  s.kl = acc[2];
}

template <class C>
double device_cka(const std::vector<double>& x, std::size_t dx, const std::vector<double>& y, std::size_t dy,
                  std::size_t n, bool debiased, bool gram_route) {
  const std::vector<C> xc = centred<C>(x, n, dx), yc = centred<C>(y, n, dy);
  const auto xr = [&](std::size_t i, std::size_t j) { return xc[i * dx + j]; };
  const auto yr = [&](std::size_t i, std::size_t j) { return yc[i * dy + j]; };
  const auto xt = [&](std::size_t j, std::size_t i) { return xc[i * dx + j]; };
  const auto yt = [&](std::size_t j, std::size_t i) { return yc[i * dy + j]; };
  device::cka_sums s;
  s.n = n;
  if (gram_route) {
    const auto K = product<C>(n, n, dx, xr, xr), L = product<C>(n, n, dy, yr, yr);
    add_products(device::cka_operands<C>{K.data(), L.data(), nullptr, K.size(), L.size(), 0, true}, s);
  } else {
    const auto A = product<C>(dx, dx, n, xt, xt), B = product<C>(dy, dy, n, yt, yt), M = product<C>(dy, dx, n, yt, xt);
    add_products(device::cka_operands<C>{A.data(), B.data(), M.data(), A.size(), B.size(), M.size(), false}, s);
  }
  for (std::size_t i = 0; i < n; ++i) {  // the row-norm kernel, then the host's sum
    double kd = 0.0, ld = 0.0;
    for (std::size_t j = 0; j < dx; ++j) kd += static_cast<double>(xc[i * dx + j]) * static_cast<double>(xc[i * dx + j]);
    for (std::size_t j = 0; j < dy; ++j) ld += static_cast<double>(yc[i * dy + j]) * static_cast<double>(yc[i * dy + j]);
    device::add_row_terms(s, kd, ld);
  }
  // linear_cka_async's value: cka_from_terms's, NaN where it throws.
  double value = device::quiet_nan();
  try {
    value = icl::geometry::detail::cka_from_terms("icl::geometry::linear_cka",
                                                  device::cka_terms_of<icl::geometry::detail::cka_terms>(s), debiased);
  } catch (const icl::invalid_argument&) {
    CHECK(std::isnan(device::cka_value(s, debiased)));
    throw;
  }
  CHECK(device::cka_value(s, debiased) == Approx(value).epsilon(1e-15));
  return value;
}

std::vector<double> normal_values(std::size_t count, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> v(count);
  std::generate(v.begin(), v.end(), [&] { return normal(engine); });
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("the device CKA's terms give icl::geometry::linear_cka on both routes", "[cuda_cpu]", float,
                   double) {
  const double tolerance = sizeof(TestType) == 4 ? 1e-5 : 1e-12;
  for (const std::size_t n : {5, 12, 40}) {
    for (const std::size_t dx : {1, 3, 17}) {
      const std::size_t dy = dx + 2;
      const std::vector<double> x = normal_values(n * dx, static_cast<unsigned>(n + dx));
      std::vector<double> y = normal_values(n * dy, static_cast<unsigned>(3 * n + dy));
      for (std::size_t i = 0; i < n; ++i) y[i * dy] += 0.5 * x[i * dx];  // some alignment
      std::vector<TestType> xs(x.begin(), x.end()), ys(y.begin(), y.end());
      for (const bool debiased : {false, true}) {
        INFO("n " << n << " d_x " << dx << " d_y " << dy << " debiased " << debiased);
        REQUIRE(device::cka_gram_route(n, dx, dy) == (n < dx + dy));
        const double expected = icl::geometry::linear_cka(icl::make_matrix_view<TestType>(xs.data(), n, dx),
                                                          icl::make_matrix_view<TestType>(ys.data(), n, dy), debiased);
        // Both routes agree with the CPU, whichever it took.
        for (const bool gram : {true, false}) {
          CHECK(device_cka<TestType>(x, dx, y, dy, n, debiased, gram) ==
                Approx(expected).epsilon(tolerance).margin(tolerance));
        }
      }
    }
  }
}

TEST_CASE("the device CKA's zero-variance errors are the CPU library's", "[cuda_cpu]") {
  const std::size_t n = 6, dx = 2, dy = 3;
  const std::vector<double> x(n * dx, 1.25);  // every row equal
  const std::vector<double> y = normal_values(n * dy, 4);
  for (const bool debiased : {false, true}) {
    std::string expected = "(none)", got = "(none)";
    try {
      (void)icl::geometry::linear_cka(icl::make_matrix_view(x.data(), n, dx), icl::make_matrix_view(y.data(), n, dy),
                                      debiased);
    } catch (const icl::invalid_argument& e) {
      expected = e.what();
    }
    try {
      (void)device_cka<double>(x, dx, y, dy, n, debiased, true);
    } catch (const icl::invalid_argument& e) {
      got = e.what();
    }
    CHECK(got == expected);
    CHECK(got != "(none)");
  }
}
