#ifndef ICL_CORE_STATS_TYPES_HPP
#define ICL_CORE_STATS_TYPES_HPP

/// The public types of the statistical tests (icl/core/stats.hpp, icl/core/mann_whitney.hpp):
/// the alternative hypothesis and a test's result.

#include <array>
#include <string_view>
#include <utility>

#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"

namespace icl {

/// The alternative hypothesis of a test, for a statistic S whose large values mean "greater":
/// two_sided uses both tails, greater the upper tail P(S >= s), less the lower tail P(S <= s)
/// (the convention of scipy.stats' `alternative` argument).
enum class alternative { two_sided, greater, less };

/// Names of icl::alternative for icl::to_string / icl::from_string.
constexpr enum_table<alternative, 3> icl_enum_table(alternative) {
  return {"icl::alternative", {{{alternative::two_sided, "two_sided"}, {alternative::greater, "greater"},
                                {alternative::less, "less"}}}};
}

namespace detail {

/// The one check of an `alternative` argument: icl::invalid_argument "<function>: unknown
/// alternative <value>" for a value outside the enumeration (a cast from an integer).
inline void check_alternative(const char* function, alternative alt) {
  if (alt != alternative::two_sided && alt != alternative::greater && alt != alternative::less) {
    throw_invalid(function, "unknown alternative ", static_cast<int>(alt));
  }
}

}  // namespace detail

namespace stats {

/// A test's statistic and its p-value.
struct test_result {
  double statistic;
  double p_value;
};

}  // namespace stats
}  // namespace icl

#endif  // ICL_CORE_STATS_TYPES_HPP
