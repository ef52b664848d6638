#ifndef ICL_IO_ARRAY_HPP
#define ICL_IO_ARRAY_HPP

/// One tensor read from an activation file (.npy, .npz member, .safetensors entry): its element
/// type, shape, strides in elements and a pointer to its bytes, with shared ownership of the
/// storage behind them (the file mapping, or a buffer the reader filled). Copies are cheap and
/// keep the storage alive; icl views taken from an array stay valid while any copy lives.
///
/// Part of the optional io component (link icl_metrics::io); not included by icl/icl.hpp.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "icl/io: the readers hand out views of little-endian file data and need a little-endian host"
#endif

namespace icl::io {

// Every error of the readers is thrown by icl::detail::throw_error<format_error or file_error>
// (message "<source>: <what>") or icl::detail::throw_invalid.
using icl::detail::throw_error;

/// A file is malformed or hostile (wrong magic, truncated data, a header that does not parse, an
/// unsupported dtype, a missing member...). The message is "<source>: <what is wrong>", where
/// source is the path, or "path:member" for a member of an archive.
class format_error : public icl::error {
 public:
  using icl::error::error;
};

/// A file could not be opened, inspected or mapped (missing, a directory, no permission). The
/// message is "<path>: <what failed>: <system reason>".
class file_error : public format_error {
 public:
  using format_error::format_error;
};

/// Element types the readers know.
enum class dtype { f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, boolean };

/// Names of icl::io::dtype for icl::to_string / from_string: those of icl::io::dtype_name ("f16",
/// "bf16", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool": numpy's
/// short names, and "bool" for dtype::boolean).
constexpr enum_table<dtype, 13> icl_enum_table(dtype) {
  return {"icl::io::dtype", {{{dtype::f16, "f16"}, {dtype::bf16, "bf16"}, {dtype::f32, "f32"}, {dtype::f64, "f64"},
                              {dtype::i8, "i8"}, {dtype::i16, "i16"}, {dtype::i32, "i32"}, {dtype::i64, "i64"},
                              {dtype::u8, "u8"}, {dtype::u16, "u16"}, {dtype::u32, "u32"}, {dtype::u64, "u64"},
                              {dtype::boolean, "bool"}}}};
}

/// "f16", "bf16", "f32", "f64", "i8", ..., "u64", "bool" (the names of icl::to_string(dtype));
/// "?" for a value outside the enumeration.
inline const char* dtype_name(dtype t) noexcept;

/// Bytes per element.
inline std::size_t dtype_size(dtype t) noexcept {
  switch (t) {
    case dtype::i8: case dtype::u8: case dtype::boolean: return 1;
    case dtype::f16: case dtype::bf16: case dtype::i16: case dtype::u16: return 2;
    case dtype::f32: case dtype::i32: case dtype::u32: return 4;
    case dtype::f64: case dtype::i64: case dtype::u64: return 8;
  }
  return 1;
}

inline bool dtype_is_floating(dtype t) noexcept {
  return t == dtype::f16 || t == dtype::bf16 || t == dtype::f32 || t == dtype::f64;
}

/// Signed and unsigned integers; not bool (as numpy.issubdtype(bool, numpy.integer) is false).
inline bool dtype_is_integer(dtype t) noexcept { return !dtype_is_floating(t) && t != dtype::boolean; }

/// Where the bytes of an array live.
enum class storage {
  mapped,    ///< in place in the memory-mapped file (zero copy)
  external,  ///< in place in a caller's buffer (parse_npy and friends; the caller keeps it alive)
  copied,    ///< copied into an owned, 64-byte aligned buffer (the data was misaligned in place)
  inflated   ///< decompressed into an owned, 64-byte aligned buffer (deflate member of an .npz)
};

/// Names of icl::io::storage: "mapped", "external", "copied", "inflated".
constexpr enum_table<storage, 4> icl_enum_table(storage) {
  return {"icl::io::storage", {{{storage::mapped, "mapped"}, {storage::external, "external"},
                                {storage::copied, "copied"}, {storage::inflated, "inflated"}}}};
}

inline const char* dtype_name(dtype t) noexcept {
  for (const auto& entry : enum_traits<dtype>::names) {
    if (entry.first == t) return entry.second.data();  // the names are string literals
  }
  return "?";
}

/// The dtype that holds elements of type T (float -> f32, double -> f64, f16, bf16).
template <class T>
constexpr dtype dtype_of() noexcept {
  using U = std::remove_cv_t<T>;
  static_assert(is_element_type_v<U>, "icl::io::dtype_of: T must be float, double, icl::f16 or icl::bf16");
  if constexpr (std::is_same_v<U, float>) return dtype::f32;
  else if constexpr (std::is_same_v<U, double>) return dtype::f64;
  else if constexpr (std::is_same_v<U, f16>) return dtype::f16;
  else return dtype::bf16;
}

namespace detail {

/// "[2, 3, 4]".
inline std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string out = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k) out += ", ";
    out += std::to_string(shape[k]);
  }
  return out + "]";
}

