// icl::layer_curve, icl::curve_difference and icl::layer_tracker (include/icl/layers.hpp), the
// per-layer tracker that every module's tracker instantiates, on a step of the test's own.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"

namespace {

// One layer's result: the mean of column 0 and the layer index; the curve is the mean. A step
// given a negative scale throws for layers whose first entry is negative.
struct mean_step {
  struct result_type {
    double mean = 0.0;
    std::size_t layer = 0;
  };
  static constexpr const char* add_layer_function = "icl::test::mean_tracker::add_layer";
  double scale = 1.0;

  template <class T>
  result_type operator()(icl::matrix_view<const T> H, std::size_t layer) const {
    if (H.rows() == 0) icl::detail::throw_invalid(add_layer_function, "layer ", layer, " has no rows");
    double s = 0.0;
    for (std::size_t i = 0; i < H.rows(); ++i) s += static_cast<double>(H(i, 0));
    return {scale * s / static_cast<double>(H.rows()), layer};
  }
  static double curve_value(const result_type& r) { return r.mean; }
};

// As a module does: a class deriving from layer_tracker<its step>.
class mean_tracker : public icl::layer_tracker<mean_step> {
 public:
  explicit mean_tracker(double scale = 1.0) : layer_tracker(mean_step{scale}) {}
  double scale() const { return step().scale; }
};

}  // namespace

TEST_CASE("layer_tracker: one result and one curve point per layer", "[core][layers]") {
  mean_tracker tracker(2.0);
  CHECK(tracker.scale() == 2.0);
  CHECK(tracker.size() == 0);
  REQUIRE_THROWS_AS(tracker.peak_layer(), icl::invalid_argument);

  const std::vector<float> a{1, 0, 3, 0};        // 2 x 2, column 0 = {1, 3}
  const std::vector<double> b{5, 9, 7, 9, 6, 9};  // 3 x 2, column 0 = {5, 7, 6}
  const auto& first = tracker.add_layer(icl::make_matrix_view(a.data(), 2, 2));
  CHECK(first.mean == 4.0);
  CHECK(first.layer == 0);
  const auto& second = tracker.add_layer(icl::make_matrix_view(b.data(), 3, 2));
  CHECK(second.mean == 12.0);
  CHECK(second.layer == 1);

  REQUIRE(tracker.size() == 2);
  REQUIRE(tracker.layers().size() == 2);
  CHECK(tracker.layers()[0].mean == 4.0);
  CHECK(tracker.curve().values == std::vector<double>{4.0, 12.0});
  CHECK(tracker.curve().layers() == 2);
  CHECK(tracker.peak_layer() == 1);
  CHECK(tracker.curve().peak_value() == 12.0);
}

TEST_CASE("layer_tracker: every layer has the first one's width; a failed layer adds nothing", "[core][layers]") {
  mean_tracker tracker;
  const std::vector<double> two(4, 1.0), three(6, 1.0);
  tracker.add_layer(icl::make_matrix_view(two.data(), 2, 2));
  REQUIRE_THROWS_AS(tracker.add_layer(icl::make_matrix_view(three.data(), 2, 3)), icl::invalid_argument);
  REQUIRE_THROWS_WITH(tracker.add_layer(icl::make_matrix_view(three.data(), 2, 3)),
                      "icl::test::mean_tracker::add_layer: layer 1 has 3 features but layer 0 had 2");
  CHECK(tracker.size() == 1);
  // What the step throws reaches the caller, and the layer is not added.
  REQUIRE_THROWS_WITH(tracker.add_layer(icl::make_matrix_view(two.data(), 0, 2)),
                      "icl::test::mean_tracker::add_layer: layer 1 has no rows");
  CHECK(tracker.size() == 1);
  CHECK(tracker.curve().layers() == 1);
  tracker.add_layer(icl::make_matrix_view(two.data(), 2, 2));
  CHECK(tracker.size() == 2);
  CHECK(tracker.layers()[1].layer == 1);
}

TEST_CASE("layer_tracker: add_layers takes [layers, n, d] in order", "[core][layers]") {
  // 3 layers of 2 x 1: column 0 = {l, l + 2}, mean l + 1; strided as [layers, n, d].
  const std::vector<double> h{0, 2, 1, 3, 2, 4};
  mean_tracker tracker;
  tracker.add_layers(icl::make_tensor_view<double, 3>(h.data(), {3, 2, 1}));
  CHECK(tracker.curve().values == std::vector<double>{1.0, 2.0, 3.0});
  CHECK(tracker.peak_layer() == 2);
}

TEST_CASE("layer_curve: the peak ignores NaN, takes the first of ties, needs a finite value", "[core][layers]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(icl::layer_curve{{0.1, 0.5, 0.5, 0.2}}.peak_layer() == 1);
  CHECK(icl::layer_curve{{nan, 0.3, nan, 0.7}}.peak_layer() == 3);
  CHECK(icl::layer_curve{{-2.0, -1.0}}.peak_value() == -1.0);
  CHECK(icl::layer_curve{{1.0, 2.0}}[1] == 2.0);
  const icl::layer_curve undefined{{nan, nan}};
  REQUIRE_THROWS_WITH(undefined.peak_layer(), "icl::layer_curve::peak_layer: the curve of 2 layers has no finite value");
  REQUIRE_THROWS_AS(icl::layer_curve{}.peak_layer(), icl::invalid_argument);
}

TEST_CASE("curve_difference: element-wise, same length only", "[core][layers]") {
  const icl::layer_curve d = icl::curve_difference(icl::layer_curve{{1.0, 5.0}}, icl::layer_curve{{0.5, 6.0}});
  CHECK(d.values == std::vector<double>{0.5, -1.0});
  const icl::layer_curve one{{1.0}}, two{{1.0, 2.0}};
  REQUIRE_THROWS_WITH(icl::curve_difference(one, two), "icl::curve_difference: curves have 1 and 2 layers");
}
