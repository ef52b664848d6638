#ifndef ICL_GEOMETRY_DETAIL_ALIGNMENT_IMPL_HPP
#define ICL_GEOMETRY_DETAIL_ALIGNMENT_IMPL_HPP

/// The bodies of the functions of icl/geometry/alignment.hpp (argument checks are done by the
/// caller, with detail/alignment_checks.hpp). separability_alignment converts H once to the
/// compute type, runs the logit lens over all rows once, and then computes every measure of
/// docs/metrics.md section 4 on each label pair.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/alignment_checks.hpp"
#include "icl/geometry/detail/lane_sums.hpp"
#include "icl/geometry/detail/pair_geometry.hpp"
#include "icl/geometry/detail/separability_impl.hpp"
#include "icl/geometry/types.hpp"
#include "icl/probe/cross_validation.hpp"

namespace icl::geometry::detail {

/// The label directions, read once: one double row per class, and the candidate rows of the
/// logit-lens argmax in the compute type (the class rows, or the whole unembedding unless
/// params.argmax is lens_argmax::label_rows).
template <class C>
struct direction_set {
  std::size_t d = 0;
  std::vector<double> class_rows;   ///< m x d: the direction of class c
  bool vocabulary = false;          ///< argmax over all rows of the unembedding
  std::vector<std::size_t> tokens;  ///< vocabulary: token row of class c
  std::vector<C> candidate_buffer;
  const C* candidates = nullptr;    ///< k x d (leading dimension ld)
  std::size_t k = 0, ld = 0;

