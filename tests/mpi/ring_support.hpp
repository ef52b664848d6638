// Helpers of the MPI tests: the message (and class) of what every rank caught.
#pragma once

#include <exception>
#include <string>

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

}  // namespace ring_test
