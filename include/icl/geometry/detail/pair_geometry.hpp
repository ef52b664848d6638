#ifndef ICL_GEOMETRY_DETAIL_PAIR_GEOMETRY_HPP
#define ICL_GEOMETRY_DETAIL_PAIR_GEOMETRY_HPP

/// Kernels behind icl/geometry/alignment.hpp that serve the measures of one label pair: the
/// final RMSNorm of the logit lens, the logit-lens argmax and masked moments. The spectrum of a
/// centered block is in detail/spectrum_impl.hpp.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/rms_norm.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"

namespace icl::geometry::detail {

/// The final norm of the logit lens: N(h) = γ ⊙ h / sqrt(mean(h²) + ε) with the parameters of
/// `norm` (γ empty: all ones), or the identity when `norm` is null.
struct norm_setup {
  const icl::rms_norm_params* norm = nullptr;

  /// Writes N(h) (or h) as C values into out.
  template <class C>
  void operator()(const double* h, std::size_t d, C* out) const {
    if (norm == nullptr) {
      for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<C>(h[j]);
      return;
    }
    double ms = 0.0;
    for (std::size_t j = 0; j < d; ++j) ms += h[j] * h[j];
    const double scale = 1.0 / std::sqrt(ms / static_cast<double>(d) + norm->epsilon);
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<C>(icl::detail::rms_norm_gain(*norm, j) * h[j] * scale);
  }
};

/// For each of `count` rows g_i (row-major, leading dimension ldg, d when 0) the index of the
/// largest of the logits candidates·g_i (the first on ties, like numpy.argmax). The logits are
/// formed by GEMM in blocks of rows so that at most about 2^22 of them are held at once.
template <class C>
std::vector<std::size_t> argmax_logits(const C* g, std::size_t count, std::size_t d, const C* candidates,
                                       std::size_t k, std::size_t ldc, std::size_t ldg = 0) {
  if (ldg == 0) ldg = d;
  std::vector<std::size_t> best(count, 0);
  if (count == 0) return best;
  const std::size_t chunk = std::max<std::size_t>(1, std::min(count, (std::size_t{1} << 22) / std::max<std::size_t>(k, 1)));
  std::vector<C> logits(chunk * k);
  for (std::size_t first = 0; first < count; first += chunk) {
    const std::size_t rows = std::min(chunk, count - first);
    icl::detail::product_abt<C>(g + first * ldg, rows, ldg, candidates, k, ldc, d, logits.data(), k);
    for (std::size_t r = 0; r < rows; ++r) {
      const C* l = logits.data() + r * k;
      std::size_t arg = 0;
      for (std::size_t v = 1; v < k; ++v)
        if (l[v] > l[arg]) arg = v;
      best[first + r] = arg;
    }
  }
  return best;
}

/// Rows (double, produced by row(i, buffer)) passed through the norm into a C block.
template <class C, class Row>
std::vector<C> normalized_block(std::size_t count, std::size_t d, const norm_setup& norm, Row&& row) {
  std::vector<C> out(count * d);
  icl::detail::beside_blas_for(0, count, count * d, [&](std::size_t i) {
    std::vector<double> h(d);
    row(i, h.data());
    norm(h.data(), d, out.data() + i * d);
  });
  return out;
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_PAIR_GEOMETRY_HPP
