// The device head scores' per-head arithmetic (icl/cuda/detail/attention_heads.hpp) run on the
// CPU over every head as the kernels run it on the device, and the host's decisions on its
// results (attention_results.hpp), against icl::attention.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/cuda/detail/attention_heads.hpp"
#include "icl/cuda/detail/attention_results.hpp"

namespace {

namespace cd = icl::cuda::detail;

template <class T>
cd::attention_layout layout_of(const icl::tensor_view<const T, 4>& A) {
  return {A.extent(0), A.extent(1), A.extent(2), A.stride(0), A.stride(1), A.stride(2), A.stride(3)};
}

// The kernels' reader on the host: an element at an offset, and a lane's step of V keys.
template <class T>
struct host_reader {
  static constexpr std::size_t V = cd::keys_per_step(sizeof(T));
  const T* data;
  std::ptrdiff_t s_key;
  double operator()(std::ptrdiff_t offset) const { return icl::detail::to_double(data[offset]); }
  void operator()(std::ptrdiff_t row, std::size_t base, std::size_t count, double* v) const {
    cd::read_keys(s_key, row, base, count, v, *this);
  }
};

// One warp's result as the kernels take it: each lane's part, then the warp's tree.
template <class Lane>
auto warp(Lane lane) {
  using Part = decltype(lane(0u));
  Part parts[cd::attention_lanes];
  for (unsigned i = 0; i < cd::attention_lanes; ++i) parts[i] = lane(i);
  return cd::lane_tree(parts);
}

// previous_token_kernel over every head.
template <class T>
std::vector<cd::head_sum> previous_token_all_heads(const icl::tensor_view<const T, 4>& A) {
  const auto s = layout_of(A);
  const host_reader<T> read{A.data(), s.s_key};
  std::vector<cd::head_sum> out;
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    out.push_back(warp([&](unsigned lane) { return cd::previous_token_lane(s, head, lane, read); }));
  }
  return out;
}

// last_row_kernel over every head: the scans of rows T-1 and the per-class sums ([heads, classes],
// NaN for a failing head).
struct last_rows {
  std::vector<cd::row_scan> rows;
  std::vector<double> values;
};
template <class T>
last_rows last_row_all_heads(const icl::tensor_view<const T, 4>& A, const cd::class_runs& runs,
                             const icl::attention::attention_params& params) {
  const auto s = layout_of(A);
  const host_reader<T> read{A.data(), s.s_key};
  const std::size_t C = runs.first.size() - 1;
  last_rows out{{}, std::vector<double>(s.layers * s.heads * C, -1.0)};
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    const std::ptrdiff_t row = s.row(head, s.tokens - 1);
    const auto part = warp([&](unsigned lane) { return cd::row_lane<host_reader<T>::V>(s, row, nullptr, lane, read); });
    out.rows.push_back(part.scan);
    for (std::size_t c = 0; c < C; ++c) {
      const double total = warp([&](unsigned lane) {
        return cd::keys_lane(s, row, runs.keys.data(), runs.first[c], runs.first[c + 1], lane, read);
      });
      out.values[head * C + c] = cd::checked_row_value(total, part.scan, s.tokens, cd::row_check_of(params));
    }
  }
  return out;
}

