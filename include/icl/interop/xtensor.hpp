#ifndef ICL_INTEROP_XTENSOR_HPP
#define ICL_INTEROP_XTENSOR_HPP

/// Zero-copy adapters from xtensor expressions to icl views (opt-in; needs xtensor, which is
/// not a dependency of the rest of the library).
///
/// Any expression with strided storage is accepted: xt::xarray and xt::xtensor (row- or
/// column-major), xt::adapt over user memory, xt::xtensor_fixed, and the strided views
/// (xt::view with range/all/integer slices, xt::strided_view, xt::transpose of a container).
///
///     xt::xtensor<float, 3> hidden = ...;                    // [layers, n, d]
///     auto states = icl::from_xtensor<3>(hidden);            // icl::tensor_view<const float, 3>
///     auto layer = icl::from_xtensor(xt::view(hidden, 5));   // icl::matrix_view<const float>
///
/// xtensor strides are already in elements, and xtensor sets the stride of every dimension of
/// extent 1 to 0; both are what icl views expect. The view refers to the expression's storage:
/// it is valid while that storage is. A temporary owning container (which would be destroyed at
/// the end of the full expression) is rejected at compile time; lazy expressions (xt::xfunction
/// such as `a + b`, broadcasts, views with xt::keep/xt::drop slices) have no strided storage and
/// are rejected with a static_assert (evaluate them into an xt::xarray first).

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor_forward.hpp>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl {
namespace detail {

/// True for expressions that expose strided storage: data(), data_offset(), shape(), strides().
template <class E, class = void>
struct has_xtensor_storage : std::false_type {};

template <class E>
struct has_xtensor_storage<E, std::void_t<decltype(std::declval<const E&>().data()),
                                          decltype(std::declval<const E&>().data_offset()),
                                          decltype(std::declval<const E&>().shape()),
                                          decltype(std::declval<const E&>().strides())>> : std::true_type {};

/// True for the xtensor containers that own their elements (a temporary of one would dangle).
template <class E>
struct is_owning_xtensor_container : std::false_type {};

template <class EC, xt::layout_type L, class SC, class Tag>
struct is_owning_xtensor_container<xt::xarray_container<EC, L, SC, Tag>> : std::true_type {};

template <class EC, std::size_t N, xt::layout_type L, class Tag>
struct is_owning_xtensor_container<xt::xtensor_container<EC, N, L, Tag>> : std::true_type {};

template <class ET, class S, xt::layout_type L, bool SH, class Tag>
struct is_owning_xtensor_container<xt::xfixed_container<ET, S, L, SH, Tag>> : std::true_type {};

template <class E>
inline constexpr bool is_temporary_xtensor_container_v =
    !std::is_lvalue_reference_v<E> && is_owning_xtensor_container<std::remove_cv_t<std::remove_reference_t<E>>>::value;

/// "[2, 3, 4]", for error messages.
template <class Shape>
std::string format_shape(const Shape& shape) {
  std::string out = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k != 0) out += ", ";
    out += std::to_string(static_cast<std::size_t>(shape[k]));
  }
  return out + "]";
}

}  // namespace detail

/// A read-only N-D view of an xtensor expression with strided storage: element (i0, ..., iN-1)
/// of the view is e(i0, ..., iN-1). Throws icl::invalid_argument when e does not have exactly
/// N dimensions. The element type must be float, double, icl::f16 or icl::bf16.
template <std::size_t N, class E>
auto from_xtensor(const E& e) {
  static_assert(detail::has_xtensor_storage<E>::value,
                "icl::from_xtensor: the expression has no strided storage (a lazy xt::xfunction, a broadcast, "
                "or a view with keep/drop slices); evaluate it into an xt::xarray first");
  if constexpr (detail::has_xtensor_storage<E>::value) {
    using value_type = std::remove_cv_t<std::remove_pointer_t<decltype(e.data())>>;
    static_assert(is_element_type_v<value_type>,
                  "icl::from_xtensor: the element type must be float, double, icl::f16 or icl::bf16");
    const auto& shape = e.shape();
    const auto& strides = e.strides();
    if (shape.size() != N) {
      detail::throw_invalid("icl::from_xtensor", "expected a ", N, "-D expression, got ", shape.size(),
                            " dimensions (shape ", detail::format_shape(shape), ")");
    }
    std::array<std::size_t, N> extents{};
    std::array<std::ptrdiff_t, N> element_strides{};
    for (std::size_t k = 0; k < N; ++k) {
      extents[k] = static_cast<std::size_t>(shape[k]);
      element_strides[k] = static_cast<std::ptrdiff_t>(strides[k]);
    }
    const value_type* first = e.data() + e.data_offset();
    return tensor_view<const value_type, N>(first, extents, element_strides);
  } else {
    return tensor_view<const float, N>();  // unreachable: the static_assert above has already failed
  }
}

/// A read-only matrix view of a 2-D xtensor expression with strided storage: element (i, j)
/// of the view is e(i, j). Throws icl::invalid_argument when e is not 2-D.
template <class E>
auto from_xtensor(const E& e) {
  return from_xtensor<2>(e).as_matrix();
}

/// A temporary xt::xarray / xt::xtensor / xt::xtensor_fixed would be destroyed before the view
/// is used: keep it in a named variable (xt::adapt over memory that outlives the view is fine).
template <std::size_t N, class E, std::enable_if_t<detail::is_temporary_xtensor_container_v<E>, int> = 0>
void from_xtensor(E&& temporary) = delete;

template <class E, std::enable_if_t<detail::is_temporary_xtensor_container_v<E>, int> = 0>
void from_xtensor(E&& temporary) = delete;

}  // namespace icl

#endif  // ICL_INTEROP_XTENSOR_HPP
