// Pooling and standardization against numpy / scipy.stats.zscore (tests/data/rsa_embedding.txt).
#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "icl/rsa/embedding.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

std::vector<std::vector<std::size_t>> subsets(const icl_test::fixture_file& f) {
  const auto flat = f.ints("positions_flat");
  const auto offsets = f.ints("positions_offsets");
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
    std::vector<std::size_t> s;
    for (int k = offsets[i]; k < offsets[i + 1]; ++k) s.push_back(static_cast<std::size_t>(flat[static_cast<std::size_t>(k)]));
    out.push_back(s);
  }
  return out;
}

template <class M>
std::vector<double> as_doubles(const M& m) {
  return std::vector<double>(m.values().begin(), m.values().end());
}

}  // namespace

TEMPLATE_TEST_CASE("pool_tokens matches numpy", "[rsa][embedding]", float, double) {
  const icl_test::fixture_file f("rsa_embedding.txt");
  const auto& shape = f.shape("tokens");  // n, T, d
  const std::size_t n = shape[0], length = shape[1], d = shape[2];
  const auto& values = f.values("tokens");
  const auto positions = subsets(f);

  // Contiguous C-order tensor, and the same data as a strided view with T as the slowest axis.
  std::vector<TestType> contiguous(values.begin(), values.end());
  const auto view = icl::make_tensor_view<TestType, 3>(contiguous.data(), {n, length, d});
  std::vector<TestType> permuted(length * n * d);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < length; ++t)
      for (std::size_t j = 0; j < d; ++j) permuted[(t * n + i) * d + j] = static_cast<TestType>(values[(i * length + t) * d + j]);
  const auto strided = icl::make_tensor_view<TestType, 3>(
      permuted.data(), {n, length, d}, {static_cast<std::ptrdiff_t>(d), static_cast<std::ptrdiff_t>(n * d), 1});

  for (const auto& tokens : {view, strided}) {
    icl_test::require_close<TestType>(as_doubles(icl::rsa::pool_tokens(tokens, positions, icl::rsa::pooling::max)), f.values("pool_max"));
    icl_test::require_close<TestType>(as_doubles(icl::rsa::pool_tokens(tokens, positions, icl::rsa::pooling::mean)), f.values("pool_mean"));
    icl_test::require_close<TestType>(as_doubles(icl::rsa::pool_tokens(tokens, positions, icl::rsa::pooling::last)), f.values("pool_last"));
  }
  // One shared subset: pooling {length - 1} with `last` is the last token.
  const auto last = icl::rsa::pool_tokens(view, std::vector<std::size_t>{length - 1}, icl::rsa::pooling::last);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) REQUIRE(last(i, j) == view(i, length - 1, j));
}

TEMPLATE_TEST_CASE("standardize matches scipy.stats.zscore", "[rsa][embedding]", float, double) {
  const icl_test::fixture_file f("rsa_embedding.txt");
  const auto& shape = f.shape("Z");
  for (const auto& Z : icl_test::all_layouts<TestType>(f.values("Z"), shape[0], shape[1])) {
    icl_test::require_close<TestType>(as_doubles(icl::rsa::standardize(Z.view, icl::rsa::standardization::zscore_features)),
                                      f.values("zscore_features"));
    icl_test::require_close<TestType>(as_doubles(icl::rsa::standardize(Z.view, icl::rsa::standardization::zscore_rows)),
                                      f.values("zscore_rows"));
    icl_test::require_close<TestType>(as_doubles(icl::rsa::standardize(Z.view, icl::rsa::standardization::none)), f.values("Z"));
  }
}

TEST_CASE("pooling and standardization reject bad input", "[rsa][embedding][errors]") {
  using Catch::Contains;
  std::vector<double> t(2 * 3 * 2, 1.0);
  const auto tokens = icl::make_tensor_view<double, 3>(t.data(), {2, 3, 2});
  REQUIRE_THROWS_WITH(icl::rsa::pool_tokens(tokens, std::vector<std::vector<std::size_t>>{{0}}, icl::rsa::pooling::max),
                      Contains("icl::rsa::pool_tokens: positions has 1 subsets for 2 prompts"));
  REQUIRE_THROWS_WITH(icl::rsa::pool_tokens(tokens, std::vector<std::vector<std::size_t>>{{0}, {}}, icl::rsa::pooling::max),
                      Contains("prompt 1 has an empty position subset"));
  REQUIRE_THROWS_WITH(icl::rsa::pool_tokens(tokens, std::vector<std::vector<std::size_t>>{{0}, {1, 3}}, icl::rsa::pooling::mean),
                      Contains("prompt 1 position 3 is out of range for T = 3"));
  t[7] = std::numeric_limits<double>::infinity();  // prompt 1, token 0, feature 1
  REQUIRE_THROWS_WITH(icl::rsa::pool_tokens(tokens, std::vector<std::size_t>{0, 1}, icl::rsa::pooling::mean),
                      Contains("prompt 1 feature 1 pools to a non-finite value"));

  std::vector<double> z = {1, 2, 3, 2, 5, 2};  // column 1 is constant across the 3 rows
  const auto Z = icl::make_matrix_view(z.data(), 3, 2);
  REQUIRE_THROWS_WITH(icl::rsa::standardize(Z, icl::rsa::standardization::zscore_features),
                      Contains("icl::rsa::standardize: feature 1 is constant"));
  const auto propagated = icl::rsa::standardize(Z, icl::rsa::standardization::zscore_features, icl::nan_policy::propagate);
  REQUIRE(std::isnan(propagated(0, 1)));
  REQUIRE(std::isfinite(propagated(0, 0)));
  std::vector<double> rows = {1, 1, 1, 2};
  REQUIRE_THROWS_WITH(icl::rsa::standardize(icl::make_matrix_view(rows.data(), 2, 2), icl::rsa::standardization::zscore_rows),
                      Contains("row 0 is constant"));
  rows[3] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::rsa::standardize(icl::make_matrix_view(rows.data(), 2, 2), icl::rsa::standardization::none),
                      Contains("row 1 column 1 is nan"));
}
