// libFuzzer target: icl::io::parse_safetensors (built and run by scripts/fuzz).
#include <cstddef>
#include <cstdint>

#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return icl_fuzz::run_safetensors(data, size);
}
