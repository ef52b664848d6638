#ifndef ICL_RSA_DETAIL_INFERENCE_IMPL_HPP
#define ICL_RSA_DETAIL_INFERENCE_IMPL_HPP

/// Kernels behind icl::rsa::permutation_test and icl::rsa::bootstrap_compare (docs/metrics.md 1.5),
/// and their bodies. Included by icl/rsa/inference.hpp; not a public header.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

#include "icl/core/condensed.hpp"
#include "icl/core/detail/bootstrap_summary.hpp"
#include "icl/core/detail/kendall.hpp"
#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/random.hpp"
#include "icl/core/rank.hpp"
#include "icl/core/stats.hpp"
#include "icl/rsa/detail/compare_impl.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa::detail {

/// Reusable per-thread storage of the permutation kernel.
struct permutation_scratch {
  std::vector<std::size_t> order;      ///< the permutation of the conditions
  std::vector<std::uint32_t> sequence;  ///< Kendall: ranks of the permuted a values, in b order
  std::vector<std::uint32_t> merge;     ///< Kendall: merge buffer
  std::vector<std::size_t> bounds;      ///< Kendall: sorted runs to merge
};

/// The statistic of (a permuted, b) for any permutation π of the conditions, where the permuted
/// RDM is a'(i, j) = a(π(i), π(j)). Everything that does not depend on π is computed once in
/// the constructor:
///   pearson, spearman, rho_a, cosine: a prepared vector x (a centered, the centered average
///     ranks, or a itself), y likewise from b, and a scale, so that
///       stat(π) = scale * sum_k x[σ_π(k)] y[k],   σ_π(i, j) = (π(i), π(j)),
///     an O(m) re-indexing per permutation (ranks, means and norms are invariant under π);
///   whitened_cosine: G_a and G_b (strict upper triangle and diagonal), since
///     G_{a'}(i, j) = G_a(π(i), π(j)) (C commutes with permutations): O(m) per permutation;
///   kendall_tau_a, kendall_tau_b: the dense ranks of a, b's sorted order cut into segments
///     (runs of tied b, and stretches of untied b between them), the tie counts of a and b
///     (invariant under π). Per permutation the ranks of the permuted a values are laid out in
///     b's order; a run of tied b is sorted (its pairs are neither concordant nor discordant;
///     equal a inside it are the joint ties), a stretch of untied b is merge-sorted counting
///     its inversions, and the sorted segments are merged pairwise counting the inversions
///     between them. Every inversion counted is a pair with b_t < b_u and a_t > a_u, a
///     discordant pair. O(m log m) per permutation (O(m log L) for the merges when b has L
///     distinct values, as for categorical hypothesis RDMs).
class permutation_kernel {
 public:
  /// Up to square_max conditions x is kept as a full symmetric n x n matrix instead of condensed
  /// (default: at most 128 MiB): the permuted dot product then reads row π(i) of it, in cache for the whole
  /// inner loop, instead of computing a condensed index per pair (n = 300, 10 000 permutations,
  /// one thread: 0.70 s with condensed indices, 0.43 s with the square; docs/benchmarks.md).
  static constexpr std::size_t square_max_conditions = 4096;

