#ifndef ICL_ATTENTION_DETAIL_ROW_SUMS_HPP
#define ICL_ATTENTION_DETAIL_ROW_SUMS_HPP

/// The reading kernels of the attention ratio: the masses of one head's source rows on the
/// relevant and the irrelevant keys. Each source row is read once, widened to the compute type
/// when needed (in registers with F16C for contiguous f16 rows), and reduced against 0/1 masks of
/// both key sets in one vectorized pass; a suspicious row sends the head to the exact
/// element-by-element path of attention_checks.hpp.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "icl/attention/detail/attention_checks.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/view.hpp"
#include "icl/core/widen.hpp"

namespace icl::attention::detail {

using icl::f16;

/// Sum over q in sources and k in keys of A[l, h, q, k].
template <class T>
double mass(const attention_shape<T>& s, std::size_t l, std::size_t h, const std::vector<std::size_t>& sources,
            const std::vector<std::size_t>& keys) {
  double total = 0.0;
  for (std::size_t q : sources) {
    const T* r = s.row(l, h, q);
    for (std::size_t k : keys) total += s.at(r, k);
  }
  return total;
}

/// Row q of head (l, h) in the compute type C (float for float/f16/bf16, double for double):
/// the row itself when its keys are contiguous in C, else widened into `buffer` (T values).
template <class C, class T>
const C* row_as_compute(const attention_shape<T>& s, std::size_t l, std::size_t h, std::size_t q,
                        std::vector<C>& buffer) {
  const T* r = s.row(l, h, q);
  if (s.s_key == 1) {
    if constexpr (std::is_same_v<std::remove_cv_t<T>, C>) {
      return r;
    } else {
      icl::detail::widen_to_float(r, s.tokens, buffer.data());
      return buffer.data();
    }
  }
  for (std::size_t k = 0; k < s.tokens; ++k) buffer[k] = static_cast<C>(s.at(r, k));
  return buffer.data();
}

/// The key sets of attention_ratio as 0/1 weights over the T keys, in the compute type C.
template <class C>
struct key_masks {
  std::vector<C> relevant, irrelevant;
  key_masks(std::size_t tokens, const std::vector<std::size_t>& relevant_keys,
            const std::vector<std::size_t>& irrelevant_keys)
      : relevant(tokens, C(0)), irrelevant(tokens, C(0)) {
    for (std::size_t k : relevant_keys) relevant[k] = C(1);
    for (std::size_t k : irrelevant_keys) irrelevant[k] = C(1);
  }
};

/// One row's masses on the two key sets, and whether any value is nonzero.
template <class C>
struct row_masses {
  C relevant = 0, irrelevant = 0;
  bool any_nonzero = false;
};

#if defined(__GNUC__) || defined(__clang__)
/// 16-byte vectors of C and of its bit pattern (GCC/Clang vector extensions; 16 bytes is what
/// every x86-64 and AArch64 target has, so the compiler never splits them into scalars).
template <class C>
struct simd_of;
template <>
struct simd_of<float> {
  typedef float values __attribute__((vector_size(16)));
  typedef std::uint32_t bits __attribute__((vector_size(16)));
};
template <>
struct simd_of<double> {
  typedef double values __attribute__((vector_size(16)));
  typedef std::uint64_t bits __attribute__((vector_size(16)));
};
#endif

/// Sums row[k] · mask[k] for both masks and ORs the magnitude bits of every value, in one pass
/// over the row. A NaN or Inf anywhere in the row makes a sum non-finite (x · 0 is NaN for them),
/// which is how the caller notices one without a separate check. The sums are taken in vector
/// lanes (a reassociation that compilers may not do on their own without -ffast-math):
/// benchmarks/attention measures this loop against the streaming-read limit.
template <class C>
row_masses<C> masked_row_sums(const C* row, const key_masks<C>& masks, std::size_t count) noexcept {
  using bits_t = std::conditional_t<sizeof(C) == 4, std::uint32_t, std::uint64_t>;
  constexpr bits_t magnitude = static_cast<bits_t>(~bits_t{0}) >> 1;
  const C* rel = masks.relevant.data();
  const C* irr = masks.irrelevant.data();
  row_masses<C> out;
  bits_t any_bits = 0;
  std::size_t k = 0;
#if defined(__GNUC__) || defined(__clang__)
  using V = typename simd_of<C>::values;
  using B = typename simd_of<C>::bits;
  constexpr std::size_t width = sizeof(V) / sizeof(C);
  // Four independent partial sums (named, so that they stay in registers at -O2): the adds of
  // one block do not wait on each other.
  V sum_r0{}, sum_r1{}, sum_r2{}, sum_r3{}, sum_i0{}, sum_i1{}, sum_i2{}, sum_i3{};
  B any0{}, any1{}, any2{}, any3{};
  const auto step = [&](std::size_t at, V& sum_r, V& sum_i, B& any) {
    V v, r, i;
    std::memcpy(&v, row + at, sizeof v);
    std::memcpy(&r, rel + at, sizeof r);
    std::memcpy(&i, irr + at, sizeof i);
    sum_r += v * r;
    sum_i += v * i;
    B bits;
    std::memcpy(&bits, &v, sizeof bits);
    any |= bits;
  };
  for (; k + 4 * width <= count; k += 4 * width) {
    step(k, sum_r0, sum_i0, any0);
    step(k + width, sum_r1, sum_i1, any1);
    step(k + 2 * width, sum_r2, sum_i2, any2);
    step(k + 3 * width, sum_r3, sum_i3, any3);
  }
  const V sum_r = (sum_r0 + sum_r1) + (sum_r2 + sum_r3), sum_i = (sum_i0 + sum_i1) + (sum_i2 + sum_i3);
  const B any = (any0 | any1) | (any2 | any3);
  for (std::size_t j = 0; j < width; ++j) {
    out.relevant += sum_r[j];
    out.irrelevant += sum_i[j];
    any_bits |= static_cast<bits_t>(any[j]);
  }
#endif
  const C* row_rest = row + k;
  const C* rel_rest = rel + k;
  const C* irr_rest = irr + k;
  for (std::size_t j = 0; j < count - k; ++j) {
    const C v = row_rest[j];
    out.relevant += v * rel_rest[j];
    out.irrelevant += v * irr_rest[j];
    bits_t b;
    std::memcpy(&b, &v, sizeof b);
    any_bits |= b;
  }
  out.any_nonzero = (any_bits & magnitude) != 0;
  return out;
}

#if ICL_HAS_F16C_DISPATCH
/// masked_row_sums straight from a contiguous f16 row, widened in registers (VCVTPH2PS) rather
/// than through a buffer: one pass over the row instead of two. Call only when has_f16c().
__attribute__((target("avx,f16c"))) inline row_masses<float> masked_row_sums_f16c(const f16* row,
                                                                                  const key_masks<float>& masks,
                                                                                  std::size_t count) noexcept {
  const float* rel = masks.relevant.data();
  const float* irr = masks.irrelevant.data();
  __m256 sum_r0 = _mm256_setzero_ps(), sum_r1 = _mm256_setzero_ps();
  __m256 sum_i0 = _mm256_setzero_ps(), sum_i1 = _mm256_setzero_ps();
  __m256 any = _mm256_setzero_ps();
  std::size_t k = 0;
  for (; k + 16 <= count; k += 16) {
    const __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k)));
    const __m256 v1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k + 8)));
    sum_r0 = _mm256_add_ps(sum_r0, _mm256_mul_ps(v0, _mm256_loadu_ps(rel + k)));
    sum_r1 = _mm256_add_ps(sum_r1, _mm256_mul_ps(v1, _mm256_loadu_ps(rel + k + 8)));
    sum_i0 = _mm256_add_ps(sum_i0, _mm256_mul_ps(v0, _mm256_loadu_ps(irr + k)));
    sum_i1 = _mm256_add_ps(sum_i1, _mm256_mul_ps(v1, _mm256_loadu_ps(irr + k + 8)));
    any = _mm256_or_ps(any, _mm256_or_ps(v0, v1));
  }
  alignas(32) float lanes_r[8], lanes_i[8], lanes_any[8];
  _mm256_store_ps(lanes_r, _mm256_add_ps(sum_r0, sum_r1));
  _mm256_store_ps(lanes_i, _mm256_add_ps(sum_i0, sum_i1));
  _mm256_store_ps(lanes_any, any);
  row_masses<float> out;
  std::uint32_t any_bits = 0;
  for (std::size_t j = 0; j < 8; ++j) {
    out.relevant += lanes_r[j];
    out.irrelevant += lanes_i[j];
    std::uint32_t b;
    std::memcpy(&b, lanes_any + j, sizeof b);
    any_bits |= b;
  }
  for (; k < count; ++k) {
    const float v = static_cast<float>(row[k]);
    out.relevant += v * rel[k];
    out.irrelevant += v * irr[k];
    std::uint32_t b;
    std::memcpy(&b, &v, sizeof b);
    any_bits |= b;
  }
  out.any_nonzero = (any_bits & 0x7fffffffu) != 0;
  return out;
}
#endif

