// icl-test: also-without-blas
// The condensed upper triangle (icl/core/condensed.hpp): positions of pairs in scipy squareform
// order, the tabulated form, and n from the number of pairs.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>

#include "icl/core/condensed.hpp"
#include "icl/core/error.hpp"

TEST_CASE("condensed_index walks the upper triangle row by row", "[core][condensed]") {
  for (std::size_t n : {2u, 3u, 7u, 64u}) {
    const icl::detail::condensed_indexer index(n);
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
      REQUIRE(icl::detail::condensed_row_start(n, i) == k);
      for (std::size_t j = i + 1; j < n; ++j, ++k) {
        REQUIRE(icl::detail::condensed_index(n, i, j) == k);
        REQUIRE(icl::detail::condensed_index_unordered(n, i, j) == k);
        REQUIRE(icl::detail::condensed_index_unordered(n, j, i) == k);
        REQUIRE(index(i, j) == k);
        REQUIRE(index(j, i) == k);
      }
    }
    REQUIRE(k == icl::detail::checked_pair_count("test", n));
  }
  static_assert(icl::detail::condensed_index(5, 1, 3) == 5, "usable in constant expressions");
}

TEST_CASE("conditions_from_pair_count inverts n(n-1)/2", "[core][condensed]") {
  for (std::size_t n = 2; n < 2000; n += 7) {
    REQUIRE(icl::detail::conditions_from_pair_count("test", n * (n - 1) / 2) == n);
  }
  const std::size_t big = std::size_t{1} << 31;
  REQUIRE(icl::detail::conditions_from_pair_count("test", big / 2 * (big - 1)) == big);
  for (std::size_t m : {0u, 2u, 4u, 5u, 11u}) {
    REQUIRE_THROWS_WITH(icl::detail::conditions_from_pair_count("icl::x::f", m),
                        Catch::StartsWith("icl::x::f: length " + std::to_string(m) + " is not a triangular number"));
  }
}
