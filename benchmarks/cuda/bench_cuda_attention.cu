/// The device attention statistics against the device's bandwidth, measured in the same run
/// (docs/benchmarks.md, "CUDA"). Options: cuda_bench.cuh.
///
/// One prompt's attention as an f16 [layers, heads, T, T] tensor, C order, causal rows (A[l, h,
/// q, k] = 1/(q + 1) for k <= q, else 0), label positions every 16th position from 8 on (labels
/// alternating 0, 1):
///   - the limit: cudaMemcpyAsync of the whole tensor to a second device buffer. Its rate is the
///     bytes moved, read and written (2 x the tensor), per second: the device's bandwidth;
///   - previous_token_score, induction_score, label_attention, and attention_ratio from the last
///     position and from every position (relevant: the label positions labelled 0, irrelevant:
///     those labelled 1). Each is credited the bytes of the elements it must read (previous
///     token: the subdiagonal, L·H·(T−1) elements; induction, label attention and the last-token
///     ratio: row T−1 and the label positions of each head; the all-positions ratio: every row
///     whole, plus its label positions), so a fraction of 1 means reading those bytes at the
///     device's bandwidth. The scores that read one element per row (previous token) or one row
///     per head are bound by latency, not bandwidth: their fraction is small by nature, their
///     time is what counts.
/// The all-positions ratio is first timed on 16 source rows; when every row would take more
/// than 60 s for the warm-up and the timed calls together, the row says how many source rows it
/// measured instead.
///
/// Sizes: full [32, 32, 2048, 2048], 8 GiB (16 GiB of device memory with the copy's target);
/// small [8, 32, 2048, 2048], 2 GiB; tiny [2, 4, 256, 256].

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include <cuda_fp16.h>

#include "icl/cuda/attention.cuh"

#include "cuda_bench.cuh"

namespace {

using namespace icl_cuda_bench;

/// Causal rows: element (l, h, q, k) of a C-order [., ., T, T] tensor is 1/(q + 1) for k <= q.
__global__ void causal_kernel(__half* out, std::size_t count, std::size_t tokens) {
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t k = i % tokens, q = (i / tokens) % tokens;
    out[i] = __float2half(k <= q ? 1.0f / static_cast<float>(q + 1) : 0.0f);
  }
}

/// `count` positions spread evenly over [0, tokens).
std::vector<std::size_t> spread(std::size_t count, std::size_t tokens) {
  std::vector<std::size_t> p(count);
  for (std::size_t i = 0; i < count; ++i) p[i] = i * tokens / count;
  return p;
}

void attention_cases(const options& o, icl::cuda::resources& res, std::size_t layers, std::size_t heads,
                     std::size_t tokens) {
  const std::size_t count = layers * heads * tokens * tokens;
  const double bytes = 2.0 * static_cast<double>(count);
  char shape_text[96];
  std::snprintf(shape_text, sizeof shape_text, " [%zu, %zu, %zu, %zu] f16 (%.3g GiB)", layers, heads, tokens, tokens,
                bytes / double(1 << 30));
  const std::string shape = shape_text;
  if (!fits("attention statistics" + shape, 2.0 * bytes)) return;

  icl::cuda::device_buffer<__half> A(res, count);
  causal_kernel<<<4096, 256, 0, res.stream()>>>(A.data(), count, tokens);
  icl::cuda::detail::check_launch("bench_cuda_attention", "causal_kernel");
  const auto view = icl::cuda::make_device_tensor_view<__half, 4>(A.data(), {layers, heads, tokens, tokens});

  const rate copy{2.0 * bytes, 1e9, "GB/s"};
  double copy_ms = 0.0;
  {
    icl::cuda::device_buffer<__half> target(res, count);
    copy_ms = median_ms(res.stream(), o.repetitions, [&] {
      icl::cuda::detail::check_cuda("bench_cuda_attention", "cudaMemcpyAsync",
                                    cudaMemcpyAsync(target.data(), A.data(), static_cast<std::size_t>(bytes),
                                                    cudaMemcpyDeviceToDevice, res.stream()));
    });
  }
  const double limit = copy.of(copy_ms);
  print_limit_row("cudaMemcpyAsync device to device, read + write" + shape, copy_ms, copy);

  std::vector<std::size_t> label_positions, relevant, irrelevant;
  std::vector<int> labels;
  for (std::size_t p = 8; p + 1 < tokens; p += 16) {
    label_positions.push_back(p);
    labels.push_back(static_cast<int>(labels.size() % 2));
    (labels.back() == 0 ? relevant : irrelevant).push_back(p);
  }
  const double heads_total = static_cast<double>(layers * heads);
  const double row_and_labels = 2.0 * heads_total * static_cast<double>(tokens + label_positions.size());
  const auto timed = [&](const std::string& name, double read_bytes, auto&& call) {
    print_row(name + shape, median_ms(res.stream(), o.repetitions, call), rate{read_bytes, 1e9, "GB/s"}, limit);
  };

  timed("previous_token_score", 2.0 * heads_total * static_cast<double>(tokens - 1),
        [&] { static_cast<void>(icl::cuda::previous_token_score(res, view)); });
  timed("induction_score, " + std::to_string(label_positions.size()) + " label positions", row_and_labels,
        [&] { static_cast<void>(icl::cuda::induction_score(res, view, label_positions)); });
  timed("label_attention, 2 classes", row_and_labels,
        [&] { static_cast<void>(icl::cuda::label_attention(res, view, label_positions, labels)); });
  timed("attention_ratio, last position", row_and_labels, [&] {
    static_cast<void>(icl::cuda::attention_ratio(res, view, {tokens - 1}, relevant, irrelevant));
  });

  // Every position as a source, within the time budget.
  const std::size_t probe_rows = std::min<std::size_t>(16, tokens);
  const std::vector<std::size_t> probe = spread(probe_rows, tokens);
  const double probe_ms = median_ms(res.stream(), 1, [&] {
    static_cast<void>(icl::cuda::attention_ratio(res, view, probe, relevant, irrelevant));
  });
  constexpr double budget_ms = 60e3;
  const double per_row_ms = probe_ms / static_cast<double>(probe_rows);
  const double affordable = budget_ms / (o.repetitions + 1) / per_row_ms;
  const std::size_t rows = affordable >= static_cast<double>(tokens)
                               ? tokens
                               : std::max<std::size_t>(probe_rows, static_cast<std::size_t>(affordable));
  const std::vector<std::size_t> sources = spread(rows, tokens);
  const double source_bytes = row_and_labels * static_cast<double>(rows);
  timed(rows == tokens ? std::string("attention_ratio, every position a source")
                       : "attention_ratio, " + std::to_string(rows) + " of " + std::to_string(tokens) +
                             " positions as sources (time budget)",
        source_bytes, [&] { static_cast<void>(icl::cuda::attention_ratio(res, view, sources, relevant, irrelevant)); });
}

}  // namespace

int main(int argc, char** argv) {
  return run_main(argc, argv, [](const options& o, icl::cuda::resources& res) {
    attention_cases(o, res, by_size<std::size_t>(o, 32, 8, 2), by_size<std::size_t>(o, 32, 32, 4),
                    by_size<std::size_t>(o, 2048, 2048, 256));
  });
}
