#ifndef ICL_CORE_DETAIL_RADIX_SORT_HPP
#define ICL_CORE_DETAIL_RADIX_SORT_HPP

/// Radix sort of doubles with their positions: the sort behind the rank statistics (average
/// ranks, Kendall's pair counts) for long vectors.
///
/// Sorting m doubles is memory-bound: a least-significant-digit radix sort of (64-bit key,
/// position) pairs moves 8 passes × 16 bytes per element. This one moves at most 6 × 8 (at
/// m = 2·10⁶, 4 × 8):
///   1. Each double becomes an unsigned key with the same order (ordered_key). Its top
///      64 − p bits, p = the bits of the largest position, are packed with the position into one
///      64-bit word: (key >> p) << p | position.
///   2. The words are sorted on their top 64 − p bits only (passes of 11 bits, at most six;
///      radix_sort_words); a stable sort keeps equal truncated keys in position order, so the
///      order is by (truncated key, position).
///   3. Values whose truncated keys tie but whose full keys differ (they agree on the sign, the
///      exponent and the top mantissa bits) are put in order by a comparison sort of their run.
/// The result is the order of (value, position): exactly std::sort's order on those pairs.
/// At m = 2·10⁶ the sort takes about an eighth of the time of std::sort of (value, position)
/// pairs (docs/benchmarks.md, "Ranks").

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/detail/large_array.hpp"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define ICL_RADIX_STREAMING_STORES 1
#else
#define ICL_RADIX_STREAMING_STORES 0
#endif

