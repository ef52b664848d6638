// The [P2] defaults of the alignment measures (tests/data/p2_alignment.txt, written by
// tests/data/make_p2_fixtures.py): denoising rank 10 and the logit-lens argmax over the whole
// unembedding, and the named option lens_argmax::label_rows, for float and double on row-major
// and padded column-major views; the names of lens_argmax and its check.
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

}  // namespace

TEMPLATE_TEST_CASE("alignment at the [P2] defaults: rank 10, argmax over the vocabulary or the label rows",
                   "[geometry][alignment][p2]", float, double) {
  const icl_test::fixture_file f("p2_alignment.txt");
  const auto& shape = f.shape("H");
  const std::size_t n = shape[0], d = shape[1];
  const auto labels = f.ints("y");
  const auto& e_shape = f.shape("E");
  const auto E_double = icl_test::row_major<double>(f.values("E"), e_shape[0], e_shape[1]);
  const auto E_t = icl_test::column_major_padded<TestType>(f.values("E"), e_shape[0], e_shape[1]);
  icl::geometry::separability_alignment_params p;  // default denoise_rank (10) and argmax (vocabulary)
  p.separability = false;
  p.final_norm = icl::rms_norm_params{f.values("gamma"), 1e-5};
  for (int t : f.ints("tokens")) p.label_token_ids.push_back(static_cast<std::size_t>(t));
  for (const auto mode : {icl::geometry::lens_argmax::vocabulary, icl::geometry::lens_argmax::label_rows}) {
    p.argmax = mode;
    const std::string name(icl::to_string(mode));
    const auto& expected = f.values("pairs_" + name);
    for (const auto& H : icl_test::all_layouts<TestType>(f.values("H"), n, d)) {
      for (int which = 0; which < 2; ++which) {
        INFO("argmax " << name << ", directions " << (which == 0 ? "double" : "T"));
        const auto r = which == 0 ? icl::geometry::separability_alignment(H.view, labels, E_double.view, p)
                                  : icl::geometry::separability_alignment(H.view, labels, E_t.view, p);
        REQUIRE(r.pairs.size() == 3);
        for (std::size_t k = 0; k < 3; ++k) {
          const std::vector<double> want(expected.begin() + static_cast<std::ptrdiff_t>(k * 8),
                                         expected.begin() + static_cast<std::ptrdiff_t>(k * 8 + 8));
          icl_test::require_close<TestType>(pair_values(r.pairs[k]), want);
        }
        REQUIRE(r.output_alignment_all_classes == Approx(f.scalar("all_" + name)).epsilon(1e-12));
      }
    }
  }
  // label_rows gives what the label rows alone (no token ids) give.
  std::vector<double> rows;
  for (int t : f.ints("tokens")) {
    for (std::size_t j = 0; j < d; ++j) rows.push_back(f.values("E")[static_cast<std::size_t>(t) * d + j]);
  }
  const auto H = icl_test::row_major<TestType>(f.values("H"), n, d);
  auto q = p;
  q.label_token_ids.clear();
  q.argmax = icl::geometry::lens_argmax::vocabulary;  // no effect without token ids
  const auto plain = icl::geometry::separability_alignment(H.view, labels, icl::make_matrix_view(rows.data(), 3, d), q);
  const auto label_rows = icl::geometry::separability_alignment(H.view, labels, E_double.view, p);
  REQUIRE(plain.output_alignment == label_rows.output_alignment);
  REQUIRE(plain.denoised_output_alignment == label_rows.denoised_output_alignment);
  REQUIRE(plain.output_alignment_all_classes == label_rows.output_alignment_all_classes);
}

TEST_CASE("lens_argmax names and check", "[geometry][types][p2]") {
  using Catch::Contains;
  using icl::geometry::lens_argmax;
  REQUIRE(icl::enum_names<lens_argmax>() == std::vector<std::string>{"vocabulary", "label_rows"});
  for (const auto& name : icl::enum_names<lens_argmax>()) {
    REQUIRE(std::string(icl::to_string(icl::from_string<lens_argmax>(name))) == name);
  }
  REQUIRE(icl::to_string(lens_argmax::label_rows) == "label_rows");
  REQUIRE_THROWS_WITH(icl::from_string<lens_argmax>("labels"),
                      Contains("'labels' is not a icl::geometry::lens_argmax (one of vocabulary, label_rows)"));
  const std::vector<double> h = {1, 0.5, 0, 2, 0.3, 1.2, -1, 0, 0.7, 0.1, 0.4, -0.2,
                                 -1, 0.2, 1, 0, -0.8, -0.9, 0.5, 1, -0.6, 0.3, -1.4, 0.1};
  const std::vector<double> dirs = {1, 0, 0, 0, 0, 1, 0, 0};
  icl::geometry::separability_alignment_params p;
  p.separability = false;
  p.denoise_rank = 2;
  p.argmax = static_cast<lens_argmax>(4);
  REQUIRE_THROWS_AS(icl::geometry::separability_alignment(icl::make_matrix_view(h.data(), 6, 4), {1, 1, 1, 2, 2, 2},
                                                          icl::make_matrix_view(dirs.data(), 2, 4), p),
                    icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(icl::make_matrix_view(h.data(), 6, 4), {1, 1, 1, 2, 2, 2},
                                                            icl::make_matrix_view(dirs.data(), 2, 4), p),
                      Contains("icl::geometry::separability_alignment: unknown argmax 4"));
}
