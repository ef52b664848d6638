// Checks ggml_device_views.cuh on the host (no device and no llama.cpp needed: a view is only a
// pointer, a shape and strides, and nothing is read): the views of ggml tensors of the shapes
// llama.cpp's eval callback hands over, contiguous and permuted, for f32, f16 and bf16, and the
// rejection of a byte stride that is not a multiple of the element size and of a wrong shape.
// Built and run as the test example_check_ggml_device_views when the cuda component is built.

#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "ggml_device_views.cuh"

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

const void* const fake_device_address = reinterpret_cast<const void*>(std::uintptr_t{0x7f0000000000});

/// Whether attention_view rejects the layout with std::invalid_argument.
template <class T>
bool rejected(const std::int64_t (&ne)[4], const std::size_t (&nb)[4], std::size_t tokens) {
  try {
    static_cast<void>(ggml_views::attention_view<T>(fake_device_address, ne, nb, tokens, "kq_soft_max-2"));
  } catch (const std::invalid_argument&) {
    return true;
  }
  return false;
}

template <class T>
void check_type() {
  const std::size_t e = sizeof(T);
  // kq_soft_max: [n_kv = 8, T = 6, heads = 4], contiguous (ggml: nb[0] = element size, nb[k] =
  // nb[k-1] * ne[k-1]).
  const std::int64_t ne[4] = {8, 6, 4, 1};
  const std::size_t nb[4] = {e, 8 * e, 48 * e, 192 * e};
  const auto A = ggml_views::attention_view<T>(fake_device_address, ne, nb, 6, "kq_soft_max-0");
  expect(A.extent(0) == 4 && A.extent(1) == 6 && A.extent(2) == 6, "attention extents [heads, T, T]");
  expect(A.stride(0) == 48 && A.stride(1) == 8 && A.stride(2) == 1, "attention strides in elements");
  expect(A.data() == fake_device_address, "attention data pointer");

  // The same weights with heads innermost in memory (a permuted ggml view): nb = {4e, 32e, e}.
  const std::size_t permuted[4] = {4 * e, 32 * e, e, 192 * e};
  const auto P = ggml_views::attention_view<T>(fake_device_address, ne, permuted, 6, "kq_soft_max-1");
  expect(P.stride(0) == 1 && P.stride(1) == 32 && P.stride(2) == 4, "permuted attention strides");

  // l_out: [n_embd = 16, rows = 5], contiguous, and one row of a wider buffer (nb[1] padded).
  const std::int64_t states_ne[4] = {16, 5, 1, 1};
  const std::size_t states_nb[4] = {e, 16 * e, 80 * e, 80 * e};
  const auto S = ggml_views::states_view<T>(fake_device_address, states_ne, states_nb, "l_out-0");
  expect(S.rows() == 5 && S.cols() == 16 && S.row_stride() == 16 && S.col_stride() == 1, "states view");
  const std::size_t padded_nb[4] = {e, 24 * e, 120 * e, 120 * e};
  const auto Q = ggml_views::states_view<T>(fake_device_address, states_ne, padded_nb, "l_out-1");
  expect(Q.row_stride() == 24 && Q.col_stride() == 1, "states view with padded rows");

  // Errors: a byte stride that is not a multiple of the element size, and a wrong query count.
  const std::size_t odd[4] = {e, 8 * e + 1, 48 * e, 192 * e};
  expect(e == 1 || rejected<T>(ne, odd, 6), "a byte stride that is not a multiple of the element size is rejected");
  expect(rejected<T>(ne, nb, 7), "a query count other than the prompt's tokens is rejected");
}

}  // namespace

int main() {
  check_type<float>();
  check_type<__half>();
  check_type<__nv_bfloat16>();
  if (failures != 0) return 1;
  std::printf("ggml device views: ok\n");
  return 0;
}
