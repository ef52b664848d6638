// Separability (logistic probe, docs/metrics.md section 4) against scikit-learn on a fixed split
// (tests/data/geometry_separability.txt), and the seeded random split.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "icl/geometry/alignment.hpp"
#include "icl/probe/cross_validation.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

icl::probe::split_indices fixture_split(const icl_test::fixture_file& f, const std::string& name) {
  icl::probe::split_indices s;
  for (int i : f.ints(name + "_train")) s.train.push_back(static_cast<std::size_t>(i));
  for (int i : f.ints(name + "_test")) s.test.push_back(static_cast<std::size_t>(i));
  return s;
}

// The optimum of the probe's objective, as the fixture's LogisticRegression(tol=1e-10).
icl::geometry::separability_alignment_params converged() {
  icl::geometry::separability_alignment_params p;
  p.probe.max_iter = 10000;
  p.probe.tol = 1e-9;
  return p;
}

}  // namespace

TEMPLATE_TEST_CASE("separability on a fixed split equals scikit-learn's accuracy", "[geometry][separability]", float,
                   double) {
  const icl_test::fixture_file f("geometry_separability.txt");
  for (const std::string name : {"bin_wide", "bin_tall", "tri"}) {
    INFO("case " << name);
    const auto& shape = f.shape(name + "_H");
    const auto labels = f.ints(name + "_y");
    const auto split = fixture_split(f, name);
    const auto& expected = f.values(name + "_pairs");
    for (const auto& H : icl_test::all_layouts<TestType>(f.values(name + "_H"), shape[0], shape[1])) {
      const auto r = icl::geometry::separability(H.view, labels, split, converged());
      REQUIRE(r.has_separability);
      REQUIRE(r.pairs.size() == expected.size());
      for (std::size_t k = 0; k < expected.size(); ++k) {
        REQUIRE(r.pairs[k].separability == expected[k]);  // same predictions on every test row
        REQUIRE(r.pairs[k].probe_iterations > 0);
      }
      REQUIRE(r.separability == Approx(f.scalar(name + "_mean")).epsilon(1e-12));
    }
  }
}

TEST_CASE("separability_alignment computes separability on the explicit or the seeded split",
          "[geometry][separability]") {
  const icl_test::fixture_file f("geometry_separability.txt");
  const auto& shape = f.shape("tri_H");
  const auto labels = f.ints("tri_y");
  const auto H = icl_test::row_major<double>(f.values("tri_H"), shape[0], shape[1]);
  std::vector<double> dirs(3 * shape[1], 0.0);
  for (std::size_t c = 0; c < 3; ++c) dirs[c * shape[1] + c] = 1.0;
  const auto D = icl::make_matrix_view(dirs.data(), 3, shape[1]);

  const auto explicit_split = icl::geometry::separability_alignment(H.view, labels, D, fixture_split(f, "tri"), converged());
  REQUIRE(explicit_split.has_separability);
  REQUIRE(explicit_split.separability == Approx(f.scalar("tri_mean")).epsilon(1e-12));

  // Default: the seeded stratified half of each pair; pair p uses stream seed + p·golden.
  icl::geometry::separability_alignment_params p;
  p.seed = 11;
  const auto a = icl::geometry::separability_alignment(H.view, labels, D, p);
  const auto b = icl::geometry::separability_alignment(H.view, labels, D, p);
  REQUIRE(a.has_separability);
  REQUIRE(a.separability == b.separability);
  const auto alone = icl::geometry::separability(H.view, labels, p);
  REQUIRE(alone.separability == a.separability);
  for (std::size_t k = 0; k < a.pairs.size(); ++k) {
    // The pair's split is icl::probe::stratified_split of the pair's rows.
    std::vector<std::size_t> rows;
    std::vector<int> pair_labels;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == a.pairs[k].label_a || labels[i] == a.pairs[k].label_b) {
        rows.push_back(i);
        pair_labels.push_back(labels[i]);
      }
    }
    const auto s = icl::probe::stratified_split(pair_labels, 0.5, 11 + k * 0x9E3779B97F4A7C15ULL);
    std::vector<double> sub;
    for (std::size_t i : rows)
      for (std::size_t j = 0; j < shape[1]; ++j) sub.push_back(H.view(i, j));
    const auto pair_only =
        icl::geometry::separability(icl::make_matrix_view(sub.data(), rows.size(), shape[1]), pair_labels, s, p);
    REQUIRE(pair_only.pairs.size() == 1);
    REQUIRE(pair_only.pairs[0].separability == a.pairs[k].separability);
    REQUIRE(a.pairs[k].separability > 0.5);
  }
  p.separability = false;
  const auto none = icl::geometry::separability_alignment(H.view, labels, D, p);
  REQUIRE_FALSE(none.has_separability);
  REQUIRE(std::isnan(none.separability));
  REQUIRE(none.mean_alignment == a.mean_alignment);
}

TEST_CASE("separability rejects bad splits and classes", "[geometry][separability][errors]") {
  using Catch::Contains;
  const std::vector<double> h = {0, 1, 1, 0, 2, 1, -1, 0, -2, 1, 0, -1, 3, 1, -3, 0};
  const auto H = icl::make_matrix_view(h.data(), 8, 2);
  const std::vector<int> labels = {0, 0, 0, 0, 1, 1, 1, 1};
  icl::probe::split_indices bad{{0, 1, 4, 9}, {2, 5}};
  REQUIRE_THROWS_AS(icl::geometry::separability(H, labels, bad), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::separability(H, labels, bad),
                      Contains("icl::geometry::separability: split.train[3] = 9 is out of range for H with 8 rows"));
  icl::probe::split_indices one_class{{0, 1, 2}, {4, 5}};
  REQUIRE_THROWS_WITH(icl::geometry::separability(H, labels, one_class),
                      Contains("icl::geometry::separability: the split of label pair (0, 1) has 3 + 0 training rows"));
  REQUIRE_THROWS_WITH(icl::geometry::separability(H, {0, 0, 0, 0, 0, 0, 0, 1}),
                      Contains("icl::geometry::separability: label 1 has 1 row(s): separability needs at least 2 per class"));
  icl::geometry::separability_alignment_params p;
  p.test_fraction = 1.0;
  REQUIRE_THROWS_WITH(icl::geometry::separability(H, labels, p),
                      Contains("icl::geometry::separability: test_fraction = 1 must be in (0, 1)"));
  p = {};
  p.probe.C = 0.0;
  REQUIRE_THROWS_WITH(icl::geometry::separability(H, labels, p),
                      Contains("icl::geometry::separability: probe.C = 0 must be finite and > 0"));
  REQUIRE_THROWS_WITH(icl::geometry::separability(H, {0, 1}), Contains("labels has 2 entries but H has 8 rows"));
}