/// The masses of row q of head (l, h): straight from f16 with F16C when the keys are
/// contiguous, otherwise through row_as_compute and masked_row_sums.
template <class C, class T>
row_masses<C> source_row_masses(const attention_shape<T>& s, std::size_t l, std::size_t h, std::size_t q,
                                const key_masks<C>& masks, std::vector<C>& buffer) {
#if ICL_HAS_F16C_DISPATCH
  if constexpr (std::is_same_v<std::remove_cv_t<T>, f16>) {
    if (s.s_key == 1 && icl::detail::has_f16c()) return masked_row_sums_f16c(s.row(l, h, q), masks, s.tokens);
  }
#endif
  return masked_row_sums(row_as_compute<C>(s, l, h, q, buffer), masks, s.tokens);
}

/// The numerator and denominator masses of one head: sum over q in sources and j in the key set
/// of A[l, h, q, j]. Each source row is read once, as a whole (the checks need every value),
/// widened to the compute type when needed, and reduced against both key masks in one pass
/// (row sums in C, summed over rows in double). An all-zero row, a non-finite sum (NaN/Inf in
/// the row) or check_row_sums send the head to the exact path: check_full_row on every source
/// row in order — which throws the same error, naming the same first offending row and element,
/// as a plain scan — and, when all rows pass, masses summed element by element in double.
template <class T, class C>
std::pair<double, double> head_masses(const char* function, const attention_shape<T>& s, std::size_t l, std::size_t h,
                                      const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                                      const std::vector<std::size_t>& irrelevant, const key_masks<C>& masks,
                                      std::vector<C>& buffer, const attention_params& params) {
  double numerator = 0.0, denominator = 0.0;
  bool suspect = params.check_row_sums;
  for (std::size_t q : sources) {
    const row_masses<C> r = source_row_masses(s, l, h, q, masks, buffer);
    if (!r.any_nonzero || !(r.relevant - r.relevant == C(0)) || !(r.irrelevant - r.irrelevant == C(0))) suspect = true;
    numerator += static_cast<double>(r.relevant);
    denominator += static_cast<double>(r.irrelevant);
  }
  if (suspect) {
    for (std::size_t q : sources) check_full_row(function, s, l, h, q, params);
    return {mass(s, l, h, sources, relevant), mass(s, l, h, sources, irrelevant)};
  }
  return {numerator, denominator};
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_ROW_SUMS_HPP
