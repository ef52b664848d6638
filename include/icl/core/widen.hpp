#ifndef ICL_CORE_WIDEN_HPP
#define ICL_CORE_WIDEN_HPP

/// Widening of a contiguous run of elements to float, at the speed of memory.
///
/// f16 → float is the hot loop of every metric that streams half-precision activations or
/// attention. Converted one element at a time (Eigen::half's portable bit manipulation) it runs
/// at about 1 element per ns, far below memory bandwidth; x86-64 processors since 2012 convert
/// 8 halves per instruction (F16C, VCVTPH2PS). widen_to_float uses that instruction when the
/// processor has it — detected once at run time, so that the library needs no -march flag — and
/// the portable conversion otherwise. bf16 → float is a 16-bit shift, which compilers vectorize.
/// The results are identical either way (the conversion is exact).
/// benchmarks/attention/bench_attention.cpp measures the difference (widen/f16 portable vs F16C).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "icl/core/view.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define ICL_HAS_F16C_DISPATCH 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define ICL_HAS_F16C_DISPATCH 0
#endif

namespace icl::detail {

/// f16 → float one element at a time (portable).
inline void widen_f16_portable(const f16* source, std::size_t count, float* destination) noexcept {
  for (std::size_t i = 0; i < count; ++i) destination[i] = static_cast<float>(source[i]);
}

#if ICL_HAS_F16C_DISPATCH
/// f16 → float with VCVTPH2PS, 8 elements per instruction. Call only when has_f16c() is true.
__attribute__((target("avx,f16c"))) inline void widen_f16_f16c(const f16* source, std::size_t count,
                                                                float* destination) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i halves = _mm_loadu_si128(reinterpret_cast<const __m128i*>(source + i));
    _mm256_storeu_ps(destination + i, _mm256_cvtph_ps(halves));
  }
  widen_f16_portable(source + i, count - i, destination + i);
}

/// Whether this processor has F16C (and the AVX it needs, with the operating system's support);
/// asked once. F16C is CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports has no "f16c").
inline bool has_f16c() noexcept {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __builtin_cpu_supports("avx") && __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 29)) != 0;
  }();
  return has;
}
#else
inline bool has_f16c() noexcept { return false; }
#endif

/// Converts source[0, count) to float into destination[0, count). T: float, double, f16, bf16.
template <class T>
void widen_to_float(const T* source, std::size_t count, float* destination) noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>) {
    std::memcpy(destination, source, count * sizeof(float));
  } else if constexpr (std::is_same_v<U, f16>) {
#if ICL_HAS_F16C_DISPATCH
    if (has_f16c()) {
      widen_f16_f16c(source, count, destination);
      return;
    }
#endif
    widen_f16_portable(source, count, destination);
  } else if constexpr (std::is_same_v<U, bf16>) {
    // bf16 is the upper half of a float: shift its bits into place.
    static_assert(sizeof(bf16) == sizeof(std::uint16_t));
    for (std::size_t i = 0; i < count; ++i) {
      std::uint16_t bits;
      std::memcpy(&bits, source + i, sizeof bits);
      const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
      std::memcpy(destination + i, &wide, sizeof wide);
    }
  } else {
    for (std::size_t i = 0; i < count; ++i) destination[i] = static_cast<float>(source[i]);
  }
}

}  // namespace icl::detail

#endif  // ICL_CORE_WIDEN_HPP
