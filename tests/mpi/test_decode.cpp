// icl::mpi::task_decodability and decodability_curve against the single-process functions: the
// same predictions and accuracies (ties in distance and in votes included) for float, double and
// f16 rows, contiguous and column-major, even and uneven splits and a rank with no rows; the
// errors, alike on every rank.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "icl/decode/knn.hpp"
#include "icl/mpi/decode.hpp"
#include "ring_support.hpp"
#include "support/views.hpp"
#include "sums_support.hpp"

namespace {

using ring_test::message_of;
using sums_test::rank;
using sums_test::ranks;

// n x d values; with `ties`, small integers (many equal distances, exact in float); with `far`
// as well, those integers plus 1000 + c in column c: the float Gram form then errs by more than
// the gaps between distances, so only the recomputed distance keeps the ties apart.
std::vector<double> points(std::size_t n, std::size_t d, std::uint64_t seed, bool ties, bool far = false) {
  std::vector<double> v = sums_test::values(n, d, seed);
  if (ties) {
    for (double& x : v) x = std::round(2.0 * x);
  }
  if (far) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] += 1000.0 + static_cast<double>(i % d);
  }
  return v;
}

std::vector<int> labels_of(std::size_t n) {
  std::vector<int> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<int>((i * 7) % 3) * 5 - 2;  // classes -2, 3, 8
  return y;
}

void check_same(const icl::decode::decodability_result& got, const icl::decode::decodability_result& expected) {
  CHECK(got.predictions == expected.predictions);
  const auto fields = [](const icl::decode::decodability_result& r) {
    return std::tie(r.overall, r.per_class, r.classes, r.class_counts, r.k, r.dissimilarity);
  };
  CHECK(fields(got) == fields(expected));
}

}  // namespace

TEMPLATE_TEST_CASE("mpi task_decodability equals the single-process decodability", "[mpi][decode]", float, double) {
  const std::size_t n = 29, d = 6;
  const std::vector<int> labels = labels_of(n);
  for (const int kind_of_data : {0, 1, 2}) {
    const bool ties = kind_of_data > 0;
    const std::vector<double> values = points(n, d, 4, ties, kind_of_data == 2);
    for (const auto& layout : icl_test::all_layouts<TestType>(values, n, d)) {
      const auto H = layout.view;
      const bool column_major = H.col_stride() != 1;
      for (const auto& counts : sums_test::splits(n)) {
        const auto local = sums_test::local_rows(H, counts);
        const std::vector<int> local_labels = sums_test::local_entries(labels, counts);
        for (const auto kind : {icl::decode::dissimilarity::euclidean, icl::decode::dissimilarity::cosine}) {
          for (const std::size_t k : {std::size_t{1}, std::size_t{4}, std::size_t{9}}) {
            INFO("data " << kind_of_data << ", column-major " << column_major << ", rows here " << local.rows() << ", k " << k);
            icl::decode::decode_params params;
            params.k = k;
            params.dissimilarity = kind;
            // Tiles of 4 rows (several tiles between two ranks' blocks) on the column-major input.
            params.block_rows = column_major ? 4 : 0;
            check_same(icl::mpi::task_decodability(MPI_COMM_WORLD, local, local_labels, params),
                       icl::decode::task_decodability(H, labels, params));
          }
        }
        check_same(icl::mpi::task_decodability(MPI_COMM_WORLD, local, local_labels, 3),
                   icl::decode::task_decodability(H, labels, 3));
      }
    }
  }
}

// The last split (a rank with no rows from 2 ranks on) of n rows, k neighbours: MPI against one process.
template <class T>
void check_last_split(std::size_t n, std::size_t d, std::uint64_t seed, std::size_t k) {
  const auto H = icl_test::row_major<T>(points(n, d, seed, true), n, d);
  const std::vector<int> labels = labels_of(n);
  const auto counts = sums_test::splits(n).back();
  check_same(icl::mpi::task_decodability(MPI_COMM_WORLD, sums_test::local_rows(H.view, counts),
                                         sums_test::local_entries(labels, counts), k),
             icl::decode::task_decodability(H.view, labels, k));
}

TEST_CASE("mpi task_decodability: a pending receive of the caller's takes none of its messages", "[mpi][decode]") {
  const std::size_t n = 19, d = 4;
  const auto H = icl_test::row_major<double>(points(n, d, 5, false), n, d);
  const std::vector<int> labels = labels_of(n);
  const auto counts = sums_test::splits(n).back();
  ring_test::caller_receive pending;
  check_same(icl::mpi::task_decodability(MPI_COMM_WORLD, sums_test::local_rows(H.view, counts),
                                         sums_test::local_entries(labels, counts), 3),
             icl::decode::task_decodability(H.view, labels, 3));
  CHECK(pending.finish() == ring_test::caller_receive::expected());
}

TEST_CASE("mpi task_decodability: half-precision rows", "[mpi][decode]") { check_last_split<icl::f16>(14, 4, 9, 5); }

TEST_CASE("mpi task_decodability: k above 128 (heap-ordered candidate lists)", "[mpi][decode]") {
  check_last_split<double>(140, 3, 6, 131);
}

