// Per-layer geometry: a planted [layers, n, d] tensor whose class signal grows with depth while
// turning away from the label direction e; the tracker and the tensor form agree on any strides.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/core/random.hpp"
#include "icl/geometry/alignment.hpp"
#include "support/views.hpp"

namespace {

constexpr std::size_t layers = 5, n = 4000, d = 4;

double normal(icl::counter_rng& rng) {
  const double u1 = rng.uniform01() + 1e-300, u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

struct planted {
  std::vector<double> states;      // [layers, n, d]
  std::vector<double> directions;  // 2 x d: E_A = e/√2, E_B = −e/√2 with e = first axis
  std::vector<int> labels;
};

// Layer l: h_i = ±s_l (cos θ_l e + sin θ_l f) + noise, + for class A (label 10), − for B (label 20),
// with e, f the first two axes. The signal s_l grows (separability rises) while its component
// along e, s_l cos θ_l, shrinks (variance and mean alignment fall).
planted make_planted() {
  const double strength[layers] = {0.4, 0.7, 1.0, 1.3, 1.6};
  const double cosine[layers] = {1.0, 0.45, 0.2, 0.08, 0.0};
  planted p;
  p.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) p.labels[i] = i % 2 == 0 ? 10 : 20;
  p.directions.assign(2 * d, 0.0);
  p.directions[0] = 1.0 / std::sqrt(2.0);
  p.directions[d] = -1.0 / std::sqrt(2.0);
  p.directions[1] = p.directions[d + 1] = 0.25;  // a shared component: e is still the first axis
  icl::counter_rng rng(77);
  p.states.resize(layers * n * d);
  for (std::size_t l = 0; l < layers; ++l) {
    const double s = strength[l], c = cosine[l], sn = std::sqrt(1.0 - c * c);
    for (std::size_t i = 0; i < n; ++i) {
      const double sign = p.labels[i] == 10 ? 1.0 : -1.0;
      for (std::size_t j = 0; j < d; ++j) {
        double v = normal(rng);
        if (j == 0) v += sign * s * c;
        if (j == 1) v += sign * s * sn;
        p.states[(l * n + i) * d + j] = v;
      }
    }
  }
  return p;
}

}  // namespace

TEMPLATE_TEST_CASE("planted layers: alignment falls as the class signal turns away from e", "[geometry][layers]",
                   float, double) {
  const planted p = make_planted();
  const auto layouts = icl_test::both_layer_layouts<TestType>(p.states, layers, n, d);
  const auto a = layouts.contiguous_view();
  const auto b = layouts.interleaved_view();
  const auto D = icl::make_matrix_view(p.directions.data(), 2, d);
  icl::geometry::separability_alignment_params params;  // separability on the seeded random half
  params.denoise_rank = 2;                               // d = 4: below the default rank 10

  const auto curves = icl::geometry::separability_alignment_curves(a, p.labels, D, params);
  REQUIRE(curves.layers.size() == layers);
  for (std::size_t l = 0; l + 1 < layers; ++l) {
    INFO("layer " << l);
    REQUIRE(curves.separability[l + 1] > curves.separability[l]);
    REQUIRE(curves.variance_alignment[l + 1] < curves.variance_alignment[l]);
    REQUIRE(curves.mean_alignment[l + 1] < curves.mean_alignment[l]);
    REQUIRE(curves.composite_alignment[l + 1] < curves.composite_alignment[l]);
  }
  REQUIRE(curves.variance_alignment.peak_layer() == 0);
  REQUIRE(curves.mean_alignment.peak_layer() == 0);
  REQUIRE(curves.separability.peak_layer() == layers - 1);
  // The class signal along e vanishes at the last layer, and the leading singular vectors (the
  // signal direction) turn away from e.
  REQUIRE(curves.singular_alignment[layers - 1] < curves.singular_alignment[0]);
  REQUIRE(curves.directional_separability[layers - 1] < curves.directional_separability[0]);

  // The strided tensor and the incremental tracker give the same curves.
  const auto strided = icl::geometry::separability_alignment_curves(b, p.labels, D, params);
  icl::geometry::separability_alignment_tracker<double> tracker(p.labels, D, params);
  for (std::size_t l = 0; l < layers; ++l) {
    const auto& r = tracker.add_layer(a.matrix(l));
    REQUIRE(r.variance_alignment == curves.variance_alignment[l]);
  }
  for (std::size_t l = 0; l < layers; ++l) {
    REQUIRE(tracker.curves().mean_alignment[l] == curves.mean_alignment[l]);
    REQUIRE(tracker.curves().denoised_output_alignment[l] == curves.denoised_output_alignment[l]);
    REQUIRE(strided.variance_alignment[l] == Approx(curves.variance_alignment[l]).epsilon(1e-12));
    REQUIRE(strided.effective_dimension[l] == Approx(curves.effective_dimension[l]).epsilon(1e-12));
    REQUIRE(strided.output_alignment[l] == curves.output_alignment[l]);
    REQUIRE(strided.separability[l] == curves.separability[l]);
    REQUIRE(tracker.curves().separability[l] == curves.separability[l]);
  }
  // The stand-alone effective dimension of a binary layer is the pair's.
  const auto ed = icl::geometry::effective_dimension_curve(b);
  for (std::size_t l = 0; l < layers; ++l)
    REQUIRE(ed[l] == Approx(curves.effective_dimension[l]).epsilon(std::is_same_v<TestType, double> ? 1e-10 : 1e-4));
}
