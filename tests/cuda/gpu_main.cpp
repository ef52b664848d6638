// main() of the CUDA tests. With --require-device as the first argument, a process that finds
// no CUDA device prints "skipped: no CUDA device" and exits with 77 (the ctest
// SKIP_RETURN_CODE of those tests) instead of running them; the other arguments go to Catch2.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>

#include <cuda_runtime_api.h>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--require-device") == 0) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess || count == 0) {
      std::printf("skipped: no CUDA device (%s)\n", status != cudaSuccess ? cudaGetErrorName(status) : "0 devices");
      return 77;
    }
    argv[1] = argv[0];
    --argc;
    ++argv;
  }
  return Catch::Session().run(argc, argv);
}