  permutation_kernel(const rdm& a, const rdm& b, comparison c, std::size_t square_max = square_max_conditions)
      : kind_(c), n_(a.n()), m_(a.size()), index_(a.n()) {
    const double* pa = a.condensed().data();
    const double* pb = b.condensed().data();
    switch (c) {
      case comparison::pearson: {
        x_.resize(m_);
        y_.resize(m_);
        const double saa = center_into(pa, m_, x_.data());
        const double sbb = center_into(pb, m_, y_.data());
        scale_ = 1.0 / (std::sqrt(saa) * std::sqrt(sbb));
        break;
      }
      case comparison::spearman:
      case comparison::rho_a: {
        centered_ranks_of_both(pa, pb, m_, x_, y_);
        scale_ = c == comparison::rho_a
                     ? rho_a_scale(m_)
                     : 1.0 / (std::sqrt(dot(x_.data(), x_.data(), m_)) * std::sqrt(dot(y_.data(), y_.data(), m_)));
        break;
      }
      case comparison::cosine: {
        x_.assign(pa, pa + m_);
        y_.assign(pb, pb + m_);
        const double na = std::sqrt(dot(pa, pa, m_));
        const double nb = std::sqrt(dot(pb, pb, m_));
        scale_ = (na == 0.0 || nb == 0.0) ? 0.0 : 1.0 / (na * nb);
        break;
      }
      case comparison::whitened_cosine: {
        second_moment ga = double_center(pa, n_);
        second_moment gb = double_center(pb, n_);
        scale_ = (ga.squared_norm == 0.0 || gb.squared_norm == 0.0)
                     ? 0.0
                     : 1.0 / (std::sqrt(ga.squared_norm) * std::sqrt(gb.squared_norm));
        x_ = std::move(ga.upper);
        y_ = std::move(gb.upper);
        x_diagonal_ = std::move(ga.diagonal);
        y_diagonal_ = std::move(gb.diagonal);
        break;
      }
      case comparison::kendall_tau_a:
      case comparison::kendall_tau_b:
        prepare_kendall(pa, pb);
        break;
    }
    if (!x_.empty() && n_ <= square_max) {
      x_square_ = square_from_condensed(x_, n_);
      std::vector<double>().swap(x_);  // the square replaces the condensed copy
    }
  }

  std::size_t conditions() const noexcept { return n_; }
  std::size_t pairs() const noexcept { return m_; }

  /// The statistic of (a permuted by `order`, b); `order` holds a permutation of 0..n-1.
  double evaluate(const std::vector<std::size_t>& order, permutation_scratch& s) const {
    switch (kind_) {
      case comparison::kendall_tau_a:
      case comparison::kendall_tau_b:
        return evaluate_kendall(order, s);
      case comparison::whitened_cosine: {
        double diagonal = 0.0;
        for (std::size_t i = 0; i < n_; ++i) diagonal += x_diagonal_[order[i]] * y_diagonal_[i];
        return clamp_unit((2.0 * permuted_dot(order) + diagonal) * scale_);
      }
      case comparison::rho_a:
        return permuted_dot(order) * scale_;
      default:
        return clamp_unit(permuted_dot(order) * scale_);
    }
  }

