#ifndef ICL_MPI_DETAIL_COMM_HPP
#define ICL_MPI_DETAIL_COMM_HPP

/// The collectives every MPI function of the library is built on; not a public header.
///
/// Bad input on one rank must never leave the others waiting in a collective: a function first
/// runs its local checks through collective_check (one agreement that every rank reaches,
/// whatever happened), so that either every rank goes on or every rank throws the same
/// exception, naming the rank that failed. The checks that need other ranks' values (the width,
/// NaN/Inf with global row indices) are collectives of their own below.

#include <climits>
#include <cstddef>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <mpi.h>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::mpi::detail {

/// Throws icl::error "<call> failed: <MPI's error string>" when status is not MPI_SUCCESS.
/// (MPI's default handler, MPI_ERRORS_ARE_FATAL, aborts before returning an error; the check
/// matters on communicators whose handler is MPI_ERRORS_RETURN.)
inline void check_mpi(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(status, text, &length) != MPI_SUCCESS) length = 0;
  icl::detail::throw_error(call, "failed: ", std::string(text, static_cast<std::size_t>(length)));
}

/// This process's rank in comm.
inline int rank_of(MPI_Comm comm) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  return rank;
}

/// The number of ranks in comm.
inline int size_of(MPI_Comm comm) {
  int size = 0;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return size;
}

/// The MPI datatype of T: float, double, int, long long, unsigned long long, std::size_t or
/// unsigned char.
template <class T>
MPI_Datatype datatype() {
  if constexpr (std::is_same_v<T, float>) {
    return MPI_FLOAT;
  } else if constexpr (std::is_same_v<T, double>) {
    return MPI_DOUBLE;
  } else if constexpr (std::is_same_v<T, int>) {
    return MPI_INT;
  } else if constexpr (std::is_same_v<T, long long>) {
    return MPI_LONG_LONG;
  } else if constexpr (std::is_same_v<T, unsigned long long>) {
    return MPI_UNSIGNED_LONG_LONG;
  } else if constexpr (std::is_same_v<T, unsigned long>) {
    return MPI_UNSIGNED_LONG;
  } else if constexpr (std::is_same_v<T, unsigned int>) {
    return MPI_UNSIGNED;
  } else if constexpr (std::is_same_v<T, unsigned char>) {
    return MPI_UNSIGNED_CHAR;
  } else {
    static_assert(std::is_same_v<T, float>, "icl::mpi::detail::datatype: unsupported type");
    return MPI_DATATYPE_NULL;
  }
}

/// count as the int that MPI's calls take; icl::error past INT_MAX.
inline int int_count(std::size_t count, const char* call) {
  if (count > static_cast<std::size_t>(INT_MAX)) {
    icl::detail::throw_error(call, count, " elements in one call: past MPI's int counts");
  }
  return static_cast<int>(count);
}

/// Runs local_check() on every rank, then agrees on the outcome in one collective that every
/// rank reaches (an exception thrown by local_check is caught first). When some rank failed,
/// every rank throws the same exception class as the lowest failing rank (icl::invalid_argument
/// for a std::invalid_argument, icl::error otherwise) with that rank's message followed by
/// " (rank R)". Call it before any other collective of a function.
template <class F>
void collective_check(MPI_Comm comm, F&& local_check) {
  int kind = 0;  // 0: passed, 1: icl::invalid_argument, 2: icl::error
  std::string message;
  try {
    std::forward<F>(local_check)();
  } catch (const std::invalid_argument& e) {
    kind = 1;
    message = e.what();
  } catch (const std::exception& e) {
    kind = 2;
    message = e.what();
  } catch (...) {
    kind = 2;
    message = "unknown exception";
  }
  const int rank = rank_of(comm), size = size_of(comm);
  int mine = kind != 0 ? rank : size;
  int first = size;
  check_mpi(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  if (first == size) return;
  // Every rank knows that rank `first` failed: its class and message go to all.
  unsigned long long header[2] = {static_cast<unsigned long long>(kind), message.size()};
  check_mpi(MPI_Bcast(header, 2, MPI_UNSIGNED_LONG_LONG, first, comm), "MPI_Bcast");
  message.resize(static_cast<std::size_t>(header[1]));
  check_mpi(MPI_Bcast(message.data(), int_count(message.size(), "MPI_Bcast"), MPI_CHAR, first, comm), "MPI_Bcast");
  message += icl::detail::concat(" (rank ", first, ")");
  if (header[0] == 1) throw icl::invalid_argument(message);
  throw icl::error(message);
}

/// How the rows are shared out: counts[r] rows on rank r, starting at global row offsets[r];
/// total rows in all.
struct row_partition {
  std::vector<std::size_t> counts, offsets;
  std::size_t total = 0;
};

/// The row partition of comm when this rank holds local_rows rows (one allgather).
inline row_partition partition_rows(MPI_Comm comm, std::size_t local_rows) {
  const auto size = static_cast<std::size_t>(size_of(comm));
  std::vector<unsigned long long> all(size);
  const auto mine = static_cast<unsigned long long>(local_rows);
  check_mpi(MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all.data(), 1, MPI_UNSIGNED_LONG_LONG, comm),
            "MPI_Allgather");
  row_partition part;
  part.counts.resize(size);
  part.offsets.resize(size);
  for (std::size_t r = 0; r < size; ++r) {
    part.counts[r] = static_cast<std::size_t>(all[r]);
    part.offsets[r] = part.total;
    part.total += part.counts[r];
  }
  return part;
}

