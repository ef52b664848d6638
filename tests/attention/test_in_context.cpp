// [P4]'s in-context head analyses against numpy references (tests/data/attention_p4.txt, written
// by tests/data/make_p4_fixtures.py): logprob_increase at the fixed final scale,
// head_logprob_increase, value-output vectors, in-context head selection, label_logit_minus and
// the bias measures; float and double, row-major and strided inputs; one bad-input check per
// documented error.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "icl/attention/bias.hpp"
#include "icl/attention/in_context_heads.hpp"
#include "icl/attention/logit_lens.hpp"
#include "icl/attention/value_output.hpp"
#include "icl/core/enum_names.hpp"
#include "support/attention.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

using Catch::Contains;
using icl::attention::logit_lens_params;
using icl::attention::normalizer;

namespace {

const char* const fixture_name = "attention_p4.txt";

std::vector<std::size_t> sizes(const icl_test::fixture_file& f, const std::string& name) {
  std::vector<std::size_t> out;
  for (int v : f.ints(name)) out.push_back(static_cast<std::size_t>(v));
  return out;
}

std::vector<std::pair<std::size_t, std::size_t>> pairs(const std::vector<int>& flat, std::size_t first,
                                                       std::size_t count) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.emplace_back(static_cast<std::size_t>(flat[2 * (first + i)]), static_cast<std::size_t>(flat[2 * (first + i) + 1]));
  }
  return out;
}

// The two labels' head maps of the record S ([2, L, H]).
std::vector<icl::attention::head_map> label_maps(const icl_test::fixture_file& f) {
  const auto& ss = f.shape("S");
  const std::size_t L = ss[1], H = ss[2];
  std::vector<icl::attention::head_map> maps(2);
  for (std::size_t k = 0; k < 2; ++k) {
    maps[k].layers = L;
    maps[k].heads = H;
    maps[k].values.assign(f.values("S").begin() + static_cast<std::ptrdiff_t>(k * L * H),
                          f.values("S").begin() + static_cast<std::ptrdiff_t>((k + 1) * L * H));
  }
  return maps;
}

}  // namespace

TEST_CASE("the pinned fixed-scale logprob_increase overload exists as API.md writes it", "[attention][in_context]") {
  using pinned = std::vector<double> (*)(icl::matrix_view<const float>, std::size_t, const std::vector<double>&,
                                         icl::matrix_view<const icl::f16>, const std::vector<double>&,
                                         const logit_lens_params&);
  const pinned f = &icl::attention::logprob_increase<float, icl::f16>;
  REQUIRE(f != nullptr);
}

TEST_CASE("normalizer names round-trip", "[attention][in_context]") {
  for (const auto& name : icl::enum_names<normalizer>()) {
    REQUIRE(icl::to_string(icl::from_string<normalizer>(name)) == name);
  }
  REQUIRE(icl::enum_names<normalizer>() == std::vector<std::string>{"fixed_final", "per_vector"});
  REQUIRE_THROWS_WITH(icl::from_string<normalizer>("rms"),
                      Contains("'rms' is not a icl::attention::normalizer (one of fixed_final, per_vector)"));
  REQUIRE(logit_lens_params{}.scale == normalizer::fixed_final);
}

