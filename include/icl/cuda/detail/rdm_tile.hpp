#ifndef ICL_CUDA_DETAIL_RDM_TILE_HPP
#define ICL_CUDA_DETAIL_RDM_TILE_HPP

/// The arithmetic of the device RDM (icl::cuda::compute_rdm) that does not touch the device:
/// the schedule of Gram tiles, the per-row factors, and the finishing of a tile of the Gram
/// product into dissimilarities written at their condensed positions. The kernels call these
/// functions per row or per element; the CPU tests run them over the same index space.
///
/// The formulas are those of the CPU library (icl/rsa/detail/rdm_impl.hpp), term by term and in
/// the same order, so that a Gram entry g_ij gives the same double on both paths:
///   sqeuclidean              max(0, (f_i + f_j) − 2 g_ij)            f = ‖x‖²
///   euclidean                √ of the above
///   sqeuclidean_per_feature  the sqeuclidean value · (1/d)
///   cosine, correlation      1 − (g_ij · f_i) · f_j                   f = 1/‖x‖
/// correlation is cosine over the rows after removing each row's mean (centre the rows, in the
/// compute type, before the Gram product: centered_value). An unusable row (NaN/Inf, or a zero
/// norm under cosine/correlation with nan_policy::propagate) has the factor NaN, so every
/// dissimilarity that involves it is NaN; max(0, NaN) stays NaN.
///
/// Tiles: the n rows are cut into blocks of b rows; the tiles are the pairs of blocks (I, J ≥ I),
/// numbered row by row (I = 0: J = 0, 1, ...; then I = 1 from J = 1; ...), the order of the CPU
/// loop. A tile's entries (r, c) with i = I·b + r < j = J·b + c are pairs of the strict upper
/// triangle; the others (the lower half and the diagonal of a diagonal tile) are skipped. Only one
/// b × b tile need exist at a time: n² never does.

#include <cmath>
#include <cstddef>

#include "icl/config.hpp"
#include "icl/cuda/detail/host_device.hpp"

namespace icl::detail::device {

/// The map from (row factors, Gram entry) to a dissimilarity (of icl::rsa::dissimilarity: see
/// rdm_map_of in icl/cuda/detail/results.hpp).
enum class rdm_map : unsigned char { sqeuclidean, euclidean, sqeuclidean_per_feature, cosine };

/// Element x of a row with mean `mean`, centred and converted to the compute type C of the Gram
/// product (as the CPU library converts its centred blocks).
template <class C>
ICL_HOST_DEVICE inline C centered_value(double x, double mean) noexcept {
  return static_cast<C>(x - mean);
}

/// The mean of a row from the double sum of its d elements.
ICL_HOST_DEVICE inline double row_mean(double sum, std::size_t d) noexcept { return sum / static_cast<double>(d); }

/// Why a row cannot enter the RDM (checked on the host against nan_policy).
enum class row_status : unsigned char {
  usable,
  non_finite,  ///< a NaN or Inf element: the CPU library names its first column
  zero_norm    ///< cosine: an all-zero row; correlation: a constant row (zero variance)
};

/// The status of a row from its (centred) squared norm: non_finite unless `finite` (its sum and
/// squared norm are finite), zero_norm for a norm that is not positive under the cosine map.
ICL_HOST_DEVICE inline row_status rdm_row_status(rdm_map map, bool finite, double squared_norm) noexcept {
  if (!finite) return row_status::non_finite;
  if (map == rdm_map::cosine && !(squared_norm > 0.0)) return row_status::zero_norm;
  return row_status::usable;
}

/// The per-row factor f_i of the map: ‖x_i‖² (the euclidean family) or 1/‖x_i‖ (cosine), NaN for
/// a row that is not usable.
ICL_HOST_DEVICE inline double rdm_row_factor(rdm_map map, row_status status, double squared_norm) noexcept {
  if (status != row_status::usable) return quiet_nan();
  return map == rdm_map::cosine ? 1.0 / std::sqrt(squared_norm) : squared_norm;
}

/// max(0, v) that keeps a NaN.
ICL_HOST_DEVICE inline double clamp_at_zero(double v) noexcept { return v < 0.0 ? 0.0 : v; }

/// The dissimilarity of the pair (i, j), i < j, from its Gram entry g and the row factors
/// fi = f_i, fj = f_j. per_feature is 1/d (used by sqeuclidean_per_feature only).
ICL_HOST_DEVICE inline double rdm_entry(rdm_map map, double g, double fi, double fj, double per_feature) noexcept {
  if (map == rdm_map::cosine) return 1.0 - g * fi * fj;
  const double squared = clamp_at_zero(fi + fj - 2.0 * g);
  if (map == rdm_map::euclidean) return std::sqrt(squared);
  if (map == rdm_map::sqeuclidean_per_feature) return squared * per_feature;
  return squared;
}

/// Position of pair (i, j), i < j < n, in the condensed vector (scipy squareform order):
/// i·n − i(i+1)/2 + (j − i − 1), as icl::detail::condensed_index.
ICL_HOST_DEVICE inline std::size_t pair_position(std::size_t n, std::size_t i, std::size_t j) noexcept {
  return i * n - i * (i + 1) / 2 + (j - i - 1);
}

/// One tile of the schedule: rows [i0, i0 + rows) against rows [j0, j0 + cols), j0 >= i0.
struct rdm_tile {
  std::size_t i0 = 0, j0 = 0, rows = 0, cols = 0;

