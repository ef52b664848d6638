// Test helpers for attention maps: typed copies of a [layers, heads, T, T] reference tensor in
// C order or in a permuted, padded layout, and position lists read from fixtures.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "icl/core/view.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace icl_test {

inline std::vector<std::size_t> positions(const fixture_file& f, const std::string& name) {
  std::vector<std::size_t> out;
  for (int v : f.ints(name)) out.push_back(static_cast<std::size_t>(v));
  return out;
}

template <class T>
using typed_attention = typed_tensor<T, 4>;

/// One prompt's attention converted to T, stored C order or permuted and padded: element
/// (l, h, q, k) at q * (L * T * (H + 1)) + l * (T * (H + 1)) + k * (H + 1) + h, so that no
/// dimension is contiguous and the padding holds garbage that must not be read.
template <class T>
typed_attention<T> make_attention(const std::vector<double>& a, std::size_t L, std::size_t H, std::size_t n,
                                  bool permuted) {
  if (!permuted) return c_order_tensor<T, 4>(a, {L, H, n, n});
  typed_attention<T> out;
  const std::size_t hp = H + 1;
  out.storage.assign(n * L * n * hp, static_cast<T>(-7.0));
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t h = 0; h < H; ++h)
      for (std::size_t q = 0; q < n; ++q)
        for (std::size_t k = 0; k < n; ++k)
          out.storage[q * (L * n * hp) + l * (n * hp) + k * hp + h] = static_cast<T>(a[((l * H + h) * n + q) * n + k]);
  const auto s = [](std::size_t v) { return static_cast<std::ptrdiff_t>(v); };
  out.view = icl::make_tensor_view<T, 4>(out.storage.data(), {L, H, n, n}, {s(n * hp), 1, s(L * n * hp), s(hp)});
  return out;
}

/// Prompt p's attention: the fixture record "p<p>_A" with its [L, H, T, T] shape.
template <class T>
typed_attention<T> prompt_attention(const fixture_file& f, int p, bool permuted) {
  const std::string name = "p" + std::to_string(p) + "_A";
  const auto& shape = f.shape(name);
  return make_attention<T>(f.values(name), shape[0], shape[1], shape[2], permuted);
}

/// The two terms of one prompt's attention ratio per (layer, head), summed straight from the
/// double reference tensor a ([L, H, n, n], C order): numerator = sum over sources q and relevant
/// keys j of a[l, h, q, j] (divided by |relevant| when normalize), denominator likewise over the
/// irrelevant keys. Added into `numerator` and `denominator` (L * H entries each).
inline void add_ratio_terms(const std::vector<double>& a, std::size_t L, std::size_t H, std::size_t n,
                            const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                            const std::vector<std::size_t>& irrelevant, bool normalize, std::vector<double>& numerator,
                            std::vector<double>& denominator) {
  numerator.resize(L * H, 0.0);
  denominator.resize(L * H, 0.0);
  for (std::size_t u = 0; u < L * H; ++u) {
    double rel = 0.0, irr = 0.0;
    for (std::size_t q : sources) {
      for (std::size_t j : relevant) rel += a[(u * n + q) * n + j];
      for (std::size_t j : irrelevant) irr += a[(u * n + q) * n + j];
    }
    numerator[u] += normalize ? rel / static_cast<double>(relevant.size()) : rel;
    denominator[u] += normalize ? irr / static_cast<double>(irrelevant.size()) : irr;
  }
}

template <class T>
using typed_tensor3 = typed_tensor<T, 3>;

/// A 3-D tensor [e0, e1, e2] (values in C order) converted to T, stored C order or permuted and
/// padded: element (i, j, k) at k * (e0 * (e1 + 1)) + i * (e1 + 1) + j, so that no dimension is
/// contiguous and the padding holds garbage that must not be read.
template <class T>
typed_tensor3<T> make_tensor3(const std::vector<double>& a, std::size_t e0, std::size_t e1, std::size_t e2,
                              bool permuted) {
  if (!permuted) return c_order_tensor<T, 3>(a, {e0, e1, e2});
  typed_tensor3<T> out;
  const std::size_t p1 = e1 + 1;
  out.storage.assign(e2 * e0 * p1, static_cast<T>(-7.0));
  for (std::size_t i = 0; i < e0; ++i)
    for (std::size_t j = 0; j < e1; ++j)
      for (std::size_t k = 0; k < e2; ++k) out.storage[k * (e0 * p1) + i * p1 + j] = static_cast<T>(a[(i * e1 + j) * e2 + k]);
  const auto s = [](std::size_t v) { return static_cast<std::ptrdiff_t>(v); };
  out.view = icl::make_tensor_view<T, 3>(out.storage.data(), {e0, e1, e2}, {s(p1), 1, s(e0 * p1)});
  return out;
}

/// Element-wise agreement within a relative tolerance `rel` (for f16/bf16 inputs, a bound of
/// their precision rather than tolerance<T>()).
inline void require_rel(const std::vector<double>& actual, const std::vector<double>& expected, double rel) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t k = 0; k < actual.size(); ++k) {
    INFO("index " << k);
    REQUIRE(actual[k] == Approx(expected[k]).epsilon(rel));
  }
}

}  // namespace icl_test