 private:
  static std::vector<double> square_from_condensed(const std::vector<double>& condensed, std::size_t n) {
    std::vector<double> square(n * n, 0.0);
    std::size_t k = 0;
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q, ++k) square[p * n + q] = square[q * n + p] = condensed[k];
    }
    return square;
  }

  /// sum over pairs k = (i, j), i < j, of x[(π(i), π(j))] * y[k], in condensed order (the same
  /// products added in the same order with either form of x).
  double permuted_dot(const std::vector<std::size_t>& order) const noexcept {
    double sum = 0.0;
    std::size_t k = 0;
    if (!x_square_.empty()) {
      for (std::size_t i = 0; i < n_; ++i) {
        const double* row = x_square_.data() + order[i] * n_;
        for (std::size_t j = i + 1; j < n_; ++j, ++k) sum += row[order[j]] * y_[k];
      }
      return sum;
    }
    for (std::size_t i = 0; i < n_; ++i) {
      const std::size_t p = order[i];
      for (std::size_t j = i + 1; j < n_; ++j, ++k) {
        sum += x_[index_(p, order[j])] * y_[k];
      }
    }
    return sum;
  }

  void prepare_kendall(const double* pa, const double* pb) {
    std::vector<icl::detail::value_index> sorted;
    // Dense ranks of a (0 for the smallest value), and its ties: both invariant under π.
    icl::detail::sort_with_index(pa, m_, sorted);
    a_rank_.resize(m_);
    std::uint32_t level = 0;
    for (std::size_t t = 0; t < m_; ++t) {
      if (t > 0 && sorted[t].value != sorted[t - 1].value) ++level;
      a_rank_[sorted[t].index] = level;
    }
    while (a_rank_bits_ < 32 && (std::uint64_t{level} >> a_rank_bits_) != 0) ++a_rank_bits_;
    std::vector<double> values(m_);
    for (std::size_t t = 0; t < m_; ++t) values[t] = sorted[t].value;
    ties_a_ = icl::detail::tied_pairs_sorted(values.data(), m_);
    // b's order, cut into runs of tied b and stretches of untied b.
    icl::detail::sort_with_index(pb, m_, sorted);
    for (std::size_t t = 0; t < m_; ++t) values[t] = sorted[t].value;
    ties_b_ = icl::detail::tied_pairs_sorted(values.data(), m_);
    std::size_t first = 0;
    std::size_t untied_start = 0;
    while (first < m_) {
      std::size_t last = first + 1;
      while (last < m_ && values[last] == values[first]) ++last;
      if (last - first > 1) {
        if (untied_start < first) segments_.push_back(segment{untied_start, first, false});
        segments_.push_back(segment{first, last, true});
        untied_start = last;
      }
      first = last;
    }
    if (untied_start < m_) segments_.push_back(segment{untied_start, m_, false});
    // The condition pair of every position in b's order.
    std::vector<std::uint32_t> row_of(m_);
    std::vector<std::uint32_t> col_of(m_);
    for (std::size_t i = 0, k = 0; i < n_; ++i) {
      for (std::size_t j = i + 1; j < n_; ++j, ++k) {
        row_of[k] = static_cast<std::uint32_t>(i);
        col_of[k] = static_cast<std::uint32_t>(j);
      }
    }
    b_order_row_.resize(m_);
    b_order_col_.resize(m_);
    for (std::size_t t = 0; t < m_; ++t) {
      b_order_row_[t] = row_of[sorted[t].index];
      b_order_col_[t] = col_of[sorted[t].index];
    }
    total_ = static_cast<std::uint64_t>(m_) * (m_ - 1) / 2;
    const double denominator =
        kind_ == comparison::kendall_tau_b
            ? std::sqrt(static_cast<double>(total_ - ties_a_)) * std::sqrt(static_cast<double>(total_ - ties_b_))
            : static_cast<double>(total_);
    scale_ = 1.0 / denominator;
  }

  double evaluate_kendall(const std::vector<std::size_t>& order, permutation_scratch& s) const {
    s.sequence.resize(m_);
    s.merge.resize(m_);
    std::uint32_t* seq = s.sequence.data();
    std::uint32_t* merge = s.merge.data();
    for (std::size_t t = 0; t < m_; ++t) {
      seq[t] = a_rank_[index_(order[b_order_row_[t]], order[b_order_col_[t]])];
    }
    icl::detail::kendall_counts counts;
    counts.total = total_;
    counts.ties_a = ties_a_;
    counts.ties_b = ties_b_;
    s.bounds.clear();
    for (const segment& g : segments_) {
      s.bounds.push_back(g.first);
      if (g.tied_b) {
        icl::detail::sort_keys(seq + g.first, merge + g.first, g.last - g.first, a_rank_bits_);
        counts.ties_joint += icl::detail::tied_pairs_sorted(seq + g.first, g.last - g.first);
      } else {
        counts.discordant += icl::detail::sort_counting_inversions(seq + g.first, merge + g.first, g.last - g.first);
      }
    }
    s.bounds.push_back(m_);
    counts.discordant += icl::detail::merge_runs_counting_inversions(seq, merge, s.bounds);
    return clamp_unit(static_cast<double>(counts.concordant_minus_discordant()) * scale_);
  }

  /// A stretch [first, last) of b's sorted order: one run of tied b, or untied b values.
  struct segment {
    std::size_t first;
    std::size_t last;
    bool tied_b;
  };

  comparison kind_;
  std::size_t n_;
  std::size_t m_;
  icl::detail::condensed_indexer index_;  ///< condensed position of a pair of conditions
  double scale_ = 0.0;
  // dot-product statistics and whitened_cosine
  std::vector<double> x_;         ///< x condensed, when x_square_ is not used
  std::vector<double> x_square_;  ///< x as a full n x n matrix when n <= square_max
  std::vector<double> y_;
  std::vector<double> x_diagonal_;
  std::vector<double> y_diagonal_;
  // Kendall
  std::vector<std::uint32_t> a_rank_;       ///< dense rank of each a value
  unsigned a_rank_bits_ = 0;                ///< every rank is below 2^a_rank_bits_
  std::vector<std::uint32_t> b_order_row_;  ///< row i of the pair at each position of b's order
  std::vector<std::uint32_t> b_order_col_;  ///< column j of that pair
  std::vector<segment> segments_;
  std::uint64_t total_ = 0;
  std::uint64_t ties_a_ = 0;
  std::uint64_t ties_b_ = 0;
};

