// Uses the mpi component of the installed (or build-tree) package from a program run as a
// single MPI process: the row partition and a collective check that fails.
#include <icl/mpi.hpp>

#include <cstdio>
#include <string>

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "icl_metrics_mpi_consumer: %s\n", what);
  MPI_Finalize();
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const auto part = icl::mpi::detail::partition_rows(MPI_COMM_WORLD, 5);
  if (part.total != 5 || part.counts.size() != 1) return fail("wrong row partition");
  try {
    icl::mpi::detail::collective_check(MPI_COMM_WORLD, [] { icl::detail::throw_invalid("consumer", "bad"); });
    return fail("collective_check did not throw");
  } catch (const icl::invalid_argument& e) {
    if (std::string(e.what()) != "consumer: bad (rank 0)") return fail(e.what());
  }
  MPI_Finalize();
  std::printf("icl_metrics_mpi_consumer: ok\n");
  return 0;
}