// Every head's induction score as the kernel computes it, then the host's decisions as
// icl::cuda::induction_score takes them (the first head with a bad row raises).
template <class T>
std::vector<double> induction_all_heads(const icl::tensor_view<const T, 4>& A, const std::vector<std::size_t>& keys,
                                        const icl::attention::attention_params& params = {}) {
  const auto r = last_row_all_heads(A, cd::one_class_runs(keys), params);
  return cd::induction_map("icl::attention::induction_score", layout_of(A), r.rows.data(), r.values.data(), params)
      .values;
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
  auto enc = icl::detail::encode_labels("icl::attention::label_attention", labels, keys.size(), 1, "label_positions");
  auto r = last_row_all_heads(A, cd::keys_by_class(keys, enc.codes, enc.n_classes()), params);
  return cd::label_attention_map_of("icl::attention::label_attention", layout_of(A), r.rows.data(),
                                    std::move(enc.classes), std::move(r.values), params);
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

// attention_ratio's two kernels over every (head, source row) and every head.
template <class T>
std::vector<cd::ratio_head> ratio_heads(const icl::tensor_view<const T, 4>& A, const std::vector<std::size_t>& sources,
                                        const std::vector<std::size_t>& relevant,
                                        const std::vector<std::size_t>& irrelevant,
                                        const icl::attention::attention_params& params) {
  const auto s = layout_of(A);
  const host_reader<T> read{A.data(), s.s_key};
  const auto mask = cd::key_mask(s.tokens, relevant, irrelevant);
  const std::size_t n = sources.size();
  std::vector<cd::row_part> rows;
  for (std::size_t unit = 0; unit < s.layers * s.heads * n; ++unit) {
    const std::ptrdiff_t row = s.row(unit / n, sources[unit % n]);
    rows.push_back(warp([&](unsigned lane) { return cd::row_lane<host_reader<T>::V>(s, row, mask.data(), lane, read); }));
  }
  std::vector<cd::ratio_head> heads;
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    heads.push_back(warp([&](unsigned lane) {
      return cd::ratio_lane(rows.data() + head * n, n, s.tokens, cd::row_check_of(params), lane);
    }));
  }
  return heads;
}

