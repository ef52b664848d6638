// Writing .npy files (NumPy format 1.0, C order, little-endian): the vectors and states that
// the task-vector subcommand produces.
#ifndef ICL_TOOLS_NPY_OUTPUT_HPP
#define ICL_TOOLS_NPY_OUTPUT_HPP

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/core/view.hpp"

namespace icl_tool {

/// Writes `data` (C order, prod(shape) values) to `path` as '<f8', '<f4' or '<f2'; an icl::error
/// (exit code 1) when the file cannot be written.
void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const double* data);
void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data);
void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const icl::f16* data);

/// The dtype name of the file write_npy writes for element type T ("f8", "f4", "f2"); bf16,
/// which NumPy lacks, is written widened to f4 (exactly).
template <class T>
const char* npy_dtype_name() {
  if constexpr (std::is_same_v<T, double>) return "f8";
  if constexpr (std::is_same_v<T, icl::f16>) return "f2";
  return "f4";
}

}  // namespace icl_tool

#endif  // ICL_TOOLS_NPY_OUTPUT_HPP
