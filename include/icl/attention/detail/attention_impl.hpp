#ifndef ICL_ATTENTION_DETAIL_ATTENTION_IMPL_HPP
#define ICL_ATTENTION_DETAIL_ATTENTION_IMPL_HPP

/// Kernels shared by the attention metrics: the result type, argument checks and row readers.
/// Every reader walks the caller's [layers, heads, T, T] tensor through its strides and widens
/// the elements it needs to double one at a time: no copy of the tensor is ever made.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/core/widen.hpp"

namespace icl::attention {

/// One value per (layer, head), row-major [layers, heads].
///
/// attention_ratio also fills zero_denominator (one flag per value, 1 where the irrelevant-key
/// mass was exactly zero and the value was set to +inf) and zero_denominator_count; the other
/// metrics leave zero_denominator empty.
struct head_map {
  std::size_t layers = 0;
  std::size_t heads = 0;
  std::vector<double> values;                    ///< values[layer * heads + head]
  std::vector<unsigned char> zero_denominator;   ///< ratio only: 1 where the denominator was zero
  std::size_t zero_denominator_count = 0;        ///< ratio only: number of flags set

  double operator()(std::size_t layer, std::size_t head) const { return values[layer * heads + head]; }
  /// True when the value at (layer, head) is +inf because its denominator was zero.
  bool undefined(std::size_t layer, std::size_t head) const {
    return !zero_denominator.empty() && zero_denominator[layer * heads + head] != 0;
  }
};

/// Options shared by the attention metrics.
struct attention_params {
  /// When true, every full row that is read (ratio: the source rows; induction and label
  /// attention: row T-1) must sum to 1 within row_sum_tolerance. Off by default (attention
  /// exported after head masking or with sink tokens need not sum to one).
  bool check_row_sums = false;
  double row_sum_tolerance = 1e-3;
};

namespace detail {

using icl::detail::checked_mul;
using icl::f16;
using icl::detail::static_check_element;
using icl::detail::throw_invalid;
using icl::detail::to_double;

/// The shape of one prompt's attention with its strides, and element access as double.
template <class T>
struct attention_shape {
  const T* data;
  std::size_t layers, heads, tokens;
  std::ptrdiff_t s_layer, s_head, s_query, s_key;

  const T* row(std::size_t l, std::size_t h, std::size_t q) const noexcept {
    return data + static_cast<std::ptrdiff_t>(l) * s_layer + static_cast<std::ptrdiff_t>(h) * s_head +
           static_cast<std::ptrdiff_t>(q) * s_query;
  }
  double at(const T* row_ptr, std::size_t k) const noexcept {
    return to_double(row_ptr[static_cast<std::ptrdiff_t>(k) * s_key]);
  }
};

/// Checks the tensor (non-empty, square T x T maps, non-null data) and returns its shape.
template <class T>
attention_shape<T> check_attention(const char* function, const tensor_view<const T, 4>& A, std::size_t min_tokens = 1) {
  static_check_element<T>();
  const std::size_t L = A.extent(0), H = A.extent(1), Tq = A.extent(2), Tk = A.extent(3);
  if (Tq != Tk) throw_invalid(function, "attention maps must be square (T x T), got ", Tq, " x ", Tk);
  if (L == 0 || H == 0) throw_invalid(function, "attention has ", L, " layer(s) and ", H, " head(s); need at least one of each");
  if (Tq < min_tokens) throw_invalid(function, "attention has T = ", Tq, " positions, need at least ", min_tokens);
  checked_mul(function, checked_mul(function, L, H, "layers x heads"), checked_mul(function, Tq, Tk, "T x T"), "attention size");
  if (A.data() == nullptr) throw_invalid(function, "attention has a null data pointer");
  return attention_shape<T>{A.data(), L, H, Tq, A.stride(0), A.stride(1), A.stride(2), A.stride(3)};
}

/// One layer [heads, T, T] seen as [1, heads, T, T].
template <class T>
tensor_view<const T, 4> as_one_layer(const tensor_view<const T, 3>& A) noexcept {
  return tensor_view<const T, 4>(A.data(), {1, A.extent(0), A.extent(1), A.extent(2)},
                                 {0, A.stride(0), A.stride(1), A.stride(2)});
}

/// Checks a set of positions: non-empty, each < T, no repeats.
inline void check_positions(const char* function, const char* name, const std::vector<std::size_t>& positions,
                            std::size_t tokens) {
  if (positions.empty()) throw_invalid(function, name, " is empty");
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] >= tokens) {
      throw_invalid(function, name, "[", i, "] = ", positions[i], " must be < T = ", tokens);
    }
  }
  std::vector<std::size_t> sorted(positions);
  std::sort(sorted.begin(), sorted.end());
  const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) throw_invalid(function, name, " holds position ", *dup, " more than once");
}

