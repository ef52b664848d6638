#ifndef ICL_GEOMETRY_DETAIL_RETENTION_IMPL_HPP
#define ICL_GEOMETRY_DETAIL_RETENTION_IMPL_HPP

/// The checks and bodies of icl/geometry/retention.hpp: the signed top-r right singular vectors
/// of a layer's centred states (detail/spectrum_impl.hpp), the norms of V_{l−1}ᵀV_lV_lᵀ's rows
/// and the decoding of each direction with an unembedding.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "icl/geometry/types.hpp"

namespace icl::geometry::detail {

/// Checks one layer's states: n >= 2, d >= 1, 1 <= r <= min(n − 1, d), no NaN/Inf.
template <class T>
void check_retention_states(const char* fn, const char* name, matrix_view<const T> H, std::size_t r) {
  icl::detail::check_matrix(fn, name, H);
  if (H.rows() < 2 || H.cols() == 0) {
    icl::detail::throw_invalid(fn, name, " has shape ", H.rows(), " x ", H.cols(), ": need at least 2 rows and 1 column");
  }
  const std::size_t most = std::min(H.rows() - 1, H.cols());
  if (r == 0 || r > most) {
    icl::detail::throw_invalid(fn, "r = ", r, " must be in [1, min(n - 1, d)] = [1, ", most, "] for ", name, " (",
                               H.rows(), " x ", H.cols(), ")");
  }
  icl::detail::require_finite(fn, name, H);
}

/// Checks the unembedding against the width d of the states and top_k against its rows.
template <class U>
void check_retention_unembedding(const char* fn, matrix_view<const U> E, std::size_t d, std::size_t top_k) {
  icl::detail::check_matrix(fn, "E", E);
  if (E.cols() != d) icl::detail::throw_invalid(fn, "E has ", E.cols(), " columns but the states have d = ", d);
  if (top_k == 0 || top_k > E.rows()) {
    icl::detail::throw_invalid(fn, "top_k = ", top_k, " must be in [1, ", E.rows(), "] (the rows of E)");
  }
  icl::detail::require_finite(fn, "E", E);
}

/// The top-r unit right singular vectors (r x d, row-major) of H's centred rows, signed so that
/// the largest-magnitude entry of each is positive; throws when the centred states have rank < r.
template <class T>
std::vector<double> signed_right_vectors(const char* fn, matrix_view<const T> H, std::size_t r, std::size_t layer,
                                         std::vector<double>& sigma) {
  using C = icl::detail::compute_t<T>;
  const std::size_t n = H.rows(), d = H.cols();
  std::vector<double> mean;
  const std::vector<C> xc = centered_matrix<C>(H, mean);
  const spectrum sp = centered_spectrum<C>(xc, n, d, r);
  const double floor = sp.sigma.empty() ? 0.0
                                        : sp.sigma[0] * std::sqrt(static_cast<double>(std::max(n, d))) *
                                              static_cast<double>(std::numeric_limits<C>::epsilon());
  std::size_t rank = 0;
  while (rank < sp.sigma.size() && sp.sigma[rank] > floor && sp.sigma[rank] > 0.0) ++rank;
  if (rank < r) {
    icl::detail::throw_invalid(fn, "r = ", r, " exceeds the rank ", rank, " of the centred states of layer ", layer);
  }
  sigma.assign(sp.sigma.begin(), sp.sigma.begin() + static_cast<std::ptrdiff_t>(r));
  std::vector<double> V(sp.scaled_right.begin(), sp.scaled_right.begin() + static_cast<std::ptrdiff_t>(r * d));
  for (std::size_t k = 0; k < r; ++k) {
    double* v = V.data() + k * d;
    double norm = 0.0;
    std::size_t largest = 0;
    for (std::size_t j = 0; j < d; ++j) {
      norm += v[j] * v[j];
      if (std::abs(v[j]) > std::abs(v[largest])) largest = j;
    }
    const double scale = (v[largest] < 0.0 ? -1.0 : 1.0) / std::sqrt(norm);
    for (std::size_t j = 0; j < d; ++j) v[j] *= scale;
  }
  return V;
}

/// ‖V_c V_cᵀ v_i‖ for each row v_i of Vp (both r x d with orthonormal rows).
inline std::vector<double> retention_norms(const std::vector<double>& Vp, const std::vector<double>& Vc, std::size_t r,
                                           std::size_t d) {
  std::vector<double> norms(r), c(r), w(d);
  for (std::size_t i = 0; i < r; ++i) {
    const double* v = Vp.data() + i * d;
    for (std::size_t k = 0; k < r; ++k) c[k] = std::inner_product(v, v + d, Vc.data() + k * d, 0.0);
    std::fill(w.begin(), w.end(), 0.0);
    for (std::size_t k = 0; k < r; ++k)
      for (std::size_t j = 0; j < d; ++j) w[j] += c[k] * Vc[k * d + j];
    norms[i] = std::sqrt(std::inner_product(w.begin(), w.end(), w.begin(), 0.0));
  }
  return norms;
}

/// The top_k tokens of E·v (largest first) and the bottom top_k (smallest first) of each
/// direction; ties go to the lower token id.
template <class U>
void decode_directions(matrix_view<const U> E, std::size_t top_k, retention_result& out) {
  const std::size_t d = E.cols(), r = out.norms.size(), vocabulary = E.rows();
  std::vector<double> scores(vocabulary);
  std::vector<std::size_t> order(vocabulary);
  for (std::size_t i = 0; i < r; ++i) {
    const double* v = out.directions.data() + i * d;
    for (std::size_t t = 0; t < vocabulary; ++t) {
      double acc = 0.0;
      for (std::size_t j = 0; j < d; ++j) acc += icl::detail::to_double(E(t, j)) * v[j];
      scores[t] = acc;
    }
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    out.top_tokens.emplace_back(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top_k));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    out.bottom_tokens.emplace_back(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top_k));
  }
}

