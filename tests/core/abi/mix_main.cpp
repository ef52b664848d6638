// One program, two configurations: translation units built with and without ICL_USE_BLAS link
// distinct symbols for the library's functions (icl/config.hpp, ICL_ABI_NAMESPACE), so each
// runs its own configuration's body, and both give the same numbers.
#include <catch2/catch.hpp>

#include <cstddef>

#include "core/abi/mix.hpp"

using icl_abi_test::mix_result;

TEST_CASE("each configuration keeps its own bodies in one program", "[core][abi]") {
  const mix_result with = icl_abi_test::run_with_blas();
  const mix_result without = icl_abi_test::run_without_blas();

  // Each translation unit ran its own configuration's body.
  CHECK(with.uses_blas);
  CHECK_FALSE(without.uses_blas);
  // Two symbols, not one: the function has a different address in each configuration.
  CHECK(with.gram != without.gram);

  // The control: a configuration-dependent inline function outside the per-configuration
  // namespace has one symbol, and both translation units ran the same body (so the checks
  // above would have seen the mix had the library not separated the configurations).
  CHECK(with.unprotected_blas == without.unprotected_blas);
}

TEST_CASE("both configurations give the same numbers", "[core][abi]") {
  const mix_result with = icl_abi_test::run_with_blas();
  const mix_result without = icl_abi_test::run_without_blas();
  REQUIRE(with.values.size() == 25);
  REQUIRE(without.values.size() == with.values.size());
  for (std::size_t k = 0; k < with.values.size(); ++k) {
    INFO("gram entry " << k);
    CHECK(with.values[k] == Approx(without.values[k]).epsilon(1e-6).margin(1e-6));
  }
  REQUIRE(with.product.size() == without.product.size());
  for (std::size_t k = 0; k < with.product.size(); ++k) {
    INFO("product entry " << k);
    CHECK(with.product[k] == Approx(without.product[k]).epsilon(1e-12).margin(1e-12));
  }
}