TEMPLATE_TEST_CASE("logprob_increase at the fixed final scale matches numpy", "[attention][in_context]", float,
                   double) {
  const icl_test::fixture_file f(fixture_name);
  const auto b = static_cast<std::size_t>(f.ints("token_b").at(0));
  for (const auto& O : icl_test::all_layouts<TestType>(f, "O")) {
    for (const auto& E : icl_test::all_layouts<TestType>(f, "E")) {
      for (std::size_t block_rows : {std::size_t{0}, std::size_t{6}}) {
        INFO("O row_stride " << O.view.row_stride() << " E row_stride " << E.view.row_stride() << " block " << block_rows);
        logit_lens_params params;
        params.block_rows = block_rows;
        icl_test::require_close<TestType>(
            icl::attention::logprob_increase(E.view, b, f.values("x"), O.view, f.values("h"), params),
            f.values("fixed_ones"));
        params.norm.gamma = f.values("gamma");
        icl_test::require_close<TestType>(
            icl::attention::logprob_increase(E.view, b, f.values("x"), O.view, f.values("h"), params),
            f.values("fixed_gamma"));
        const auto change = icl::attention::logprob_change(E.view, b, f.values("x"), O.view, f.values("h"), params);
        icl_test::require_close<TestType>({change.base}, f.values("fixed_base"));
        icl_test::require_close<TestType>(change.logprob, f.values("fixed_logprob"));
        // The per-vector option through the final_hidden overload: final_hidden is not used.
        params.scale = normalizer::per_vector;
        const auto per_vector = icl::attention::logprob_increase(E.view, b, f.values("x"), O.view, f.values("h"), params);
        icl_test::require_close<TestType>(
            per_vector, icl::attention::logprob_increase(E.view, b, f.values("x"), O.view, std::vector<double>{}, params));
        icl_test::require_close<TestType>(per_vector,
                                          icl::attention::logprob_increase(E.view, b, f.values("x"), O.view, params));
      }
    }
  }
}

TEMPLATE_TEST_CASE("head_logprob_increase matches numpy per label token", "[attention][in_context]", float, double) {
  const icl_test::fixture_file f(fixture_name);
  const auto& es = f.shape("E");
  const auto& xs = f.shape("X");
  const auto& hs = f.shape("OH");
  const auto tokens = sizes(f, "label_tokens");
  const auto& expected = f.values("head_imp");
  const std::size_t L = hs[0], H = hs[1];
  logit_lens_params params;
  params.norm.gamma = f.values("gamma");
  for (bool permuted : {false, true}) {
    const auto OH = icl_test::make_tensor3<TestType>(f.values("OH"), hs[0], hs[1], hs[2], permuted);
    for (const auto& X : icl_test::all_layouts<TestType>(f.values("X"), xs[0], xs[1])) {
      const auto E = icl_test::column_major_padded<TestType>(f.values("E"), es[0], es[1]);
      INFO("permuted " << permuted << " X row_stride " << X.view.row_stride());
      const auto maps = icl::attention::head_logprob_increase(E.view, tokens, X.view, OH.view, f.values("h"), params);
      REQUIRE(maps.size() == 2);
      for (std::size_t k = 0; k < 2; ++k) {
        REQUIRE(maps[k].layers == L);
        REQUIRE(maps[k].heads == H);
        icl_test::require_close<TestType>(
            maps[k].values, std::vector<double>(expected.begin() + static_cast<std::ptrdiff_t>(k * L * H),
                                                expected.begin() + static_cast<std::ptrdiff_t>((k + 1) * L * H)));
      }
    }
  }
}

