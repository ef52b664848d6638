// icl-test: also-without-blas
// The two routes of the correlation RDM (rows read in place with the centering applied to the
// Gram entries when every row's mean is small against its spread; centered copies otherwise)
// against the scipy fixture (tests/data/rsa_rdm.txt), for float and double inputs; and
// half-precision rows widened once as a whole matrix against the same rows widened per block.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "icl/rsa/detail/rdm_impl.hpp"
#include "icl/rsa/rdm.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

using icl::rsa::dissimilarity;

namespace {

/// values (rows x cols, row-major) with each row's mean replaced by offset.
std::vector<double> shift_rows(const std::vector<double>& values, std::size_t rows, std::size_t cols, double offset) {
  std::vector<double> out = values;
  for (std::size_t i = 0; i < rows; ++i) {
    double mean = 0.0;
    for (std::size_t j = 0; j < cols; ++j) mean += values[i * cols + j] / static_cast<double>(cols);
    for (std::size_t j = 0; j < cols; ++j) out[i * cols + j] += offset - mean;
  }
  return out;
}

/// Whether compute_rdm's correlation takes the rows in place (correlation_shifts not empty).
template <class T>
bool gram_centering(icl::matrix_view<const T> X) {
  const auto stats = icl::rsa::detail::gather_row_statistics("test", X, icl::rsa::detail::row_transform::center,
                                                             icl::nan_policy::raise);
  return !icl::rsa::detail::correlation_shifts(stats, X.cols()).empty();
}

}  // namespace

TEMPLATE_TEST_CASE("correlation RDM with small and large row means", "[rsa][rdm]", float, double) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  const auto& shape = f.shape("X");
  const std::size_t n = shape[0], d = shape[1];
  const auto expected = f.values("rdm_correlation");
  // Correlation does not change when a row is shifted: remove its mean (in-place route), or
  // add a large offset (the centered copies).
  for (const double offset : {0.0, 50.0}) {
    INFO("offset " << offset);
    const auto values = shift_rows(f.values("X"), n, d, offset);
    for (const auto& X : icl_test::all_layouts<TestType>(values, n, d)) {
      REQUIRE(gram_centering(X.view) == (offset == 0.0));
      for (std::size_t block_rows : {std::size_t{0}, std::size_t{5}}) {
        icl::rsa::rdm_params params;
        params.block_rows = block_rows;
        icl_test::require_close<TestType>(icl::rsa::compute_rdm(X.view, dissimilarity::correlation, params).condensed(),
                                          expected);
      }
    }
  }
}

TEMPLATE_TEST_CASE("half-precision rows widened once or per block give the same RDM", "[rsa][rdm]", icl::f16,
                   icl::bf16) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  const auto& shape = f.shape("X");
  const std::size_t n = shape[0], d = shape[1];
  const auto X = icl_test::row_major<TestType>(f.values("X"), n, d);
  // The same values as float rows, read in place.
  std::vector<float> widened(n * d);
  for (std::size_t k = 0; k < n * d; ++k) widened[k] = static_cast<float>(X.storage[k]);
  const auto F = icl::make_matrix_view(widened.data(), n, d);
  for (dissimilarity m : {dissimilarity::euclidean, dissimilarity::cosine, dissimilarity::correlation}) {
    INFO(icl::rsa::to_string(m));
    for (std::size_t block_rows : {std::size_t{0}, std::size_t{5}}) {  // n <= 2b: widened once
      icl::rsa::rdm_params params;
      params.block_rows = block_rows;
      const auto half = icl::rsa::compute_rdm(X.view, m, params).condensed();
      const auto full = icl::rsa::compute_rdm(F, m, params).condensed();
      icl_test::require_close<double>(half, full);
    }
  }
}