template <class T>
[[noreturn]] void throw_non_finite(const char* function, const attention_shape<T>& s, std::size_t l, std::size_t h,
                                   std::size_t q, std::size_t k, double v) {
  throw_invalid(function, "attention (layer ", l, ", head ", h, ", query ", q, ", key ", k, ") is ", v,
                " (NaN/Inf not allowed)");
  (void)s;
}

/// Reads the full row q of head (l, h) once: checks it is finite, not all zero and (optionally)
/// sums to one. Returns nothing; the callers then read the columns they need.
template <class T>
void check_full_row(const char* function, const attention_shape<T>& s, std::size_t l, std::size_t h, std::size_t q,
                    const attention_params& params) {
  const T* r = s.row(l, h, q);
  double sum = 0.0;
  bool any_nonzero = false;
  for (std::size_t k = 0; k < s.tokens; ++k) {
    const double v = s.at(r, k);
    if (!(v - v == 0.0)) throw_non_finite(function, s, l, h, q, k, v);
    if (v != 0.0) any_nonzero = true;
    sum += v;
  }
  if (!any_nonzero) {
    throw_invalid(function, "attention row of layer ", l, ", head ", h, ", query position ", q, " is all zero");
  }
  if (params.check_row_sums && !(std::abs(sum - 1.0) <= params.row_sum_tolerance)) {
    throw_invalid(function, "attention row of layer ", l, ", head ", h, ", query position ", q, " sums to ", sum,
                  ", not 1 within ", params.row_sum_tolerance);
  }
}

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

