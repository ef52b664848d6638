#ifndef ICL_CORE_RANDOM_HPP
#define ICL_CORE_RANDOM_HPP

/// A counter-based random generator (Philox4x32-10, Salmon et al., SC 2011).
///
/// The output is a pure function of (seed, stream, counter), so work item k of a parallel loop
/// draws from stream k and gets the same numbers whichever thread runs it and in whatever
/// order: results never depend on the number of threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "icl/config.hpp"

namespace icl {

class counter_rng {
 public:
  using result_type = std::uint64_t;

  /// The generator for `stream` under `seed`; distinct streams give independent sequences.
  constexpr counter_rng(std::uint64_t seed, std::uint64_t stream = 0) noexcept : seed_(seed), stream_(stream) {}

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return ~result_type{0}; }

  /// The next 64 random bits.
  result_type operator()() noexcept {
    if (available_ == 0) refill();
    return buffer_[--available_];
  }

  /// A uniform integer in [0, bound), without modulo bias. bound must be > 0.
  std::uint64_t uniform_below(std::uint64_t bound) noexcept {
    // Reject the lowest (2^64 mod bound) values so that every residue is equally likely.
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const std::uint64_t r = (*this)();
      if (r >= threshold) return r % bound;
    }
  }

  /// A uniform double in [0, 1) with 53 random bits.
  double uniform01() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// Fisher–Yates shuffle of [first, first + count).
  template <class It>
  void shuffle(It first, std::size_t count) noexcept {
    for (std::size_t i = count; i > 1; --i) {
      const auto j = static_cast<std::size_t>(uniform_below(i));
      auto tmp = first[i - 1];
      first[i - 1] = first[j];
      first[j] = tmp;
    }
  }

  /// A uniformly random permutation of 0..count-1.
  std::vector<std::size_t> permutation(std::size_t count) {
    std::vector<std::size_t> p(count);
    for (std::size_t i = 0; i < count; ++i) p[i] = i;
    shuffle(p.begin(), count);
    return p;
  }

 private:
  static constexpr std::uint32_t mul_hi_lo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi) noexcept {
    const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
    hi = static_cast<std::uint32_t>(product >> 32);
    return static_cast<std::uint32_t>(product);
  }

  /// Philox4x32 with 10 rounds on counter (stream, block) and key seed.
  void refill() noexcept {
    std::uint32_t c0 = static_cast<std::uint32_t>(block_);
    std::uint32_t c1 = static_cast<std::uint32_t>(block_ >> 32);
    std::uint32_t c2 = static_cast<std::uint32_t>(stream_);
    std::uint32_t c3 = static_cast<std::uint32_t>(stream_ >> 32);
    std::uint32_t k0 = static_cast<std::uint32_t>(seed_);
    std::uint32_t k1 = static_cast<std::uint32_t>(seed_ >> 32);
    for (int round = 0; round < 10; ++round) {
      std::uint32_t hi0 = 0;
      std::uint32_t hi1 = 0;
      const std::uint32_t lo0 = mul_hi_lo(0xD2511F53u, c0, hi0);
      const std::uint32_t lo1 = mul_hi_lo(0xCD9E8D57u, c2, hi1);
      const std::uint32_t n0 = hi1 ^ c1 ^ k0;
      const std::uint32_t n1 = lo1;
      const std::uint32_t n2 = hi0 ^ c3 ^ k1;
      const std::uint32_t n3 = lo0;
      c0 = n0;
      c1 = n1;
      c2 = n2;
      c3 = n3;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    ++block_;
    buffer_[0] = (static_cast<std::uint64_t>(c1) << 32) | c0;
    buffer_[1] = (static_cast<std::uint64_t>(c3) << 32) | c2;
    available_ = 2;
  }

  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t block_ = 0;
  std::array<std::uint64_t, 2> buffer_{};
  int available_ = 0;
};

}  // namespace icl

#endif  // ICL_CORE_RANDOM_HPP
