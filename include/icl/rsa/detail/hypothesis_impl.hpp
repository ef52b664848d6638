#ifndef ICL_RSA_DETAIL_HYPOTHESIS_IMPL_HPP
#define ICL_RSA_DETAIL_HYPOTHESIS_IMPL_HPP

/// Bodies of the functions of icl/rsa/hypothesis.hpp (docs/metrics.md 1.3 and 1.5). Not a public
/// header.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/stats.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa::detail {

using namespace icl::detail;  // NOLINT(google-build-using-namespace): core helpers

/// The body of icl::rsa::categorical_rdm.
inline rdm categorical_rdm(const char* fn, const std::vector<int>& labels) {
  const std::size_t n = labels.size();
  if (n < 2) throw_invalid(fn, "need at least 2 labels, got ", n);
  std::vector<double> values(checked_pair_count(fn, n));
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) values[k] = labels[i] == labels[j] ? 0.0 : 1.0;
  }
  return rdm(n, std::move(values));
}

/// The body of icl::rsa::parameter_rdm.
inline rdm parameter_rdm(const char* fn, const std::vector<double>& values, parameter_distance distance) {
  const std::size_t n = values.size();
  if (n < 2) throw_invalid(fn, "need at least 2 values, got ", n);
  if (enum_name_or_null(distance) == nullptr) {
    throw_invalid(fn, "unknown parameter_distance ", static_cast<int>(distance));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) throw_invalid(fn, "value ", i, " is ", values[i], " (NaN/Inf not allowed)");
  }
  std::vector<double> condensed(checked_pair_count(fn, n));
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      const double difference = std::abs(values[i] - values[j]);
      const double d = distance == parameter_distance::absolute ? difference : difference * difference;
      if (!std::isfinite(d)) {
        throw_invalid(fn, "the distance of values ", i, " and ", j, " (", values[i], ", ", values[j], ") overflows");
      }
      condensed[k] = d;
    }
  }
  return rdm(n, std::move(condensed));
}

/// The body of icl::rsa::within_between_test.
inline group_test_result within_between_test(const char* fn, const rdm& r, const std::vector<int>& groups,
                                             alternative alt) {
  const std::size_t n = r.n();
  if (groups.size() != n) {
    throw_invalid(fn, "groups has ", groups.size(), " entries but the RDM has n = ", n, " conditions");
  }
  icl::detail::check_alternative(fn, alt);
  const std::vector<double>& values = r.condensed();
  std::vector<double> within;
  std::vector<double> between;
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      const double v = values[k];
      if (!std::isfinite(v)) {
        throw_invalid(fn, "RDM entry (", i, ", ", j, ") is ", v, " (NaN/Inf not allowed)");
      }
      (groups[i] == groups[j] ? within : between).push_back(v);
    }
  }
  if (within.size() < 2) {
    throw_invalid(fn, "only ", within.size(), " within-group pair(s) (need at least 2; n = ", n, ")");
  }
  if (between.size() < 2) {
    throw_invalid(fn, "only ", between.size(), " between-group pair(s) (need at least 2; n = ", n, ")");
  }
  const auto is_constant = [](const std::vector<double>& v) {
    for (const double x : v) {
      if (x != v.front()) return false;
    }
    return true;
  };
  if (is_constant(within) && is_constant(between)) {
    throw_invalid(fn, "within-group and between-group entries are both constant (", within.front(), " and ",
                  between.front(), "): the t statistic is undefined");
  }
  group_test_result result{};
  try {
    result.test = stats::welch_t_test(within, between, alt);
  } catch (const icl::error& e) {
    // Overflow of the statistic: report it under this function's name.
    throw_error(fn, e.what());
  }
  result.within_pairs = within.size();
  result.between_pairs = between.size();
  result.mean_within = result.test.mean_a;
  result.mean_between = result.test.mean_b;
  return result;
}

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_HYPOTHESIS_IMPL_HPP
