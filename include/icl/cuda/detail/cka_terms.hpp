#ifndef ICL_CUDA_DETAIL_CKA_TERMS_HPP
#define ICL_CUDA_DETAIL_CKA_TERMS_HPP

/// The arithmetic of the device linear CKA (icl::cuda::linear_cka) that does not touch the
/// device. With column-centred X̄ (n x d_x) and Ȳ (n x d_y), K = X̄X̄ᵀ and L = ȲȲᵀ, CKA needs
///   ⟨K, L⟩, ⟨K, K⟩, ⟨L, L⟩                 sums of products of the entries of two matrices:
///                                          K∘L, K∘K, L∘L (Gram route: n < d_x + d_y) or
///                                          (ȲᵀX̄)², (X̄ᵀX̄)², (ȲᵀȲ)² (feature route), as the CPU
///   Σ K_ii L_ii, Σ K_ii², Σ L_ii², tr K, tr L   from the rows' squared norms K_ii = ‖x̄_i‖²
/// The kernels centre the columns (row_mean and centered_value of rdm_tile.hpp, over a column),
/// compute the rows' squared norms and the sums of products; the host adds the rows' terms (add_row_terms) and hands the sums to the CPU
/// library's cka_from_terms (icl/geometry/detail/cka_impl.hpp), which forms the biased or
/// unbiased HSIC estimates and raises its errors with its messages.

#include <cmath>
#include <cstddef>

#include "icl/config.hpp"
#include "icl/cuda/detail/host_device.hpp"

namespace icl::detail::device {

/// The sums of one CKA value (the fields of icl::geometry::detail::cka_terms).
struct cka_sums {
  std::size_t n = 0;
  double kl = 0.0, kk = 0.0, ll = 0.0;     ///< ⟨K,L⟩, ⟨K,K⟩, ⟨L,L⟩
  double dkl = 0.0, dkk = 0.0, dll = 0.0;  ///< Σ K_ii L_ii, Σ K_ii², Σ L_ii²
  double tk = 0.0, tl = 0.0;               ///< tr K, tr L
};

/// True when the terms come from the n x n Gram matrices (n < d_x + d_y), else from the
/// feature-space products: the CPU library's choice.
ICL_HOST_DEVICE inline bool cka_gram_route(std::size_t n, std::size_t dx, std::size_t dy) noexcept {
  return n < dx + dy;
}

/// The matrices whose sums of products give ⟨K,K⟩, ⟨L,L⟩ and ⟨K,L⟩, read in one pass. Gram route
/// (gram): K and L, count_k entries each; entry e adds K_e², L_e² and K_e·L_e. Feature route: the
/// entries of A = X̄ᵀX̄ (count_k), B = ȲᵀȲ (count_l) and M = ȲᵀX̄ (count_m) one after the other,
/// entry e adding its square to the sum of its matrix. The kernel gives each thread the entries
/// e ≡ thread (mod threads), in order, in double.
template <class C>
struct cka_operands {
  const C* k;
  const C* l;
  const C* m;
  std::size_t count_k, count_l, count_m;
  bool gram;

  ICL_HOST_DEVICE std::size_t entries() const noexcept { return gram ? count_k : count_k + count_l + count_m; }
  /// Entry e's products added to acc[0] (⟨K,K⟩), acc[1] (⟨L,L⟩), acc[2] (⟨K,L⟩).
  ICL_HOST_DEVICE void add(std::size_t e, double* acc) const noexcept {
    if (gram) {
      const auto a = static_cast<double>(k[e]), b = static_cast<double>(l[e]);
      acc[0] += a * a;
      acc[1] += b * b;
      acc[2] += a * b;
      return;
    }
    std::size_t which = 0;
    const C* entry = k + e;
    if (e >= count_k + count_l) {
      which = 2;
      entry = m + (e - count_k - count_l);
    } else if (e >= count_k) {
      which = 1;
      entry = l + (e - count_k);
    }
    const auto v = static_cast<double>(*entry);
    acc[which] += v * v;
  }
};

/// Adds row i's diagonal terms from its squared norms kd = K_ii and ld = L_ii.
ICL_HOST_DEVICE inline void add_row_terms(cka_sums& s, double kd, double ld) noexcept {
  s.dkk += kd * kd;
  s.dll += ld * ld;
  s.dkl += kd * ld;
  s.tk += kd;
  s.tl += ld;
}

/// CKA from its terms as cka_from_terms (icl/geometry/detail/cka_impl.hpp) computes it, in host
/// and device code, NaN where cka_from_terms throws (a denominator that is not positive).
ICL_HOST_DEVICE inline double cka_value(const cka_sums& s, bool debiased) noexcept {
  double xy = s.kl, xx = s.kk, yy = s.ll;
  if (debiased) {
    const double n = static_cast<double>(s.n), scale = n / (n - 2.0), tail = (n - 1.0) * (n - 2.0);
    xy = s.kl - scale * s.dkl + s.tk * s.tl / tail;
    xx = s.kk - scale * s.dkk + s.tk * s.tk / tail;
    yy = s.ll - scale * s.dll + s.tl * s.tl / tail;
  }
  if (!(xx > 0.0) || !(yy > 0.0)) return quiet_nan();
  return xy / std::sqrt(xx * yy);
}

/// The sums as the CPU library's term struct (icl::geometry::detail::cka_terms, passed as Terms
/// so that this header includes nothing of the library), for its cka_from_terms.
template <class Terms>
Terms cka_terms_of(const cka_sums& s) {
  return Terms{s.n, s.kl, s.kk, s.ll, s.dkl, s.dkk, s.dll, s.tk, s.tl};  // the same fields, in the same order
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_CKA_TERMS_HPP
