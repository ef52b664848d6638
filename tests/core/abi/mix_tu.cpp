// Compiled twice into core_abi_mix: once with ICL_USE_BLAS (run_with_blas), once without
// (run_without_blas). Every call goes through a function pointer read from a volatile, so the
// body that runs is the one the linker kept, not a copy the compiler inlined.
#include <cstddef>
#include <vector>

#include "core/abi/mix.hpp"
#include "icl/config.hpp"
#include "icl/core/linalg.hpp"

namespace icl_abi_test {

#if ICL_HAS_BLAS
mix_result run_with_blas() {
#else
mix_result run_without_blas() {
#endif
  mix_result out;
  bool (*volatile uses)() noexcept = &icl::uses_blas;
  bool (*volatile unprotected)() noexcept = &unprotected_uses_blas;
  gram_function volatile gram = &icl::gram_matrix<float>;
  void (*volatile product)(const double*, std::size_t, std::size_t, const double*, std::size_t, std::size_t,
                           std::size_t, double*, std::size_t) = &icl::detail::product_abt<double>;
  out.uses_blas = uses();
  out.unprotected_blas = unprotected();
  out.gram = gram;

  constexpr std::size_t n = 5, d = 7;
  std::vector<float> x(n * d);
  std::vector<double> a(n * d), b(3 * d);
  for (std::size_t k = 0; k < n * d; ++k) {
    x[k] = static_cast<float>((k * 37 % 11)) * 0.25f - 1.0f;
    a[k] = static_cast<double>(k % 5) - 2.0 + 0.125 * static_cast<double>(k);
  }
  for (std::size_t k = 0; k < 3 * d; ++k) b[k] = 1.5 - 0.25 * static_cast<double>(k % 9);
  const icl::dense_matrix<float> g = gram(icl::make_matrix_view(x.data(), n, d));
  out.values = g.values();
  out.product.assign(n * 3, 0.0);
  product(a.data(), n, d, b.data(), 3, d, d, out.product.data(), 3);
  return out;
}

}  // namespace icl_abi_test