TEMPLATE_TEST_CASE("value-output vectors match numpy (grouped-query)", "[attention][in_context]", float, double) {
  const icl_test::fixture_file f(fixture_name);
  const auto& as = f.shape("A");
  const auto& vs = f.shape("Vv");
  const auto& ws = f.shape("WO");
  const std::size_t H = as[0], T = as[1], d = ws[0];
  const auto& u = f.values("u");
  const auto& vo = f.values("vo");
  const auto& o = f.values("o");
  const auto slice = [](const std::vector<double>& v, std::size_t first, std::size_t count) {
    return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(first),
                               v.begin() + static_cast<std::ptrdiff_t>(first + count));
  };
  for (bool permuted : {false, true}) {
    const auto A = icl_test::make_tensor3<TestType>(f.values("A"), as[0], as[1], as[2], permuted);
    const auto Vv = icl_test::make_tensor3<TestType>(f.values("Vv"), vs[0], vs[1], vs[2], permuted);
    for (const auto& W : icl_test::all_layouts<TestType>(f.values("WO"), ws[0], ws[1])) {
      INFO("permuted " << permuted << " W_O row_stride " << W.view.row_stride());
      for (std::size_t h = 0; h < H; ++h) {
        const auto out = icl::attention::value_output_vectors(A.view, Vv.view, W.view, h);
        REQUIRE(out.positions == T);
        REQUIRE(out.d_model == d);
        REQUIRE(out.kv_head == h / 2);
        REQUIRE(out.query == T - 1);
        icl_test::require_close<TestType>(out.weighted, slice(u, h * T * d, T * d));
        icl_test::require_close<TestType>(out.unweighted, slice(vo, h * T * d, T * d));
        icl_test::require_close<TestType>(out.head_output, slice(o, h * d, d));
      }
      icl_test::require_close<TestType>(icl::attention::head_outputs(A.view, Vv.view, W.view), o);
      // Another query position.
      icl::attention::value_output_params params;
      params.query = static_cast<std::size_t>(f.ints("query_q").at(0));
      const auto at_q = icl::attention::value_output_vectors(A.view, Vv.view, W.view, 2, params);
      icl_test::require_close<TestType>(at_q.weighted, f.values("u_q"));
      icl_test::require_close<TestType>(at_q.head_output, f.values("o_q"));
      icl_test::require_close<TestType>(
          slice(icl::attention::head_outputs(A.view, Vv.view, W.view, params), 2 * d, d), f.values("o_q"));
    }
    // W_O given as W_Oᵀ ((heads · d_head) x d_model, per-head row blocks) through transposed().
    std::vector<double> wt(ws[0] * ws[1]);
    for (std::size_t i = 0; i < ws[0]; ++i)
      for (std::size_t j = 0; j < ws[1]; ++j) wt[j * ws[0] + i] = f.values("WO")[i * ws[1] + j];
    const auto Wt = icl_test::row_major<TestType>(wt, ws[1], ws[0]);
    icl_test::require_close<TestType>(icl::attention::head_outputs(A.view, Vv.view, Wt.view.transposed()), o);
  }
}

TEST_CASE("value-output vectors of f16/bf16 inputs equal those of their widened values", "[attention][in_context]") {
  const icl_test::fixture_file f(fixture_name);
  const auto& as = f.shape("A");
  const auto& vs = f.shape("Vv");
  const auto& ws = f.shape("WO");
  const auto widened = [](const auto& typed) {
    std::vector<double> out;
    for (const auto& v : typed.storage) out.push_back(static_cast<double>(static_cast<float>(v)));
    return out;
  };
  const auto A = icl_test::make_tensor3<icl::bf16>(f.values("A"), as[0], as[1], as[2], true);
  const auto Vv = icl_test::make_tensor3<icl::f16>(f.values("Vv"), vs[0], vs[1], vs[2], false);
  const auto W = icl_test::column_major_padded<icl::f16>(f.values("WO"), ws[0], ws[1]);
  // The same storage widened to double, read through the same strides.
  const auto a = widened(A), v = widened(Vv), w = widened(W);
  const auto Ad = icl::tensor_view<const double, 3>(a.data(), A.view.extents(), A.view.strides());
  const auto Vd = icl::tensor_view<const double, 3>(v.data(), Vv.view.extents(), Vv.view.strides());
  const auto Wd = icl::matrix_view<const double>(w.data(), W.view.rows(), W.view.cols(), W.view.row_stride(),
                                                 W.view.col_stride());
  for (std::size_t h = 0; h < as[0]; ++h) {
    const auto low = icl::attention::value_output_vectors(A.view, Vv.view, W.view, h);
    const auto wide = icl::attention::value_output_vectors(Ad, Vd, Wd, h);
    icl_test::require_close<double>(low.weighted, wide.weighted);
    icl_test::require_close<double>(low.head_output, wide.head_output);
  }
  icl_test::require_close<double>(icl::attention::head_outputs(A.view, Vv.view, W.view),
                                  icl::attention::head_outputs(Ad, Vd, Wd));
}

