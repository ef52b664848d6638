// Pairwise decodability and per-layer curves against scikit-learn (tests/data/decode_*.txt).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "icl/decode/knn.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

using icl::decode::decode_params;
using icl::decode::dissimilarity;

template <class T>
void require_pairwise(const icl::decode::pairwise_result& r, const std::vector<double>& expected, std::size_t m) {
  REQUIRE(r.size() == m);
  REQUIRE(r.values.size() == m * m);
  for (std::size_t a = 0; a < m; ++a) {
    REQUIRE(std::isnan(r(a, a)));
    for (std::size_t b = 0; b < m; ++b) {
      if (a == b) continue;
      INFO("pair " << a << ", " << b);
      REQUIRE(r(a, b) == Approx(expected[a * m + b]).epsilon(icl_test::tolerance<T>()));
      REQUIRE(r(a, b) == r(b, a));
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("pairwise_decodability matches scikit-learn on each pair of classes", "[decode][pairwise]", float,
                   double) {
  const icl_test::fixture_file f("decode_clustered.txt");
  const std::size_t n = f.shape("X")[0], d = f.shape("X")[1];
  const std::vector<int> y = f.ints("y");
  for (const auto& X : icl_test::all_layouts<TestType>(f.values("X"), n, d)) {
    for (const dissimilarity kind : {dissimilarity::euclidean, dissimilarity::cosine}) {
      for (const std::size_t block : {0, 9}) {
        decode_params p;
        p.k = 5;
        p.dissimilarity = kind;
        p.block_rows = block;
        const auto r = icl::decode::pairwise_decodability(X.view, y, p);
        REQUIRE(r.classes == f.ints("classes"));
        REQUIRE(r.k == 5);
        REQUIRE(r.dissimilarity == kind);
        require_pairwise<TestType>(r, f.values(std::string("pairwise_") + std::string(icl::to_string(kind)) + "_k5"), 3);
      }
    }
  }
}

TEMPLATE_TEST_CASE("pairwise_decodability on four classes of unequal size", "[decode][pairwise]", float, double) {
  const icl_test::fixture_file f("decode_four.txt");
  const std::vector<int> y = f.ints("y");
  for (const auto& X : icl_test::all_layouts<TestType>(f, "X")) {
    for (const std::size_t k : {3, 10}) {
      decode_params p;
      p.k = k;
      p.block_rows = 11;
      const auto r = icl::decode::pairwise_decodability(X.view, y, p);
      REQUIRE(r.classes == std::vector<int>{-5, 0, 3, 11});
      require_pairwise<TestType>(r, f.values("pairwise_k" + std::to_string(k)), 4);
    }
  }
}

TEST_CASE("pairwise_decodability of two classes is task_decodability", "[decode][pairwise]") {
  const icl_test::fixture_file f("decode_ties.txt");
  const std::size_t n = f.shape("X")[0], d = f.shape("X")[1];
  const auto X = icl_test::row_major<double>(f.values("X"), n, d);
  for (const std::size_t k : {2, 4, 10}) {
    decode_params p;
    p.k = k;
    const auto pair = icl::decode::pairwise_decodability(X.view, f.ints("y"), p);
    REQUIRE(pair(0, 1) == Approx(f.scalar("td_euclidean_k" + std::to_string(k))).epsilon(1e-15));
  }
}

TEMPLATE_TEST_CASE("decodability_curve matches scikit-learn per layer", "[decode][layers]", float, double) {
  const icl_test::fixture_file f("decode_layers.txt");
  const auto& shape = f.shape("H");
  const std::size_t layers = shape[0], n = shape[1], d = shape[2];
  const auto& h = f.values("H");
  const std::vector<int> y = f.ints("y");
  const auto expected_peak = static_cast<std::size_t>(f.scalar("peak"));
  const auto& per_class = f.values("per_class");

  // [layers, n, d] C order, and the same values stored [n, layers, d] (layer not the slowest axis).
  const auto layouts = icl_test::both_layer_layouts<TestType>(h, layers, n, d);
  const auto a = layouts.contiguous_view();
  const auto b = layouts.interleaved_view();
  for (const auto& H : {a, b}) {
    const auto r = icl::decode::decodability_curve(H, y);
    REQUIRE(r.curve.layers() == layers);
    icl_test::require_close<TestType>(r.curve.values, f.values("td"));
    REQUIRE(r.peak_layer == expected_peak);
    REQUIRE(r.curve.peak_layer() == expected_peak);
    REQUIRE(r.layers.size() == layers);
    for (std::size_t l = 0; l < layers; ++l) {
      const std::vector<double> expected(per_class.begin() + static_cast<std::ptrdiff_t>(l * 3),
                                         per_class.begin() + static_cast<std::ptrdiff_t>(l * 3 + 3));
      icl_test::require_close<TestType>(r.layers[l].per_class, expected);
      REQUIRE(r.layers[l].overall == r.curve[l]);
    }
    // The incremental form gives the same results, layer by layer.
    icl::decode::decodability_tracker tracker(y);
    for (std::size_t l = 0; l < layers; ++l) {
      const auto& one = tracker.add_layer(H.matrix(l));
      REQUIRE(one.predictions == r.layers[l].predictions);
    }
    REQUIRE(tracker.curve().values == r.curve.values);
    REQUIRE(tracker.peak_layer() == expected_peak);
    REQUIRE(tracker.layers().size() == layers);
  }
}
