// The device head scores' per-head arithmetic (icl/cuda/detail/attention_heads.hpp) run on the
// CPU over every head as the kernels run it on the device, and the host's decisions on its
// results (attention_results.hpp), against icl::attention.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/cuda/detail/attention_heads.hpp"
#include "icl/cuda/detail/attention_results.hpp"

namespace {

template <class T>
icl::cuda::detail::attention_layout layout_of(const icl::tensor_view<const T, 4>& A) {
  return {A.extent(0), A.extent(1), A.extent(2), A.stride(0), A.stride(1), A.stride(2), A.stride(3)};
}

// Every head's result, as the kernel computes them.
template <class T>
std::vector<icl::cuda::detail::head_sum> previous_token_all_heads(const icl::tensor_view<const T, 4>& A) {
  const auto s = layout_of(A);
  const auto read = [&](std::ptrdiff_t offset) { return icl::detail::to_double(A.data()[offset]); };
  std::vector<icl::cuda::detail::head_sum> out;
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    out.push_back(icl::cuda::detail::previous_token_head(s, head, read));
  }
  return out;
}

// Every head's induction score as the kernel computes it, then the host's decisions as
// icl::cuda::induction_score takes them (the first head with a bad row raises).
template <class T>
std::vector<double> induction_all_heads(const icl::tensor_view<const T, 4>& A, const std::vector<std::size_t>& keys,
                                        const icl::attention::attention_params& params = {}) {
  const auto s = layout_of(A);
  const auto read = [&](std::ptrdiff_t offset) { return icl::detail::to_double(A.data()[offset]); };
  std::vector<icl::cuda::detail::induction_head> heads;
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    heads.push_back(icl::cuda::detail::induction_head_score(s, head, keys.data(), keys.size(), read));
  }
  return icl::cuda::detail::induction_map("icl::attention::induction_score", s, heads.data(), params).values;
}

// [2, 3, 5, 5] attention with distinct values, stored as T, and its transpose in the last two
// axes read through strides (a strided view of the same scores).
template <class T>
void check_previous_token() {
  const std::size_t L = 2, H = 3, n = 5;
  std::vector<T> data(L * H * n * n);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = T(static_cast<float>((i * 37) % 101) / 128.0f);
  const auto A = icl::make_tensor_view(data.data(), std::array<std::size_t, 4>{L, H, n, n});
  const auto At = icl::make_tensor_view(data.data(), std::array<std::size_t, 4>{L, H, n, n},
                                        std::array<std::ptrdiff_t, 4>{A.stride(0), A.stride(1), 1, 5});
  for (const auto& view : {A, At}) {
    const auto expected = icl::attention::previous_token_score(view);
    const auto got = previous_token_all_heads(view);
    REQUIRE(got.size() == expected.values.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].bad_query == n);
      CHECK(got[i].total == expected.values[i]);  // the same sum in the same order
    }
  }

  // A NaN: the first non-finite element per head, as the CPU error names it.
  data[((1 * H + 2) * n + 3) * n + 2] = T(std::numeric_limits<float>::quiet_NaN());
  const auto got = previous_token_all_heads(A);
  CHECK(got[1 * H + 2].bad_query == 3);
  CHECK(std::isnan(got[1 * H + 2].bad_value));
  CHECK(got[0].bad_query == n);
  CHECK_THROWS_WITH(icl::attention::previous_token_score(A),
                    Catch::Matchers::Contains("(layer 1, head 2, query 3, key 2) is nan"));
  std::string cpu;
  try {
    icl::attention::previous_token_score(A);
  } catch (const icl::invalid_argument& e) {
    cpu = e.what();
  }
  CHECK_THROWS_WITH(icl::cuda::detail::previous_token_map("icl::attention::previous_token_score", layout_of(A), got.data()),
                    cpu);
}

