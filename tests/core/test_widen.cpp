// icl-test: also-without-blas
// widen_to_float: every f16 and bf16 bit pattern, through the run-time dispatched path and the
// portable one, at lengths that exercise the vector body and its tail.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "icl/core/widen.hpp"

namespace {

template <class H>
std::vector<H> every_pattern() {
  std::vector<H> out(65536);
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    std::memcpy(static_cast<void*>(&out[b]), &bits, sizeof bits);  // H is a 16-bit wrapper of its bits
  }
  return out;
}

/// Same float, NaN for NaN (payloads are not compared).
void require_same(float actual, float expected, std::size_t index) {
  INFO("pattern " << index);
  if (std::isnan(expected)) {
    REQUIRE(std::isnan(actual));
  } else {
    std::uint32_t a, e;
    std::memcpy(&a, &actual, sizeof a);
    std::memcpy(&e, &expected, sizeof e);
    REQUIRE(a == e);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("widen_to_float is exact for every half-precision bit pattern", "[core][widen]", icl::f16, icl::bf16) {
  const auto in = every_pattern<TestType>();
  std::vector<float> out(in.size(), -1.0f);
  icl::detail::widen_to_float(in.data(), in.size(), out.data());
  for (std::size_t i = 0; i < in.size(); ++i) require_same(out[i], static_cast<float>(in[i]), i);
}

TEST_CASE("widen_to_float: dispatched and portable f16 paths agree at every length", "[core][widen]") {
  const auto in = every_pattern<icl::f16>();
  for (std::size_t count = 0; count <= 41; ++count) {
    for (std::size_t offset : {std::size_t{0}, std::size_t{3}, std::size_t{31744}}) {  // 31744: +inf and NaNs
      std::vector<float> fast(count + 1, 7.0f), portable(count + 1, 7.0f);
      icl::detail::widen_to_float(in.data() + offset, count, fast.data());
      icl::detail::widen_f16_portable(in.data() + offset, count, portable.data());
      for (std::size_t i = 0; i < count; ++i) require_same(fast[i], portable[i], offset + i);
      REQUIRE(fast[count] == 7.0f);  // nothing written past the end
    }
  }
  INFO("F16C available: " << icl::detail::has_f16c());
  SUCCEED();
}

TEST_CASE("widen_to_float copies float and narrows double", "[core][widen]") {
  const std::vector<float> f = {1.5f, -0.0f, 3e38f};
  std::vector<float> out(3);
  icl::detail::widen_to_float(f.data(), f.size(), out.data());
  REQUIRE(out == f);
  const std::vector<double> d = {0.1, -2.0};
  icl::detail::widen_to_float(d.data(), d.size(), out.data());
  REQUIRE(out[0] == 0.1f);
  REQUIRE(out[1] == -2.0f);
}
