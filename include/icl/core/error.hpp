#ifndef ICL_CORE_ERROR_HPP
#define ICL_CORE_ERROR_HPP

#include <cstddef>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "icl/config.hpp"

namespace icl {

/// A computation could not be carried out (for example a numerical failure).
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The caller passed something the function does not accept: a shape mismatch, an empty input,
/// an index out of range, a NaN where none is allowed. The message always starts with the
/// fully qualified name of the function that rejected it.
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// What to do when an input holds NaN or Inf, or when a value is undefined for the input
/// (a zero-variance row under correlation distance, a constant vector under a rank correlation).
enum class nan_policy {
  raise,      ///< throw icl::invalid_argument naming the function and the offending index (default)
  propagate,  ///< return NaN for the affected values
  omit        ///< drop the affected entries where the reference implementation defines that
};

namespace detail {

template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  out.precision(17);
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

/// Throws icl::invalid_argument with the message "<function>: <parts...>".
template <class... Parts>
[[noreturn]] void throw_invalid(const char* function, Parts&&... parts) {
  throw invalid_argument(concat(function, ": ", std::forward<Parts>(parts)...));
}

/// Throws Exception — icl::error by default, or a class derived from it such as
/// icl::io::format_error — with the message "<where>: <parts...>". `where` is the qualified name
/// of the function (const char*), or for the file readers the source of the data ("path" or
/// "path:member"). With throw_invalid, the one way the library throws.
template <class Exception = error, class Where, class... Parts>
[[noreturn]] void throw_error(const Where& where, Parts&&... parts) {
  static_assert(std::is_base_of_v<error, Exception>,
                "icl::detail::throw_error throws icl::error or a class derived from it");
  throw Exception(concat(where, ": ", std::forward<Parts>(parts)...));
}

/// a * b, or icl::invalid_argument when the product does not fit in size_t.
inline std::size_t checked_mul(const char* function, std::size_t a, std::size_t b, const char* what) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) {
    throw_invalid(function, what, " overflows size_t (", a, " x ", b, ")");
  }
  return a * b;
}

/// Number of unordered pairs n(n-1)/2, checked for overflow.
inline std::size_t checked_pair_count(const char* function, std::size_t n) {
  if (n < 2) return 0;
  const std::size_t half_a = (n % 2 == 0) ? n / 2 : n;
  const std::size_t half_b = (n % 2 == 0) ? n - 1 : (n - 1) / 2;
  return checked_mul(function, half_a, half_b, "number of pairs n(n-1)/2");
}

}  // namespace detail
}  // namespace icl

#endif  // ICL_CORE_ERROR_HPP
