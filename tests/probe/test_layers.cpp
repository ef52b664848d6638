// Per-layer probe curves, the incremental trackers, control tasks and selectivity.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "icl/core/random.hpp"
#include "icl/probe/cross_validation.hpp"

namespace {

// [layers, n, d] states whose class signal grows with the layer; labels cycle over 3 classes.
struct layered {
  std::size_t layers = 4, n = 60, d = 30;
  std::vector<double> h;
  std::vector<int> y;
  std::vector<double> t;
};

layered make_layered() {
  layered s;
  s.h.resize(s.layers * s.n * s.d);
  s.y.resize(s.n);
  s.t.resize(s.n);
  icl::counter_rng rng(11);
  std::vector<double> dir(s.d);
  for (auto& v : dir) v = rng.uniform01() - 0.5;
  for (std::size_t i = 0; i < s.n; ++i) {
    s.y[i] = static_cast<int>(i % 3);
    s.t[i] = rng.uniform01() * 2.0 - 1.0;
  }
  for (std::size_t l = 0; l < s.layers; ++l)
    for (std::size_t i = 0; i < s.n; ++i)
      for (std::size_t j = 0; j < s.d; ++j) {
        const double noise = rng.uniform01() - 0.5;
        const double cls = (j % 3 == static_cast<std::size_t>(s.y[i])) ? 0.3 * static_cast<double>(l) : 0.0;
        s.h[(l * s.n + i) * s.d + j] = noise + cls + 0.8 * static_cast<double>(l) * s.t[i] * dir[j];
      }
  return s;
}

}  // namespace

TEST_CASE("logistic_curve: per-layer CV accuracy, same as per-layer cross-validation", "[probe][layers]") {
  const layered s = make_layered();
  const auto H = icl::make_tensor_view<double, 3>(s.h.data(), {s.layers, s.n, s.d});
  icl::probe::cv_params cv;
  cv.seed = 5;
  const auto curve = icl::probe::logistic_curve(H, s.y, {}, cv);
  REQUIRE(curve.layers() == s.layers);
  for (std::size_t l = 0; l < s.layers; ++l) {
    const auto r = icl::probe::cross_validate_logistic(H.matrix(l), s.y, {}, cv);
    REQUIRE(curve[l] == Approx(r.mean).margin(1e-12));
  }
  REQUIRE(curve[0] < 0.6);
  REQUIRE(curve.peak_value() > 0.9);
  REQUIRE(curve.peak_layer() >= 2);

  // The incremental form on a float copy stored [n, layers, d] (layer not the slowest axis).
  std::vector<float> inter(s.h.size());
  for (std::size_t l = 0; l < s.layers; ++l)
    for (std::size_t i = 0; i < s.n; ++i)
      for (std::size_t j = 0; j < s.d; ++j)
        inter[(i * s.layers + l) * s.d + j] = static_cast<float>(s.h[(l * s.n + i) * s.d + j]);
  const auto Hf = icl::make_tensor_view<float, 3>(
      inter.data(), {s.layers, s.n, s.d},
      {static_cast<std::ptrdiff_t>(s.d), static_cast<std::ptrdiff_t>(s.layers * s.d), 1});
  icl::probe::logistic_curve_tracker tracker(s.y, {}, cv);
  for (std::size_t l = 0; l < s.layers; ++l) tracker.add_layer(Hf.matrix(l));
  REQUIRE(tracker.results().size() == s.layers);
  REQUIRE(tracker.folds() == icl::probe::make_folds(s.y, cv));
  for (std::size_t l = 0; l < s.layers; ++l) REQUIRE(tracker.curve()[l] == Approx(curve[l]).margin(0.02));

  REQUIRE_THROWS_WITH(tracker.add_layer(icl::make_matrix_view(s.h.data(), 10, s.d)),
                      Catch::Contains("icl::probe::logistic_curve_tracker::add_layer: H has 10 rows but labels has 60 entries"));
}