/// Checks the states of retention(previous, current, r): each as check_retention_states, same d.
template <class T>
void check_retention_pair(const char* fn, matrix_view<const T> previous, matrix_view<const T> current, std::size_t r) {
  check_retention_states(fn, "previous", previous, r);
  check_retention_states(fn, "current", current, r);
  if (previous.cols() != current.cols()) {
    icl::detail::throw_invalid(fn, "previous has d = ", previous.cols(), " columns but current has d = ", current.cols());
  }
}

/// Checks H [layers, n, d] of layer_retention: at least 2 layers, each as check_retention_states.
template <class T>
void check_retention_layers(const char* fn, tensor_view<const T, 3> H, std::size_t r) {
  const std::size_t layers = icl::detail::check_layers(fn, "H", H);
  if (layers < 2) icl::detail::throw_invalid(fn, "H has ", layers, " layer(s): retention needs at least 2");
  check_retention_states(fn, "H", H.matrix(0), r);
  for (std::size_t l = 1; l < layers; ++l) icl::detail::require_finite(fn, "H", H.matrix(l));
}

/// Retention for each consecutive pair of `layers` (checked input): the signed directions of
/// every layer once, then the norms of each transition; decoded with E when given.
template <class T, class U>
std::vector<retention_result> retention_sequence(const char* fn, const std::vector<matrix_view<const T>>& layers,
                                                 std::size_t r, const matrix_view<const U>* E, std::size_t top_k) {
  std::vector<std::vector<double>> V(layers.size()), sigma(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) V[l] = signed_right_vectors(fn, layers[l], r, l, sigma[l]);
  std::vector<retention_result> out(layers.size() - 1);
  for (std::size_t l = 1; l < layers.size(); ++l) {
    retention_result& step = out[l - 1];
    step.layer = l;
    step.norms = retention_norms(V[l - 1], V[l], r, layers[l].cols());
    step.directions = V[l - 1];
    step.singular_values = sigma[l - 1];
    if (E != nullptr) decode_directions(*E, top_k, step);
  }
  return out;
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_RETENTION_IMPL_HPP
