#ifndef ICL_CORE_ENUM_NAMES_HPP
#define ICL_CORE_ENUM_NAMES_HPP

/// Names of the library's public enums, for command lines, file formats and messages:
///
///   icl::to_string(icl::rsa::dissimilarity::cosine)          // "cosine"
///   icl::from_string<icl::rsa::dissimilarity>("cosine")      // dissimilarity::cosine
///   icl::enum_names<icl::rsa::dissimilarity>()               // every name, in declaration order
///
/// Each enum's header specializes icl::enum_traits next to the enum with its qualified type name
/// and a table of (value, name) pairs. The name of a value is its C++ enumerator spelled the same.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"

namespace icl {

/// Specialized for each public enum E, deriving from enum_table<E, N>:
///   static constexpr const char* type_name = "icl::module::E";
///   static constexpr table names = {{{E::first, "first"}, ...}};   // every value, in declaration order
template <class E>
struct enum_traits;

/// The base of every enum_traits specialization: E is the enum and table the type of its N
/// (value, name) pairs.
template <class Enum, std::size_t N>
struct enum_table {
  using E = Enum;
  using table = std::array<std::pair<Enum, std::string_view>, N>;
};

/// The name of value (its enumerator). Throws icl::invalid_argument for a value outside the
/// enumeration (a cast from an arbitrary integer).
template <class E>
std::string_view to_string(E value) {
  for (const auto& entry : enum_traits<E>::names) {
    if (entry.first == value) return entry.second;
  }
  detail::throw_invalid("icl::to_string", enum_traits<E>::type_name, " has no value ",
                        static_cast<long long>(value));
}

/// Every name of E, in declaration order.
template <class E>
std::vector<std::string> enum_names() {
  std::vector<std::string> out;
  out.reserve(enum_traits<E>::names.size());
  for (const auto& entry : enum_traits<E>::names) out.emplace_back(entry.second);
  return out;
}

/// The value whose name is text (exact, case-sensitive). Throws icl::invalid_argument naming
/// the enum and listing the accepted names otherwise.
template <class E>
E from_string(std::string_view text) {
  for (const auto& entry : enum_traits<E>::names) {
    if (entry.second == text) return entry.first;
  }
  std::string accepted;
  for (const auto& entry : enum_traits<E>::names) {
    if (!accepted.empty()) accepted += ", ";
    accepted += entry.second;
  }
  detail::throw_invalid("icl::from_string", "'", text, "' is not a ", enum_traits<E>::type_name, " (one of ",
                        accepted, ")");
}

/// Specializations for the enums of icl/core.
template <>
struct enum_traits<nan_policy> : enum_table<nan_policy, 3> {
  static constexpr const char* type_name = "icl::nan_policy";
  static constexpr table names = {{{E::raise, "raise"}, {E::propagate, "propagate"}, {E::omit, "omit"}}};
};

}  // namespace icl

#endif  // ICL_CORE_ENUM_NAMES_HPP