// attention_ratio as the device computes it: every head's masses, then the host's map.
template <class T>
icl::attention::head_map ratio_all_heads(const icl::tensor_view<const T, 4>& A, const std::vector<std::size_t>& sources,
                                         const std::vector<std::size_t>& relevant,
                                         const std::vector<std::size_t>& irrelevant, bool normalize,
                                         const icl::attention::attention_params& params) {
  const auto heads = ratio_heads(A, sources, relevant, irrelevant, params);
  return cd::ratio_map("icl::attention::attention_ratio", layout_of(A), heads.data(), sources, relevant.size(),
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
    // What attention_ratio_async writes: the same values, +inf included.
    const auto heads = ratio_heads(A, sources, relevant, irrelevant, {});
    const double nr = normalize ? 3.0 : 1.0, ni = normalize ? 2.0 : 1.0;
    for (std::size_t i = 0; i < got.values.size(); ++i) CHECK(cd::ratio_value(heads[i], 2, nr, ni) == got.values[i]);
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

// Every score of [2, 3, 300, 300] normalised random rows (many lane steps, a tail that is no
// multiple of 32·V; values with every bit used), contiguous and with the last two axes transposed
// (keys strided, V single reads): the same bits in both layouts, the CPU's values to double
// rounding (the ratio: to the CPU's float row sums), and the values the _async kernels write.
template <class T>
void check_long_rows() {
  const std::size_t L = 2, H = 3, n = 300;
  std::vector<T> data(L * H * n * n), transposed(data.size());
  std::mt19937 engine(7);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (std::size_t row = 0; row < L * H * n; ++row) {
    std::vector<float> v(n);
    float total = 0.0f;
    for (float& x : v) total += (x = uniform(engine));
    for (std::size_t k = 0; k < n; ++k) data[row * n + k] = T(v[k] / total);
  }
  for (std::size_t m = 0; m < L * H; ++m) {
    for (std::size_t q = 0; q < n; ++q) {
      for (std::size_t k = 0; k < n; ++k) transposed[(m * n + k) * n + q] = data[(m * n + q) * n + k];
    }
  }
  const std::array<std::size_t, 4> shape{L, H, n, n};
  const auto A = icl::make_tensor_view(data.data(), shape);
  const auto At = icl::make_tensor_view(transposed.data(), shape,
                                        std::array<std::ptrdiff_t, 4>{static_cast<std::ptrdiff_t>(H * n * n),
                                                                      static_cast<std::ptrdiff_t>(n * n), 1,
                                                                      static_cast<std::ptrdiff_t>(n)});
  const auto close = [](double got, double expected, double relative) {
    CHECK(std::abs(got - expected) <= relative * std::abs(expected));
  };

  const auto previous = previous_token_all_heads(A), previous_t = previous_token_all_heads(At);
  const auto previous_cpu = icl::attention::previous_token_score(A);
  for (std::size_t i = 0; i < previous.size(); ++i) {
    CHECK(previous[i].total == previous_t[i].total);
    close(previous[i].total, previous_cpu.values[i], 1e-13);
    CHECK(cd::previous_token_value(previous[i], n) == previous[i].total);
  }

  std::vector<std::size_t> keys;
  std::vector<int> labels;
  for (std::size_t k = 299; k >= 3; k -= 3) {
    keys.push_back(k);
    labels.push_back(static_cast<int>(k % 4));
  }
  icl::attention::attention_params strict;
  strict.check_row_sums = true;
  strict.row_sum_tolerance = 1e-3;
  const auto induction = last_row_all_heads(A, cd::one_class_runs(keys), strict);
  CHECK(induction.values == last_row_all_heads(At, cd::one_class_runs(keys), strict).values);
  const auto induction_cpu = icl::attention::induction_score(A, keys, strict);
  for (std::size_t i = 0; i < induction.values.size(); ++i) close(induction.values[i], induction_cpu.values[i], 1e-13);

  const auto labelled = label_attention_all_heads(A, keys, labels, strict);
  const auto labelled_cpu = icl::attention::label_attention(A, keys, labels, strict);
  CHECK(labelled.classes == labelled_cpu.classes);
  for (std::size_t i = 0; i < labelled.values.size(); ++i) close(labelled.values[i], labelled_cpu.values[i], 1e-13);

  std::vector<std::size_t> sources, relevant, irrelevant;
  for (std::size_t q = 0; q < n; q += 7) sources.push_back(n - 1 - q);
  for (std::size_t k = 0; k < n; ++k) (k % 5 == 1 ? relevant : irrelevant).push_back(k);
  relevant.push_back(0);  // a key in both sets
  const auto heads = ratio_heads(A, sources, relevant, irrelevant, strict);
  const auto heads_t = ratio_heads(At, sources, relevant, irrelevant, strict);
  const auto ratio = ratio_all_heads(A, sources, relevant, irrelevant, true, strict);
  const auto ratio_cpu = icl::attention::attention_ratio(A, sources, relevant, irrelevant, true, strict);
  const double nr = static_cast<double>(relevant.size()), ni = static_cast<double>(irrelevant.size());
  for (std::size_t i = 0; i < heads.size(); ++i) {
    CHECK((heads[i].relevant == heads_t[i].relevant && heads[i].irrelevant == heads_t[i].irrelevant));
    CHECK(heads[i].bad_source == sources.size());
    close(ratio.values[i], ratio_cpu.values[i], 1e-5);
    CHECK(cd::ratio_value(heads[i], sources.size(), nr, ni) == ratio.values[i]);
  }

  // The values of failing heads: NaN (a NaN element; a row that does not sum to 1).
  data[(1 * n + 5) * n + 4] = T(std::numeric_limits<float>::quiet_NaN());  // head (0, 1), query 5
  data[(4 * n + n - 1) * n + 2] = T(0.5f);                                 // head (1, 1), row T-1
  const auto previous_bad = previous_token_all_heads(A);
  CHECK(std::isnan(cd::previous_token_value(previous_bad[1], n)));
  CHECK(cd::previous_token_value(previous_bad[0], n) == previous[0].total);
  const auto induction_bad = last_row_all_heads(A, cd::one_class_runs(keys), strict);
  CHECK(std::isnan(induction_bad.values[4]));
  CHECK(induction_bad.values[3] == induction.values[3]);
}

// Rows whose scan gives the "sums to" error through the stand-in row of raise_row_errors: a
// non-zero row that sums to 0, and (double) a row whose sum is beyond the double range.
template <class T>
void check_row_sum_messages() {
  std::vector<T> data{T(0.25f), T(0.75f), T(0.5f), T(-0.5f)};
  if constexpr (std::is_same_v<T, double>) {
    data[2] = data[3] = std::numeric_limits<double>::max();
  }
  const auto A = icl::make_tensor_view(data.data(), std::array<std::size_t, 4>{1, 1, 2, 2});
  icl::attention::attention_params strict;
  strict.check_row_sums = true;
  std::string cpu;
  try {
    icl::attention::induction_score(A, {0}, strict);
  } catch (const icl::invalid_argument& e) {
    cpu = e.what();
  }
  CHECK_THAT(cpu, Catch::Matchers::Contains(std::is_same_v<T, double> ? "sums to inf" : "sums to 0,"));
  CHECK_THROWS_WITH(induction_all_heads(A, {0}, strict), cpu);
  CHECK_NOTHROW(induction_all_heads(A, {0}, {}));
}

}  // namespace

TEMPLATE_TEST_CASE("the device attention arithmetic equals icl::attention", "[cuda]", float, double, icl::f16,
                   icl::bf16) {
  SECTION("previous_token_score") { check_previous_token<TestType>(); }
  SECTION("induction_score") { check_induction<TestType>(); }
  SECTION("label_attention") { check_label_attention<TestType>(); }
  SECTION("attention_ratio") { check_ratio<TestType>(); }
  SECTION("long rows, strided keys, the _async values") { check_long_rows<TestType>(); }
  SECTION("row-sum messages") { check_row_sum_messages<TestType>(); }
}

// Every lane's share of a row, a subdiagonal and a list of positions: each element read exactly
// once across the 32 lanes, for every T up to 300 and every step width V.
template <std::size_t V>
void check_coverage() {
  for (std::size_t T = 1; T <= 300; T += (T < 70 ? 1 : 23)) {
    const cd::attention_layout s{1, 1, T, 0, 0, static_cast<std::ptrdiff_t>(T), 1};
    std::vector<int> row_reads(T, 0), diagonal_reads(T * T, 0), key_reads(T, 0);
    std::vector<std::size_t> keys(T);
    for (std::size_t i = 0; i < T; ++i) keys[i] = T - 1 - i;
    for (unsigned lane = 0; lane < cd::attention_lanes; ++lane) {
      const auto count_row = [&](std::ptrdiff_t row, std::size_t base, std::size_t count, double* v) {
        for (std::size_t j = 0; j < count; ++j) {
          ++row_reads[static_cast<std::size_t>(row) + base + j];
          v[j] = 0.0;
        }
      };
      static_cast<void>(cd::row_lane<V>(s, 0, nullptr, lane, count_row));
      static_cast<void>(cd::previous_token_lane(s, 0, lane, [&](std::ptrdiff_t offset) {
        return static_cast<double>(++diagonal_reads[static_cast<std::size_t>(offset)]);
      }));
      static_cast<void>(cd::keys_lane(s, 0, keys.data(), 0, T, lane, [&](std::ptrdiff_t offset) {
        return static_cast<double>(++key_reads[static_cast<std::size_t>(offset)]);
      }));
    }
    INFO("T = " << T << ", V = " << V);
    CHECK(std::count(row_reads.begin(), row_reads.end(), 1) == static_cast<std::ptrdiff_t>(T));
    CHECK(std::count(key_reads.begin(), key_reads.end(), 1) == static_cast<std::ptrdiff_t>(T));
    std::size_t wrong = 0;
    for (std::size_t q = 0; q < T; ++q) {
      for (std::size_t k = 0; k < T; ++k) wrong += diagonal_reads[q * T + k] == (q >= 1 && k == q - 1 ? 1 : 0) ? 0 : 1;
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("the lanes read every element once", "[cuda]") {
  check_coverage<2>();
  check_coverage<4>();
  check_coverage<8>();
}

TEST_CASE("label positions grouped by class, and the key masks", "[cuda]") {
  const auto runs = cd::keys_by_class({9, 4, 7, 1, 3}, {2, 0, 2, 0, 1}, 4);
  CHECK(runs.keys == std::vector<std::size_t>{4, 1, 3, 9, 7});
  CHECK(runs.first == std::vector<std::size_t>{0, 2, 3, 5, 5});
  CHECK(cd::key_mask(5, {1, 3}, {3, 0}) == std::vector<unsigned char>{2, 1, 0, 3, 0});
}
