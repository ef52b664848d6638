#ifndef ICL_CORE_RMS_NORM_HPP
#define ICL_CORE_RMS_NORM_HPP

/// The final RMSNorm of a decoder (LLaMA, Qwen, SmolLM, Mistral…), as the logit lens and the
/// output-alignment geometry apply it before the unembedding:
///
///   N(v) = γ ⊙ v / sqrt(mean(v²) + ε)
///
/// One parameter struct serves both modules, so that a model's norm is described once.

#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"

namespace icl {

/// Parameters of an RMSNorm.
struct rms_norm_params {
  /// The weight γ (d entries). Empty (default): all ones.
  std::vector<double> gamma = {};
  /// ε added to mean(v²). Default: 1e-6, the constant of [P4]'s normaliser (Yu & Ananiadou,
  /// arXiv 2402.02872) and the default `rms_norm_eps` of Hugging Face's LlamaConfig. Models
  /// that ship another value (Llama 2 and SmolLM2 use 1e-5) should pass theirs.
  double epsilon = 1e-6;
};

namespace detail {

/// Checks an RMSNorm's parameters for vectors of width d: γ empty or of d finite values, ε finite
/// and >= 0. `name` is how the caller's parameter is spelled in messages (e.g. "params.norm").
inline void check_rms_norm(const char* function, const char* name, const rms_norm_params& norm, std::size_t d) {
  if (!norm.gamma.empty() && norm.gamma.size() != d) {
    throw_invalid(function, name, ".gamma has ", norm.gamma.size(), " values but the vectors have d = ", d);
  }
  for (std::size_t j = 0; j < norm.gamma.size(); ++j) {
    if (!std::isfinite(norm.gamma[j])) throw_invalid(function, name, ".gamma[", j, "] is ", norm.gamma[j], " (NaN/Inf not allowed)");
  }
  if (!(norm.epsilon >= 0.0) || !std::isfinite(norm.epsilon)) {
    throw_invalid(function, name, ".epsilon = ", norm.epsilon, " must be finite and >= 0");
  }
}

/// γ_j, or 1 when γ is empty.
inline double rms_norm_gain(const rms_norm_params& norm, std::size_t j) noexcept {
  return norm.gamma.empty() ? 1.0 : norm.gamma[j];
}

}  // namespace detail
}  // namespace icl

#endif  // ICL_CORE_RMS_NORM_HPP