  const double* row(std::size_t c) const { return class_rows.data() + c * d; }
  /// The target candidate index of class c.
  std::size_t target(std::size_t c) const { return vocabulary ? tokens[c] : c; }
};

template <class C, class U>
direction_set<C> read_directions(matrix_view<const U> D, std::size_t m, const separability_alignment_params& p) {
  direction_set<C> out;
  out.d = D.cols();
  out.vocabulary = !p.label_token_ids.empty() && p.argmax == lens_argmax::vocabulary;
  out.class_rows.resize(m * out.d);
  for (std::size_t c = 0; c < m; ++c) {
    const std::size_t r = p.label_token_ids.empty() ? c : p.label_token_ids[c];
    for (std::size_t j = 0; j < out.d; ++j) out.class_rows[c * out.d + j] = icl::detail::to_double(D(r, j));
  }
  if (out.vocabulary) {
    out.tokens = p.label_token_ids;
    out.candidates = icl::detail::rows_as_compute<C>(D, 0, D.rows(), out.candidate_buffer, out.ld);
    out.k = D.rows();
  } else {
    out.candidate_buffer.resize(m * out.d);
    for (std::size_t t = 0; t < m * out.d; ++t) out.candidate_buffer[t] = static_cast<C>(out.class_rows[t]);
    out.candidates = out.candidate_buffer.data();
    out.k = m;
    out.ld = out.d;
  }
  return out;
}

/// The final norm of p (the identity when p.final_norm is empty).
inline norm_setup make_norm(const separability_alignment_params& p) {
  norm_setup norm;
  if (p.final_norm) norm.norm = &*p.final_norm;
  return norm;
}

/// Logit-lens hits of `count` normalized rows g (count x d) of the classes in `codes`.
/// Vocabulary mode: argmax over the whole unembedding; otherwise over the rows of classes a
/// and b only (the pair's binary logit lens; a wins ties, as numpy.argmax).
template <class C>
std::size_t lens_hits(const std::vector<C>& g, std::size_t count, const std::vector<std::size_t>& codes,
                      const direction_set<C>& dirs, std::size_t a, std::size_t b) {
  const std::size_t d = dirs.d;
  std::size_t hits = 0;
  if (dirs.vocabulary) {
    const auto best = argmax_logits<C>(g.data(), count, d, dirs.candidates, dirs.k, dirs.ld);
    for (std::size_t i = 0; i < count; ++i) hits += best[i] == dirs.target(codes[i]) ? 1 : 0;
  } else {
    std::vector<C> two(2 * d);
    for (std::size_t j = 0; j < d; ++j) {
      two[j] = static_cast<C>(dirs.row(a)[j]);
      two[d + j] = static_cast<C>(dirs.row(b)[j]);
    }
    const auto best = argmax_logits<C>(g.data(), count, d, two.data(), 2, d);
    for (std::size_t i = 0; i < count; ++i) hits += (best[i] == 0 ? a : b) == codes[i] ? 1 : 0;
  }
  return hits;
}

/// Rows of the rank-r reconstruction U_rΣ_rV_rᵀ + 1μᵀ of n centered rows with the spectrum sp,
/// through the final norm, as C values (n x d). U_rΣ_rV_rᵀ is one double product U_r·W_r per
/// block of rows (W_r: the first r rows of sp.scaled_right, σ_k v_kᵀ), so that the n·d·r
/// multiply-adds run in the BLAS (on its threads) and only the block, not all n x d doubles,
/// is held.
template <class C>
std::vector<C> rank_r_reconstruction(const spectrum& sp, std::size_t n, std::size_t d, std::size_t rank,
                                     const std::vector<double>& mu, const norm_setup& norm) {
  constexpr std::size_t block_rows = 64;
  const std::size_t top = sp.sigma.size();
  std::vector<C> out(n * d);
  std::vector<double> block(std::min(n, block_rows) * d);
  for (std::size_t r0 = 0; r0 < n; r0 += block_rows) {
    const std::size_t count = std::min(block_rows, n - r0);
    icl::detail::product_ab<double>(sp.left.data() + r0 * top, count, top, sp.scaled_right.data(), d, d, rank,
                                    block.data(), d);
    icl::detail::beside_blas_for(0, count, count * d, [&](std::size_t q) {
      double* h = block.data() + q * d;
      for (std::size_t j = 0; j < d; ++j) h[j] += mu[j];
      norm(h, d, out.data() + (r0 + q) * d);
    });
  }
  return out;
}

/// A pair's result with its classes, labels and sizes filled in and no measure yet.
inline pair_alignment pair_header(const icl::detail::encoded_labels& enc, std::size_t a, std::size_t b) {
  pair_alignment out;
  out.class_a = a;
  out.class_b = b;
  out.label_a = enc.classes[a];
  out.label_b = enc.classes[b];
  out.n_a = enc.counts[a];
  out.n_b = enc.counts[b];
  return out;
}

/// Where the rows of a pair are: all in this process (one_process: sums need nothing more), or
/// shared out among processes (icl/mpi/geometry.hpp: its sums are added over the processes).
/// sum(values, count) adds values over the processes in place, max(v) is the largest v, and
/// spectrum(xc, n, d, top) the spectrum of the centered rows of all processes (xc: this one's).
struct one_process {
  static void sum(double* /*values*/, std::size_t /*count*/) noexcept {}
  static double max(double v) noexcept { return v; }
  template <class C>
  static spectrum spectrum_of(const std::vector<C>& xc, std::size_t n, std::size_t d, std::size_t top) {
    return centered_spectrum<C>(xc, n, d, top);
  }
};

/// Everything but separability for the pair (a, b), whose rows of Hc are idx (increasing): with
/// Rows = one_process all its rows; otherwise this process's share of them, every sum over rows
/// going through rows.sum (n_pair = enc.counts[a] + enc.counts[b] rows in all).
template <class C, class Rows = one_process>
pair_alignment pair_measures(const char* fn, const C* Hc, std::size_t ldh, const std::vector<std::size_t>& idx,
                             const icl::detail::encoded_labels& enc, std::size_t a, std::size_t b,
                             const direction_set<C>& dirs, const norm_setup& norm, const C* g_all, std::size_t ldg,
                             const std::vector<std::size_t>& best_all, const separability_alignment_params& p,
                             const Rows& rows = {}) {
  const std::size_t d = dirs.d, np = idx.size(), n_pair = enc.counts[a] + enc.counts[b];
  pair_alignment out = pair_header(enc, a, b);
  const auto pair_name = [&] {
    return icl::detail::concat("label pair (", out.label_a, ", ", out.label_b, ") with ", n_pair, " rows");
  };

  // e = (E_A − E_B) / ‖E_A − E_B‖.
  std::vector<double> e(d);
  double norm_e = 0.0;
  for (std::size_t j = 0; j < d; ++j) {
    e[j] = dirs.row(a)[j] - dirs.row(b)[j];
    norm_e += e[j] * e[j];
  }
  norm_e = std::sqrt(norm_e);
  if (!(norm_e > 0.0)) {
    icl::detail::throw_invalid(fn, "the label directions of labels ", out.label_a, " and ", out.label_b,
                               " are identical (e = (E_A - E_B)/|E_A - E_B| undefined)");
  }
  for (double& v : e) v /= norm_e;

  std::vector<std::size_t> codes(np);
  for (std::size_t r = 0; r < np; ++r) codes[r] = enc.codes[idx[r]];
  const auto in_a = [&](std::size_t r) { return codes[r] == a; };

  // Projections h·e of the raw states (double accumulation).
  std::vector<double> proj(np);
  icl::detail::beside_blas_for(0, np, np * d,
                               [&](std::size_t r) { proj[r] = lane_dot(Hc + idx[r] * ldh, e.data(), 0, d); });
  double correct = 0.0;
  for (std::size_t r = 0; r < np; ++r) correct += in_a(r) ? (proj[r] >= 0.0 ? 1 : 0) : (proj[r] < 0.0 ? 1 : 0);
  rows.sum(&correct, 1);
  out.directional_separability = correct / static_cast<double>(n_pair);

  // Mean alignment: eᵀ(μ_A − μ_B) / sqrt(pooled population variance of h·e) (two passes).
  double moments[4] = {0.0, 0.0, 0.0, 0.0};  // Σ and count of class a, then of class b
  for (std::size_t r = 0; r < np; ++r) {
    double* m = moments + (in_a(r) ? 0 : 2);
    m[0] += proj[r];
    m[1] += 1.0;
  }
  rows.sum(moments, 4);
  const double count_a = moments[1], count_b = moments[3];
  const double mean_a = count_a > 0.0 ? moments[0] / count_a : 0.0, mean_b = count_b > 0.0 ? moments[2] / count_b : 0.0;
  double squares[2] = {0.0, 0.0};
  for (std::size_t r = 0; r < np; ++r) {
    const double m = in_a(r) ? mean_a : mean_b;
    squares[in_a(r) ? 0 : 1] += (proj[r] - m) * (proj[r] - m);
  }
  rows.sum(squares, 2);
  const double var_a = count_a > 0.0 ? squares[0] / count_a : 0.0, var_b = count_b > 0.0 ? squares[1] / count_b : 0.0;
  const double pooled = (count_a * var_a + count_b * var_b) / (count_a + count_b);

  // Centered block of the pair's rows.
  std::vector<double> mu = column_sums(Hc, ldh, d, idx.data(), np, 1.0);
  rows.sum(mu.data(), d);
  for (double& v : mu) v /= static_cast<double>(n_pair);
  const std::vector<C> xc = subtract_means(Hc, ldh, d, idx.data(), np, mu);
  double mu_e = 0.0;
  for (std::size_t j = 0; j < d; ++j) mu_e += mu[j] * e[j];
  double along_e = 0.0;  // Σ (h̄·e)² = n · eᵀΣe
  for (std::size_t r = 0; r < np; ++r) along_e += (proj[r] - mu_e) * (proj[r] - mu_e);
  rows.sum(&along_e, 1);

  if (p.denoise_rank == 0 || p.denoise_rank > std::min(n_pair, d)) {
    icl::detail::throw_invalid(fn, "denoise_rank r = ", p.denoise_rank, " must be in [1, min(n, d)] = [1, ",
                               std::min(n_pair, d), "] for the ", pair_name());
  }
  const std::size_t top = std::max(std::min(p.singular_vectors, std::min(n_pair, d)), p.denoise_rank);
  const spectrum sp = rows.spectrum_of(xc, np, d, top);
  if (!(sp.trace > 0.0) || !(sp.sigma.empty() ? false : sp.sigma[0] > 0.0)) {
    icl::detail::throw_invalid(fn, pair_name(),
                               ": the centered states are all zero (total variance 0: variance_alignment, "
                               "singular_alignment and effective_dimension undefined)");
  }
  // Variance at the rounding level of the projections counts as zero.
  double scale = 0.0;
  for (double v : proj) scale = std::max(scale, std::abs(v));
  scale = rows.max(scale);
  const double noise = 16.0 * static_cast<double>(std::numeric_limits<C>::epsilon()) * scale;
  if (!(pooled > noise * noise)) {
    icl::detail::throw_invalid(fn, pair_name(),
                               ": the pooled within-class variance of h.e is 0 (mean_alignment undefined)");
  }
  out.mean_alignment = (mean_a - mean_b) / std::sqrt(pooled);
  out.effective_dimension = sp.trace * sp.trace / sp.frobenius_sq;
  out.variance_alignment =
      p.variance == variance_mode::raw ? along_e / static_cast<double>(n_pair) : along_e / sp.trace;
  out.composite_alignment = out.variance_alignment * out.mean_alignment;

  // Singular alignment over the leading right singular vectors with a nonzero singular value.
  const double rank_floor = sp.sigma[0] * std::sqrt(static_cast<double>(std::max(n_pair, d))) *
                            static_cast<double>(std::numeric_limits<C>::epsilon());
  double best = 0.0;
  const std::size_t searched = std::min(p.singular_vectors, sp.sigma.size());
  for (std::size_t k = 0; k < searched; ++k) {
    if (k > 0 && !(sp.sigma[k] > rank_floor)) break;
    const double* w = sp.scaled_right.data() + k * d;
    double dot = 0.0, ww = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      dot += w[j] * e[j];
      ww += w[j] * w[j];
    }
    best = std::max(best, std::abs(dot) / std::sqrt(ww));
  }
  out.singular_alignment = best;

