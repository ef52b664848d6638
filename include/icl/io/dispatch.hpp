#ifndef ICL_IO_DISPATCH_HPP
#define ICL_IO_DISPATCH_HPP

/// Dispatch over the element type of a floating array, so that one generic function handles
/// every precision a file may hold:
///
///   const icl::io::array hidden = icl::io::load("acts.safetensors:hidden");
///   const icl::rsa::rdm r = icl::io::visit_float(hidden, [&](auto tag) {
///     using T = decltype(tag);                       // icl::f16, icl::bf16, float or double
///     return icl::rsa::compute_rdm(hidden.matrix<T>(), icl::rsa::dissimilarity::correlation);
///   });
///
/// Part of the optional io component (link icl_metrics::io); also included by icl/io/load.hpp.

#include <utility>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/io/array.hpp"

namespace icl::io {

/// Calls f(T{}) with T the element type of the floating array `a` — icl::f16, icl::bf16, float or
/// double for the dtypes f16, bf16, f32 and f64 — and returns what f returns (f must return the
/// same type for the four). f receives a value only to carry the type (its value is zero); the
/// data are read through a.view<T, N>() or a.matrix<T>().
///
/// Throws icl::invalid_argument "icl::io::visit_float: <source> holds dtype <name>, not a floating
/// type (f16, bf16, f32 or f64)" for an integer or bool array, and for an empty
/// (default-constructed) array; f is not called then.
template <class F>
decltype(auto) visit_float(const array& a, F&& f) {
  constexpr const char* fn = "icl::io::visit_float";
  if (!a.valid()) icl::detail::throw_invalid(fn, "the array is empty (default-constructed)");
  switch (a.type()) {
    case dtype::f16: return std::forward<F>(f)(icl::f16{});
    case dtype::bf16: return std::forward<F>(f)(icl::bf16{});
    case dtype::f32: return std::forward<F>(f)(float{});
    case dtype::f64: return std::forward<F>(f)(double{});
    default: break;
  }
  icl::detail::throw_invalid(fn, a.source(), " holds dtype ", dtype_name(a.type()),
                             ", not a floating type (f16, bf16, f32 or f64)");
}

}  // namespace icl::io

#endif  // ICL_IO_DISPATCH_HPP
