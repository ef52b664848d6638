// Separability / alignment measures against numpy references (tests/data/geometry_alignment.txt,
// written by tests/data/make_geometry_fixtures.py), for float and double inputs, row-major and
// padded column-major views, label rows and a full unembedding with token ids.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "icl/geometry/alignment.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

std::vector<double> pair_values(const icl::geometry::pair_alignment& q) {
  return {q.directional_separability, q.output_alignment,     q.singular_alignment,  q.variance_alignment,
          q.mean_alignment,           q.composite_alignment, q.effective_dimension, q.denoised_output_alignment};
}

std::vector<double> mean_values(const icl::geometry::alignment_result& r) {
  return {r.directional_separability, r.output_alignment,     r.singular_alignment,  r.variance_alignment,
          r.mean_alignment,           r.composite_alignment, r.effective_dimension, r.denoised_output_alignment};
}

template <class T>
void check_case(const icl_test::fixture_file& f, const std::string& name) {
  INFO("case " << name);
  const auto& shape = f.shape(name + "_H");
  const std::size_t n = shape[0], d = shape[1];
  const auto labels = f.ints(name + "_y");
  const auto& e_shape = f.shape(name + "_E");
  const auto& e = f.values(name + "_E");
  icl::geometry::separability_alignment_params p;
  p.separability = false;
  p.denoise_rank = static_cast<std::size_t>(f.scalar(name + "_r"));
  // The fixture's RMSNorm uses ε = 1e-5.
  if (f.has(name + "_gamma")) p.final_norm = icl::rms_norm_params{f.values(name + "_gamma"), 1e-5};
  if (f.has(name + "_tokens")) {
    for (int t : f.ints(name + "_tokens")) p.label_token_ids.push_back(static_cast<std::size_t>(t));
  }
  const auto& expected_pairs = f.values(name + "_pairs");
  const std::size_t pairs = f.shape(name + "_pairs")[0];
  // Label directions in double (row-major) and in T (column-major, padded): any element type.
  const auto directions_double = icl_test::row_major<double>(e, e_shape[0], e_shape[1]);
  const auto directions_t = icl_test::column_major_padded<T>(e, e_shape[0], e_shape[1]);

  for (const auto& H : icl_test::all_layouts<T>(f.values(name + "_H"), n, d)) {
    for (int which = 0; which < 2; ++which) {
      const auto r = which == 0 ? icl::geometry::separability_alignment(H.view, labels, directions_double.view, p)
                                : icl::geometry::separability_alignment(H.view, labels, directions_t.view, p);
      REQUIRE(r.pairs.size() == pairs);
      REQUIRE_FALSE(r.has_separability);
      for (std::size_t k = 0; k < pairs; ++k) {
        INFO("pair " << k);
        const std::vector<double> expected(expected_pairs.begin() + static_cast<std::ptrdiff_t>(k * 8),
                                           expected_pairs.begin() + static_cast<std::ptrdiff_t>(k * 8 + 8));
        icl_test::require_close<T>(pair_values(r.pairs[k]), expected);
        REQUIRE(r.pairs[k].label_a == r.classes[r.pairs[k].class_a]);
        REQUIRE(r.pairs[k].n_a + r.pairs[k].n_b > 0);
      }
      icl_test::require_close<T>(mean_values(r), f.values(name + "_mean"));
      icl_test::require_close<T>({r.output_alignment_all_classes}, {f.scalar(name + "_all")});
    }

    // variance_mode::raw: eᵀ(H̄ᵀH̄/n)e without the denominator; composite follows it.
    auto raw = p;
    raw.variance = icl::geometry::variance_mode::raw;
    const auto rr = icl::geometry::separability_alignment(H.view, labels, directions_double.view, raw);
    const auto& expected_raw = f.values(name + "_variance_raw");
    for (std::size_t k = 0; k < pairs; ++k) {
      icl_test::require_close<T>({rr.pairs[k].variance_alignment, rr.pairs[k].composite_alignment},
                                 {expected_raw[k], expected_raw[k] * expected_pairs[k * 8 + 4]});
    }

    // singular_vectors = 1: |cos(v_1, e)| alone.
    auto one = p;
    one.singular_vectors = 1;
    const auto r1 = icl::geometry::separability_alignment(H.view, labels, directions_double.view, one);
    std::vector<double> first;
    for (const auto& q : r1.pairs) first.push_back(q.singular_alignment);
    icl_test::require_close<T>(first, f.values(name + "_singular1"));

    // A norm without γ (all ones) only scales each state: the same argmax as no norm.
    if (p.final_norm) {
      auto unit = p, none = p;
      unit.final_norm->gamma.clear();
      none.final_norm.reset();
      const auto a = icl::geometry::separability_alignment(H.view, labels, directions_double.view, unit);
      const auto b = icl::geometry::separability_alignment(H.view, labels, directions_double.view, none);
      REQUIRE(a.output_alignment == b.output_alignment);
      REQUIRE(a.denoised_output_alignment == b.denoised_output_alignment);
    }

    // The stand-alone denoised alignment equals the field of the full result.
    REQUIRE(icl::geometry::denoised_output_alignment(H.view, labels, directions_double.view, p.denoise_rank, p) ==
            Approx(f.values(name + "_mean")[7]).margin(1e-12));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("separability_alignment matches numpy on binary inputs", "[geometry][alignment]", float, double) {
  const icl_test::fixture_file f("geometry_alignment.txt");
  check_case<TestType>(f, "bin_wide");  // n < d: Gram route
  check_case<TestType>(f, "bin_tall");  // n > d: covariance route, RMSNorm
}

TEMPLATE_TEST_CASE("separability_alignment matches numpy on three classes", "[geometry][alignment]", float, double) {
  const icl_test::fixture_file f("geometry_alignment.txt");
  check_case<TestType>(f, "tri_wide");   // averaged over the pairs (0,1), (0,2), (1,2)
  check_case<TestType>(f, "tri_tall");
  check_case<TestType>(f, "tri_vocab");  // full unembedding with label token ids
}

TEST_CASE("directional_separability counts the sides of u", "[geometry][alignment]") {
  // Rows 0-2 are class 4 (A), rows 3-5 class 9 (B); u = (1, 0).
  const std::vector<double> h = {1, 5, 0, -1, -2, 3, -1, 0, 2, 2, -3, 1};
  const auto H = icl::make_matrix_view(h.data(), 6, 2);
  const std::vector<int> labels = {4, 4, 4, 9, 9, 9};
  // A: 1 >= 0, 0 >= 0, -2 < 0 -> 2 of 3; B: -1 < 0, 2, -3 < 0 -> 2 of 3.
  REQUIRE(icl::geometry::directional_separability(H, labels, {1.0, 0.0}) == Approx(4.0 / 6.0));
  // u = (-1, 0): A: -1, 0 >= 0, 2 >= 0 -> 2 of 3 (a zero projection counts for A); B: 1, -2 < 0, 3 -> 1 of 3.
  REQUIRE(icl::geometry::directional_separability(H, labels, {-1.0, 0.0}) == Approx(3.0 / 6.0));
}

TEST_CASE("f16 states give the result of their float values", "[geometry][alignment]") {
  const icl_test::fixture_file f("geometry_alignment.txt");
  const auto& shape = f.shape("tri_wide_H");
  const auto& h = f.values("tri_wide_H");
  const auto& e_shape = f.shape("tri_wide_E");
  std::vector<icl::f16> hh(h.size());
  std::vector<float> hf(h.size());
  for (std::size_t k = 0; k < h.size(); ++k) {
    hh[k] = icl::f16(static_cast<float>(h[k]));
    hf[k] = static_cast<float>(hh[k]);
  }
  const auto E = icl_test::row_major<double>(f.values("tri_wide_E"), e_shape[0], e_shape[1]);
  const auto labels = f.ints("tri_wide_y");
  const auto a = icl::geometry::separability_alignment(icl::make_matrix_view(hh.data(), shape[0], shape[1]), labels, E.view);
  const auto b = icl::geometry::separability_alignment(icl::make_matrix_view(hf.data(), shape[0], shape[1]), labels, E.view);
  REQUIRE(a.separability == b.separability);
  for (std::size_t k = 0; k < a.pairs.size(); ++k) REQUIRE(pair_values(a.pairs[k]) == pair_values(b.pairs[k]));
  REQUIRE(a.pairs.size() == 3);
}
