#ifndef ICL_MPI_DETAIL_ATTENTION_IMPL_HPP
#define ICL_MPI_DETAIL_ATTENTION_IMPL_HPP

/// The state of an attention accumulator as bytes, field by field (its for_each_field): numbers
/// as their bytes, vectors as their size then their elements, head maps as their members, nested
/// states through their own for_each_field. Every rank runs the same program, so the bytes
/// travel between ranks of one job (same layout, same endianness).

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"

namespace icl::mpi::detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

/// Visits one field: writes it to `bytes` (Reading = false) or reads it from `bytes` at `at`.
template <bool Reading>
struct state_io {
  std::vector<unsigned char>& bytes;
  std::size_t at = 0;

  void raw(void* p, std::size_t size) {
    if constexpr (Reading) {
      if (at + size > bytes.size()) icl::detail::throw_error("icl::mpi::merge", "a received state is truncated");
      if (size > 0) std::memcpy(p, bytes.data() + at, size);
      at += size;
    } else {
      const auto* c = static_cast<const unsigned char*>(p);
      bytes.insert(bytes.end(), c, c + size);
    }
  }

  template <class T>
  void operator()(T& v) {
    if constexpr (std::is_arithmetic_v<T>) {
      raw(&v, sizeof(T));
    } else if constexpr (is_vector<T>::value) {
      std::size_t size = v.size();
      (*this)(size);
      if constexpr (Reading) v.resize(size);
      if constexpr (std::is_arithmetic_v<typename T::value_type> && !std::is_same_v<typename T::value_type, bool>) {
        raw(v.data(), size * sizeof(typename T::value_type));
      } else {
        for (auto& e : v) (*this)(e);
      }
    } else if constexpr (std::is_same_v<T, icl::attention::head_map>) {
      (*this)(v.layers);
      (*this)(v.heads);
      (*this)(v.values);
      (*this)(v.zero_denominator);
      (*this)(v.zero_denominator_count);
    } else {
      v.for_each_field(*this);
    }
  }
};

/// The state of `acc` as bytes.
template <class Accumulator>
std::vector<unsigned char> state_bytes(Accumulator& acc) {
  std::vector<unsigned char> bytes;
  state_io<false> io{bytes};
  acc.for_each_field(io);
  return bytes;
}

/// Replaces the state of `acc` by the one in bytes[first, first + count).
template <class Accumulator>
void read_state(Accumulator& acc, const std::vector<unsigned char>& all, std::size_t first, std::size_t count) {
  std::vector<unsigned char> bytes(all.begin() + static_cast<std::ptrdiff_t>(first),
                                   all.begin() + static_cast<std::ptrdiff_t>(first + count));
  state_io<true> io{bytes};
  acc.for_each_field(io);
}

}  // namespace icl::mpi::detail

#endif  // ICL_MPI_DETAIL_ATTENTION_IMPL_HPP
