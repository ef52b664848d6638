// The device head scores' per-head arithmetic (icl/cuda/detail/attention_heads.hpp), run on the
// CPU over every head as the kernels run it on the device, against icl::attention.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/attention/heads.hpp"
#include "icl/core/view.hpp"
#include "icl/cuda/detail/attention_heads.hpp"

namespace {

// Every head's result, as the kernel computes them.
template <class T>
std::vector<icl::cuda::detail::head_sum> previous_token_all_heads(const icl::tensor_view<const T, 4>& A) {
  const icl::cuda::detail::attention_layout s{A.extent(0), A.extent(1), A.extent(2), A.stride(0),
                                              A.stride(1), A.stride(2), A.stride(3)};
  const auto read = [&](std::ptrdiff_t offset) { return icl::detail::to_double(A.data()[offset]); };
  std::vector<icl::cuda::detail::head_sum> out;
  for (std::size_t head = 0; head < s.layers * s.heads; ++head) {
    out.push_back(icl::cuda::detail::previous_token_head(s, head, read));
  }
  return out;
}

// [2, 3, 5, 5] attention with distinct values, stored as T, and its transpose in the last two
// axes read through strides (a strided view of the same scores).
template <class T>
void check_previous_token() {
  const std::size_t L = 2, H = 3, n = 5;
  std::vector<T> data(L * H * n * n);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = T(static_cast<float>((i * 37) % 101) / 128.0f);
  const auto A = icl::make_tensor_view(data.data(), std::array<std::size_t, 4>{L, H, n, n});
  const auto At = icl::make_tensor_view(data.data(), std::array<std::size_t, 4>{L, H, n, n},
                                        std::array<std::ptrdiff_t, 4>{A.stride(0), A.stride(1), 1, 5});
  for (const auto& view : {A, At}) {
    const auto expected = icl::attention::previous_token_score(view);
    const auto got = previous_token_all_heads(view);
    REQUIRE(got.size() == expected.values.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].bad_query == n);
      CHECK(got[i].total == expected.values[i]);  // the same sum in the same order
    }
  }

  // A NaN: the first non-finite element per head, as the CPU error names it.
  data[((1 * H + 2) * n + 3) * n + 2] = T(std::numeric_limits<float>::quiet_NaN());
  const auto got = previous_token_all_heads(A);
  CHECK(got[1 * H + 2].bad_query == 3);
  CHECK(std::isnan(got[1 * H + 2].bad_value));
  CHECK(got[0].bad_query == n);
  CHECK_THROWS_WITH(icl::attention::previous_token_score(A),
                    Catch::Matchers::Contains("(layer 1, head 2, query 3, key 2) is nan"));
}

}  // namespace

TEST_CASE("device previous_token_score arithmetic equals icl::attention::previous_token_score", "[cuda]") {
  check_previous_token<float>();
  check_previous_token<double>();
  check_previous_token<icl::f16>();
  check_previous_token<icl::bf16>();
}