TEST_CASE("ridge_curve: per-layer CV R²", "[probe][layers]") {
  const layered s = make_layered();
  const auto H = icl::make_tensor_view<double, 3>(s.h.data(), {s.layers, s.n, s.d});
  icl::probe::cv_params cv;
  icl::probe::ridge_params p;
  p.alpha = 0.5;
  const auto curve = icl::probe::ridge_curve(H, s.t, p, cv);
  for (std::size_t l = 0; l < s.layers; ++l) {
    REQUIRE(curve[l] == Approx(icl::probe::cross_validate_ridge(H.matrix(l), s.t, p, cv).mean).epsilon(1e-12));
  }
  INFO(curve[0] << " " << curve[1] << " " << curve[2] << " " << curve[3]);
  REQUIRE(curve.peak_layer() == s.layers - 1);
  REQUIRE(curve[0] < 0.3);
  REQUIRE(curve[s.layers - 1] > 0.8);
  icl::probe::ridge_curve_tracker tracker(s.t, p, cv);
  for (std::size_t l = 0; l < s.layers; ++l) tracker.add_layer(H.matrix(l));
  REQUIRE(tracker.curve().values == curve.values);
  REQUIRE_THROWS_WITH(icl::probe::ridge_curve_tracker(std::vector<double>{1.0, 2.0}, p, cv),
                      Catch::Contains("icl::probe::ridge_curve_tracker: folds = 5 must be <= n = 2"));
  const auto empty = icl::make_tensor_view<double, 3>(s.h.data(), {0, s.n, s.d});
  REQUIRE_THROWS_WITH(icl::probe::ridge_curve(empty, s.t, p, cv), Catch::Contains("icl::probe::ridge_curve: H has no layers"));
}

TEST_CASE("control_labels and selectivity", "[probe][control]") {
  const layered s = make_layered();
  // Types: 12 distinct input types, 5 samples each.
  std::vector<int> types(s.n);
  for (std::size_t i = 0; i < s.n; ++i) types[i] = static_cast<int>(100 + i % 12);
  const auto control = icl::probe::control_labels(s.y, types, 9);
  REQUIRE(control.size() == s.n);
  std::map<int, std::set<int>> per_type;
  for (std::size_t i = 0; i < s.n; ++i) per_type[types[i]].insert(control[i]);
  for (const auto& kv : per_type) REQUIRE(kv.second.size() == 1);  // one label per type
  for (int c : control) REQUIRE((c >= 0 && c <= 2));                 // drawn from the label set
  REQUIRE(icl::probe::control_labels(s.y, types, 9) == control);

  // Permutation control keeps the class counts.
  const auto perm = icl::probe::control_labels(s.y, 4);
  std::vector<int> counts(3, 0);
  for (int c : perm) ++counts[static_cast<std::size_t>(c)];
  REQUIRE(counts == std::vector<int>{20, 20, 20});
  REQUIRE(perm != s.y);

  const auto H = icl::make_tensor_view<double, 3>(s.h.data(), {s.layers, s.n, s.d});
  icl::probe::cv_params cv;
  const auto sel = icl::probe::selectivity(H.matrix(3), s.y, {}, {}, cv, 4);
  REQUIRE(sel.task.mean > 0.9);
  REQUIRE(sel.control.mean < 0.6);
  REQUIRE(sel.selectivity == Approx(sel.task.mean - sel.control.mean).margin(1e-15));
  REQUIRE(sel.control.fold_scores ==
          icl::probe::cross_validate_logistic(H.matrix(3), icl::probe::control_labels(s.y, 4), {}, cv).fold_scores);

  REQUIRE_THROWS_AS(icl::probe::control_labels(s.y, std::vector<int>{1, 2}, 0), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::control_labels(s.y, std::vector<int>{1, 2}, 0),
                      Catch::Contains("icl::probe::control_labels: input_type has 2 entries but labels has 60"));
  REQUIRE_THROWS_WITH(icl::probe::control_labels(std::vector<int>{}, 0), Catch::Contains("icl::probe::control_labels: labels is empty"));
}