/// Dense ranks of x: level[k] is the number of distinct values below x[k].
struct dense_ranking {
  std::vector<std::size_t> level;
  std::size_t levels = 0;  ///< number of distinct values
};

inline dense_ranking dense_ranks(const double* x, std::size_t m) {
  std::vector<icl::detail::value_index> sorted;
  icl::detail::sort_with_index(x, m, sorted);
  dense_ranking d;
  d.level.resize(m);
  for (std::size_t t = 0; t < m; ++t) {
    if (t > 0 && sorted[t].value != sorted[t - 1].value) ++d.levels;
    d.level[sorted[t].index] = d.levels;
  }
  if (m > 0) ++d.levels;
  return d;
}

/// Centered average ranks of the resampled values x[index[t]], t < count, written to out:
/// a counting sort over the dense ranks of x, O(count + levels) instead of a sort. The result
/// equals centered_ranks() of the resampled values exactly (the same half-integers).
/// `histogram` and `level_rank` are reusable storage.
inline void centered_ranks_of_resample(const dense_ranking& d, const std::vector<std::size_t>& index,
                                       std::vector<std::size_t>& histogram, std::vector<double>& level_rank,
                                       double* out) {
  const std::size_t count = index.size();
  histogram.assign(d.levels, 0);
  level_rank.resize(d.levels);
  for (const std::size_t k : index) ++histogram[d.level[k]];
  // Level v occupies sorted positions start+1 .. start+c (1-based); its average rank minus the
  // overall mean (count+1)/2 is start + (c+1)/2 - (count+1)/2.
  const double mean = 0.5 * static_cast<double>(count + 1);
  std::size_t start = 0;
  for (std::size_t v = 0; v < d.levels; ++v) {
    level_rank[v] = 0.5 * static_cast<double>(2 * start + 1 + histogram[v]) - mean;
    start += histogram[v];
  }
  for (std::size_t t = 0; t < count; ++t) out[t] = level_rank[d.level[index[t]]];
}

/// body(chunk) for every chunk in [0, chunks) of `chunk_size` work items (`count` in all, named
/// `unit` in messages): one parallel loop without a should_stop hook; with one, batches of four
/// chunks per thread, should_stop() asked on the calling thread before each batch and true
/// turned into icl::error "<fn>: interrupted after k of N <unit>". The chunks, and so the
/// results, are the same either way.
template <class Body>
void run_chunks(const char* fn, std::size_t chunks, std::size_t chunk_size, std::size_t count, const char* unit,
                const std::function<bool()>& should_stop, Body&& body) {
  if (!should_stop) {
    icl::detail::parallel_for(0, chunks, body);
    return;
  }
  const std::size_t batch = 4 * static_cast<std::size_t>(std::max(1, icl::max_threads()));
  for (std::size_t first = 0; first < chunks; first += batch) {
    if (should_stop()) {
      icl::detail::throw_error(fn, "interrupted after ", std::min(first * chunk_size, count), " of ", count, " ",
                               unit);
    }
    icl::detail::parallel_for(first, std::min(first + batch, chunks), body);
  }
}

