#ifndef ICL_GEOMETRY_CKA_HPP
#define ICL_GEOMETRY_CKA_HPP

/// Linear centered kernel alignment (Kornblith et al. 2019; METRICS.md 4), for comparing layers,
/// models, or states with and without in-context demonstrations. X (n x d_x) and Y (n x d_y)
/// hold the same n prompts in the same row order.
///
///   biased:   CKA = ⟨K̄, L̄⟩ / (‖K̄‖_F ‖L̄‖_F),  K̄ = HXXᵀH, L̄ = HYYᵀH (H the centering matrix)
///   debiased: the same ratio of unbiased HSIC estimates (U-centered Gram matrices, zero
///             diagonal), as in Kornblith et al.'s reference notebook; needs n > 3.
///
/// Computed from the n x n Gram matrices (SYRK) when n < d_x + d_y, otherwise from the
/// d x d products X̄ᵀX̄, ȲᵀȲ, ȲᵀX̄; products in float for float/f16/bf16 inputs (double when
/// either input is double), every sum in double. See docs/geometry.md.

#include <cstddef>
#include <type_traits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/cka_impl.hpp"
#include "icl/geometry/detail/pair_geometry.hpp"
#include "icl/layers.hpp"

namespace icl::geometry {

namespace detail {

/// float unless either input is double.
template <class T, class U>
using cka_compute_t = std::conditional_t<std::is_same_v<icl::detail::compute_t<T>, double> ||
                                             std::is_same_v<icl::detail::compute_t<U>, double>,
                                         double, float>;

inline void check_cka_rows(const char* fn, std::size_t n, bool debiased) {
  if (debiased && n <= 3) {
    icl::detail::throw_invalid(fn, "debiased CKA needs n > 3 rows, got n = ", n);
  }
  if (n < 2) icl::detail::throw_invalid(fn, "need n >= 2 rows, got n = ", n);
}

template <class T, class U>
void check_cka_input(const char* fn, matrix_view<const T> X, matrix_view<const U> Y, bool debiased) {
  icl::detail::check_matrix(fn, "X", X);
  icl::detail::check_matrix(fn, "Y", Y);
  if (X.rows() != Y.rows()) {
    icl::detail::throw_invalid(fn, "X has ", X.rows(), " rows but Y has ", Y.rows(), " (the same prompts are needed)");
  }
  if (X.cols() == 0 || Y.cols() == 0) {
    icl::detail::throw_invalid(fn, "X and Y need at least one column, got d_x = ", X.cols(), ", d_y = ", Y.cols());
  }
  check_cka_rows(fn, X.rows(), debiased);
  icl::detail::require_finite(fn, "X", X);
  icl::detail::require_finite(fn, "Y", Y);
}

template <class C, class T, class U>
double linear_cka_unchecked(const char* fn, matrix_view<const T> X, matrix_view<const U> Y, bool debiased) {
  const std::size_t n = X.rows(), dx = X.cols(), dy = Y.cols();
  std::vector<double> mean;
  const auto xc = centered_matrix<C>(X, mean);
  const auto yc = centered_matrix<C>(Y, mean);
  cka_terms t;
  if (n < dx + dy) {
    const auto K = make_centered_gram<C>(xc, n, dx);
    const auto L = make_centered_gram<C>(yc, n, dy);
    t = terms_from_grams(K, L, false);
  } else {
    t = terms_from_features<C>(xc, dx, yc, dy, n);
  }
  return cka_from_terms(fn, t, debiased);
}

}  // namespace detail

/// Linear CKA between X (n x d_x) and Y (n x d_y), biased (default) or debiased.
/// Throws icl::invalid_argument when the row counts differ, n < 2 (n <= 3 when debiased), an
/// input holds NaN/Inf, or an input has zero variance (or, debiased, a non-positive unbiased
/// self-HSIC), naming icl::geometry::linear_cka.
template <class T, class U>
double linear_cka(matrix_view<const T> X, matrix_view<const U> Y, bool debiased = false) {
  const char* fn = "icl::geometry::linear_cka";
  detail::check_cka_input(fn, X, Y, debiased);
  return detail::linear_cka_unchecked<detail::cka_compute_t<T, U>>(fn, X, Y, debiased);
}

/// Linear CKA between corresponding layers of two [layers, n, d] tensors (d may differ).
template <class T, class U>
layer_curve cka_curve(tensor_view<const T, 3> X, tensor_view<const U, 3> Y, bool debiased = false) {
  const char* fn = "icl::geometry::cka_curve";
  const std::size_t layers = icl::detail::check_layers(fn, "X", X);
  if (icl::detail::check_layers(fn, "Y", Y) != layers) {
    icl::detail::throw_invalid(fn, "X has ", layers, " layers but Y has ", Y.extent(0));
  }
  layer_curve out;
  for (std::size_t l = 0; l < layers; ++l) out.values.push_back(linear_cka(X.matrix(l), Y.matrix(l), debiased));
  return out;
}

/// CKA between every layer of X and every layer of Y ([layers_x, n, d_x] and [layers_y, n,
/// d_y]): a layers_x x layers_y matrix. Each layer's centered n x n Gram matrix is formed once
/// (layers_x + layers_y of them are held, in the compute type).
template <class T, class U>
dense_matrix<double> cka_matrix(tensor_view<const T, 3> X, tensor_view<const U, 3> Y, bool debiased = false) {
  const char* fn = "icl::geometry::cka_matrix";
  using C = detail::cka_compute_t<T, U>;
  const std::size_t lx = icl::detail::check_layers(fn, "X", X), ly = icl::detail::check_layers(fn, "Y", Y);
  const std::size_t n = X.extent(1);
  if (Y.extent(1) != n) icl::detail::throw_invalid(fn, "X has ", n, " rows per layer but Y has ", Y.extent(1));
  if (X.extent(2) == 0 || Y.extent(2) == 0) {
    icl::detail::throw_invalid(fn, "X and Y need at least one column, got d_x = ", X.extent(2), ", d_y = ", Y.extent(2));
  }
  detail::check_cka_rows(fn, n, debiased);
  const auto grams = [&](auto tensor, std::size_t layers, const char* name) {
    std::vector<detail::centered_gram<C>> out;
    for (std::size_t l = 0; l < layers; ++l) {
      const auto M = tensor.matrix(l);
      icl::detail::require_finite(fn, name, M);
      std::vector<double> mean;
      const auto c = detail::centered_matrix<C>(M, mean);
      out.push_back(detail::make_centered_gram<C>(c, n, M.cols()));
    }
    return out;
  };
  const bool same = static_cast<const void*>(X.data()) == static_cast<const void*>(Y.data()) &&
                    std::is_same_v<std::remove_cv_t<T>, std::remove_cv_t<U>> && X.extents() == Y.extents() &&
                    X.strides() == Y.strides();
  const auto gx = grams(X, lx, "X");
  const auto gy = same ? std::vector<detail::centered_gram<C>>() : grams(Y, ly, "Y");
  const auto& ys = same ? gx : gy;
  // ⟨K, K⟩ of each layer once; one inner product per pair of layers.
  std::vector<double> self_x(lx), self_y(ly);
  for (std::size_t a = 0; a < lx; ++a) self_x[a] = detail::gram_inner(gx[a], gx[a]);
  for (std::size_t b = 0; b < ly; ++b) self_y[b] = same ? self_x[b] : detail::gram_inner(ys[b], ys[b]);
  dense_matrix<double> out(lx, ly);
  for (std::size_t a = 0; a < lx; ++a) {
    for (std::size_t b = 0; b < ly; ++b) {
      if (same && b < a) {
        out(a, b) = out(b, a);
        continue;
      }
      detail::cka_terms t;
      t.n = n;
      t.kk = self_x[a];
      t.ll = self_y[b];
      t.kl = detail::gram_inner(gx[a], ys[b]);
      t.dkk = detail::dot(gx[a].diag, gx[a].diag);
      t.dll = detail::dot(ys[b].diag, ys[b].diag);
      t.dkl = detail::dot(gx[a].diag, ys[b].diag);
      t.tk = gx[a].trace;
      t.tl = ys[b].trace;
      out(a, b) = detail::cka_from_terms(fn, t, debiased);
    }
  }
  return out;
}

/// CKA between every pair of layers of one [layers, n, d] tensor (symmetric, ones on the diagonal).
template <class T>
dense_matrix<double> cka_matrix(tensor_view<const T, 3> X, bool debiased = false) {
  return cka_matrix(X, X, debiased);
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_CKA_HPP