  /// Whether the pair is a diagonal tile (I = J): then only the entries r < c are pairs.
  ICL_HOST_DEVICE bool diagonal() const noexcept { return i0 == j0; }
  /// Whether tile entry (r, c) is a pair i < j of the strict upper triangle.
  ICL_HOST_DEVICE bool holds_pair(std::size_t r, std::size_t c) const noexcept { return i0 + r < j0 + c; }
};

/// The tiles of n rows in blocks of b rows (b >= 1): blocks() = ⌈n/b⌉ blocks, tiles() =
/// blocks()·(blocks() + 1)/2 tiles, tile(t) the t-th in the CPU library's order.
struct rdm_schedule {
  std::size_t n = 0, b = 1;

  ICL_HOST_DEVICE std::size_t blocks() const noexcept { return (n + b - 1) / b; }
  ICL_HOST_DEVICE std::size_t tiles() const noexcept { return blocks() * (blocks() + 1) / 2; }

  /// Tile t < tiles(): block row I is the largest with I·B − I(I−1)/2 <= t, B = blocks().
  ICL_HOST_DEVICE rdm_tile tile(std::size_t t) const noexcept {
    const std::size_t count = blocks();
    std::size_t block_i = 0, first = 0;  // first: number of the tile (I, I)
    while (first + (count - block_i) <= t) {
      first += count - block_i;
      ++block_i;
    }
    const std::size_t block_j = block_i + (t - first);
    rdm_tile out;
    out.i0 = block_i * b;
    out.j0 = block_j * b;
    out.rows = n - out.i0 < b ? n - out.i0 : b;
    out.cols = n - out.j0 < b ? n - out.j0 : b;
    return out;
  }
};

/// Writes the dissimilarity of tile entry (r, c) to out[pair_position(n, i, j)] when it is a pair
/// i < j (the per-element kernel body). g is the Gram entry (x_i · x_j, in the compute type of
/// the product); factor holds f for all n rows.
ICL_HOST_DEVICE inline void finish_tile_entry(rdm_map map, const rdm_tile& tile, std::size_t n, std::size_t r,
                                              std::size_t c, double g, const double* factor, double per_feature,
                                              double* out) noexcept {
  if (!tile.holds_pair(r, c)) return;
  const std::size_t i = tile.i0 + r, j = tile.j0 + c;
  out[pair_position(n, i, j)] = rdm_entry(map, g, factor[i], factor[j], per_feature);
}

/// finish_tile_entry over the whole tile, read from `gram` with element (r, c) at
/// r·row_stride + c·col_stride (row-major: (cols, 1); cuBLAS column-major: (1, ld)). The host
/// form of the launcher's index space (one thread per entry).
template <class C>
void finish_tile(rdm_map map, const rdm_tile& tile, std::size_t n, const C* gram, std::ptrdiff_t row_stride,
                 std::ptrdiff_t col_stride, const double* factor, double per_feature, double* out) noexcept {
  for (std::size_t r = 0; r < tile.rows; ++r) {
    for (std::size_t c = 0; c < tile.cols; ++c) {
      const C g = gram[static_cast<std::ptrdiff_t>(r) * row_stride + static_cast<std::ptrdiff_t>(c) * col_stride];
      finish_tile_entry(map, tile, n, r, c, static_cast<double>(g), factor, per_feature, out);
    }
  }
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_RDM_TILE_HPP
