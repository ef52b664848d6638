// Two translation units of one program, one built with ICL_USE_BLAS and one without
// (tests/core/abi/mix_tu.cpp compiled twice), each reporting which bodies of the library it ran.
#ifndef ICL_TEST_ABI_MIX_HPP
#define ICL_TEST_ABI_MIX_HPP

#include <vector>

#include "icl/config.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/view.hpp"

namespace icl_abi_test {

using gram_function = icl::dense_matrix<float> (*)(icl::matrix_view<const float>);

struct mix_result {
  bool uses_blas = false;         ///< icl::uses_blas(), called through a pointer
  bool unprotected_blas = false;  ///< unprotected_uses_blas(), called through a pointer
  gram_function gram = nullptr;   ///< &icl::gram_matrix<float> as this translation unit sees it
  std::vector<float> values;      ///< gram_matrix of the test matrix, through `gram`
  std::vector<double> product;    ///< icl::detail::product_abt<double> of the test matrices
};

mix_result run_with_blas();     // mix_tu.cpp with ICL_USE_BLAS
mix_result run_without_blas();  // mix_tu.cpp without

/// The control: a function whose body depends on ICL_USE_BLAS and that is NOT in the
/// per-configuration namespace, as every function of the library was before it. Its two
/// definitions share one symbol, so the linker keeps one body for both translation units (the
/// test checks that it does: the test can see a mix when there is one).
inline bool unprotected_uses_blas() noexcept { return ICL_HAS_BLAS != 0; }

}  // namespace icl_abi_test

#endif  // ICL_TEST_ABI_MIX_HPP
