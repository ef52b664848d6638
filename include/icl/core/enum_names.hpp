#ifndef ICL_CORE_ENUM_NAMES_HPP
#define ICL_CORE_ENUM_NAMES_HPP

/// Names of the library's public enums, for command lines, file formats and messages:
///
///   icl::to_string(icl::rsa::dissimilarity::cosine)          // "cosine"
///   icl::from_string<icl::rsa::dissimilarity>("cosine")      // dissimilarity::cosine
///   icl::enum_names<icl::rsa::dissimilarity>()               // every name, in declaration order
///
/// Each enum's header declares, next to the enum and in the enum's namespace, a constexpr function
/// `icl_enum_table(E)` returning an icl::enum_table: the enum's qualified type name and its
/// (value, name) pairs. icl::enum_traits<E> finds it by argument-dependent lookup. The name of a
/// value is its C++ enumerator spelled the same.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"

namespace icl {

/// The names of an enum: the qualified type name ("icl::module::E") and every (value, name) pair,
/// in declaration order. What `icl_enum_table(E)` returns.
template <class Enum, std::size_t N>
struct enum_table {
  using E = Enum;
  using table = std::array<std::pair<Enum, std::string_view>, N>;
  const char* type_name;
  table names;
};

/// The names of enum E:
///   static constexpr const char* type_name = "icl::module::E";
///   static constexpr std::array<std::pair<E, std::string_view>, N> names;  // in declaration order
/// By default from the enum_table that `icl_enum_table(E{})` returns (declared next to E, found by
/// argument-dependent lookup); an enum may instead specialize enum_traits with these two members.
template <class E>
struct enum_traits {
  static constexpr auto entry = icl_enum_table(E{});
  static constexpr const char* type_name = entry.type_name;
  static constexpr auto names = entry.names;
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

/// Names of icl::nan_policy (icl/core/error.hpp).
constexpr enum_table<nan_policy, 3> icl_enum_table(nan_policy) {
  return {"icl::nan_policy", {{{nan_policy::raise, "raise"}, {nan_policy::propagate, "propagate"},
                               {nan_policy::omit, "omit"}}}};
}

}  // namespace icl

#endif  // ICL_CORE_ENUM_NAMES_HPP
