// Task vectors (icl/geometry/task_vectors.hpp) against numpy (tests/data/p2_task_vectors.txt,
// written by tests/data/make_p2_fixtures.py): the mean of listed heads' outputs (one prompt and
// over prompts), the mean state at a layer, and the injection h + λv on f32/f16/bf16/f64 buffers
// with any strides; the documented errors.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "icl/geometry/task_vectors.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

using head_list = std::vector<std::pair<std::size_t, std::size_t>>;

head_list heads_of(const icl_test::fixture_file& f) {
  const auto& v = f.ints("heads");
  head_list out;
  for (std::size_t k = 0; k + 1 < v.size(); k += 2) {
    out.emplace_back(static_cast<std::size_t>(v[k]), static_cast<std::size_t>(v[k + 1]));
  }
  return out;
}

/// A copy of a C-order tensor stored with its axes reversed (strides of a transposed layout).
template <class T, std::size_t N>
icl::tensor_view<const T, N> reversed_layout(const std::vector<double>& values, std::array<std::size_t, N> extents,
                                             std::vector<T>& storage) {
  storage.assign(values.size(), T(0));
  std::array<std::ptrdiff_t, N> strides{};
  std::ptrdiff_t step = 1;
  for (std::size_t k = 0; k < N; ++k) {
    strides[k] = step;
    step *= static_cast<std::ptrdiff_t>(extents[k]);
  }
  for (std::size_t flat = 0; flat < values.size(); ++flat) {
    std::size_t rest = flat;
    std::ptrdiff_t offset = 0;
    for (std::size_t k = N; k-- > 0;) {
      offset += static_cast<std::ptrdiff_t>(rest % extents[k]) * strides[k];
      rest /= extents[k];
    }
    storage[static_cast<std::size_t>(offset)] = static_cast<T>(values[flat]);
  }
  return icl::make_tensor_view<T, N>(storage.data(), extents, strides);
}

/// value rounded once to T (f16/bf16 through float, as inject_task_vector does).
template <class T>
T stored(double value) {
  if constexpr (std::is_same_v<T, double>) {
    return value;
  } else {
    return T(static_cast<float>(value));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("head_task_vector and state_task_vector equal numpy's means", "[geometry][task_vectors][p2]",
                   float, double) {
  const icl_test::fixture_file f("p2_task_vectors.txt");
  const head_list heads = heads_of(f);
  const auto o = icl_test::extents_of<3>(f.shape("O"));
  const auto o4 = icl_test::extents_of<4>(f.shape("O4"));
  const auto c3 = icl_test::c_order_tensor<TestType, 3>(f.values("O"), o);
  const auto c4 = icl_test::c_order_tensor<TestType, 4>(f.values("O4"), o4);
  std::vector<TestType> r3, r4, rs;
  const auto& O = c3.view;
  const auto& O4 = c4.view;
  const auto O_strided = reversed_layout<TestType, 3>(f.values("O"), o, r3);
  const auto O4_strided = reversed_layout<TestType, 4>(f.values("O4"), o4, r4);
  icl_test::require_close<TestType>(icl::geometry::head_task_vector(O, heads), f.values("from_heads"));
  icl_test::require_close<TestType>(icl::geometry::head_task_vector(O_strided, heads), f.values("from_heads"));
  icl_test::require_close<TestType>(icl::geometry::head_task_vector(O4, heads), f.values("from_heads4"));
  icl_test::require_close<TestType>(icl::geometry::head_task_vector(O4_strided, heads), f.values("from_heads4"));

  const auto layer = static_cast<std::size_t>(f.scalar("at_layer"));
  const auto S =
      reversed_layout<TestType, 3>(f.values("states"), icl_test::extents_of<3>(f.shape("states")), rs);
  icl_test::require_close<TestType>(icl::geometry::state_task_vector(S, layer), f.values("from_states"));
  icl_test::require_close<TestType>(icl::geometry::state_task_vector(S.matrix(layer)), f.values("from_states"));
}

TEMPLATE_TEST_CASE("inject_task_vector adds λv to the caller's buffer with any strides", "[geometry][task_vectors][p2]",
                   float, double, icl::f16, icl::bf16) {
  const icl_test::fixture_file f("p2_task_vectors.txt");
  const auto& shape = f.shape("h");
  const std::size_t n = shape[0], d = shape[1];
  const auto& h = f.values("h");
  const auto& expected = f.values("inject");
  const auto& v = f.values("from_heads");
  const double lambda = f.scalar("lam");
  // Column-major with a padded leading dimension: strides (1, n + 3).
  const std::size_t ld = n + 3;
  std::vector<TestType> buffer(ld * d, TestType(-7.0f));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) buffer[j * ld + i] = stored<TestType>(h[i * d + j]);
  icl::matrix_view<TestType> view(buffer.data(), n, d, 1, static_cast<std::ptrdiff_t>(ld));
  icl::geometry::inject_task_vector(view, v, lambda);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      INFO("element (" << i << ", " << j << ")");
      // The sum of the stored (rounded) input and λv, rounded once to the element type.
      const double start = icl::detail::to_double(stored<TestType>(h[i * d + j]));
      const double want = icl::detail::to_double(stored<TestType>(start + lambda * v[j]));
      REQUIRE(icl::detail::to_double(view(i, j)) == want);
      if (std::is_same_v<TestType, double>) REQUIRE(view(i, j) == Approx(expected[i * d + j]).epsilon(1e-15));
    }
    for (std::size_t pad = n; pad < ld; ++pad) REQUIRE(icl::detail::to_double(buffer[pad]) == -7.0);  // untouched
  }
}