namespace icl::detail {

/// An unsigned key with the order of the doubles: u(x) < u(y) exactly when x < y, and
/// u(x) == u(y) exactly when x == y, for every non-NaN x, y (±Inf included). -0.0 is mapped to
/// the key of +0.0, since the two compare equal. Flipping the sign bit of a non-negative double
/// and every bit of a negative one turns IEEE-754's sign-magnitude order into unsigned order.
inline std::uint64_t ordered_key(double value) noexcept {
  if (value == 0.0) value = 0.0;  // -0.0 → +0.0
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  constexpr std::uint64_t sign = std::uint64_t{1} << 63;
  return (bits & sign) != 0 ? ~bits : (bits | sign);
}

/// Below this many elements the callers use std::sort: the radix sort's fixed costs (the
/// histograms, two buffers of m words) would be most of the work.
inline constexpr std::size_t radix_sort_min_size = 4096;

/// From this many words a radix pass scatters through line buffers (scatter_through_lines),
/// where the processor has streaming stores (x86-64): copying the lines with plain stores
/// measured slower than the plain scatter.
inline constexpr std::size_t radix_buffered_min_size = std::size_t{1} << 16;
inline constexpr bool radix_streaming_stores = ICL_RADIX_STREAMING_STORES != 0;

/// One cache line of words, the buffer of one bucket in scatter_through_lines.
struct alignas(64) radix_line {
  std::uint64_t word[8];
};

/// Copies a full line to `to` (64-byte aligned). On x86-64 with streaming (non-temporal)
/// stores, which write the line to memory without first reading it into the cache; elsewhere
/// with plain stores.
inline void store_line(std::uint64_t* to, const radix_line& line) noexcept {
#if ICL_RADIX_STREAMING_STORES
  const auto* from = reinterpret_cast<const __m128i*>(line.word);
  auto* into = reinterpret_cast<__m128i*>(to);
  _mm_stream_si128(into, _mm_load_si128(from));
  _mm_stream_si128(into + 1, _mm_load_si128(from + 1));
  _mm_stream_si128(into + 2, _mm_load_si128(from + 2));
  _mm_stream_si128(into + 3, _mm_load_si128(from + 3));
#else
  std::memcpy(to, line.word, sizeof line.word);
#endif
}

/// Orders the streaming stores of store_line before the stores that follow.
inline void end_line_stores() noexcept {
#if ICL_RADIX_STREAMING_STORES
  _mm_sfence();
#endif
}

/// One pass of radix_sort_words: in[k] goes to to[offset[digit]++], digit = (in[k] >> shift) &
/// (buckets - 1), for k in order; `to` must be 64-byte aligned. With 2048 buckets a plain
/// scatter writes each word into a different cache line, one not in the cache (the bucket's
/// next line), which the core must first read. Here each bucket collects its words in a line
/// buffer (`lines`, one per bucket, in L2) and a full line, 64-byte aligned in `to`, goes out
/// whole (store_line). The words a bucket has before its first line boundary are stored
/// directly (that line is shared with the bucket before), and those after its last boundary are
/// copied from its buffer at the end. Two sorts of 2·10⁶ words side by side on the 2-core Xeon
/// of docs/benchmarks.md: 35 ms against 57 ms with the plain scatter; copying the full lines
/// with plain stores instead of streaming ones made spearman 37 % slower than this. The
/// streamed lines bypass the cache, so radix_sort_words scatters its last pass plainly: the
/// caller reads those words next (spearman 7 % faster than with every pass streamed).
template <std::size_t buckets>
void scatter_through_lines(const std::uint64_t* in, std::uint64_t* to, std::size_t m, unsigned shift,
                           std::array<std::uint32_t, buckets>& offset, std::vector<radix_line>& lines) {
  std::array<std::uint32_t, buckets> head_end;  // a bucket's first line boundary (or its end)
  for (std::size_t d = 0; d < buckets; ++d) {
    const std::uint32_t end = d + 1 < buckets ? offset[d + 1] : static_cast<std::uint32_t>(m);
    head_end[d] = std::min<std::uint32_t>(end, (offset[d] + 7U) & ~std::uint32_t{7});
  }
  for (std::size_t k = 0; k < m; ++k) {
    const std::uint64_t w = in[k];
    const std::size_t d = (w >> shift) & (buckets - 1);
    const std::uint32_t at = offset[d]++;
    if (at < head_end[d]) {
      to[at] = w;
      continue;
    }
    lines[d].word[at & 7U] = w;
    if ((at & 7U) == 7U) store_line(to + (at - 7U), lines[d]);
  }
  end_line_stores();
  for (std::size_t d = 0; d < buckets; ++d) {
    const std::uint32_t end = offset[d];
    for (std::uint32_t at = std::max(head_end[d], end & ~std::uint32_t{7}); at < end; ++at) to[at] = lines[d].word[at & 7U];
  }
}

/// Sorts the 64-bit words ascending on their bits [low_bit, 64), stably (words that agree on
/// those bits keep their order): least-significant digit first, 11 bits per pass, a pass
/// skipped when every word has the same digit. `scratch` is the other buffer of each pass
/// (resized to the words' size); the sorted words end up in `word` (the two arrays may be
/// swapped). Vector: std::vector<std::uint64_t> or large_array<std::uint64_t>.
/// 11-bit digits, not 8: on the 2-core Xeon of docs/benchmarks.md, 2·10⁶ words in buffers of
/// large_array took 35–40 ms in 4 passes of 11 bits against 45–60 ms in 6 passes of 8, and a
/// whole spearman 11 % less time. (An AMD EPYC slice measured before had favoured 8 bits: there
/// 2048 buckets scattered to more places than its cache and TLB held.) Counting the histograms
/// while the words are made, or having the first pass read the values instead of the words,
/// measured slower (by 11 % and 13 % of spearman's time).
template <class Vector>
void radix_sort_words(Vector& word, Vector& scratch, unsigned low_bit) {
  constexpr unsigned digit_bits = 11;
  constexpr std::size_t buckets = std::size_t{1} << digit_bits;
  const std::size_t m = word.size();
  if (m < 2 || low_bit >= 64) return;
  const unsigned passes = (64 - low_bit + digit_bits - 1) / digit_bits;
  scratch.resize(m);
  // The histograms of every digit, from one read of the words. Even and odd words count into
  // separate tables, added at the end: neighbouring words often share their high digits, and
  // one table would make each increment wait for the previous one to the same counter (the
  // whole sort of 2·10⁶ normal values, 8-bit digits: 15.5 ms with one table, 13.8 ms with two).
  std::vector<std::array<std::uint32_t, buckets>> count(passes), count_odd(passes);
  for (auto& c : count) c.fill(0);
  for (auto& c : count_odd) c.fill(0);
  const bool buffered = radix_streaming_stores && m >= radix_buffered_min_size &&
                        reinterpret_cast<std::uintptr_t>(scratch.data()) % 64 == 0 &&
                        reinterpret_cast<std::uintptr_t>(word.data()) % 64 == 0;
  std::vector<radix_line> lines(buffered ? buckets : 0);
  std::size_t k = 0;
  for (; k + 2 <= m; k += 2) {
    const std::uint64_t w0 = word[k], w1 = word[k + 1];
    for (unsigned p = 0; p < passes; ++p) {
      ++count[p][(w0 >> (low_bit + p * digit_bits)) & (buckets - 1)];
      ++count_odd[p][(w1 >> (low_bit + p * digit_bits)) & (buckets - 1)];
    }
  }
  for (; k < m; ++k) {
    for (unsigned p = 0; p < passes; ++p) ++count[p][(word[k] >> (low_bit + p * digit_bits)) & (buckets - 1)];
  }
  for (unsigned p = 0; p < passes; ++p) {
    for (std::size_t b = 0; b < buckets; ++b) count[p][b] += count_odd[p][b];
  }
  // A pass is skipped when every word has the same digit; the last pass that runs scatters
  // plainly, so that its words, which the caller reads next, stay in the cache.
  const auto skipped = [&](unsigned p) {
    return count[p][(word[0] >> (low_bit + p * digit_bits)) & (buckets - 1)] == m;
  };
  unsigned last_pass = passes;
  for (unsigned p = 0; p < passes; ++p) {
    if (!skipped(p)) last_pass = p;
  }
  for (unsigned p = 0; p < passes; ++p) {
    const unsigned shift = low_bit + p * digit_bits;  // the top digit may be narrower than 11 bits
    std::array<std::uint32_t, buckets>& offset = count[p];
    if (skipped(p)) continue;
    std::uint32_t running = 0;
    for (std::uint32_t& o : offset) {
      const std::uint32_t c = o;
      o = running;
      running += c;
    }
    const std::uint64_t* in = word.data();
    std::uint64_t* to = scratch.data();
    if (buffered && p != last_pass) {
      scatter_through_lines(in, to, m, shift, offset, lines);
    } else {
      for (std::size_t k = 0; k < m; ++k) {
        const std::uint64_t w = in[k];
        to[offset[(w >> shift) & (buckets - 1)]++] = w;
      }
    }
    word.swap(scratch);
  }
}

/// The ascending order of m values, as the words of sort_order: word[u] holds the position of
/// the u-th smallest value (ties in position order) in its low bits, position(u). `scratch` is
/// the sort's second buffer, free for the caller's use afterwards (m 64-bit words).
struct sorted_order {
  large_array<std::uint64_t> word;
  large_array<std::uint64_t> scratch;
  std::uint64_t position_mask = 0;