  // Logit lens on the raw rows (normalized once for all rows by the caller; in vocabulary mode
  // the argmax over the whole unembedding does not depend on the pair and is reused).
  double hits[2] = {0.0, 0.0};  // raw rows, then their rank-r reconstructions
  if (dirs.vocabulary) {
    for (std::size_t r = 0; r < np; ++r) hits[0] += best_all[idx[r]] == dirs.target(codes[r]) ? 1 : 0;
  } else {
    std::vector<C> g(np * d);
    for (std::size_t r = 0; r < np; ++r) std::copy_n(g_all + idx[r] * ldg, d, g.data() + r * d);
    hits[0] = static_cast<double>(lens_hits(g, np, codes, dirs, a, b));
  }

  // Logit lens on the rank-r reconstruction U_rΣ_rV_rᵀ + 1μᵀ.
  const auto denoised = rank_r_reconstruction<C>(sp, np, d, p.denoise_rank, mu, norm);
  hits[1] = static_cast<double>(lens_hits(denoised, np, codes, dirs, a, b));
  rows.sum(hits, 2);
  out.output_alignment = hits[0] / static_cast<double>(n_pair);
  out.denoised_output_alignment = hits[1] / static_cast<double>(n_pair);
  return out;
}

/// Rows of H of classes a and b, increasing.
inline std::vector<std::size_t> pair_rows(const icl::detail::encoded_labels& enc, std::size_t a, std::size_t b) {
  std::vector<std::size_t> idx;
  idx.reserve(enc.counts[a] + enc.counts[b]);
  for (std::size_t i = 0; i < enc.codes.size(); ++i)
    if (enc.codes[i] == a || enc.codes[i] == b) idx.push_back(i);
  return idx;
}

