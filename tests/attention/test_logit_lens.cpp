// logit_minus and logprob_increase against numpy references (tests/data/logit_lens_projections.txt).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "icl/attention/logit_lens.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

using icl::attention::logit_lens_params;

namespace {

const char* const fixture_name = "logit_lens_projections.txt";

std::size_t token(const icl_test::fixture_file& f, const std::string& name) {
  return static_cast<std::size_t>(f.ints(name).at(0));
}

std::vector<double> row(const std::vector<double>& m, std::size_t cols, std::size_t i) {
  return std::vector<double>(m.begin() + static_cast<std::ptrdiff_t>(i * cols),
                             m.begin() + static_cast<std::ptrdiff_t>((i + 1) * cols));
}

}  // namespace

TEMPLATE_TEST_CASE("logit_minus matches numpy", "[attention][logit_lens]", float, double) {
  const icl_test::fixture_file f(fixture_name);
  const auto& es = f.shape("E");
  const auto& us = f.shape("U");
  const std::size_t a = token(f, "token_a"), b = token(f, "token_b");
  for (const auto& U : icl_test::all_layouts<TestType>(f, "U")) {
    for (const auto& E : icl_test::all_layouts<TestType>(f, "E")) {
      for (std::size_t block_rows : {std::size_t{0}, std::size_t{4}}) {
        INFO("U row_stride " << U.view.row_stride() << " E row_stride " << E.view.row_stride() << " block "
                             << block_rows);
        logit_lens_params params;
        params.block_rows = block_rows;
        icl_test::require_close<TestType>(icl::attention::logit_minus(U.view, E.view, a, b, f.values("h"), params),
                                          f.values("minus_ones"));
        params.norm.gamma = f.values("gamma");
        icl_test::require_close<TestType>(icl::attention::logit_minus(U.view, E.view, a, b, f.values("h"), params),
                                          f.values("minus_gamma"));
      }
    }
  }
  // Two directions given as vectors instead of unembedding rows.
  const auto U = icl_test::row_major<TestType>(f.values("U"), us[0], us[1]);
  logit_lens_params params;
  params.norm.gamma = f.values("gamma");
  const auto direct = icl::attention::logit_minus(U.view, row(f.values("E"), es[1], a), row(f.values("E"), es[1], b),
                                                  f.values("h"), params);
  icl_test::require_close<TestType>(direct, f.values("minus_gamma"));
}

TEST_CASE("logit_minus with f16 outputs stays within f16 rounding", "[attention][logit_lens]") {
  const icl_test::fixture_file f(fixture_name);
  const auto& es = f.shape("E");
  const auto& us = f.shape("U");
  const std::size_t n = us[0], d = us[1], a = token(f, "token_a"), b = token(f, "token_b");
  const auto E = icl_test::row_major<double>(f.values("E"), es[0], es[1]);
  for (const auto& U : icl_test::all_layouts<icl::f16>(f.values("U"), n, d)) {
    logit_lens_params params;
    params.norm.gamma = f.values("gamma");
    const auto got = icl::attention::logit_minus(U.view, E.view, a, b, f.values("h"), params);
    // Bound: each u_j is rounded to f16 (relative error <= 2^-11), so
    // |M - M_ref| <= 2^-11 * sum_j |w_j u_j| plus float accumulation.
    const auto& h = f.values("h");
    double ss = 0.0;
    for (double v : h) ss += v * v;
    const double scale = std::sqrt(ss / static_cast<double>(d) + 1e-6);
    const auto& Ev = f.values("E");
    const auto& Uv = f.values("U");
    const auto& expected = f.values("minus_gamma");
    REQUIRE(got.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
      double bound = 0.0;
      for (std::size_t j = 0; j < d; ++j) {
        const double w = (Ev[a * d + j] - Ev[b * d + j]) * params.norm.gamma[j] / scale;
        bound += std::abs(w * Uv[i * d + j]);
      }
      INFO("row " << i);
      REQUIRE(std::abs(got[i] - expected[i]) <= bound * (std::ldexp(1.0, -11) + 1e-6));
    }
  }
}