/// Product of the extents, or format_error naming source when it overflows size_t.
inline std::size_t checked_element_count(const std::string& source, const std::vector<std::size_t>& shape) {
  std::size_t n = 1;
  bool zero = false;
  for (std::size_t e : shape) zero = zero || e == 0;
  if (zero) return 0;
  for (std::size_t e : shape) {
    if (n > std::numeric_limits<std::size_t>::max() / e) {
      throw_error<format_error>(source, "shape ", shape_string(shape), " has more elements than size_t can count");
    }
    n *= e;
  }
  return n;
}

/// Row-major (C order) or column-major (Fortran order) strides in elements. An extent of 0
/// counts as 1. Only an empty array can have extents whose product overflows ptrdiff_t (a
/// non-empty one fits in the file); its strides are then all 1 (it has no element to address).
inline std::vector<std::ptrdiff_t> contiguous_strides(const std::vector<std::size_t>& shape, bool fortran_order) {
  const std::size_t rank = shape.size();
  std::vector<std::ptrdiff_t> strides(rank, 1);
  const auto limit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  std::size_t step = 1;
  for (std::size_t n = 0; n < rank; ++n) {
    const std::size_t k = fortran_order ? n : rank - 1 - n;
    strides[k] = static_cast<std::ptrdiff_t>(step);
    const std::size_t extent = shape[k] == 0 ? 1 : shape[k];
    if (n + 1 == rank) break;
    if (step > limit / extent) {
      std::fill(strides.begin(), strides.end(), std::ptrdiff_t{1});
      return strides;
    }
    step *= extent;
  }
  return strides;
}

/// An owned buffer of at least `bytes` bytes, aligned to 64 bytes.
inline std::shared_ptr<unsigned char> allocate_aligned(std::size_t bytes) {
  constexpr std::align_val_t alignment{64};
  void* p = ::operator new(bytes == 0 ? 1 : bytes, alignment);
  return std::shared_ptr<unsigned char>(static_cast<unsigned char*>(p),
                                        [](unsigned char* q) { ::operator delete(q, alignment); });
}

/// Calls f(offset) for every element in C order, offset in elements from the first element.
template <class F>
void for_each_offset(const std::vector<std::size_t>& shape, const std::vector<std::ptrdiff_t>& strides,
                     std::size_t count, F&& f) {
  if (count == 0) return;
  const std::size_t rank = shape.size();
  if (rank == 0) {
    f(std::ptrdiff_t{0});
    return;
  }
  std::vector<std::size_t> index(rank, 0);
  std::ptrdiff_t offset = 0;
  const std::size_t last = rank - 1;
  for (std::size_t done = 0; done < count;) {
    // The innermost dimension in one run.
    for (std::size_t i = 0; i < shape[last]; ++i) f(offset + static_cast<std::ptrdiff_t>(i) * strides[last]);
    done += shape[last];
    // Carry into the outer dimensions.
    std::size_t k = last;
    while (k > 0) {
      --k;
      ++index[k];
      offset += strides[k];
      if (index[k] < shape[k]) break;
      offset -= static_cast<std::ptrdiff_t>(index[k]) * strides[k];
      index[k] = 0;
    }
  }
}