/// Averages of the per-pair values into the result.
inline void average_pairs(alignment_result& out) {
  const double count = static_cast<double>(out.pairs.size());
  double sep = 0, dir = 0, oa = 0, sa = 0, va = 0, ma = 0, ca = 0, ed = 0, da = 0;
  for (const auto& q : out.pairs) {
    sep += q.separability;
    dir += q.directional_separability;
    oa += q.output_alignment;
    sa += q.singular_alignment;
    va += q.variance_alignment;
    ma += q.mean_alignment;
    ca += q.composite_alignment;
    ed += q.effective_dimension;
    da += q.denoised_output_alignment;
  }
  out.separability = out.has_separability ? sep / count : std::numeric_limits<double>::quiet_NaN();
  out.directional_separability = dir / count;
  out.output_alignment = oa / count;
  out.singular_alignment = sa / count;
  out.variance_alignment = va / count;
  out.mean_alignment = ma / count;
  out.composite_alignment = ca / count;
  out.effective_dimension = ed / count;
  out.denoised_output_alignment = da / count;
}

/// Every measure for every label pair (separability when p.separability, on `split` when given).
template <class T, class U>
alignment_result alignment_measures(const char* fn, matrix_view<const T> H, const icl::detail::encoded_labels& enc,
                                    matrix_view<const U> D, const separability_alignment_params& p,
                                    const icl::probe::split_indices* split = nullptr) {
  using C = icl::detail::compute_t<T>;
  const std::size_t n = H.rows(), d = H.cols(), m = enc.n_classes();
  std::vector<C> buffer;
  std::size_t ldh = 0;
  const C* Hc = icl::detail::rows_as_compute<C>(H, 0, n, buffer, ldh);
  const direction_set<C> dirs = read_directions<C>(D, m, p);
  const norm_setup norm = make_norm(p);

  // The rows the logit lens reads: N(h) through the final norm, or without one the rows of Hc
  // themselves (N is the identity, and a C value through double is the same C value).
  std::vector<C> g_all;
  const C* g_rows = Hc;
  std::size_t ldg = ldh;
  if (norm.norm != nullptr) {
    g_all = normalized_block<C>(n, d, norm, [&](std::size_t i, double* h) {
      const C* row = Hc + i * ldh;
      for (std::size_t j = 0; j < d; ++j) h[j] = static_cast<double>(row[j]);
    });
    g_rows = g_all.data();
    ldg = d;
  }

  alignment_result out;
  out.classes = enc.classes;
  out.has_separability = p.separability;
  const auto best = argmax_logits<C>(g_rows, n, d, dirs.candidates, dirs.k, dirs.ld, ldg);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < n; ++i) hits += best[i] == dirs.target(enc.codes[i]) ? 1 : 0;
  out.output_alignment_all_classes = static_cast<double>(hits) / static_cast<double>(n);
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = a + 1; b < m; ++b) {
      const auto idx = pair_rows(enc, a, b);
      out.pairs.push_back(pair_measures<C>(fn, Hc, ldh, idx, enc, a, b, dirs, norm, g_rows, ldg, best, p));
      if (p.separability) pair_separability<C>(fn, Hc, ldh, d, idx, enc, out.pairs.size() - 1, split, p, out.pairs.back());
    }
  }
  average_pairs(out);
  return out;
}