TEMPLATE_TEST_CASE("logprob_increase matches numpy", "[attention][logit_lens]", float, double) {
  const icl_test::fixture_file f(fixture_name);
  const std::size_t b = token(f, "token_b");
  for (const auto& O : icl_test::all_layouts<TestType>(f, "O")) {
    for (const auto& E : icl_test::all_layouts<TestType>(f, "E")) {
      // One vocabulary block, and blocks of 5 rows (the target token and the maximum fall in
      // different blocks; the last block is ragged).
      for (std::size_t block_rows : {std::size_t{0}, std::size_t{5}}) {
        INFO("O row_stride " << O.view.row_stride() << " E row_stride " << E.view.row_stride() << " block "
                             << block_rows);
        logit_lens_params params;
        params.scale = icl::attention::normalizer::per_vector;  // the per-vector form (the default is [P4]'s fixed scale)
        params.block_rows = block_rows;
        icl_test::require_close<TestType>(icl::attention::logprob_increase(E.view, b, f.values("x"), O.view, params),
                                          f.values("inc_ones"));
        params.norm.gamma = f.values("gamma");
        icl_test::require_close<TestType>(icl::attention::logprob_increase(E.view, b, f.values("x"), O.view, params),
                                          f.values("inc_gamma"));
        const auto change = icl::attention::logprob_change(E.view, b, f.values("x"), O.view, params);
        icl_test::require_close<TestType>({change.base}, f.values("base_gamma"));
        icl_test::require_close<TestType>(change.logprob, f.values("logprob_gamma"));
        icl_test::require_close<TestType>(change.increase, f.values("inc_gamma"));
      }
    }
  }
}

TEMPLATE_TEST_CASE("logprob_increase is stable for logits beyond exp overflow", "[attention][logit_lens]", float,
                   double) {
  const icl_test::fixture_file f(fixture_name);
  const auto& es = f.shape("E");
  const auto& os = f.shape("O");
  std::vector<double> x = f.values("x"), O = f.values("O"), gamma = f.values("gamma");
  for (double& v : x) v *= 40.0;
  for (double& v : O) v *= 40.0;
  for (double& v : gamma) v *= 80.0;
  const auto Ov = icl_test::column_major_padded<TestType>(O, os[0], os[1]);
  const auto E = icl_test::row_major<TestType>(f.values("E"), es[0], es[1]);
  for (std::size_t block_rows : {std::size_t{0}, std::size_t{3}}) {
    logit_lens_params params;
    params.scale = icl::attention::normalizer::per_vector;
    params.norm.gamma = gamma;
    params.block_rows = block_rows;
    const auto got = icl::attention::logprob_increase(E.view, token(f, "token_b"), x, Ov.view, params);
    for (double v : got) REQUIRE(std::isfinite(v));
    // Logits of several hundred carry float rounding of about 1e-7 of their size.
    icl_test::require_close<TestType>(got, f.values("inc_big"), 100.0);
  }
}

TEST_CASE("logprob_increase: a zero output changes nothing, f16 outputs agree with their widened values",
          "[attention][logit_lens]") {
  const icl_test::fixture_file f(fixture_name);
  const auto& es = f.shape("E");
  const auto& os = f.shape("O");
  const std::size_t P = os[0], d = os[1], b = token(f, "token_b");
  const auto E = icl_test::row_major<double>(f.values("E"), es[0], es[1]);
  logit_lens_params pv;
  pv.scale = icl::attention::normalizer::per_vector;
  std::vector<double> O = f.values("O");
  std::fill(O.begin() + 2 * static_cast<std::ptrdiff_t>(d), O.begin() + 3 * static_cast<std::ptrdiff_t>(d), 0.0);
  const auto Od = icl_test::row_major<double>(O, P, d);
  const auto with_zero = icl::attention::logprob_increase(E.view, b, f.values("x"), Od.view, pv);
  REQUIRE(std::abs(with_zero[2]) < 1e-12);
  // f16 outputs: the same result as the double computation on the f16-rounded values.
  const auto Oh = icl_test::column_major_padded<icl::f16>(f.values("O"), P, d);
  std::vector<double> rounded(P * d);
  for (std::size_t k = 0; k < P * d; ++k) rounded[k] = static_cast<double>(static_cast<float>(icl::f16(f.values("O")[k])));
  const auto Or = icl_test::row_major<double>(rounded, P, d);
  icl_test::require_close<double>(icl::attention::logprob_increase(E.view, b, f.values("x"), Oh.view, pv),
                                  icl::attention::logprob_increase(E.view, b, f.values("x"), Or.view, pv));
}

