// Pooling and standardization in icl:: (icl/core/preprocess.hpp): the same results as their
// icl::rsa:: names (checked against numpy / scipy in tests/rsa/test_embedding.cpp), messages
// that name the function called, and the overloads that take the owning matrix.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/preprocess.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/rdm.hpp"

namespace {

template <class T>
std::vector<T> ramp(std::size_t count) {
  std::vector<T> out(count);
  for (std::size_t k = 0; k < count; ++k) out[k] = static_cast<T>(std::sin(0.7 * static_cast<double>(k)) * 3.0 + 0.01 * static_cast<double>(k));
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("icl::pool_tokens and icl::standardize are icl::rsa's", "[core][preprocess]", float, double) {
  const std::size_t n = 5, length = 4, d = 3;
  const std::vector<TestType> t = ramp<TestType>(n * length * d);
  const auto tokens = icl::make_tensor_view<TestType, 3>(t.data(), {n, length, d});
  const std::vector<std::vector<std::size_t>> subsets = {{0, 2}, {1}, {3, 1, 1}, {0, 1, 2, 3}, {2}};
  for (const auto how : {icl::pooling::max, icl::pooling::mean, icl::pooling::last}) {
    const auto a = icl::pool_tokens(tokens, subsets, how);
    const auto b = icl::rsa::pool_tokens(tokens, subsets, how);
    REQUIRE(a.rows() == n);
    REQUIRE(a.cols() == d);
    REQUIRE(a.values() == b.values());
    REQUIRE(icl::pool_tokens(tokens, std::vector<std::size_t>{1, 3}, how).values() ==
            icl::rsa::pool_tokens(tokens, std::vector<std::size_t>{1, 3}, how).values());
  }
  const auto pooled = icl::pool_tokens(tokens, subsets, icl::pooling::mean);
  for (const auto how : {icl::standardization::none, icl::standardization::zscore_features,
                         icl::standardization::zscore_rows}) {
    const auto z = icl::standardize(pooled.view(), how);
    REQUIRE(z.values() == icl::rsa::standardize(pooled.view(), how).values());
    // The owning-matrix overload is the view's.
    REQUIRE(icl::standardize(pooled, how).values() == z.values());
  }
  // The whole chain without .view(): pool, standardize, RDM.
  const auto z = icl::standardize(icl::pool_tokens(tokens, subsets, icl::pooling::max), icl::standardization::zscore_features);
  const auto from_matrix = icl::rsa::compute_rdm(z, icl::rsa::dissimilarity::cosine);
  const auto from_view = icl::rsa::compute_rdm(z.view(), icl::rsa::dissimilarity::cosine);
  REQUIRE(from_matrix.condensed() == from_view.condensed());
}

TEST_CASE("an unqualified call finds one pool_tokens under using namespace icl::rsa", "[core][preprocess]") {
  using namespace icl::rsa;  // NOLINT(google-build-using-namespace): what user code may do
  std::vector<float> t = ramp<float>(2 * 3 * 2);
  const auto tokens = icl::make_tensor_view<float, 3>(t.data(), {2, 3, 2});
  const auto pooled = pool_tokens(tokens, std::vector<std::size_t>{0, 2}, pooling::max);
  const auto z = standardize(pooled.view(), standardization::none);
  REQUIRE(z.values() == pooled.values());
}

TEST_CASE("preprocessing errors name the function called", "[core][preprocess][errors]") {
  using Catch::Contains;
  std::vector<double> t(2 * 3 * 2, 1.0);
  const auto tokens = icl::make_tensor_view<double, 3>(t.data(), {2, 3, 2});
  REQUIRE_THROWS_WITH(icl::pool_tokens(tokens, std::vector<std::vector<std::size_t>>{{0}}, icl::pooling::max),
                      Contains("icl::pool_tokens: positions has 1 subsets for 2 prompts"));
  REQUIRE_THROWS_WITH(icl::pool_tokens(tokens, std::vector<std::size_t>{0}, static_cast<icl::pooling>(7)),
                      Contains("icl::pool_tokens: unknown pooling value 7"));
  REQUIRE_THROWS_WITH(icl::rsa::pool_tokens(tokens, std::vector<std::size_t>{3}, icl::rsa::pooling::max),
                      Contains("icl::rsa::pool_tokens: prompt 0 position 3 is out of range for T = 3"));
  // NaN in two prompts: the first prompt is named, at any thread count.
  t[2 * 2 + 1] = std::numeric_limits<double>::quiet_NaN();      // prompt 0, token 2, feature 1
  t[(3 + 1) * 2 + 0] = std::numeric_limits<double>::quiet_NaN();  // prompt 1, token 1, feature 0
  REQUIRE_THROWS_WITH(icl::pool_tokens(tokens, std::vector<std::size_t>{1, 2}, icl::pooling::mean),
                      Contains("icl::pool_tokens: prompt 0 feature 1 pools to a non-finite value"));

  std::vector<double> z = {1, 2, 3, 2, 5, 2};  // column 1 is constant across the 3 rows
  const auto Z = icl::make_matrix_view(z.data(), 3, 2);
  REQUIRE_THROWS_WITH(icl::standardize(Z, icl::standardization::zscore_features),
                      Contains("icl::standardize: feature 1 is constant"));
  REQUIRE_THROWS_WITH(icl::standardize(Z, static_cast<icl::standardization>(4)),
                      Contains("icl::standardize: unknown standardization value 4"));
  REQUIRE(std::isnan(icl::standardize(Z, icl::standardization::zscore_features, icl::nan_policy::propagate)(0, 1)));
}

TEST_CASE("half-precision tokens pool like their float values", "[core][preprocess]") {
  const std::size_t n = 3, length = 2, d = 4;
  const std::vector<float> f = ramp<float>(n * length * d);
  std::vector<icl::f16> h(f.size());
  std::vector<icl::bf16> b(f.size());
  std::vector<float> hf(f.size()), bf(f.size());  // the values the half types hold
  for (std::size_t k = 0; k < f.size(); ++k) {
    h[k] = icl::f16(f[k]);
    b[k] = icl::bf16(f[k]);
    hf[k] = static_cast<float>(h[k]);
    bf[k] = static_cast<float>(b[k]);
  }
  const auto shape = std::array<std::size_t, 3>{n, length, d};
  for (const auto how : {icl::pooling::max, icl::pooling::mean, icl::pooling::last}) {
    const std::vector<std::size_t> all = {0, 1};
    const auto expected_h = icl::pool_tokens(icl::make_tensor_view<float, 3>(hf.data(), shape), all, how);
    const auto expected_b = icl::pool_tokens(icl::make_tensor_view<float, 3>(bf.data(), shape), all, how);
    REQUIRE(icl::pool_tokens(icl::make_tensor_view<icl::f16, 3>(h.data(), shape), all, how).values() ==
            expected_h.values());
    REQUIRE(icl::rsa::pool_tokens(icl::make_tensor_view<icl::f16, 3>(h.data(), shape), all, how).values() ==
            expected_h.values());
    REQUIRE(icl::rsa::pool_tokens(icl::make_tensor_view<icl::bf16, 3>(b.data(), shape), all, how).values() ==
            expected_b.values());
  }
  const auto Zh = icl::make_matrix_view(h.data(), n * length, d);
  REQUIRE(icl::rsa::standardize(Zh, icl::standardization::zscore_rows).values() ==
          icl::standardize(icl::make_matrix_view(hf.data(), n * length, d), icl::standardization::zscore_rows).values());
}