/// The checks of permutation_test and the observed statistic: result.statistic, and a NaN
/// p_value when that statistic is NaN (nan_policy::propagate; no permutation is then drawn).
inline permutation_result permutation_observed(const char* fn, const rdm& a, const rdm& b, comparison c,
                                               const permutation_params& params) {
  check_comparison(fn, c);
  check_rdm_pair(fn, a, b);
  const std::size_t count = params.permutations;
  if (count == 0) icl::detail::throw_invalid(fn, "need at least 1 permutation, got 0");
  icl::detail::check_alternative(fn, params.alt);
  if (params.nan == nan_policy::omit) {
    icl::detail::throw_invalid(fn, "nan_policy::omit is not supported (use raise or propagate)");
  }
  if (c == comparison::kendall_tau_a || c == comparison::kendall_tau_b) check_kendall_size(fn, a.size());

  permutation_result result{0.0, 0.0, count, {}};
  result.statistic =
      compare_checked(a.condensed().data(), b.condensed().data(), a.size(), a.n(), c, params.nan, fn);
  if (std::isnan(result.statistic)) result.p_value = quiet_nan;
  return result;
}

/// Permutations k = begin .. end - 1 of permutation_test (permutation k drawn from
/// counter_rng(params.seed, k)): the number whose statistic counts as extreme against
/// `observed`, and, when null is not nullptr, each statistic in null[k - begin].
inline std::size_t count_extreme_permutations(const char* fn, const permutation_kernel& kernel, std::size_t n,
                                              double observed, const permutation_params& params, std::size_t begin,
                                              std::size_t end, double* null) {
  const alternative alt = params.alt;
  const double slack = 1e-12 * std::abs(observed);
  const auto counts_as_extreme = [&](double s) {
    switch (alt) {
      case alternative::greater:
        return s >= observed - slack;
      case alternative::less:
        return s <= observed + slack;
      case alternative::two_sided:
        break;
    }
    return std::abs(s) >= std::abs(observed) - slack;
  };
  const std::size_t count = end - begin;
  constexpr std::size_t chunk_size = 64;
  const std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  std::vector<std::size_t> chunk_counts(chunks, 0);
  run_chunks(fn, chunks, chunk_size, count, "permutations", params.should_stop, [&](std::size_t chunk) {
    permutation_scratch scratch;
    scratch.order.resize(n);
    const std::size_t first = begin + chunk * chunk_size;
    const std::size_t last = std::min(first + chunk_size, end);
    std::size_t extreme = 0;
    for (std::size_t k = first; k < last; ++k) {
      for (std::size_t i = 0; i < n; ++i) scratch.order[i] = i;
      counter_rng rng(params.seed, k);
      rng.shuffle(scratch.order.begin(), n);
      const double s = kernel.evaluate(scratch.order, scratch);
      if (counts_as_extreme(s)) ++extreme;
      if (null != nullptr) null[k - begin] = s;
    }
    chunk_counts[chunk] = extreme;
  });
  std::size_t extreme = 0;
  for (const std::size_t e : chunk_counts) extreme += e;
  return extreme;
}

/// The body of icl::rsa::permutation_test; `fn` names the caller in messages.
inline permutation_result permutation_test(const char* fn, const rdm& a, const rdm& b, comparison c,
                                           const permutation_params& params) {
  permutation_result result = permutation_observed(fn, a, b, c, params);
  if (std::isnan(result.statistic)) return result;
  const std::size_t count = params.permutations;
  const permutation_kernel kernel(a, b, c);
  if (params.keep_null) result.null_distribution.resize(count);
  const std::size_t extreme = count_extreme_permutations(fn, kernel, a.n(), result.statistic, params, 0, count,
                                                         params.keep_null ? result.null_distribution.data() : nullptr);
  result.p_value = static_cast<double>(1 + extreme) / static_cast<double>(1 + count);
  return result;
}

