#ifndef ICL_INTEROP_EIGEN_HPP
#define ICL_INTEROP_EIGEN_HPP

/// Zero-copy adapters from Eigen objects to icl views (opt-in; not part of icl.hpp).
///
/// Any Eigen expression with direct access to its storage can be passed to a metric without a
/// copy: Matrix and Array in either storage order, Map with any Stride / OuterStride /
/// InnerStride, Ref, Block (including rows, columns, segments), and transposes of those.
///
///     Eigen::MatrixXf X = ...;                                   // n x d, column-major
///     auto rdm = icl::rsa::compute_rdm(icl::from_eigen(X), icl::rsa::dissimilarity::correlation);
///     auto top = icl::from_eigen(X.topRows(10));                 // a strided view, no copy
///
/// The view refers to the Eigen object's storage: it is valid while that storage is. A
/// temporary Matrix or Array (which would be destroyed at the end of the full expression) is
/// rejected at compile time; lazy expressions such as `A * B` or `A + B` have no storage and are
/// rejected with a static_assert (evaluate them into a Matrix first).

#include <cstddef>
#include <type_traits>

#include <Eigen/Core>

#include "icl/core/view.hpp"

namespace icl {

/// A read-only view of an Eigen object with direct access: element (i, j) of the view is
/// m(i, j). Strides come from m.rowStride() and m.colStride(), in elements. The scalar type
/// must be float, double, Eigen::half (icl::f16) or Eigen::bfloat16 (icl::bf16).
template <class Derived>
matrix_view<const typename Derived::Scalar> from_eigen(const Eigen::DenseBase<Derived>& m) noexcept {
  using scalar = typename Derived::Scalar;
  constexpr bool direct_access = (static_cast<unsigned int>(Derived::Flags) & Eigen::DirectAccessBit) != 0;
  static_assert(is_element_type_v<scalar>,
                "icl::from_eigen: the scalar type must be float, double, Eigen::half or Eigen::bfloat16");
  static_assert(direct_access,
                "icl::from_eigen: the expression has no direct access to its storage (a product, a sum, reverse() or "
                "another lazy expression); evaluate it into an Eigen::Matrix first");
  if constexpr (direct_access) {
    const Derived& d = m.derived();
    const scalar* data = d.data();
    return matrix_view<const scalar>(data, static_cast<std::size_t>(d.rows()), static_cast<std::size_t>(d.cols()),
                                     static_cast<std::ptrdiff_t>(d.rowStride()),
                                     static_cast<std::ptrdiff_t>(d.colStride()));
  } else {
    return {};  // unreachable: the static_assert above has already failed
  }
}

/// A temporary Matrix or Array would be destroyed before the view is used: keep it in a named
/// variable (or pass a Map/Block/Ref of storage that outlives the view).
template <class Derived>
void from_eigen(Eigen::PlainObjectBase<Derived>&& temporary) = delete;
template <class Derived>
void from_eigen(const Eigen::PlainObjectBase<Derived>&& temporary) = delete;

}  // namespace icl

#endif  // ICL_INTEROP_EIGEN_HPP
