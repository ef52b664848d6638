#ifndef ICL_CORE_DETAIL_KENDALL_HPP
#define ICL_CORE_DETAIL_KENDALL_HPP

/// Pair counts for Kendall's tau in O(m log m) (Knight, JASA 1966): put the pairs in (a, b)
/// order, then count the inversions of the b sequence (a merge sort counting exchanges for short
/// inputs, one pass per two bits of the ranks for long ones). All counts are exact 64-bit
/// integers.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "icl/core/detail/large_array.hpp"
#include "icl/core/detail/radix_sort.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/rank.hpp"

namespace icl::detail {

/// Merges the sorted ranges source[lo, mid) and source[mid, hi) into target[lo, hi) (stable)
/// and returns the inversions between them: pairs (left, right) with left > right.
/// Written without data-dependent branches in the main loop (the compiler emits conditional
/// moves): on random data a branch per element would be mispredicted half the time.
template <class T>
std::uint64_t merge_counting(const T* source, std::size_t lo, std::size_t mid, std::size_t hi, T* target) {
  std::uint64_t inversions = 0;
  std::size_t l = lo;
  std::size_t r = mid;
  std::size_t out = lo;
  while (l < mid && r < hi) {
    const T left = source[l];
    const T right = source[r];
    const auto take_right = static_cast<std::size_t>(right < left);  // 0 or 1
    target[out++] = take_right != 0 ? right : left;
    // A right element that jumps ahead passes every element left in the left run: all larger.
    inversions += static_cast<std::uint64_t>((mid - l) & (std::size_t{0} - take_right));
    r += take_right;
    l += 1 - take_right;
  }
  while (l < mid) target[out++] = source[l++];
  while (r < hi) target[out++] = source[r++];
  return inversions;
}

/// Sorts data[0..m) ascending with a stable merge sort and returns the number of inversions:
/// pairs t < u with data[t] > data[u] (equal values are not inversions). scratch must hold m
/// elements. Insertion sort on blocks of 16, then bottom-up merges alternating between the two
/// buffers; the result ends up in data.
template <class T>
std::uint64_t sort_counting_inversions(T* data, T* scratch, std::size_t m) {
  constexpr std::size_t block = 16;
  std::uint64_t inversions = 0;
  for (std::size_t lo = 0; lo < m; lo += block) {
    const std::size_t hi = std::min(lo + block, m);
    for (std::size_t i = lo + 1; i < hi; ++i) {
      const T v = data[i];
      std::size_t j = i;
      while (j > lo && v < data[j - 1]) {  // each shift moves v past one larger element
        data[j] = data[j - 1];
        --j;
        ++inversions;
      }
      data[j] = v;
    }
  }
  T* source = data;
  T* target = scratch;
  for (std::size_t width = block; width < m; width *= 2) {
    for (std::size_t lo = 0; lo < m; lo += 2 * width) {
      const std::size_t mid = std::min(lo + width, m);
      const std::size_t hi = std::min(lo + 2 * width, m);
      inversions += merge_counting(source, lo, mid, hi, target);
    }
    std::swap(source, target);
  }
  if (source != data) std::copy(source, source + m, data);
  return inversions;
}

/// Sorts the unsigned keys data[0..count) ascending, each below 2^key_bits: least-significant
/// digit radix sort, 11 bits per pass, O(passes (count + 2048)). scratch must hold count keys.
inline void radix_sort_keys(std::uint32_t* data, std::uint32_t* scratch, std::size_t count, unsigned key_bits) {
  constexpr unsigned digit_bits = 11;
  constexpr std::size_t buckets = std::size_t{1} << digit_bits;
  std::vector<std::size_t> offset(buckets);
  std::uint32_t* source = data;
  std::uint32_t* target = scratch;
  for (unsigned shift = 0; shift < key_bits; shift += digit_bits) {
    std::fill(offset.begin(), offset.end(), std::size_t{0});
    for (std::size_t k = 0; k < count; ++k) ++offset[(source[k] >> shift) & (buckets - 1)];
    std::size_t running = 0;
    for (std::size_t& o : offset) {
      const std::size_t c = o;
      o = running;
      running += c;
    }
    for (std::size_t k = 0; k < count; ++k) target[offset[(source[k] >> shift) & (buckets - 1)]++] = source[k];
    std::swap(source, target);
  }
  if (source != data) std::copy(source, source + count, data);
}

/// Sorts unsigned keys below 2^key_bits: std::sort for short ranges, radix sort for long ones.
inline void sort_keys(std::uint32_t* data, std::uint32_t* scratch, std::size_t count, unsigned key_bits) {
  if (count < 4096) {
    std::sort(data, data + count);
  } else {
    radix_sort_keys(data, scratch, count, key_bits);
  }
}

/// Merges the consecutive sorted runs [bounds[r], bounds[r+1]) of data into one sorted range,
/// pairwise and bottom-up (about log2(runs) passes), and returns the inversions between runs:
/// pairs in different runs, the earlier one larger. `bounds` holds the run starts followed by
/// the end (it is overwritten); scratch must hold as many elements as data.
template <class T>
std::uint64_t merge_runs_counting_inversions(T* data, T* scratch, std::vector<std::size_t>& bounds) {
  std::uint64_t inversions = 0;
  T* source = data;
  T* target = scratch;
  while (bounds.size() > 2) {
    const std::size_t runs = bounds.size() - 1;
    std::size_t kept = 0;
    for (std::size_t r = 0; r < runs; r += 2) {
      const std::size_t lo = bounds[r];
      if (r + 1 == runs) {  // an odd run out: carried over unchanged
        std::copy(source + lo, source + bounds[r + 1], target + lo);
        bounds[kept++] = lo;
        continue;
      }
      inversions += merge_counting(source, lo, bounds[r + 1], bounds[r + 2], target);
      bounds[kept++] = lo;
    }
    bounds[kept++] = bounds[runs];
    bounds.resize(kept);
    std::swap(source, target);
  }
  if (source != data && !bounds.empty()) {
    std::copy(source + bounds.front(), source + bounds.back(), data + bounds.front());
  }
  return inversions;
}

/// The bits that hold every value below `levels` (0 when levels <= 1: there is nothing to tell
/// apart).
inline unsigned bits_below(std::uint64_t levels) noexcept {
  unsigned bits = 0;
  while (bits < 64 && ((levels - (levels > 0 ? 1 : 0)) >> bits) != 0) ++bits;
  return bits;
}

/// Inversions of data[0..count) (pairs t < u with data[t] > data[u]), every value below 2^bits
/// (bits <= 32), by one pass per two bits (digit) from the top. Before the pass of a digit the
/// values lie stably partitioned by the digits above it — the lowest of those first — so values
/// with the same bits above the digit (a group) are contiguous and in input order. An inversion
/// whose values first differ in this digit is a larger digit before a smaller one in the same
/// group: the pass adds, for each value, the values already seen in its group with a larger
/// digit, then partitions the whole range stably by the digit. Each pass reads and writes count
/// 32-bit values in order, without data-dependent branches; data and scratch (count elements
/// each) are overwritten. Two bits per pass, not one or three: at 2·10⁶ values 11 passes took
/// about 25 % less time than 21 passes of one bit, and 7 passes of three bits were slower again
/// (each digit value keeps a counter per group).
inline std::uint64_t inversions_by_bits(std::uint32_t* data, std::uint32_t* scratch, std::size_t count,
                                        unsigned bits) {
  if (count < 2 || bits == 0) return 0;
  std::uint64_t inversions = 0;
  std::uint32_t* source = data;
  std::uint32_t* target = scratch;
  const auto digit_width = [](unsigned high) { return high >= 2 ? 2U : high; };
  std::size_t in_digit[4] = {0, 0, 0, 0};  // the values with each digit of the coming pass
  for (std::size_t t = 0; t < count; ++t) ++in_digit[(source[t] >> (bits - digit_width(bits))) & 3U];
  for (unsigned high = bits; high > 0;) {  // the pass of bits [low, high)
    const unsigned low = high - digit_width(high);
    const unsigned next_low = low - digit_width(low);  // low when this is the last pass
    std::size_t at[4] = {0, in_digit[0], in_digit[0] + in_digit[1], in_digit[0] + in_digit[1] + in_digit[2]};
    std::size_t in_next[4] = {0, 0, 0, 0};
    std::uint64_t above_0 = 0, above_1 = 0, above_2 = 0;  // seen in the group with a digit > 0, > 1, > 2
    std::uint64_t group = 0;                              // the bits above `high` of the group
    for (std::size_t t = 0; t < count; ++t) {
      const std::uint32_t v = source[t];
      const std::uint64_t bits_above = static_cast<std::uint64_t>(v) >> high;
      const unsigned d = (v >> low) & 3U;
      const std::uint64_t same = std::uint64_t{0} - static_cast<std::uint64_t>(bits_above == group);
      group = bits_above;
      above_0 &= same;  // a new group starts from nothing
      above_1 &= same;
      above_2 &= same;
      const std::uint64_t larger[4] = {above_0, above_1, above_2, 0};
      inversions += larger[d];
      above_0 += static_cast<std::uint64_t>(d > 0);
      above_1 += static_cast<std::uint64_t>(d > 1);
      above_2 += static_cast<std::uint64_t>(d > 2);
      target[at[d]++] = v;
      ++in_next[(v >> next_low) & 3U];
    }
    for (unsigned d = 0; d < 4; ++d) in_digit[d] = in_next[d];
    std::swap(source, target);
    high = low;
  }
  return inversions;
}

/// Inversions of data[0..m), every value below `levels` (levels <= 2^32), with up to `parts`
/// pieces counted side by side on the library's threads. The values are split by range, in
/// rounds: each round cuts every piece at the middle of its value range (lower half first, each
/// half in input order, the upper half shifted down to start at 0) and counts the pairs it
/// separates, an upper value before a lower one; once there are `parts` pieces (the largest
/// power of two not above `parts`, at most 64), each is counted by inversions_by_bits. The count
/// is exact whatever the number of parts or threads; data and scratch (m elements each) are
/// overwritten.
inline std::uint64_t inversions_of_ranks(std::uint32_t* data, std::uint32_t* scratch, std::size_t m,
                                         std::uint64_t levels, std::size_t parts) {
  struct piece {
    std::size_t first;
    std::size_t count;
    std::uint64_t levels;  // values below this
  };
  std::vector<piece> pieces{piece{0, m, levels}};
  std::size_t wanted = 1;
  while (wanted * 2 <= std::min<std::size_t>(parts, 64) && m / (wanted * 2) >= radix_sort_min_size) wanted *= 2;
  std::uint32_t* source = data;
  std::uint32_t* target = scratch;
  std::uint64_t inversions = 0;
  while (pieces.size() < wanted) {
    std::vector<piece> halves(2 * pieces.size());
    std::vector<std::uint64_t> separated(pieces.size(), 0);
    parallel_for_sized(0, pieces.size(), m, [&](std::size_t i) {
      const piece& p = pieces[i];
      const std::uint64_t middle = p.levels / 2;  // values >= middle go to the upper half
      const std::uint32_t* in = source + p.first;
      std::uint32_t* out = target + p.first;
      std::size_t lower = 0;
      for (std::size_t t = 0; t < p.count; ++t) lower += static_cast<std::size_t>(in[t] < middle);
      std::size_t to_lower = 0, to_upper = lower;
      std::uint64_t upper_seen = 0, pairs = 0;
      for (std::size_t t = 0; t < p.count; ++t) {
        const std::uint32_t v = in[t];
        const std::uint64_t upper = static_cast<std::uint64_t>(v >= middle);
        pairs += upper_seen & (upper - 1);  // a lower value after upper_seen upper ones
        upper_seen += upper;
        const std::size_t at = to_lower + ((to_upper - to_lower) & (std::size_t{0} - static_cast<std::size_t>(upper)));
        out[at] = static_cast<std::uint32_t>(v - (middle & (std::uint64_t{0} - upper)));
        to_lower += static_cast<std::size_t>(upper ^ 1U);
        to_upper += static_cast<std::size_t>(upper);
      }
      separated[i] = pairs;
      halves[2 * i] = piece{p.first, lower, middle};
      halves[2 * i + 1] = piece{p.first + lower, p.count - lower, p.levels - middle};
    });
    for (const std::uint64_t v : separated) inversions += v;
    pieces.swap(halves);
    std::swap(source, target);
  }
  std::vector<std::uint64_t> inside(pieces.size(), 0);
  parallel_for_sized(0, pieces.size(), m, [&](std::size_t i) {
    const piece& p = pieces[i];
    inside[i] = inversions_by_bits(source + p.first, target + p.first, p.count, bits_below(p.levels));
  });
  for (const std::uint64_t v : inside) inversions += v;
  return inversions;
}

/// The pair counts behind Kendall's tau for m paired observations (a_k, b_k).
struct kendall_counts {
  std::uint64_t total = 0;       ///< m(m-1)/2
  std::uint64_t ties_a = 0;      ///< pairs tied in a (whatever b does)
  std::uint64_t ties_b = 0;      ///< pairs tied in b (whatever a does)
  std::uint64_t ties_joint = 0;  ///< pairs tied in both a and b
  std::uint64_t discordant = 0;  ///< pairs ordered one way by a and the other way by b