/// Collective: every rank's value must be rank 0's. Otherwise every rank throws
/// icl::invalid_argument "<function>: rank R has <what> a, rank 0 has <what> b" (R the lowest
/// rank that differs).
inline void check_same_value(MPI_Comm comm, const char* function, const char* what, std::size_t value) {
  const auto size = static_cast<std::size_t>(size_of(comm));
  std::vector<unsigned long long> all(size);
  const auto mine = static_cast<unsigned long long>(value);
  check_mpi(MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all.data(), 1, MPI_UNSIGNED_LONG_LONG, comm),
            "MPI_Allgather");
  for (std::size_t r = 1; r < size; ++r) {
    if (all[r] != all[0]) {
      icl::detail::throw_invalid(function, "rank ", r, " has ", what, " ", all[r], ", rank 0 has ", what, " ", all[0]);
    }
  }
}

/// Collective: every rank's width must be rank 0's. Otherwise every rank throws
/// icl::invalid_argument "<function>: rank R has width a, rank 0 has width b" (R the lowest
/// rank that differs).
inline void check_same_width(MPI_Comm comm, const char* function, std::size_t cols) {
  check_same_value(comm, function, "width", cols);
}

/// Collective: every element of every rank's rows must be finite. Otherwise every rank throws
/// icl::invalid_argument "<function>: row G column j is v (NaN/Inf not allowed) (rank R)", G the
/// global row (first_global_row + local row) of the first such element on the lowest such rank.
template <class T>
void check_finite(MPI_Comm comm, const char* function, matrix_view<const T> X, std::size_t first_global_row) {
  collective_check(comm, [&] {
    const std::size_t k = icl::detail::first_non_finite(X);
    if (k != X.rows() * X.cols()) {
      const std::size_t i = k / X.cols(), j = k % X.cols();
      icl::detail::throw_invalid(function, "row ", first_global_row + i, " column ", j, " is ",
                                 icl::detail::to_double(X(i, j)), " (NaN/Inf not allowed)");
    }
  });
}

/// Whether `value` is true on every rank (one MPI_Allreduce): for a choice between code paths
/// with different collectives, so that every rank takes the same one.
inline bool on_every_rank(MPI_Comm comm, bool value) {
  int mine = value ? 1 : 0, all = 0;
  check_mpi(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  return all != 0;
}

/// Sums `count` values over all ranks, in place (every rank gets the sums).
template <class T>
void allreduce_sum(MPI_Comm comm, T* values, std::size_t count) {
  constexpr std::size_t chunk = std::size_t{1} << 30;
  for (std::size_t first = 0; first < count; first += chunk) {
    const std::size_t n = count - first < chunk ? count - first : chunk;
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values + first, static_cast<int>(n), datatype<T>(), MPI_SUM, comm),
              "MPI_Allreduce");
  }
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_COMM_HPP
