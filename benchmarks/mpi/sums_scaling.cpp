// Time of the sum-shaped MPI functions at the rank count it runs with (docs/scale.md):
//   mpirun -np P mpi_sums_scaling [n] [d]
// Each rank builds its share of one n x d float matrix (rows split evenly; every rank draws the
// whole matrix from the same seed and keeps its rows), then every function runs 3 times between
// barriers; rank 0 prints the best wall time, the rows per second per rank and, for the products,
// the per-rank rate in GFLOP/s.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include <mpi.h>

#include <icl/core/random.hpp>
#include <icl/mpi.hpp>

namespace {

template <class F>
double best_seconds(F&& f) {
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    f();
    MPI_Barrier(MPI_COMM_WORLD);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 8000, d = argc > 2 ? std::stoul(argv[2]) : 256;
  const auto p = static_cast<std::size_t>(ranks), r = static_cast<std::size_t>(rank);
  const std::size_t first = n * r / p, last = n * (r + 1) / p, rows = last - first;
  icl::counter_rng rng(1, 0);
  std::vector<float> x(n * d), y(n * d);
  std::vector<int> labels(n);
  std::vector<double> targets(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int>(rng.uniform_below(4));
    targets[i] = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      x[i * d + j] = static_cast<float>(rng.uniform01() + (j < 4 && labels[i] == static_cast<int>(j) ? 0.5 : 0.0));
      y[i * d + j] = static_cast<float>(0.5 * x[i * d + j] + rng.uniform01());
      targets[i] += (j % 7 == 0 ? 0.1 : 0.0) * x[i * d + j];
    }
  }
  const auto X = icl::make_matrix_view(x.data() + first * d, rows, d);
  const auto Y = icl::make_matrix_view(y.data() + first * d, rows, d);
  const std::vector<int> my_labels(labels.begin() + static_cast<std::ptrdiff_t>(first),
                                   labels.begin() + static_cast<std::ptrdiff_t>(last));
  const std::vector<double> my_targets(targets.begin() + static_cast<std::ptrdiff_t>(first),
                                       targets.begin() + static_cast<std::ptrdiff_t>(last));
  struct row_t {
    const char* name;
    double seconds, flops;  // flops: multiply-adds x 2 of the products per rank (0: not product-bound)
  };
  std::vector<row_t> out;
  const double nr = static_cast<double>(rows), dd = static_cast<double>(d);
  out.push_back({"linear_cka (d_x = d_y = d)", best_seconds([&] { icl::mpi::linear_cka(MPI_COMM_WORLD, X, Y); }),
                 2.0 * nr * dd * dd * 2.0});  // two SYRKs (half products) and one GEMM: 2·n_r·d² multiply-adds
  out.push_back({"effective_dimension", best_seconds([&] { icl::mpi::effective_dimension(MPI_COMM_WORLD, X); }),
                 nr * dd * dd});
  out.push_back({"cross_validate_ridge (5 folds)",
                 best_seconds([&] { icl::mpi::cross_validate_ridge(MPI_COMM_WORLD, X, my_targets); }), 2.0 * nr * dd * dd});
  out.push_back({"cross_validate_logistic (5 folds, 4 classes)",
                 best_seconds([&] { icl::mpi::cross_validate_logistic(MPI_COMM_WORLD, X, my_labels); }), 0.0});
  if (rank == 0) {
    std::printf("ranks %d, n = %zu, d = %zu, float, rows per rank %zu\n", ranks, n, d, rows);
    std::printf("%-46s %10s %16s %14s\n", "function", "seconds", "rows/s per rank", "GFLOP/s/rank");
    for (const auto& row : out) {
      std::printf("%-46s %10.4f %16.0f %14.2f\n", row.name, row.seconds, nr / row.seconds,
                  row.flops > 0.0 ? row.flops / row.seconds * 1e-9 : 0.0);
    }
  }
  MPI_Finalize();
  return 0;
}