// Softmax-like rows (each sums to 1) in T, with the induction score at label positions {3, 0, 1}.
template <class T>
void check_induction() {
  const std::size_t L = 2, H = 2, n = 6;
  std::vector<T> data(L * H * n * n);
  for (std::size_t row = 0; row < L * H * n; ++row) {
    for (std::size_t k = 0; k < n; ++k) data[row * n + k] = T(static_cast<float>(1 + (row * 7 + k * 3) % 5) / 32.0f);
  }
  const std::vector<std::size_t> keys{3, 0, 1};
  const std::array<std::size_t, 4> shape{L, H, n, n};
  const auto A = icl::make_tensor_view(data.data(), shape);
  const auto At = icl::make_tensor_view(data.data(), shape, std::array<std::ptrdiff_t, 4>{A.stride(0), A.stride(1), 1, 6});
  for (const auto& view : {A, At}) {
    CHECK(induction_all_heads(view, keys) == icl::attention::induction_score(view, keys).values);
  }
  // The row-sum check (rows here do not sum to 1), an all-zero row and a NaN: the CPU errors,
  // from the first head in (layer, head) order.
  icl::attention::attention_params strict;
  strict.check_row_sums = true;
  const auto same_error = [&](const icl::attention::attention_params& params) {
    std::string cpu, device;
    try {
      icl::attention::induction_score(A, keys, params);
    } catch (const icl::invalid_argument& e) {
      cpu = e.what();
    }
    try {
      induction_all_heads(A, keys, params);
    } catch (const icl::invalid_argument& e) {
      device = e.what();
    }
    CHECK(!cpu.empty());
    CHECK(device == cpu);
  };
  same_error(strict);
  for (std::size_t k = 0; k < n; ++k) data[((1 * H + 0) * n + n - 1) * n + k] = T(0.0f);
  same_error({});
  data[((0 * H + 1) * n + n - 1) * n + 4] = T(std::numeric_limits<float>::infinity());
  same_error({});
}

// label_attention as the device computes it: every head's sums and row scan, then the host's map.
template <class T>
icl::attention::label_attention_map label_attention_all_heads(const icl::tensor_view<const T, 4>& A,
                                                              const std::vector<std::size_t>& keys,
                                                              const std::vector<int>& labels,
                                                              const icl::attention::attention_params& params = {}) {
  const auto s = layout_of(A);
  const auto read = [&](std::ptrdiff_t offset) { return icl::detail::to_double(A.data()[offset]); };
  auto enc = icl::detail::encode_labels("icl::attention::label_attention", labels, keys.size(), 1, "label_positions");
  const std::size_t C = enc.n_classes();
  std::vector<double> values(s.layers * s.heads * C, -1.0);
  std::vector<icl::cuda::detail::row_scan> rows;
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    rows.push_back(icl::cuda::detail::label_attention_head(s, head, keys.data(), enc.codes.data(), keys.size(), C,
                                                           values.data() + head * C, read));
  }
  return icl::cuda::detail::label_attention_map_of("icl::attention::label_attention", s, rows.data(),
                                                   std::move(enc.classes), std::move(values), params);
}

template <class T>
void check_label_attention() {
  const std::size_t L = 2, H = 3, n = 7;
  std::vector<T> data(L * H * n * n);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = T(static_cast<float>(1 + (i * 5) % 9) / 64.0f);
  const std::array<std::size_t, 4> shape{L, H, n, n};
  const auto A = icl::make_tensor_view(data.data(), shape);
  const std::vector<std::size_t> keys{1, 5, 3, 0};
  const std::vector<int> labels{7, -2, 7, 4};
  const auto expected = icl::attention::label_attention(A, keys, labels);
  const auto got = label_attention_all_heads(A, keys, labels);
  CHECK((got.layers == L && got.heads == H));
  CHECK(got.classes == expected.classes);
  CHECK(got.values == expected.values);
  // A NaN in row T-1 of head (1, 1): the CPU error.
  data[((1 * H + 1) * n + n - 1) * n + 6] = T(std::numeric_limits<float>::quiet_NaN());
  std::string cpu;
  try {
    icl::attention::label_attention(A, keys, labels);
  } catch (const icl::invalid_argument& e) {
    cpu = e.what();
  }
  CHECK(!cpu.empty());
  CHECK_THROWS_WITH(label_attention_all_heads(A, keys, labels), cpu);
}

