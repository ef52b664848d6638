#ifndef ICL_CUDA_CUH
#define ICL_CUDA_CUH

/// The CUDA path of icl-metrics (component icl_metrics::cuda; compile with nvcc): device views,
/// the resources object, device buffers, the error translation and the device metrics (so far
/// the attention scores: previous_token_score, induction_score, label_attention,
/// attention_ratio; compute_rdm, linear_cka; compare, permutation_test). See docs/cuda.md.

#include "icl/cuda/async.cuh"
#include "icl/cuda/attention.cuh"
#include "icl/cuda/buffer.cuh"
#include "icl/cuda/cka.cuh"
#include "icl/cuda/compare.cuh"
#include "icl/cuda/decode.cuh"
#include "icl/cuda/error.cuh"
#include "icl/cuda/rdm.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"
#include "icl/cuda/detail/checks.cuh"

#endif  // ICL_CUDA_CUH