/// The body of icl::rsa::bootstrap_compare; `fn` names the caller in messages.
inline bootstrap_result bootstrap_compare(const char* fn, const rdm& a, const rdm& b, comparison c,
                                          const bootstrap_params& params) {
  check_comparison(fn, c);
  if (c == comparison::whitened_cosine) {
    icl::detail::throw_invalid(fn, "whitened_cosine is not defined on a bootstrap sample of conditions (repeated "
                                   "conditions do not form an RDM); use another comparison");
  }
  check_rdm_pair(fn, a, b);
  const std::size_t count = params.samples;
  if (count < 2) icl::detail::throw_invalid(fn, "need at least 2 bootstrap samples, got ", count);
  if (!(params.confidence > 0.0 && params.confidence < 1.0)) {
    icl::detail::throw_invalid(fn, "confidence must lie strictly between 0 and 1, got ", params.confidence);
  }
  if (c == comparison::kendall_tau_a || c == comparison::kendall_tau_b) check_kendall_size(fn, a.size());

  bootstrap_result result{0.0, 0.0, 0.0, 0.0, count, 0};
  result.statistic =
      compare_checked(a.condensed().data(), b.condensed().data(), a.size(), a.n(), c, nan_policy::raise, fn);
  const std::size_t n = a.n();
  const icl::detail::condensed_indexer index(n);
  const double* pa = a.condensed().data();
  const double* pb = b.condensed().data();
  // Spearman and rho_a rank each resample by counting over the dense ranks of a and b.
  const bool by_ranks = c == comparison::spearman || c == comparison::rho_a;
  dense_ranking dense_a;
  dense_ranking dense_b;
  if (by_ranks) {
    dense_a = dense_ranks(pa, a.size());
    dense_b = dense_ranks(pb, b.size());
  }
  std::vector<double> statistics(count);
  constexpr std::size_t chunk_size = 16;
  const std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  run_chunks(fn, chunks, chunk_size, count, "samples", params.should_stop, [&](std::size_t chunk) {
    std::vector<std::size_t> draw(n);
    std::vector<std::size_t> pairs;  // condensed indices of the resampled pairs
    std::vector<double> va;
    std::vector<double> vb;
    std::vector<std::size_t> histogram;
    std::vector<double> level_rank;
    pairs.reserve(a.size());
    const undefined_handling quiet{fn, false};
    const std::size_t first = chunk * chunk_size;
    const std::size_t last = std::min(first + chunk_size, count);
    for (std::size_t s = first; s < last; ++s) {
      counter_rng rng(params.seed, s);
      for (std::size_t k = 0; k < n; ++k) draw[k] = static_cast<std::size_t>(rng.uniform_below(n));
      pairs.clear();
      for (std::size_t k = 0; k < n; ++k) {
        for (std::size_t l = k + 1; l < n; ++l) {
          if (draw[k] == draw[l]) continue;  // a condition paired with its own copy
          pairs.push_back(index(draw[k], draw[l]));
        }
      }
      const std::size_t size = pairs.size();
      if (size < 2) {
        statistics[s] = quiet_nan;
        continue;
      }
      va.resize(size);
      vb.resize(size);
      if (by_ranks) {
        centered_ranks_of_resample(dense_a, pairs, histogram, level_rank, va.data());
        centered_ranks_of_resample(dense_b, pairs, histogram, level_rank, vb.data());
        if (c == comparison::rho_a) {
          statistics[s] = rho_a_from_centered_ranks(va.data(), vb.data(), size);
        } else if (is_constant(va.data(), size) || is_constant(vb.data(), size)) {
          statistics[s] = quiet_nan;  // spearman of a constant resample
        } else {
          statistics[s] = spearman_from_centered_ranks(va.data(), vb.data(), size);
        }
        continue;
      }
      for (std::size_t t = 0; t < size; ++t) {
        va[t] = pa[pairs[t]];
        vb[t] = pb[pairs[t]];
      }
      statistics[s] = statistic(va.data(), vb.data(), size, 0, c, quiet);
    }
  });
  const auto summary =
      icl::detail::summarize_bootstrap(fn, statistics, params.confidence, "gave a defined statistic");
  result.skipped = summary.skipped;
  result.standard_error = summary.standard_error;
  result.ci_low = summary.ci_low;
  result.ci_high = summary.ci_high;
  return result;
}

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_INFERENCE_IMPL_HPP