/// Separability alone (the probe per label pair, averaged) on checked input.
template <class T>
alignment_result separability_only(const char* fn, matrix_view<const T> H, const icl::detail::encoded_labels& enc,
                                   const separability_alignment_params& p, const icl::probe::split_indices* split) {
  separability_alignment_params q = p;
  q.separability = true;
  using C = icl::detail::compute_t<T>;
  std::vector<C> buffer;
  std::size_t ldh = 0;
  const C* Hc = icl::detail::rows_as_compute<C>(H, 0, H.rows(), buffer, ldh);
  alignment_result out;
  out.classes = enc.classes;
  out.has_separability = true;
  for (std::size_t a = 0; a < enc.n_classes(); ++a) {
    for (std::size_t b = a + 1; b < enc.n_classes(); ++b) {
      pair_alignment pair = pair_header(enc, a, b);
      pair_separability<C>(fn, Hc, ldh, H.cols(), pair_rows(enc, a, b), enc, out.pairs.size(), split, q, pair);
      out.pairs.push_back(pair);
    }
  }
  double sum = 0.0;
  for (const auto& pair : out.pairs) sum += pair.separability;
  out.separability = sum / static_cast<double>(out.pairs.size());
  return out;
}

/// S(u) of a checked two-class H: the fraction of rows of class 0 with uᵀh ≥ 0 and of class 1
/// with uᵀh < 0 (uᵀh accumulated in double).
template <class T>
double directional_separability_unchecked(matrix_view<const T> H, const icl::detail::encoded_labels& enc,
                                          const std::vector<double>& u) {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < H.rows(); ++i) {
    double acc = 0.0;
    for (std::size_t j = 0; j < H.cols(); ++j) acc += icl::detail::to_double(H(i, j)) * u[j];
    correct += enc.codes[i] == 0 ? (acc >= 0.0 ? 1 : 0) : (acc < 0.0 ? 1 : 0);
  }
  return static_cast<double>(correct) / static_cast<double>(H.rows());
}

/// The step of icl::geometry::separability_alignment_tracker (see icl::layer_tracker): one
/// layer's separability_alignment, with the labels, the viewed label directions and the options
/// held by the tracker. Its curve is the separability.
template <class U>
struct separability_alignment_step {
  using result_type = alignment_result;
  static constexpr const char* add_layer_function = "icl::geometry::separability_alignment_tracker::add_layer";

  std::vector<int> labels;
  matrix_view<const U> directions;
  separability_alignment_params params;

  template <class T>
  result_type operator()(matrix_view<const T> H, std::size_t /*layer*/) const {
    const char* fn = "icl::geometry::separability_alignment";
    const auto enc = check_alignment_input(fn, H, labels, directions, params);
    return alignment_measures(fn, H, enc, directions, params);
  }
  static double curve_value(const result_type& r) noexcept { return r.separability; }
};

/// One curve per measure from the per-layer results (copied into curves.layers).
inline alignment_curves curves_of(const std::vector<alignment_result>& layers) {
  alignment_curves curves;
  for (const alignment_result& r : layers) {
    curves.separability.values.push_back(r.separability);
    curves.directional_separability.values.push_back(r.directional_separability);
    curves.output_alignment.values.push_back(r.output_alignment);
    curves.singular_alignment.values.push_back(r.singular_alignment);
    curves.variance_alignment.values.push_back(r.variance_alignment);
    curves.mean_alignment.values.push_back(r.mean_alignment);
    curves.composite_alignment.values.push_back(r.composite_alignment);
    curves.effective_dimension.values.push_back(r.effective_dimension);
    curves.denoised_output_alignment.values.push_back(r.denoised_output_alignment);
    curves.output_alignment_all_classes.values.push_back(r.output_alignment_all_classes);
  }
  curves.layers = layers;
  return curves;
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_ALIGNMENT_IMPL_HPP