TEST_CASE("value-output vectors feed logprob_increase per position", "[attention][in_context]") {
  // Σ_p of the per-position inputs is the head's output: the head-level score of o equals the
  // score of the row o in logprob_increase.
  const icl_test::fixture_file f(fixture_name);
  const auto& as = f.shape("A");
  const auto& vs = f.shape("Vv");
  const auto& ws = f.shape("WO");
  const auto A = icl_test::make_tensor3<double>(f.values("A"), as[0], as[1], as[2], false);
  const auto Vv = icl_test::make_tensor3<double>(f.values("Vv"), vs[0], vs[1], vs[2], false);
  const auto W = icl_test::row_major<double>(f.values("WO"), ws[0], ws[1]);
  const auto E = icl_test::row_major<double>(f.values("E"), f.shape("E")[0], f.shape("E")[1]);
  const auto out = icl::attention::value_output_vectors(A.view, Vv.view, W.view, 1);
  const auto U = icl::make_matrix_view(out.weighted.data(), out.positions, out.d_model);
  const auto per_position = icl::attention::logprob_increase(E.view, 17, f.values("x"), U, f.values("h"));
  REQUIRE(per_position.size() == out.positions);
  for (double v : per_position) REQUIRE(std::isfinite(v));
}

TEMPLATE_TEST_CASE("label_logit_minus matches numpy", "[attention][in_context]", float, double) {
  const icl_test::fixture_file f(fixture_name);
  const auto& us = f.shape("u");
  const auto& es = f.shape("E");
  const std::size_t T = us[1], d = us[2];
  const auto tokens = sizes(f, "label_tokens");
  const std::vector<double> u1(f.values("u").begin() + static_cast<std::ptrdiff_t>(T * d),
                               f.values("u").begin() + static_cast<std::ptrdiff_t>(2 * T * d));
  logit_lens_params params;
  params.norm.gamma = f.values("gamma");
  for (const auto& U : icl_test::all_layouts<TestType>(u1, T, d)) {
    const auto E = icl_test::column_major_padded<TestType>(f.values("E"), es[0], es[1]);
    const auto m = icl::attention::label_logit_minus(U.view, E.view, tokens[0], tokens[1], sizes(f, "positions_a"),
                                                     sizes(f, "positions_b"), f.values("h"), params);
    icl_test::require_close<TestType>({m.at_a, m.at_b}, f.values("minus_at"));
  }
}

TEST_CASE("select_in_context_heads matches numpy: top k, top fraction, merged by best rank",
          "[attention][in_context]") {
  const icl_test::fixture_file f(fixture_name);
  const std::vector<icl::attention::head_map> maps = label_maps(f);
  icl::attention::head_selection_params params;
  params.top_k = 3;
  auto set = icl::attention::select_in_context_heads(maps, params);
  REQUIRE(set.per_label.size() == 2);
  REQUIRE(set.per_label[0] == pairs(f.ints("top3"), 0, 3));
  REQUIRE(set.per_label[1] == pairs(f.ints("top3"), 3, 3));
  REQUIRE(set.merged == pairs(f.ints("merged3"), 0, f.shape("merged3")[0]));
  params.fraction = 0.25;
  set = icl::attention::select_in_context_heads(maps, params);
  REQUIRE(set.per_label[0] == pairs(f.ints("top_frac"), 0, 3));
  REQUIRE(set.per_label[1] == pairs(f.ints("top_frac"), 3, 3));
  REQUIRE(set.merged == pairs(f.ints("merged_frac"), 0, f.shape("merged_frac")[0]));
  // Default: top 10 of each ([P4]); 12 heads here, so at most 12 merged.
  set = icl::attention::select_in_context_heads(maps);
  REQUIRE(set.per_label[0].size() == 10);
  REQUIRE(set.merged.size() <= 12);
}