TEST_CASE("logit_lens errors", "[attention][logit_lens]") {
  using Catch::Contains;
  using icl::attention::logit_minus;
  using icl::attention::logprob_increase;
  const std::size_t V = 5, d = 4;
  std::vector<double> Ev(V * d), Uv(3 * d), h(d, 1.0), x(d, 0.5);
  for (std::size_t k = 0; k < Ev.size(); ++k) Ev[k] = 0.1 * static_cast<double>(k % 7) - 0.2;
  for (std::size_t k = 0; k < Uv.size(); ++k) Uv[k] = 0.05 * static_cast<double>(k) - 0.3;
  const auto E = icl::make_matrix_view(Ev.data(), V, d);
  const auto U = icl::make_matrix_view(Uv.data(), 3, d);
  const auto U3 = icl::make_matrix_view(Uv.data(), 4, 3);
  const auto empty = icl::make_matrix_view(Uv.data(), 0, d);
  const auto Eempty = icl::make_matrix_view(Ev.data(), 0, d);
  const std::vector<double> a(d, 1.0), c(d, 0.0);

  SECTION("logit_minus") {
    REQUIRE_NOTHROW(logit_minus(U, E, 0, 4, h));
    REQUIRE_THROWS_WITH(logit_minus(empty, a, c, h), Contains("icl::attention::logit_minus: U is empty (0 x 4)"));
    REQUIRE_THROWS_WITH(logit_minus(U, Eempty, 0, 1, h), Contains("icl::attention::logit_minus: E is empty (0 x 4)"));
    REQUIRE_THROWS_WITH(logit_minus(U3, E, 0, 1, std::vector<double>(3, 1.0)),
                        Contains("icl::attention::logit_minus: E has 4 columns but U rows have d = 3"));
    REQUIRE_THROWS_WITH(logit_minus(U, E, 5, 1, h), Contains("icl::attention::logit_minus: token_a = 5 must be < |V| = 5"));
    REQUIRE_THROWS_WITH(logit_minus(U, E, 0, 7, h), Contains("icl::attention::logit_minus: token_b = 7 must be < |V| = 5"));
    REQUIRE_THROWS_WITH(logit_minus(U, std::vector<double>(3, 1.0), c, h),
                        Contains("icl::attention::logit_minus: direction_a has 3 entries, expected d = 4"));
    REQUIRE_THROWS_WITH(logit_minus(U, a, std::vector<double>(5, 1.0), h),
                        Contains("icl::attention::logit_minus: direction_b has 5 entries, expected d = 4"));
    REQUIRE_THROWS_WITH(logit_minus(U, E, 0, 1, std::vector<double>(2, 1.0)),
                        Contains("icl::attention::logit_minus: final_hidden has 2 entries, expected d = 4"));
    logit_lens_params bad_gamma;
    bad_gamma.norm.gamma = {1.0, 1.0};
    REQUIRE_THROWS_WITH(logit_minus(U, E, 0, 1, h, bad_gamma),
                        Contains("icl::attention::logit_minus: params.norm.gamma has 2 values but the vectors have d = 4"));
    logit_lens_params bad_eps;
    bad_eps.norm.epsilon = -1.0;
    REQUIRE_THROWS_WITH(logit_minus(U, E, 0, 1, h, bad_eps),
                        Contains("icl::attention::logit_minus: params.norm.epsilon = -1 must be finite and >= 0"));
    // Non-finite values in each input.
    std::vector<double> Ubad = Uv;
    Ubad[1 * d + 2] = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_THROWS_WITH(logit_minus(icl::make_matrix_view(Ubad.data(), 3, d), E, 0, 1, h),
                        Contains("icl::attention::logit_minus: U (1, 2) is nan"));
    std::vector<double> Ebad = Ev;
    Ebad[3 * d + 1] = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(logit_minus(U, icl::make_matrix_view(Ebad.data(), V, d), 3, 1, h),
                        Contains("icl::attention::logit_minus: E (3, 1) is inf"));
    REQUIRE_NOTHROW(logit_minus(U, icl::make_matrix_view(Ebad.data(), V, d), 0, 1, h));  // only rows a, b are read
    std::vector<double> hbad = h;
    hbad[3] = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_THROWS_WITH(logit_minus(U, E, 0, 1, hbad), Contains("icl::attention::logit_minus: final_hidden[3] is nan"));
    logit_lens_params nan_gamma;
    nan_gamma.norm.gamma = {1.0, 1.0, -std::numeric_limits<double>::infinity(), 1.0};
    REQUIRE_THROWS_WITH(logit_minus(U, E, 0, 1, h, nan_gamma), Contains("icl::attention::logit_minus: params.norm.gamma[2] is -inf"));
    // An all-zero final hidden state with epsilon 0 leaves the scale undefined.
    logit_lens_params no_eps;
    no_eps.norm.epsilon = 0.0;
    REQUIRE_THROWS_AS(logit_minus(U, E, 0, 1, c, no_eps), icl::error);
    REQUIRE_THROWS_WITH(logit_minus(U, E, 0, 1, c, no_eps),
                        Contains("icl::attention::logit_minus: mean(final_hidden^2) + epsilon = 0"));
    REQUIRE_THROWS_AS(logit_minus(U, E, 9, 1, h), icl::invalid_argument);
  }

  SECTION("logprob_increase") {
    // The per-vector form: the overloads without final_hidden need it (the default is fixed_final).
    logit_lens_params pv;
    pv.scale = icl::attention::normalizer::per_vector;
    REQUIRE_NOTHROW(logprob_increase(E, 4, x, U, pv));
    REQUIRE_THROWS_WITH(logprob_increase(Eempty, 0, x, U, pv),
                        Contains("icl::attention::logprob_increase: E is empty (0 x 4)"));
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, empty, pv),
                        Contains("icl::attention::logprob_increase: O is empty (0 x 4)"));
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, U3, pv),
                        Contains("icl::attention::logprob_increase: O has 3 columns but E has d = 4"));
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, std::vector<double>(6, 1.0), U, pv),
                        Contains("icl::attention::logprob_increase: x has 6 entries, expected d = 4"));
    logit_lens_params bad_gamma;
    bad_gamma.scale = icl::attention::normalizer::per_vector;
    bad_gamma.norm.gamma = {1.0};
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, U, bad_gamma),
                        Contains("icl::attention::logprob_increase: params.norm.gamma has 1 values but the vectors have d = 4"));
    REQUIRE_THROWS_WITH(logprob_increase(E, 5, x, U, pv),
                        Contains("icl::attention::logprob_increase: token_b = 5 must be < |V| = 5"));
    logit_lens_params bad_eps;
    bad_eps.scale = icl::attention::normalizer::per_vector;
    bad_eps.norm.epsilon = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, U, bad_eps),
                        Contains("icl::attention::logprob_increase: params.norm.epsilon = inf must be finite and >= 0"));
    std::vector<double> Ebad = Ev;
    Ebad[4 * d + 3] = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_THROWS_WITH(logprob_increase(icl::make_matrix_view(Ebad.data(), V, d), 0, x, U, pv),
                        Contains("icl::attention::logprob_increase: E (4, 3) is nan"));
    std::vector<double> Obad = Uv;
    Obad[2 * d] = -std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, icl::make_matrix_view(Obad.data(), 3, d), pv),
                        Contains("icl::attention::logprob_increase: O (2, 0) is -inf"));
    std::vector<double> xbad = x;
    xbad[0] = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, xbad, U, pv), Contains("icl::attention::logprob_increase: x[0] is nan"));
    // x = 0 with epsilon 0: the RMS norm of x is undefined; likewise for x + o_p = 0.
    logit_lens_params no_eps;
    no_eps.scale = icl::attention::normalizer::per_vector;
    no_eps.norm.epsilon = 0.0;
    REQUIRE_THROWS_AS(logprob_increase(E, 0, c, U, no_eps), icl::error);
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, c, U, no_eps),
                        Contains("icl::attention::logprob_increase: the RMS norm of x is 0"));
    std::vector<double> Ominus(2 * d, 0.0);
    for (std::size_t j = 0; j < d; ++j) Ominus[d + j] = -x[j];
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, icl::make_matrix_view(Ominus.data(), 2, d), no_eps),
                        Contains("icl::attention::logprob_increase: the RMS norm of x + o_1 is 0"));
    // logprob_change shares the checks and names itself.
    REQUIRE_THROWS_AS(icl::attention::logprob_change(E, 9, x, U, pv), icl::invalid_argument);
    REQUIRE_THROWS_WITH(icl::attention::logprob_change(E, 9, x, U, pv),
                        Contains("icl::attention::logprob_change: token_b = 9 must be < |V| = 5"));
    REQUIRE_THROWS_WITH(icl::attention::logprob_change(E, 0, x, U3, pv),
                        Contains("icl::attention::logprob_change: O has 3 columns but E has d = 4"));
  }
}