  /// C - D, concordant minus discordant pairs. Pairs tied in a or in b count as neither:
  /// total = C + D + ties_a + ties_b - ties_joint.
  std::int64_t concordant_minus_discordant() const noexcept {
    return static_cast<std::int64_t>(total - ties_a - ties_b + ties_joint) - 2 * static_cast<std::int64_t>(discordant);
  }
};

/// Kendall pair counts of short inputs: std::sort of (a, b) pairs, then the merge count.
inline kendall_counts kendall_count_by_comparison_sort(const double* a, const double* b, std::size_t m) {
  struct pair_ab {
    double a;
    double b;
  };
  kendall_counts counts;
  counts.total = static_cast<std::uint64_t>(m) * (m - (m > 0 ? 1 : 0)) / 2;
  if (m < 2) return counts;
  std::vector<pair_ab> pairs(m);
  for (std::size_t k = 0; k < m; ++k) pairs[k] = pair_ab{a[k], b[k]};
  std::sort(pairs.begin(), pairs.end(),
            [](const pair_ab& l, const pair_ab& r) { return l.a < r.a || (l.a == r.a && l.b < r.b); });
  // Runs of equal a, and of equal (a, b), in the sorted order.
  std::size_t first = 0;
  while (first < m) {
    std::size_t last = first + 1;
    while (last < m && pairs[last].a == pairs[first].a) ++last;
    const auto run = static_cast<std::uint64_t>(last - first);
    counts.ties_a += run * (run - 1) / 2;
    std::size_t joint_first = first;
    while (joint_first < last) {
      std::size_t joint_last = joint_first + 1;
      while (joint_last < last && pairs[joint_last].b == pairs[joint_first].b) ++joint_last;
      const auto joint_run = static_cast<std::uint64_t>(joint_last - joint_first);
      counts.ties_joint += joint_run * (joint_run - 1) / 2;
      joint_first = joint_last;
    }
    first = last;
  }
  // With a ascending and b ascending inside each run of tied a, an inversion of the b
  // sequence is exactly a pair with a_t < a_u and b_t > b_u: a discordant pair.
  std::vector<double> sequence(m);
  std::vector<double> scratch(m);
  for (std::size_t k = 0; k < m; ++k) sequence[k] = pairs[k].b;
  counts.discordant = sort_counting_inversions(sequence.data(), scratch.data(), m);
  counts.ties_b = tied_pairs_sorted(sequence.data(), m);
  return counts;
}

/// Kendall pair counts of (a[k], b[k]), k < m, by Knight's algorithm; O(m log m) time, O(m)
/// memory. a and b must hold no NaN, and m must be below 2^32 (so that the counts, which are
/// below m^2/2, fit in a signed 64-bit integer).
///
/// Long inputs use radix sorts (detail/radix_sort.hpp), a and b side by side on the library's
/// threads. a's sort gives the order of the pairs by a and its runs of ties; b's gives each
/// position its dense rank (0 for the smallest value) and b's ties. The dense ranks of b read in
/// a's order are the b sequence in (a, b) order once each run of tied a is sorted (most runs have
/// one element; no sort of the pairs is needed). The discordant pairs are the inversions of that
/// sequence of 32-bit ranks (inversions_of_ranks, on the library's threads). At m = 2·10⁶ on the
/// 2-core Xeon of docs/benchmarks.md this took the call from 0.24 s to 0.11 s: before, the words
/// rank_a · 2^32 + rank_b were radix-sorted on one thread, and the sequence was merge-sorted
/// counting exchanges (74 ms on two threads, against 35 ms for inversions_of_ranks).
inline kendall_counts kendall_count(const double* a, const double* b, std::size_t m) {
  if (m < radix_sort_min_size) return kendall_count_by_comparison_sort(a, b, m);
  kendall_counts counts;
  counts.total = static_cast<std::uint64_t>(m) * (m - 1) / 2;
  // 1. a's order and its runs of ties (first, last), longer than one; b's dense ranks by position,
  //    in its sort's spare buffer, and the number of distinct b values.
  sorted_order ranked_a, ranked_b;
  std::vector<std::pair<std::size_t, std::size_t>> tied_a;
  std::uint64_t levels_b = 0;
  parallel_for_sized(0, 2, 2 * m, [&](std::size_t which) {
    if (which == 0) {
      const auto value = [a](std::size_t k) { return a[k]; };
      sort_order(m, value, ranked_a);
      std::uint64_t ties = 0;
      for_each_run_of_equal_values(ranked_a, m, value, [&](std::size_t first, std::size_t last) {
        if (last - first < 2) return;
        const auto run = static_cast<std::uint64_t>(last - first);
        ties += run * (run - 1) / 2;
        tied_a.emplace_back(first, last);
      });
      counts.ties_a = ties;
    } else {
      const auto value = [b](std::size_t k) { return b[k]; };
      sort_order(m, value, ranked_b);
      std::uint64_t ties = 0, current = 0;
      for_each_run_of_equal_values(ranked_b, m, value, [&](std::size_t first, std::size_t last) {
        for (std::size_t u = first; u < last; ++u) ranked_b.scratch[ranked_b.position(u)] = current;
        ++current;
        const auto run = static_cast<std::uint64_t>(last - first);
        ties += run * (run - 1) / 2;
      });
      counts.ties_b = ties;
      levels_b = current;
    }
  });
  // 2. The b ranks in a's order; each run of tied a sorted ascending, so that its pairs are not
  //    taken for discordant ones, and its tied b counted as joint ties.
  large_array<std::uint32_t> sequence(m), scratch(m);
  std::uint32_t* const seq = sequence.data();
  constexpr std::size_t gather_chunk = std::size_t{1} << 16;
  parallel_for_sized(0, (m + gather_chunk - 1) / gather_chunk, m, [&](std::size_t chunk) {
    const std::size_t first = chunk * gather_chunk, last = std::min(first + gather_chunk, m);
    for (std::size_t u = first; u < last; ++u) {
      seq[u] = static_cast<std::uint32_t>(ranked_b.scratch[ranked_a.position(u)]);
    }
  });
  const unsigned rank_bits = std::max(1U, bits_below(levels_b));
  for (const auto& run : tied_a) {
    const std::size_t length = run.second - run.first;
    sort_keys(seq + run.first, scratch.data() + run.first, length, rank_bits);
    counts.ties_joint += tied_pairs_sorted(seq + run.first, length);
  }
  // 3. Discordant pairs: inversions of the b ranks in (a, b) order.
  counts.discordant =
      inversions_of_ranks(seq, scratch.data(), m, levels_b, static_cast<std::size_t>(max_threads()));
  return counts;
}

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_KENDALL_HPP