TEST_CASE("task vectors reject empty or out-of-range heads and mismatched vectors", "[geometry][task_vectors][p2][errors]") {
  using Catch::Contains;
  std::vector<double> o(2 * 3 * 4, 1.0);
  const auto O = icl::make_tensor_view<double, 3>(o.data(), {2, 3, 4});
  REQUIRE_THROWS_AS(icl::geometry::head_task_vector(O, {}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::head_task_vector(O, {}),
                      Contains("icl::geometry::head_task_vector: the head list is empty"));
  REQUIRE_THROWS_WITH(icl::geometry::head_task_vector(O, {{0, 1}, {2, 0}}),
                      Contains("icl::geometry::head_task_vector: heads[1] = (2, 0) is out of range for outputs of 2 "
                               "layers x 3 heads"));
  REQUIRE_THROWS_WITH(icl::geometry::head_task_vector(O, {{1, 3}}), Contains("heads[0] = (1, 3) is out of range"));
  o[1 * 12 + 2 * 4 + 3] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(icl::geometry::head_task_vector(O, {{1, 2}}),
                      Contains("icl::geometry::head_task_vector: the output of head (1, 2) holds inf at [3]"));
  REQUIRE_THROWS_WITH(icl::geometry::state_task_vector(icl::make_tensor_view<double, 3>(o.data(), {2, 3, 4}), 2),
                      Contains("icl::geometry::state_task_vector: layer 2 is out of range for 2 layers"));
  REQUIRE_THROWS_WITH(icl::geometry::state_task_vector(icl::make_matrix_view(o.data(), 0, 4)),
                      Contains("icl::geometry::state_task_vector: states is empty (0 x 4)"));
  std::vector<float> h(6, 1.0f);
  icl::matrix_view<float> view(h.data(), 2, 3, 3, 1);
  REQUIRE_THROWS_WITH(icl::geometry::inject_task_vector(view, {1.0, 2.0}, 1.0),
                      Contains("icl::geometry::inject_task_vector: v has 2 entries but h has d = 3"));
  REQUIRE_THROWS_WITH(icl::geometry::inject_task_vector(view, {1.0, std::nan(""), 2.0}, 1.0),
                      Contains("icl::geometry::inject_task_vector: v[1] = nan is not finite"));
  REQUIRE_THROWS_WITH(icl::geometry::inject_task_vector(view, {1.0, 1.0, 2.0}, std::numeric_limits<double>::infinity()),
                      Contains("icl::geometry::inject_task_vector: lambda = inf is not finite"));
  REQUIRE(h == std::vector<float>(6, 1.0f));  // unchanged after the errors
}