TEST_CASE("label_score_accumulator: mean head scores per label over prompts and workers", "[attention][in_context]") {
  const icl_test::fixture_file f(fixture_name);
  const std::vector<icl::attention::head_map> maps = label_maps(f);
  icl::attention::label_score_accumulator a(2), b(2);
  a.add(0, maps[0]);
  a.add(1, maps[1]);
  b.add(0, maps[1]);
  b.add(1, maps[1]);
  b.add(1, maps[1]);
  a.merge(b);
  REQUIRE(a.prompts(0) == 2);
  REQUIRE(a.prompts(1) == 3);
  REQUIRE(a.labels() == 2);
  const auto means = a.result();
  const std::size_t cells = maps[0].values.size();  // L * H
  std::vector<double> expected0(cells);
  for (std::size_t i = 0; i < cells; ++i) expected0[i] = (maps[0].values[i] + maps[1].values[i]) / 2.0;
  icl_test::require_close<double>(means[0].values, expected0);
  icl_test::require_close<double>(means[1].values, maps[1].values);
  // The means feed the selection; equal to selecting on the maps themselves for label 1.
  const auto set = icl::attention::select_in_context_heads(means);
  REQUIRE(set.per_label[1] == icl::attention::select_in_context_heads({maps[1]}).per_label[0]);
  // Merging an accumulator into itself doubles its counts and keeps its means.
  a.merge(a);
  REQUIRE(a.prompts(1) == 6);
  icl_test::require_close<double>(a.result()[1].values, maps[1].values);
}

TEMPLATE_TEST_CASE("bias measures match numpy", "[attention][in_context]", float, double) {
  const icl_test::fixture_file f(fixture_name);
  const auto gap = icl::attention::majority_label_gap(f.ints("balanced"), f.ints("reduced"));
  icl_test::require_close<double>({gap.gap}, f.values("gap"));
  REQUIRE(gap.balanced - gap.reduced == gap.gap);
  const auto& os = f.shape("orders");
  std::vector<std::vector<int>> orders(os[0]);
  const auto flat = f.ints("orders");
  for (std::size_t r = 0; r < os[0]; ++r) {
    orders[r].assign(flat.begin() + static_cast<std::ptrdiff_t>(r * os[1]),
                     flat.begin() + static_cast<std::ptrdiff_t>((r + 1) * os[1]));
  }
  icl_test::require_close<double>({icl::attention::order_accuracy_std(orders)}, f.values("order_std0"));
  icl_test::require_close<double>({icl::attention::order_accuracy_std(orders, 1)}, f.values("order_std1"));
  const auto& ls = f.shape("label_att");
  for (const auto& M : icl_test::all_layouts<TestType>(f.values("label_att"), ls[0], ls[1])) {
    icl_test::require_close<TestType>(icl::attention::label_attention_std(M.view), f.values("att_std0"));
    icl_test::require_close<TestType>(icl::attention::label_attention_std(M.view, 1), f.values("att_std1"));
  }
}

