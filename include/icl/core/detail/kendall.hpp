#ifndef ICL_CORE_DETAIL_KENDALL_HPP
#define ICL_CORE_DETAIL_KENDALL_HPP

/// Pair counts for Kendall's tau in O(m log m) (Knight, JASA 1966): sort the pairs by (a, b),
/// then merge-sort the b sequence counting exchanges. All counts are exact 64-bit integers.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

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

/// Inversions of data[0..m) (pairs t < u with data[t] > data[u]), sorting it: the range is cut
/// into `parts` pieces sorted and counted in parallel, whose runs are then merged counting the
/// inversions between pieces. The count is exact, whatever the number of parts or threads.
template <class T>
std::uint64_t sort_counting_inversions_in_parts(T* data, T* scratch, std::size_t m, std::size_t parts) {
  parts = std::max<std::size_t>(1, std::min(parts, m / 4096 + 1));
  std::vector<std::size_t> bounds(parts + 1);
  for (std::size_t p = 0; p <= parts; ++p) bounds[p] = m * p / parts;
  std::vector<std::uint64_t> inside(parts, 0);
  parallel_for(0, parts, [&](std::size_t p) {
    inside[p] = sort_counting_inversions(data + bounds[p], scratch + bounds[p], bounds[p + 1] - bounds[p]);
  });
  std::uint64_t inversions = 0;
  for (const std::uint64_t v : inside) inversions += v;
  return inversions + merge_runs_counting_inversions(data, scratch, bounds);
}

/// Kendall pair counts of (a[k], b[k]), k < m, by Knight's algorithm; O(m log m) time, O(m)
/// memory. a and b must hold no NaN, and m must be below 2^32 (so that the counts, which are
/// below m^2/2, fit in a signed 64-bit integer).
///
/// Long inputs use radix sorts (detail/radix_sort.hpp). a and b are replaced by their dense ranks
/// (0 for the smallest value; two sorts, side by side on the library's threads), and the words
/// rank_a · 2^32 + rank_b are sorted: the pairs in (a, b) order, with no positions to carry. The
/// merge count that finds the discordant pairs then runs on 32-bit ranks, half the bytes of
/// doubles, and on the library's threads (sort_counting_inversions_in_parts).
inline kendall_counts kendall_count(const double* a, const double* b, std::size_t m) {
  if (m < radix_sort_min_size) return kendall_count_by_comparison_sort(a, b, m);
  kendall_counts counts;
  counts.total = static_cast<std::uint64_t>(m) * (m - 1) / 2;
  // 1. Dense ranks of a and of b, each written to its sort's spare buffer.
  sorted_order ranked_a, ranked_b;
  parallel_for_sized(0, 2, 2 * m, [&](std::size_t which) {
    const double* x = which == 0 ? a : b;
    sorted_order& order = which == 0 ? ranked_a : ranked_b;
    const auto value = [x](std::size_t k) { return x[k]; };
    sort_order(m, value, order);
    std::uint64_t current = 0;
    for_each_run_of_equal_values(order, m, value, [&](std::size_t first, std::size_t last) {
      for (std::size_t u = first; u < last; ++u) order.scratch[order.position(u)] = current;
      ++current;
    });
  });
  // 2. The pairs in (a, b) order: the words rank_a · 2^32 + rank_b, sorted in the buffers the
  //    sorts of step 1 no longer need (fresh memory is slow to touch on some machines).
  large_array<std::uint64_t>& word = ranked_b.word;
  for (std::size_t k = 0; k < m; ++k) word[k] = (ranked_a.scratch[k] << 32) | ranked_b.scratch[k];
  radix_sort_words(word, ranked_a.word, 0);
  // Runs of equal a, and inside them runs of equal (a, b); b's ties from b's ranks in this order.
  std::vector<std::uint32_t> sequence(m);
  std::size_t first = 0;
  while (first < m) {
    const std::uint64_t a_level = word[first] >> 32;
    std::size_t last = first + 1;
    while (last < m && (word[last] >> 32) == a_level) ++last;
    const auto run = static_cast<std::uint64_t>(last - first);
    counts.ties_a += run * (run - 1) / 2;
    for (std::size_t u = first; u < last; ++u) sequence[u] = static_cast<std::uint32_t>(word[u]);
    if (run > 1) counts.ties_joint += tied_pairs_sorted(sequence.data() + first, last - first);
    first = last;
  }
  // 3. Discordant pairs: inversions of the b ranks in (a, b) order (as above); sorting them also
  //    lines up b's ties.
  std::vector<std::uint32_t> merge_scratch(m);
  counts.discordant = sort_counting_inversions_in_parts(sequence.data(), merge_scratch.data(), m,
                                                        static_cast<std::size_t>(max_threads()));
  counts.ties_b = tied_pairs_sorted(sequence.data(), m);
  return counts;
}

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_KENDALL_HPP
