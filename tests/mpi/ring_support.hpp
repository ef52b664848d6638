// Helpers of the MPI tests: the message (and class) of what every rank caught; a receive of the
// caller's own that the library's messages must not match.
#pragma once

#include <exception>
#include <string>

#include <mpi.h>

namespace ring_test {

/// The message of the Exception that f() threw, or "" when it threw nothing (another exception
/// propagates: a test of the exception class).
template <class Exception = std::exception, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Exception& e) {
    return e.what();
  }
  return "";
}

/// A receive of the caller's own, posted on MPI_COMM_WORLD for any source and any tag before the
/// library's functions run: the library's messages must never match it. finish() then sends the
/// caller's message around the ring (with the library's internal tag, 0x1c1) and returns what the
/// receive got: the previous rank's number + 1000 when nothing else matched it. (Had a library
/// message matched it, MPI would have reported a truncation, which aborts the run.)
class caller_receive {
 public:
  caller_receive() { MPI_Irecv(&got_, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &request_); }

  int finish() {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int mine = rank + 1000;
    MPI_Request send;
    MPI_Isend(&mine, 1, MPI_INT, (rank + 1) % size, 0x1c1, MPI_COMM_WORLD, &send);
    MPI_Wait(&request_, MPI_STATUS_IGNORE);
    MPI_Wait(&send, MPI_STATUS_IGNORE);
    return got_;
  }

  /// The number finish() returns when only the caller's message matched.
  static int expected() {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return (rank + size - 1) % size + 1000;
  }

 private:
  int got_ = -1;
  MPI_Request request_ = MPI_REQUEST_NULL;
};

}  // namespace ring_test