template <class T>
T load_unaligned(const unsigned char* p) noexcept {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace detail

/// One tensor of a file. Obtained from read_npy, npz_archive::get, safetensors_file::get, load or
/// the parse_* functions; a default-constructed array is empty (rank 0 is a scalar, so check
/// valid()).
class array {
 public:
  array() = default;

  /// For readers of other formats. `data` points at the first element, `strides` are in elements
  /// (shape.size() of them), `owner` keeps the bytes alive (empty when the caller does).
  array(io::dtype type, std::vector<std::size_t> shape, std::vector<std::ptrdiff_t> strides, const void* data,
        std::shared_ptr<const void> owner, std::string source, io::storage where)
      : type_(type),
        shape_(std::move(shape)),
        strides_(std::move(strides)),
        data_(data),
        owner_(std::move(owner)),
        source_(std::move(source)),
        storage_(where),
        valid_(true) {
    size_ = detail::checked_element_count(source_, shape_);
    if (strides_.size() != shape_.size()) {
      throw_error<format_error>(source_, "array has ", shape_.size(), " extents but ", strides_.size(), " strides");
    }
  }

  bool valid() const noexcept { return valid_; }
  io::dtype type() const noexcept { return type_; }
  const std::vector<std::size_t>& shape() const noexcept { return shape_; }
  /// Strides in ELEMENTS (a Fortran-order .npy has column-major strides).
  const std::vector<std::ptrdiff_t>& strides() const noexcept { return strides_; }
  std::size_t rank() const noexcept { return shape_.size(); }
  /// Number of elements (the product of the shape; 1 for a scalar).
  std::size_t size() const noexcept { return size_; }
  std::size_t itemsize() const noexcept { return dtype_size(type_); }
  /// size() * itemsize().
  std::size_t nbytes() const noexcept { return size_ * itemsize(); }
  const void* data() const noexcept { return data_; }
  /// "path", or "path:member" for a member of an .npz or an entry of a .safetensors file.
  const std::string& source() const noexcept { return source_; }
  io::storage where() const noexcept { return storage_; }
  bool is_floating() const noexcept { return dtype_is_floating(type_); }
  /// Signed or unsigned integers (not bool).
  bool is_integer() const noexcept { return dtype_is_integer(type_); }
  bool is_boolean() const noexcept { return type_ == dtype::boolean; }

  /// The array as an icl tensor view into its storage (no copy). T is float, double, icl::f16 or
  /// icl::bf16 and must match the dtype exactly (f32, f64, f16, bf16); N must equal rank().
  /// Otherwise icl::invalid_argument naming the source, the dtype and rank wanted and held.
  template <class T, std::size_t N>
  tensor_view<const T, N> view() const {
    require<T>("icl::io::array::view", N);
    std::array<std::size_t, N> extents{};
    std::array<std::ptrdiff_t, N> strides{};
    for (std::size_t k = 0; k < N; ++k) {
      extents[k] = shape_[k];
      strides[k] = strides_[k];
    }
    return tensor_view<const T, N>(static_cast<const T*>(data_), extents, strides);
  }

  /// A rank-2 array as an icl matrix view (row i, column j); see view().
  template <class T>
  matrix_view<const T> matrix() const {
    require<T>("icl::io::array::matrix", 2);
    return matrix_view<const T>(static_cast<const T*>(data_), shape_[0], shape_[1], strides_[0], strides_[1]);
  }

  /// Every element of an integer or bool array, in C order, as int64. A u64 above INT64_MAX and
  /// a floating array are icl::invalid_argument naming the source.
  std::vector<std::int64_t> integers() const { return read_integers("icl::io::array::integers"); }

  /// Every element of an integer or bool array, in C order, as int: class labels and conditions
  /// in the form the metrics take them (std::vector<int>). An element outside the range of int
  /// (or a u64 above INT64_MAX) and a floating array are icl::invalid_argument naming the source
  /// (and the element's index).
  std::vector<int> labels() const {
    constexpr const char* fn = "icl::io::array::labels";
    const std::vector<std::int64_t> values = read_integers(fn);
    std::vector<int> out(values.size());
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (values[k] < std::numeric_limits<int>::min() || values[k] > std::numeric_limits<int>::max()) {
        icl::detail::throw_invalid(fn, source_, " element ", k, " is ", values[k], ", outside the range of int");
      }
      out[k] = static_cast<int>(values[k]);
    }
    return out;
  }

  /// Every element, in C order, as double (64-bit integers above 2^53 round to the nearest
  /// double; bool gives 0 and 1).
  std::vector<double> doubles() const {
    check_valid("icl::io::array::doubles");
    std::vector<double> out;
    out.reserve(size_);
    for_each_element([&](auto v) {
      if constexpr (std::is_same_v<decltype(v), f16> || std::is_same_v<decltype(v), bf16>) {
        out.push_back(static_cast<double>(static_cast<float>(v)));
      } else {
        out.push_back(static_cast<double>(v));
      }
    });
    return out;
  }

 private:
  /// Calls f with every element in C order, read as its stored type (icl::f16, icl::bf16, float,
  /// double, the fixed-width integers, or bool).
  template <class F>
  void for_each_element(F&& f) const {
    const auto* base = static_cast<const unsigned char*>(data_);
    const std::ptrdiff_t item = static_cast<std::ptrdiff_t>(itemsize());
    detail::for_each_offset(shape_, strides_, size_, [&](std::ptrdiff_t offset) {
      const unsigned char* p = base + offset * item;
      switch (type_) {
        case dtype::f16: f(detail::load_unaligned<f16>(p)); break;
        case dtype::bf16: f(detail::load_unaligned<bf16>(p)); break;
        case dtype::f32: f(detail::load_unaligned<float>(p)); break;
        case dtype::f64: f(detail::load_unaligned<double>(p)); break;
        case dtype::i8: f(detail::load_unaligned<std::int8_t>(p)); break;
        case dtype::i16: f(detail::load_unaligned<std::int16_t>(p)); break;
        case dtype::i32: f(detail::load_unaligned<std::int32_t>(p)); break;
        case dtype::i64: f(detail::load_unaligned<std::int64_t>(p)); break;
        case dtype::u8: f(detail::load_unaligned<std::uint8_t>(p)); break;
        case dtype::u16: f(detail::load_unaligned<std::uint16_t>(p)); break;
        case dtype::u32: f(detail::load_unaligned<std::uint32_t>(p)); break;
        case dtype::u64: f(detail::load_unaligned<std::uint64_t>(p)); break;
        case dtype::boolean: f(*p != 0); break;
      }
    });
  }

  /// integers(), with messages naming fn.
  std::vector<std::int64_t> read_integers(const char* fn) const {
    check_valid(fn);
    if (is_floating()) {
      icl::detail::throw_invalid(fn, source_, " holds ", dtype_name(type_), ", not integers");
    }
    std::vector<std::int64_t> out;
    out.reserve(size_);
    for_each_element([&](auto v) {
      using V = decltype(v);
      if constexpr (std::is_same_v<V, std::uint64_t>) {
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          icl::detail::throw_invalid(fn, source_, " element ", out.size(), " is ", v, ", above the int64 range");
        }
        out.push_back(static_cast<std::int64_t>(v));
      } else if constexpr (std::is_integral_v<V>) {  // the other integers, and bool as 0 or 1
        out.push_back(static_cast<std::int64_t>(v));
      }
    });
    return out;
  }

  void check_valid(const char* fn) const {
    if (!valid_) icl::detail::throw_invalid(fn, "the array is empty (default-constructed)");
  }

  template <class T>
  void require(const char* fn, std::size_t wanted_rank) const {
    check_valid(fn);
    constexpr io::dtype wanted = dtype_of<T>();
    if (type_ != wanted || rank() != wanted_rank) {
      icl::detail::throw_invalid(fn, source_, " holds ", dtype_name(type_), " ", detail::shape_string(shape_),
                                 " (rank ", rank(), "), not ", dtype_name(wanted), " of rank ", wanted_rank);
    }
  }

  io::dtype type_ = dtype::f32;
  std::vector<std::size_t> shape_;
  std::vector<std::ptrdiff_t> strides_;
  std::size_t size_ = 0;
  const void* data_ = nullptr;
  std::shared_ptr<const void> owner_;
  std::string source_;
  io::storage storage_ = storage::external;
  bool valid_ = false;
};

namespace detail {

/// The array over `bytes` (exactly nbytes of data). When `bytes` is not aligned to the item
/// size the data is copied into an owned aligned buffer, so that views of it are well-formed.
inline array make_array(io::dtype type, std::vector<std::size_t> shape, bool fortran_order, const unsigned char* bytes,
                        std::size_t nbytes, std::shared_ptr<const void> owner, std::string source, io::storage where) {
  std::vector<std::ptrdiff_t> strides = contiguous_strides(shape, fortran_order);
  const std::size_t item = dtype_size(type);
  if (reinterpret_cast<std::uintptr_t>(bytes) % item != 0) {
    std::shared_ptr<unsigned char> copy = allocate_aligned(nbytes);
    if (nbytes) std::memcpy(copy.get(), bytes, nbytes);
    const unsigned char* p = copy.get();
    return array(type, std::move(shape), std::move(strides), p, std::move(copy), std::move(source), storage::copied);
  }
  return array(type, std::move(shape), std::move(strides), bytes, std::move(owner), std::move(source), where);
}

}  // namespace detail
}  // namespace icl::io

#endif  // ICL_IO_ARRAY_HPP