/// A head map of the shape of `s` with every value 0.
template <class Shape>
head_map zero_head_map(const Shape& s) {
  head_map out;
  out.layers = s.layers;
  out.heads = s.heads;
  out.values.assign(s.layers * s.heads, 0.0);
  return out;
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

/// Elements a call must read before its heads are spread over threads.
inline constexpr std::size_t parallel_attention_work = std::size_t{1} << 22;

/// Runs body(unit) for unit in [0, units), in parallel when `parallel`; when calls throw,
/// rethrows the exception of the smallest unit, so that the error named does not depend on the
/// thread count.
template <class Body>
void for_each_head(std::size_t units, bool parallel, Body&& body) {
  std::vector<std::exception_ptr> failures(units);
  const auto guarded = [&](std::size_t unit) {
    try {
      body(unit);
    } catch (...) {
      failures[unit] = std::current_exception();
    }
  };
  if (parallel) {
    icl::detail::parallel_for(0, units, guarded);
  } else {
    for (std::size_t unit = 0; unit < units; ++unit) {
      guarded(unit);
      if (failures[unit]) break;  // later units cannot name an earlier head
    }
  }
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

template <class T>
head_map attention_ratio_impl(const char* function, const tensor_view<const T, 4>& A,
                              const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                              const std::vector<std::size_t>& irrelevant, bool normalize,
                              const attention_params& params) {
  const auto s = check_attention(function, A);
  check_positions(function, "sources", sources, s.tokens);
  check_positions(function, "relevant", relevant, s.tokens);
  check_positions(function, "irrelevant", irrelevant, s.tokens);
  head_map out = zero_head_map(s);
  out.zero_denominator.assign(s.layers * s.heads, 0);
  const double nr = normalize ? static_cast<double>(relevant.size()) : 1.0;
  const double ni = normalize ? static_cast<double>(irrelevant.size()) : 1.0;
  using C = icl::detail::compute_t<T>;
  const key_masks<C> masks(s.tokens, relevant, irrelevant);
  // One unit per (layer, head): |sources| rows of T values. Small totals (the last-token ratio
  // reads one row per head) run on the calling thread: there, starting threads costs more than
  // the reading.
  const std::size_t work = sources.size() * s.tokens * s.layers * s.heads;
  for_each_head(s.layers * s.heads, work >= parallel_attention_work, [&](std::size_t unit) {
    const std::size_t l = unit / s.heads, h = unit % s.heads;
    thread_local std::vector<C> buffer;
    buffer.resize(s.tokens);
    const auto [relevant_mass, irrelevant_mass] =
        head_masses(function, s, l, h, sources, relevant, irrelevant, masks, buffer, params);
    const double den = irrelevant_mass / ni;
    if (den == 0.0) {
      out.values[unit] = std::numeric_limits<double>::infinity();
      out.zero_denominator[unit] = 1;
    } else {
      out.values[unit] = (relevant_mass / nr) / den;
    }
  });
  out.zero_denominator_count = static_cast<std::size_t>(
      std::count(out.zero_denominator.begin(), out.zero_denominator.end(), static_cast<unsigned char>(1)));
  return out;
}

template <class T>
head_map previous_token_impl(const char* function, const tensor_view<const T, 4>& A) {
  const auto s = check_attention(function, A, 2);
  head_map out = zero_head_map(s);
  for (std::size_t l = 0; l < s.layers; ++l) {
    for (std::size_t h = 0; h < s.heads; ++h) {
      double total = 0.0;
      for (std::size_t k = 1; k < s.tokens; ++k) {
        const double v = s.at(s.row(l, h, k), k - 1);
        if (!(v - v == 0.0)) throw_non_finite(function, s, l, h, k, k - 1, v);
        total += v;
      }
      out.values[l * s.heads + h] = total;
    }
  }
  return out;
}

template <class T>
head_map induction_impl(const char* function, const tensor_view<const T, 4>& A,
                        const std::vector<std::size_t>& label_positions, const attention_params& params) {
  const auto s = check_attention(function, A);
  check_positions(function, "label_positions", label_positions, s.tokens);
  const std::vector<std::size_t> last{s.tokens - 1};
  head_map out = zero_head_map(s);
  for (std::size_t l = 0; l < s.layers; ++l) {
    for (std::size_t h = 0; h < s.heads; ++h) {
      check_full_row(function, s, l, h, s.tokens - 1, params);
      out.values[l * s.heads + h] = mass(s, l, h, last, label_positions);
    }
  }
  return out;
}

/// The state of the summing accumulators: per-(layer, head) sums over prompts, fed a whole
/// prompt at a time (add) or one layer of a prompt at a time (add_layer: an inference engine's
/// per-layer callback), with the number of prompts each layer received.
///
/// Rules: the first add or add_layer fixes the number of heads; a whole prompt must have the
/// accumulated number of layers (once known); add_layer may name any layer, growing the layer
/// count. merge adds another state of the same shape. Flags (zero_denominator) are OR-ed.
class layered_sum {
 public:
  bool empty() const noexcept { return counts_.empty(); }

  /// Adds a whole prompt's map.
  void add(const char* function, const head_map& prompt) {
    if (!empty() && (prompt.layers != sum_.layers || prompt.heads != sum_.heads)) throw_shape(function, prompt);
    add_rows(function, prompt, 0);
  }

  /// Adds a one-layer map as layer `layer`.
  void add_layer(const char* function, std::size_t layer, const head_map& one_layer) {
    if (!empty() && one_layer.heads != sum_.heads) {
      throw_invalid(function, "layer ", layer, " has ", one_layer.heads, " heads, the accumulated layers have ",
                    sum_.heads);
    }
    add_rows(function, one_layer, layer);
  }

  void merge(const char* function, const layered_sum& other) {
    if (other.empty()) return;
    if (empty()) {
      *this = other;
      return;
    }
    if (other.sum_.layers != sum_.layers || other.sum_.heads != sum_.heads) throw_shape(function, other.sum_);
    add_rows(function, other.sum_, 0);  // counts one prompt per layer; replace it by other's counts
    for (std::size_t l = 0; l < counts_.size(); ++l) counts_[l] = counts_[l] - 1 + other.counts_[l];
  }

  /// Prompts received by each layer.
  const std::vector<std::size_t>& layer_prompts() const noexcept { return counts_; }

  /// The number of prompts: the most any layer received (all layers agree when whole prompts
  /// are added).
  std::size_t prompts() const noexcept {
    return counts_.empty() ? 0 : *std::max_element(counts_.begin(), counts_.end());
  }

  /// The sums; icl::invalid_argument when nothing was added or a layer received nothing.
  const head_map& total(const char* function) const {
    check_complete(function);
    return sum_;
  }

  /// The sums divided by each layer's prompt count.
  head_map mean(const char* function) const {
    check_complete(function);
    head_map out = sum_;
    for (std::size_t l = 0; l < out.layers; ++l) {
      for (std::size_t h = 0; h < out.heads; ++h) out.values[l * out.heads + h] /= static_cast<double>(counts_[l]);
    }
    return out;
  }

 private:
  [[noreturn]] void throw_shape(const char* function, const head_map& b) const {
    throw_invalid(function, "shape ", b.layers, " layers x ", b.heads, " heads does not match the accumulated ",
                  sum_.layers, " x ", sum_.heads);
  }

  void check_complete(const char* function) const {
    if (empty()) throw_invalid(function, "no prompt was added");
    for (std::size_t l = 0; l < counts_.size(); ++l) {
      if (counts_[l] == 0) {
        throw_invalid(function, "layer ", l, " received no attention (", counts_.size(),
                      " layers known; add_layer must feed every layer)");
      }
    }
  }

  /// Adds the rows of `part` into layers [first, first + part.layers), growing as needed.
  void add_rows(const char* function, const head_map& part, std::size_t first) {
    (void)function;
    const std::size_t H = part.heads, end = first + part.layers;
    if (empty()) sum_.heads = H;
    if (end > sum_.layers) {
      sum_.values.resize(end * H, 0.0);
      if (!sum_.zero_denominator.empty()) sum_.zero_denominator.resize(end * H, 0);
      sum_.layers = end;
      counts_.resize(end, 0);
    }
    for (std::size_t i = 0; i < part.layers * H; ++i) sum_.values[first * H + i] += part.values[i];
    if (!part.zero_denominator.empty()) {
      if (sum_.zero_denominator.empty()) sum_.zero_denominator.assign(sum_.values.size(), 0);
      for (std::size_t i = 0; i < part.layers * H; ++i) {
        sum_.zero_denominator[first * H + i] =
            static_cast<unsigned char>(sum_.zero_denominator[first * H + i] | part.zero_denominator[i]);
      }
    }
    sum_.zero_denominator_count = static_cast<std::size_t>(
        std::count(sum_.zero_denominator.begin(), sum_.zero_denominator.end(), static_cast<unsigned char>(1)));
    for (std::size_t l = first; l < end; ++l) ++counts_[l];
  }

  head_map sum_;
  std::vector<std::size_t> counts_;
};

}  // namespace detail
}  // namespace icl::attention

#endif  // ICL_ATTENTION_DETAIL_ATTENTION_IMPL_HPP