TEST_CASE("mpi decodability_curve equals the single-process curve", "[mpi][decode]") {
  const std::size_t layers = 3, n = 17, d = 5;
  const std::vector<double> data = points(layers * n, d, 12, false);
  const auto H = icl::make_tensor_view(data.data(), std::array<std::size_t, 3>{layers, n, d});
  const std::vector<int> labels = labels_of(n);
  const auto expected = icl::decode::decodability_curve(H, labels, {});
  for (const auto& counts : sums_test::splits(n)) {
    const std::size_t first = sums_test::first_row(counts), count = counts[static_cast<std::size_t>(rank())];
    const auto local = icl::make_tensor_view(
        data.data() + first * d, std::array<std::size_t, 3>{layers, count, d},
        std::array<std::ptrdiff_t, 3>{static_cast<std::ptrdiff_t>(n * d), static_cast<std::ptrdiff_t>(d), 1});
    const auto got = icl::mpi::decodability_curve(MPI_COMM_WORLD, local, sums_test::local_entries(labels, counts));
    CHECK(got.curve.values == expected.curve.values);
    CHECK(got.peak_layer == expected.peak_layer);
    REQUIRE(got.layers.size() == layers);
    for (std::size_t l = 0; l < layers; ++l) check_same(got.layers[l], expected.layers[l]);
  }
}

TEST_CASE("mpi task_decodability: errors on every rank alike", "[mpi][decode]") {
  const std::size_t n = 9, d = 3;
  const int last = ranks() - 1;
  const std::string last_rank = " (rank " + std::to_string(last) + ")";
  std::vector<double> data = points(n, d, 2, false);
  const auto H = icl::make_matrix_view(static_cast<const double*>(data.data()), n, d);
  const std::vector<int> labels = labels_of(n);
  const auto counts = sums_test::splits(n).front();
  const auto local = sums_test::local_rows(H, counts);
  std::vector<int> local_labels = sums_test::local_entries(labels, counts);
  const auto run = [&](std::size_t k) { icl::mpi::task_decodability(MPI_COMM_WORLD, local, local_labels, k); };
  const std::string fn = "icl::mpi::task_decodability: ";

  const auto none = icl::make_matrix_view(local.data(), 0, d);
  CHECK(message_of<icl::invalid_argument>([&] {
          icl::mpi::task_decodability(MPI_COMM_WORLD, none, std::vector<int>{}, 3);
        }) == fn + "H is empty (0 x 3) over all ranks");
  CHECK(message_of<icl::invalid_argument>([&] { run(n); }) ==
        fn + "k = 9 must satisfy 1 <= k <= n - 1 = 8 (n = 9 points)");
  CHECK(message_of<icl::invalid_argument>([&] { run(0); }) ==
        fn + "k = 0 must satisfy 1 <= k <= n - 1 = 8 (n = 9 points)");
  std::vector<int> saved = local_labels;
  if (rank() == last) local_labels.push_back(1);
  CHECK(message_of<icl::invalid_argument>([&] { run(3); }) ==
        fn + "local_labels has " + std::to_string(counts.back() + 1) + " entries but local_rows has " +
            std::to_string(counts.back()) + " rows" + last_rank);
  local_labels.assign(saved.size(), 4);
  CHECK(message_of<icl::invalid_argument>([&] { run(3); }) == fn + "labels hold 1 distinct class(es), need at least 2");
  local_labels = saved;
  if (ranks() > 1) {
    const auto narrower = icl::make_matrix_view(local.data(), local.rows(), rank() == last ? d - 1 : d, d, 1);
    CHECK(message_of<icl::invalid_argument>([&] {
            icl::mpi::task_decodability(MPI_COMM_WORLD, narrower, local_labels, 3);
          }) == fn + "rank " + std::to_string(last) + " has width 2, rank 0 has width 3");
  }
  // The last rank's second row: zero (cosine), then Inf.
  const std::size_t bad = n - counts.back() + 1;
  for (std::size_t j = 0; j < d; ++j) data[bad * d + j] = 0.0;
  icl::decode::decode_params cosine;
  cosine.k = 3;
  cosine.dissimilarity = icl::decode::dissimilarity::cosine;
  CHECK(message_of<icl::invalid_argument>([&] {
          icl::mpi::task_decodability(MPI_COMM_WORLD, local, local_labels, cosine);
        }) == fn + "row " + std::to_string(bad) + " of H is zero (cosine distance undefined)" + last_rank);
  data[bad * d + 1] = std::numeric_limits<double>::infinity();
  CHECK(message_of<icl::invalid_argument>([&] { run(3); }) ==
        fn + "row " + std::to_string(bad) + " column 1 is inf (NaN/Inf not allowed)" + last_rank);

  // decodability_curve: a layer count that differs.
  if (ranks() > 1) {
    const std::vector<double> cube(2 * n * d, 1.0);
    const std::size_t layers = rank() == last ? 1 : 2;
    const auto H3 = icl::make_tensor_view(cube.data(), std::array<std::size_t, 3>{layers, local.rows(), d});
    CHECK(message_of<icl::invalid_argument>([&] { icl::mpi::decodability_curve(MPI_COMM_WORLD, H3, local_labels); }) ==
          "icl::mpi::decodability_curve: rank " + std::to_string(last) + " has layers 1, rank 0 has layers 2");
  }
}