// attention_ratio as the device computes it: every head's masses, then the host's map.
template <class T>
icl::attention::head_map ratio_all_heads(const icl::tensor_view<const T, 4>& A, const std::vector<std::size_t>& sources,
                                         const std::vector<std::size_t>& relevant,
                                         const std::vector<std::size_t>& irrelevant, bool normalize,
                                         const icl::attention::attention_params& params) {
  const auto s = layout_of(A);
  const auto read = [&](std::ptrdiff_t offset) { return icl::detail::to_double(A.data()[offset]); };
  const icl::cuda::detail::ratio_positions p{sources.data(),    sources.size(),        relevant.data(),
                                             relevant.size(),   irrelevant.data(),     irrelevant.size(),
                                             params.check_row_sums, params.row_sum_tolerance};
  std::vector<icl::cuda::detail::ratio_head> heads;
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    heads.push_back(icl::cuda::detail::ratio_head_masses(s, head, p, read));
  }
  return icl::cuda::detail::ratio_map("icl::attention::attention_ratio", s, heads.data(), sources, relevant.size(),
                                      irrelevant.size(), normalize, params);
}

// The ratio against the CPU's within the float row sums' rounding (the CPU sums each row in the
// compute type, float for float/f16/bf16; the device sums every element in double), flags
// equal; and the CPU errors.
template <class T>
void check_ratio() {
  const std::size_t L = 2, H = 3, n = 9;
  std::vector<T> data(L * H * n * n);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = T(static_cast<float>((i * 11) % 13) / 64.0f);
  const std::array<std::size_t, 4> shape{L, H, n, n};
  const auto A = icl::make_tensor_view(data.data(), shape);
  const std::vector<std::size_t> sources{8, 4}, relevant{1, 3, 5}, irrelevant{0, 2};
  for (std::size_t q : sources) {  // head (1, 1): no attention to the irrelevant keys, ratio +inf
    for (std::size_t k : irrelevant) data[((1 * H + 1) * n + q) * n + k] = T(0.0f);
  }
  for (bool normalize : {true, false}) {
    const auto expected = icl::attention::attention_ratio(A, sources, relevant, irrelevant, normalize);
    const auto got = ratio_all_heads(A, sources, relevant, irrelevant, normalize, {});
    CHECK(got.zero_denominator == expected.zero_denominator);
    CHECK(got.zero_denominator_count == expected.zero_denominator_count);
    CHECK(expected.zero_denominator_count == 1);
    for (std::size_t i = 0; i < got.values.size(); ++i) {
      if (std::isinf(expected.values[i])) {
        CHECK(got.values[i] == expected.values[i]);
      } else {
        CHECK(got.values[i] == Approx(expected.values[i]).epsilon(1e-6));
      }
    }
  }
  const auto same_error = [&](const icl::attention::attention_params& params) {
    std::string cpu;
    try {
      icl::attention::attention_ratio(A, sources, relevant, irrelevant, true, params);
    } catch (const icl::invalid_argument& e) {
      cpu = e.what();
    }
    CHECK(!cpu.empty());
    CHECK_THROWS_WITH(ratio_all_heads(A, sources, relevant, irrelevant, true, params), cpu);
  };
  icl::attention::attention_params strict;
  strict.check_row_sums = true;
  same_error(strict);
  for (std::size_t k = 0; k < n; ++k) data[((0 * H + 2) * n + 4) * n + k] = T(0.0f);  // head (0, 2), source 4
  same_error({});
  data[((1 * H + 0) * n + 8) * n + 7] = T(-std::numeric_limits<float>::infinity());  // later head: not named
  same_error({});
}

}  // namespace

TEMPLATE_TEST_CASE("the device attention arithmetic equals icl::attention", "[cuda]", float, double, icl::f16,
                   icl::bf16) {
  SECTION("previous_token_score") { check_previous_token<TestType>(); }
  SECTION("induction_score") { check_induction<TestType>(); }
  SECTION("label_attention") { check_label_attention<TestType>(); }
  SECTION("attention_ratio") { check_ratio<TestType>(); }
}