TEST_CASE("in-context head analyses: bad input", "[attention][in_context]") {
  const std::size_t V = 5, d = 4;
  std::vector<double> Ev(V * d), Ov(3 * d), h(d, 1.0), x(d, 0.5), zeros(d, 0.0);
  for (std::size_t k = 0; k < Ev.size(); ++k) Ev[k] = 0.1 * static_cast<double>(k % 7) - 0.2;
  for (std::size_t k = 0; k < Ov.size(); ++k) Ov[k] = 0.05 * static_cast<double>(k) - 0.3;
  const auto E = icl::make_matrix_view(Ev.data(), V, d);
  const auto O = icl::make_matrix_view(Ov.data(), 3, d);

  SECTION("logprob_increase with final_hidden") {
    using icl::attention::logprob_increase;
    REQUIRE_NOTHROW(logprob_increase(E, 4, x, O, h));
    REQUIRE_THROWS_WITH(logprob_increase(E, 5, x, O, h),
                        Contains("icl::attention::logprob_increase: token_b = 5 must be < |V| = 5"));
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, O, std::vector<double>(3, 1.0)),
                        Contains("icl::attention::logprob_increase: final_hidden has 3 entries, expected d = 4"));
    std::vector<double> hbad = h;
    hbad[2] = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, O, hbad),
                        Contains("icl::attention::logprob_increase: final_hidden[2] is inf"));
    logit_lens_params no_eps;
    no_eps.norm.epsilon = 0.0;
    REQUIRE_THROWS_AS(logprob_increase(E, 0, x, O, zeros, no_eps), icl::error);
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, O, zeros, no_eps),
                        Contains("icl::attention::logprob_increase: mean(final_hidden^2) + epsilon = 0"));
    // The overload without final_hidden cannot compute the default fixed_final form.
    REQUIRE_THROWS_AS(logprob_increase(E, 0, x, O), icl::invalid_argument);
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, O),
                        Contains("icl::attention::logprob_increase: params.scale = fixed_final (the default"));
    REQUIRE_THROWS_WITH(icl::attention::logprob_change(E, 0, x, O),
                        Contains("icl::attention::logprob_change: params.scale = fixed_final"));
    logit_lens_params bad_scale;
    bad_scale.scale = static_cast<normalizer>(7);
    REQUIRE_THROWS_WITH(logprob_increase(E, 0, x, O, h, bad_scale),
                        Contains("icl::attention::logprob_increase: params.scale = 7 is not an icl::attention::normalizer"));
  }

  SECTION("head_logprob_increase") {
    using icl::attention::head_logprob_increase;
    std::vector<double> Xv(2 * d, 0.3), OHv(2 * 3 * d, 0.1);
    const auto X = icl::make_matrix_view(Xv.data(), 2, d);
    const auto OH = icl::make_tensor_view<double, 3>(OHv.data(), {2, 3, d});
    REQUIRE_NOTHROW(head_logprob_increase(E, {0, 4}, X, OH, h));
    REQUIRE_THROWS_WITH(head_logprob_increase(E, {0, 5}, X, OH, h),
                        Contains("icl::attention::head_logprob_increase: label_tokens[1] = 5 must be < |V| = 5"));
    REQUIRE_THROWS_WITH(head_logprob_increase(E, {}, X, OH, h),
                        Contains("icl::attention::head_logprob_increase: label_tokens is empty"));
    REQUIRE_THROWS_WITH(head_logprob_increase(E, {0}, icl::make_matrix_view(Xv.data(), 1, d), OH, h),
                        Contains("icl::attention::head_logprob_increase: X has 1 rows but O has 2 layers"));
    REQUIRE_THROWS_WITH(head_logprob_increase(E, {0}, icl::make_matrix_view(Xv.data(), 2, 3), OH, h),
                        Contains("icl::attention::head_logprob_increase: X has 3 columns but E has d = 4"));
    REQUIRE_THROWS_WITH(head_logprob_increase(E, {0}, X, icl::make_tensor_view<double, 3>(OHv.data(), {2, 4, 3}), h),
                        Contains("icl::attention::head_logprob_increase: O has width 3 but E has d = 4"));
  }

  SECTION("value_output_vectors and head_outputs") {
    using icl::attention::head_outputs;
    using icl::attention::value_output_vectors;
    const std::size_t H = 4, T = 3, dh = 2, dm = 5;
    std::vector<double> Av(H * T * T, 1.0 / 3.0), Vv(2 * T * dh, 0.5), Wv(dm * H * dh, 0.2);
    const auto A = icl::make_tensor_view<double, 3>(Av.data(), {H, T, T});
    const auto Vt = icl::make_tensor_view<double, 3>(Vv.data(), {2, T, dh});
    const auto W = icl::make_matrix_view(Wv.data(), dm, H * dh);
    REQUIRE_NOTHROW(value_output_vectors(A, Vt, W, 3));
    REQUIRE_THROWS_WITH(value_output_vectors(A, Vt, W, 4),
                        Contains("icl::attention::value_output_vectors: head = 4 must be < heads = 4"));
    const auto V3 = icl::make_tensor_view<double, 3>(Vv.data(), {3, T, 1});
    REQUIRE_THROWS_WITH(value_output_vectors(A, V3, icl::make_matrix_view(Wv.data(), dm, H), 0),
                        Contains("icl::attention::value_output_vectors: heads = 4 is not a multiple of kv_heads = 3"));
    REQUIRE_THROWS_WITH(head_outputs(A, V3, icl::make_matrix_view(Wv.data(), dm, H)),
                        Contains("icl::attention::head_outputs: heads = 4 is not a multiple of kv_heads = 3"));
    REQUIRE_THROWS_WITH(value_output_vectors(icl::make_tensor_view<double, 3>(Av.data(), {H, T, 2}), Vt, W, 0),
                        Contains("icl::attention::value_output_vectors: A is [4, 3, 2], not [heads, T, T]"));
    REQUIRE_THROWS_WITH(value_output_vectors(A, icl::make_tensor_view<double, 3>(Vv.data(), {2, 2, dh}), W, 0),
                        Contains("icl::attention::value_output_vectors: V has 2 positions but A has T = 3"));
    REQUIRE_THROWS_WITH(value_output_vectors(A, Vt, icl::make_matrix_view(Wv.data(), dm, 7), 0),
                        Contains("icl::attention::value_output_vectors: W_O has 7 columns but heads * d_head = 4 * 2 = 8"));
    icl::attention::value_output_params far;
    far.query = 3;
    REQUIRE_THROWS_WITH(value_output_vectors(A, Vt, W, 0, far),
                        Contains("icl::attention::value_output_vectors: params.query = 3 must be < T = 3"));
    std::vector<double> Abad = Av;
    Abad[(1 * T + 2) * T + 1] = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_THROWS_WITH(value_output_vectors(icl::make_tensor_view<double, 3>(Abad.data(), {H, T, T}), Vt, W, 1),
                        Contains("icl::attention::value_output_vectors: A (1, 2, 1) is nan"));
  }

  SECTION("select_in_context_heads and label_logit_minus") {
    using icl::attention::select_in_context_heads;
    icl::attention::head_map m;
    m.layers = 2;
    m.heads = 2;
    m.values = {0.1, 0.4, 0.3, 0.2};
    icl::attention::head_selection_params params;
    params.top_k = 2;
    REQUIRE_NOTHROW(select_in_context_heads({m, m}, params));
    REQUIRE_THROWS_WITH(select_in_context_heads({}, params),
                        Contains("icl::attention::select_in_context_heads: no head map was given"));
    icl::attention::head_map other = m;
    other.heads = 4;
    other.layers = 1;
    REQUIRE_THROWS_WITH(select_in_context_heads({m, other}, params),
                        Contains("icl::attention::select_in_context_heads: scores[1] is 1 x 4 but scores[0] is 2 x 2"));
    params.top_k = 5;
    REQUIRE_THROWS_WITH(select_in_context_heads({m}, params),
                        Contains("icl::attention::select_in_context_heads: params.top_k = 5 exceeds the 4 heads"));
    params.top_k = 0;
    REQUIRE_THROWS_WITH(select_in_context_heads({m}, params),
                        Contains("icl::attention::select_in_context_heads: params.top_k = 0"));
    params.fraction = 1.5;
    REQUIRE_THROWS_WITH(select_in_context_heads({m}, params),
                        Contains("icl::attention::select_in_context_heads: params.fraction = 1.5 must be in [0, 1]"));
    icl::attention::head_map nan = m;
    nan.values[3] = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_THROWS_WITH(select_in_context_heads({nan}),
                        Contains("icl::attention::select_in_context_heads: score of layer 1, head 1 is NaN"));
    using icl::attention::label_logit_minus;
    REQUIRE_NOTHROW(label_logit_minus(O, E, 0, 1, {0}, {2}, h));
    REQUIRE_THROWS_WITH(label_logit_minus(O, E, 0, 5, {0}, {2}, h),
                        Contains("icl::attention::label_logit_minus: token_b = 5 must be < |V| = 5"));
    REQUIRE_THROWS_WITH(label_logit_minus(O, E, 0, 1, {0}, {3}, h),
                        Contains("icl::attention::label_logit_minus: positions_b[0] = 3 must be < T = 3"));
    REQUIRE_THROWS_WITH(label_logit_minus(O, E, 0, 1, {}, {1}, h),
                        Contains("icl::attention::label_logit_minus: positions_a has 0 and positions_b 1 entries"));
  }

  SECTION("label_score_accumulator") {
    icl::attention::head_map m;
    m.layers = 2;
    m.heads = 2;
    m.values = {0.1, 0.4, 0.3, 0.2};
    REQUIRE_THROWS_WITH(icl::attention::label_score_accumulator(0),
                        Contains("icl::attention::label_score_accumulator: labels = 0"));
    icl::attention::label_score_accumulator acc(2);
    REQUIRE_THROWS_WITH(acc.result(), Contains("icl::attention::label_score_accumulator::result: label 0 received no prompt"));
    REQUIRE_THROWS_WITH(acc.add(2, m), Contains("icl::attention::label_score_accumulator::add: label = 2 must be < labels = 2"));
    acc.add(0, m);
    icl::attention::head_map other = m;
    other.layers = 1;
    other.heads = 4;
    REQUIRE_THROWS_WITH(acc.add(1, other),
                        Contains("icl::attention::label_score_accumulator::add: scores are 1 x 4 but earlier ones were 2 x 2"));
    icl::attention::head_map inf = m;
    inf.values[2] = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(acc.add(1, inf),
                        Contains("icl::attention::label_score_accumulator::add: score of layer 1, head 0 is inf"));
    REQUIRE_THROWS_WITH(acc.merge(icl::attention::label_score_accumulator(3)),
                        Contains("icl::attention::label_score_accumulator::merge: the accumulators have 2 and 3 labels"));
  }

  SECTION("bias measures") {
    using icl::attention::label_attention_std;
    using icl::attention::majority_label_gap;
    using icl::attention::order_accuracy_std;
    REQUIRE_THROWS_WITH(majority_label_gap({}, {1}),
                        Contains("icl::attention::majority_label_gap: balanced_correct is empty"));
    REQUIRE_THROWS_WITH(majority_label_gap({1, 0}, {1, 2}),
                        Contains("icl::attention::majority_label_gap: reduced_correct[1] = 2 is not 0 or 1"));
    REQUIRE_THROWS_WITH(order_accuracy_std({{1, 0}}, 1),
                        Contains("icl::attention::order_accuracy_std: correct_by_order has 1 orders; ddof = 1"));
    REQUIRE_THROWS_WITH(order_accuracy_std({{1, 0}, {}}),
                        Contains("icl::attention::order_accuracy_std: correct_by_order[1] is empty"));
    REQUIRE_THROWS_WITH(order_accuracy_std({{1, 0}, {1, -1}}),
                        Contains("icl::attention::order_accuracy_std: correct_by_order[1][1] = -1 is not 0 or 1"));
    std::vector<double> att = {0.1, 0.2, 0.3, std::numeric_limits<double>::quiet_NaN()};
    REQUIRE_THROWS_WITH(label_attention_std(icl::make_matrix_view(att.data(), 2, 2)),
                        Contains("icl::attention::label_attention_std: attention (1, 1) is nan"));
    REQUIRE_THROWS_WITH(label_attention_std(icl::make_matrix_view(att.data(), 1, 2), 1),
                        Contains("icl::attention::label_attention_std: attention has 1 rows (orders); ddof = 1"));
    REQUIRE_THROWS_WITH(label_attention_std(icl::make_matrix_view(att.data(), 2, 0)),
                        Contains("icl::attention::label_attention_std: attention has no column"));
  }
}
