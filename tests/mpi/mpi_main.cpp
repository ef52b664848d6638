// main() of the MPI tests: MPI_Init, the Catch2 session on every rank, then one verdict for all
// ranks (a case that fails on any rank fails the run), MPI_Finalize. Each rank prints its own
// failures, prefixed by Catch2 with the rank's output.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int failed = Catch::Session().run(argc, argv);
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any != 0 ? 1 : 0;
}
