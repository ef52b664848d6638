#ifndef ICL_COLLECT_DETAIL_GROWN_RDM_IMPL_HPP
#define ICL_COLLECT_DETAIL_GROWN_RDM_IMPL_HPP

/// The RDM grown one prompt at a time: a new row x_n adds its n dissimilarities to the rows
/// before it, O(n·d). Every dissimilarity is computed from the two rows themselves in double
/// (no Gram form), with per-row statistics kept beside the states:
///   euclidean family  Σ_k (x_k − y_k)²                      (no statistic needed)
///   cosine            1 − Σ_k x_k y_k / (‖x‖ ‖y‖)
///   correlation       1 − Σ_k (x_k − x̄)(y_k − ȳ) / (‖x − x̄‖ ‖y − ȳ‖)
/// Each sum runs over k in increasing order into four partial sums, and every term is
/// symmetric in x and y, so a pair's value does not depend on which row arrived first: shards
/// merged in any order give the bits of one collector fed in prompt order.
///
/// Layout: per layer, the strict lower triangle in stored order, row by row — row j holds the
/// pairs (j, 0), ..., (j, j−1) at j(j−1)/2 — so that a new row is an append.

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/core/widen.hpp"
#include "icl/rsa/rdm.hpp"

namespace icl::collect::detail {

/// Mean and norm (after centering under correlation) of one stored row.
struct row_moments {
  double mean = 0.0;
  double norm = 0.0;
};

/// Whether a dissimilarity needs row_moments.
constexpr bool uses_moments(rsa::dissimilarity d) noexcept {
  return d == rsa::dissimilarity::cosine || d == rsa::dissimilarity::correlation;
}

/// Widens d elements to double.
template <class S>
void widen_row(const S* row, std::size_t d, std::vector<double>& out) {
  out.resize(d);
  for (std::size_t k = 0; k < d; ++k) out[k] = icl::detail::to_double(row[k]);
}

/// The moments of a widened row under dissimilarity `dis`.
inline row_moments moments_of(const std::vector<double>& x, rsa::dissimilarity dis) {
  row_moments m;
  if (!uses_moments(dis)) return m;
  const std::size_t d = x.size();
  if (dis == rsa::dissimilarity::correlation) {
    double s = 0.0;
    for (std::size_t k = 0; k < d; ++k) s += x[k];
    m.mean = s / static_cast<double>(d);
  }
  double sq = 0.0;
  for (std::size_t k = 0; k < d; ++k) {
    const double v = x[k] - m.mean;
    sq += v * v;
  }
  m.norm = std::sqrt(sq);
  return m;
}

/// Σ_{k<d} term(k) in four interleaved partial sums (the order every dissimilarity of the grown
/// RDM uses, so that its values do not depend on which row came first).
template <class Term>
double sum_by_four(std::size_t d, const Term& term) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  std::size_t k = 0;
  for (; k + 4 <= d; k += 4) {
    s0 += term(k);
    s1 += term(k + 1);
    s2 += term(k + 2);
    s3 += term(k + 3);
  }
  for (; k < d; ++k) s0 += term(k);
  return (s0 + s1) + (s2 + s3);
}

/// The dissimilarity of the widened row x and a stored row y of float or double (d elements).
template <class S>
double pair_dissimilarity_wide(rsa::dissimilarity dis, const std::vector<double>& x, row_moments mx, const S* y,
                               row_moments my) {
  const std::size_t d = x.size();
  if (!uses_moments(dis)) {
    const double sq = sum_by_four(d, [&](std::size_t i) {
      const double v = x[i] - icl::detail::to_double(y[i]);
      return v * v;
    });
    if (dis == rsa::dissimilarity::euclidean) return std::sqrt(sq);
    if (dis == rsa::dissimilarity::sqeuclidean_per_feature) return sq / static_cast<double>(d);
    return sq;
  }
  const double cross =
      sum_by_four(d, [&](std::size_t i) { return (x[i] - mx.mean) * (icl::detail::to_double(y[i]) - my.mean); });
  return 1.0 - cross / (mx.norm * my.norm);
}

/// The dissimilarity of the widened row x and the stored row y (d elements each). f16 and bf16
/// rows are first widened to float in `scratch` (exactly, F16C where available).
template <class S>
double pair_dissimilarity(rsa::dissimilarity dis, const std::vector<double>& x, row_moments mx, const S* stored,
                          row_moments my, std::vector<float>& scratch) {
  if constexpr (std::is_same_v<S, f16> || std::is_same_v<S, bf16>) {
    scratch.resize(x.size());
    icl::detail::widen_to_float(stored, x.size(), scratch.data());
    return pair_dissimilarity_wide(dis, x, mx, static_cast<const float*>(scratch.data()), my);
  } else {
    return pair_dissimilarity_wide(dis, x, mx, stored, my);
  }
}

/// Throws when a row's norm makes cosine or correlation undefined (the error compute_rdm
/// raises for the same row).
inline void check_moments(const char* fn, rsa::dissimilarity dis, row_moments m, std::size_t prompt,
                          std::size_t layer) {
  if (!uses_moments(dis) || m.norm > 0.0) return;
  if (dis == rsa::dissimilarity::correlation) {
    icl::detail::throw_invalid(fn, "prompt ", prompt, " layer ", layer,
                               ": the grown RDM's row has zero variance (correlation distance undefined)");
  }
  icl::detail::throw_invalid(fn, "prompt ", prompt, " layer ", layer,
                             ": the grown RDM's row is all zeros (cosine distance undefined)");
}

/// Position of pair (j, i), i < j, in the lower-triangle layout.
constexpr std::size_t lower_index(std::size_t j, std::size_t i) noexcept { return j * (j - 1) / 2 + i; }

/// The RDM (scipy condensed order) of the n rows whose lower triangle is `lower`.
inline rsa::rdm rdm_from_lower(std::size_t n, const std::vector<double>& lower) {
  std::vector<double> values(icl::detail::checked_pair_count("icl::collect::prompt_collector::grown_rdm", n));
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) values[c++] = lower[lower_index(j, i)];
  }
  return rsa::rdm(n, std::move(values));
}

}  // namespace icl::collect::detail

#endif  // ICL_COLLECT_DETAIL_GROWN_RDM_IMPL_HPP
