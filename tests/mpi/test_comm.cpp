// The collectives of icl/mpi/detail/comm.hpp: the checks agree on every rank (same class, same
// message naming the failing rank) and never leave a rank waiting; the row partition; sums.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/mpi/detail/comm.hpp"
#include "ring_support.hpp"

namespace {

using icl::mpi::detail::collective_check;

int rank() { return icl::mpi::detail::rank_of(MPI_COMM_WORLD); }
int ranks() { return icl::mpi::detail::size_of(MPI_COMM_WORLD); }

}  // namespace

TEST_CASE("mpi comm: datatype, rank and size", "[mpi]") {
  CHECK(icl::mpi::detail::datatype<float>() == MPI_FLOAT);
  CHECK(icl::mpi::detail::datatype<double>() == MPI_DOUBLE);
  CHECK(icl::mpi::detail::datatype<int>() == MPI_INT);
  CHECK(icl::mpi::detail::datatype<long long>() == MPI_LONG_LONG);
  CHECK(icl::mpi::detail::datatype<unsigned long long>() == MPI_UNSIGNED_LONG_LONG);
  CHECK(icl::mpi::detail::datatype<unsigned char>() == MPI_UNSIGNED_CHAR);
  int size = 0;
  MPI_Type_size(icl::mpi::detail::datatype<std::size_t>(), &size);
  CHECK(static_cast<std::size_t>(size) == sizeof(std::size_t));
  CHECK(rank() >= 0);
  CHECK(rank() < ranks());
}

TEST_CASE("mpi comm: collective_check agrees on every rank", "[mpi]") {
  const int last = ranks() - 1;
  SECTION("no rank fails: nothing thrown") {
    CHECK_NOTHROW(collective_check(MPI_COMM_WORLD, [] {}));
  }
  SECTION("one rank fails: every rank throws its class and message, naming it") {
    const std::string expected = "icl::mpi::test: value 7 out of range (rank " + std::to_string(last) + ")";
    CHECK(ring_test::message_of<icl::invalid_argument>([&] {
            collective_check(MPI_COMM_WORLD, [&] {
              if (rank() == last) icl::detail::throw_invalid("icl::mpi::test", "value ", 7, " out of range");
            });
          }) == expected);
  }
  SECTION("several ranks fail: the lowest one's class and message") {
    // Rank 0 throws icl::error, every other rank icl::invalid_argument: all throw icl::error.
    const std::string message = ring_test::message_of<icl::error>([&] {
      collective_check(MPI_COMM_WORLD, [&] {
        if (rank() == 0) icl::detail::throw_error("icl::mpi::test", "numerical failure");
        icl::detail::throw_invalid("icl::mpi::test", "bad input on rank ", rank());
      });
    });
    CHECK(message == "icl::mpi::test: numerical failure (rank 0)");
  }
  SECTION("a rank that fails with another exception: icl::error with its message") {
    CHECK(ring_test::message_of<icl::error>([&] {
            collective_check(MPI_COMM_WORLD, [&] {
              if (rank() == last) throw std::runtime_error("out of memory");
            });
          }) == "out of memory (rank " + std::to_string(last) + ")");
  }
  // Every rank still reaches the next collective: no rank was left behind.
  int one = 1, sum = 0;
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(sum == ranks());
}

TEST_CASE("mpi comm: row partition, width, finite values, sums", "[mpi]") {
  // Rank r holds r rows (rank 0 none).
  const auto part = icl::mpi::detail::partition_rows(MPI_COMM_WORLD, static_cast<std::size_t>(rank()));
  REQUIRE(part.counts.size() == static_cast<std::size_t>(ranks()));
  std::size_t offset = 0;
  for (int r = 0; r < ranks(); ++r) {
    CHECK(part.counts[static_cast<std::size_t>(r)] == static_cast<std::size_t>(r));
    CHECK(part.offsets[static_cast<std::size_t>(r)] == offset);
    offset += static_cast<std::size_t>(r);
  }
  CHECK(part.total == offset);

  CHECK_NOTHROW(icl::mpi::detail::check_same_width(MPI_COMM_WORLD, "icl::mpi::test", 4));
  if (ranks() > 1) {
    const int last = ranks() - 1;
    CHECK(ring_test::message_of<icl::invalid_argument>([&] {
            icl::mpi::detail::check_same_width(MPI_COMM_WORLD, "icl::mpi::test", rank() == last ? 5 : 4);
          }) == "icl::mpi::test: rank " + std::to_string(last) + " has width 5, rank 0 has width 4");
  }

  // 2 rows of 3 per rank; the last rank has an Inf at its row 1, column 2.
  std::vector<float> rows(6, 1.0f);
  const auto view = icl::make_matrix_view(static_cast<const float*>(rows.data()), 2, 3);
  const std::size_t first = 2 * static_cast<std::size_t>(rank());
  CHECK_NOTHROW(icl::mpi::detail::check_finite(MPI_COMM_WORLD, "icl::mpi::test", view, first));
  if (rank() == ranks() - 1) rows[5] = std::numeric_limits<float>::infinity();
  CHECK(ring_test::message_of<icl::invalid_argument>([&] {
          icl::mpi::detail::check_finite(MPI_COMM_WORLD, "icl::mpi::test", view, first);
        }) == "icl::mpi::test: row " + std::to_string(2 * ranks() - 1) +
                  " column 2 is inf (NaN/Inf not allowed) (rank " + std::to_string(ranks() - 1) + ")");

  std::vector<double> values{1.0, static_cast<double>(rank())};
  icl::mpi::detail::allreduce_sum(MPI_COMM_WORLD, values.data(), values.size());
  CHECK(values[0] == static_cast<double>(ranks()));
  CHECK(values[1] == static_cast<double>(ranks() * (ranks() - 1) / 2));
}