  std::uint32_t position(std::size_t u) const noexcept { return static_cast<std::uint32_t>(word[u] & position_mask); }
  bool same_truncated_key(std::size_t u, std::size_t v) const noexcept {
    return ((word[u] ^ word[v]) & ~position_mask) == 0;
  }
};

/// Sorts the positions 0..m-1 by value(t), a double (no NaN), ties by position, into `out`.
/// Requires 2 ≤ m < 2^32. value(t) is called once per position, and once more for the
/// positions whose truncated keys tie.
template <class Value>
void sort_order(std::size_t m, Value&& value, sorted_order& out) {
  unsigned position_bits = 1;
  while (position_bits < 32 && ((m - 1) >> position_bits) != 0) ++position_bits;
  out.position_mask = (std::uint64_t{1} << position_bits) - 1;
  out.word.resize(m);
  for (std::size_t t = 0; t < m; ++t) out.word[t] = (ordered_key(value(t)) & ~out.position_mask) | t;
  // Words that agree on the key bits are already in position order, and the sort is stable.
  radix_sort_words(out.word, out.scratch, position_bits);
  // A run of equal truncated keys whose full keys are not in order is sorted by (key, position)
  // and its words are written back in that order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> run;
  std::size_t first = 0;
  while (first < m) {
    std::size_t last = first + 1;
    while (last < m && out.same_truncated_key(first, last)) ++last;
    if (last - first > 1) {
      run.clear();
      bool in_order = true;
      for (std::size_t u = first; u < last; ++u) {
        run.emplace_back(ordered_key(value(out.position(u))), out.word[u]);
        in_order = in_order && (run.size() == 1 || run[run.size() - 2].first <= run.back().first);
      }
      if (!in_order) {
        std::sort(run.begin(), run.end());  // by key, then by word: by position (same high bits)
        for (std::size_t r = 0; r < run.size(); ++r) out.word[first + r] = run[r].second;
      }
    }
    first = last;
  }
}

/// Calls run(first, last) for each run [first, last) of equal values in `order` (made by
/// sort_order with the same value), in ascending order. Neighbours whose truncated keys differ
/// hold different values; where they tie, the values are compared.
template <class Value, class Run>
void for_each_run_of_equal_values(const sorted_order& order, std::size_t m, Value&& value, Run&& run) {
  std::size_t first = 0;
  while (first < m) {
    std::size_t last = first + 1;
    if (last < m && order.same_truncated_key(first, last)) {
      const double v = value(order.position(first));
      while (last < m && order.same_truncated_key(first, last) && value(order.position(last)) == v) ++last;
    }
    run(first, last);
    first = last;
  }
}

}  // namespace icl::detail

#undef ICL_RADIX_STREAMING_STORES

#endif  // ICL_CORE_DETAIL_RADIX_SORT_HPP
