// Shared by the translation units of icl_metrics._core: how arrays come in (without a copy for
// the library's four element types), how results go out (numpy arrays owning C++ vectors), the
// GIL and Ctrl-C between the steps of long loops.
#ifndef ICL_PY_BINDINGS_HPP
#define ICL_PY_BINDINGS_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <icl/icl.hpp>

namespace icl_py {

namespace nb = nanobind;

/// Any object accepted as an array argument (numpy, DLPack, ml_dtypes, lists): a Python object
/// whose stub type is numpy.typing.ArrayLike.
inline bool any_object(PyObject*) noexcept { return true; }
class array_like : public nb::object {
  NB_OBJECT_DEFAULT(array_like, object, "numpy.typing.ArrayLike", any_object)
};

/// The element types the library reads in place.
enum class element { f16, bf16, f32, f64 };
/// "float16", "bfloat16", "float32", "float64".
const char* element_name(element e) noexcept;

/// An array argument: the buffer (kept alive by `array`), its element type, shape and strides
/// in elements. Built with the GIL held; the views made from it are read with the GIL released.
struct array_arg {
  nb::ndarray<nb::ro> array;
  nb::object keep;  ///< the object the buffer came from (or the converted copy)
  element type = element::f64;
  const void* data = nullptr;
  std::vector<std::size_t> shape;
  std::vector<std::ptrdiff_t> strides;
  bool copied = false;
};

/// Takes `obj` (numpy, ml_dtypes.bfloat16, DLPack: torch, jax, ...) as an array of `ndim`
/// dimensions. float16/32/64 and bfloat16 are used in place, with their strides; any other
/// element type (integers, booleans) is converted to a float64 copy (counted in copies_made()).
/// Throws icl::invalid_argument naming `function` and `name` for another number of dimensions,
/// and for an array on a device other than the CPU (this package has no device path).
/// With ndim_max > ndim, any number of dimensions from ndim to ndim_max is accepted.
array_arg take_array(nb::handle obj, const char* function, const char* name, std::size_t ndim,
                     std::size_t ndim_max = 0);

/// A vector of doubles (a condensed RDM, a parameter per condition) from any 1-D array or list.
std::vector<double> take_doubles(nb::handle obj, const char* function, const char* name);
/// A 1-D float64 argument read in place: a float64 array (any stride) is viewed where it lies;
/// another dtype or a list is converted once into the float64 array that `keep` holds.
struct double_vector {
  nb::ndarray<nb::ro> keep;
  icl::tensor_view<const double, 1> view;
};
double_vector take_double_vector(nb::handle obj, const char* function, const char* name);
/// Labels: any integer array or list, 1-D, values within the range of int.
std::vector<int> take_labels(nb::handle obj, const char* function, const char* name);
/// Positions or indices: any non-negative integer array or list, 1-D.
std::vector<std::size_t> take_indices(nb::handle obj, const char* function, const char* name);

/// Number of inputs converted to a float64 copy since the module was loaded.
std::size_t copies_made() noexcept;

template <class T>
icl::matrix_view<const T> matrix_of(const array_arg& a) {
  return icl::make_matrix_view(static_cast<const T*>(a.data), a.shape[0], a.shape[1], a.strides[0], a.strides[1]);
}

template <class T, std::size_t N>
icl::tensor_view<const T, N> tensor_of(const array_arg& a) {
  std::array<std::size_t, N> e{};
  std::array<std::ptrdiff_t, N> s{};
  for (std::size_t k = 0; k < N; ++k) {
    e[k] = a.shape[k];
    s[k] = a.strides[k];
  }
  return icl::tensor_view<const T, N>(static_cast<const T*>(a.data), e, s);
}

/// Calls f(T{}) with T the element type of `a` (float, double, icl::f16, icl::bf16).
template <class F>
decltype(auto) visit(const array_arg& a, F&& f) {
  switch (a.type) {
    case element::f32: return f(float{});
    case element::f16: return f(icl::f16{});
    case element::bf16: return f(icl::bf16{});
    case element::f64: break;
  }
  return f(double{});
}

/// Calls f(T{}) for the common element type of two arrays; arrays of different element types
/// are an icl::invalid_argument naming `function`.
template <class F>
decltype(auto) visit_same(const array_arg& a, const array_arg& b, const char* function, F&& f) {
  if (a.type != b.type) {
    icl::detail::throw_invalid(function, "both arrays must have the same dtype (got ", element_name(a.type), " and ",
                               element_name(b.type), ")");
  }
  return visit(a, std::forward<F>(f));
}

/// Runs f() with the GIL released: f must touch no Python object.
template <class F>
decltype(auto) released(F&& f) {
  nb::gil_scoped_release release;
  return f();
}

/// Raises KeyboardInterrupt (or whatever a signal handler raised) when a signal arrived; called
/// with the GIL held between the steps of long loops (layers, chunks of permutations).
void check_signals();

/// The library's should_stop hook (permutation_params, bootstrap_params) for a call made with
/// the GIL released: between batches it takes the GIL and runs Python's signal handlers. When one
/// raised (KeyboardInterrupt for Ctrl-C), the hook keeps that exception and asks the library to
/// stop; run()/guard() then raise it in place of the library's "interrupted" error.
class signal_hook {
 public:
  std::function<bool()> hook() {
    return [this] {
      nb::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() == 0) return false;
      pending_ = std::make_unique<nb::python_error>();  // fetches (and clears) the raised exception
      return true;
    };
  }

  /// f() (which releases the GIL itself, e.g. through a guarded object), with the exception of
  /// an interrupting signal raised in place of the library's error.
  template <class F>
  decltype(auto) guard(F&& f) {
    try {
      return f();
    } catch (const icl::error&) {
      if (pending_) throw nb::python_error(*pending_);
      throw;
    }
  }

  /// guard() of f() run with the GIL released.
  template <class F>
  decltype(auto) run(F&& f) {
    return guard([&]() -> decltype(auto) { return released(std::forward<F>(f)); });
  }

 private:
  std::unique_ptr<nb::python_error> pending_;
};

/// Feeds every layer of `view` ([layers, n, d]) to `tracker` (an icl::layer_tracker), each
/// with the GIL released, checking for Ctrl-C between layers: the library's *_curve functions
/// through their trackers, with the same results.
template <class Tracker, class T>
void feed_layers(Tracker& tracker, const icl::tensor_view<const T, 3>& view) {
  for (std::size_t l = 0; l < view.extent(0); ++l) {
    released([&] { tracker.add_layer(view.matrix(l)); });
    check_signals();
  }
}

/// A 1-D or 2-D numpy array that owns `values` (moved, not copied).
template <class T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& values, std::initializer_list<std::size_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(owned->data(), shape, owner);
}

template <class T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& values) {
  const std::size_t n = values.size();
  return to_numpy(std::move(values), {n});
}

/// A [rows, cols] numpy array with the values of a library matrix (one copy of the result).
template <class T>
nb::ndarray<nb::numpy, T> to_numpy(const icl::dense_matrix<T>& m) {
  const std::size_t rows = m.rows(), cols = m.cols();
  return to_numpy(std::vector<T>(m.data(), m.data() + rows * cols), {rows, cols});
}

/// The copy of `values` as a numpy array (for fields of result objects).
template <class T>
nb::ndarray<nb::numpy, T> copy_to_numpy(const std::vector<T>& values) {
  return to_numpy(std::vector<T>(values));
}

/// A getter for a result object's vector field, as a numpy array (a copy).
template <class C, class T>
auto array_field(std::vector<T> C::*member) {
  return [member](const C& r) { return copy_to_numpy(r.*member); };
}

/// A [layers, heads] numpy array from a head map.
nb::ndarray<nb::numpy, double> head_map_array(icl::attention::head_map&& map);
/// A head map from a [layers, heads] array; with flag_inf, its +inf values are flagged as
/// undefined (zero_denominator), as attention_ratio flags them.
icl::attention::head_map head_map_of(nb::handle scores, const char* function, const char* name,
                                     bool flag_inf = false);

/// Parses an enum name ("spearman", "correlation") with the library's own message on failure.
template <class E>
E parse(const std::string& text) {
  return icl::from_string<E>(text);
}

/// A numpy-style docstring (after the signature line that nanobind writes): the summary, then
/// the Parameters, Returns and Raises sections (each given without its heading).
std::string doc(const std::string& summary, const std::string& parameters,
                const std::string& returns, const std::string& raises);

/// Formats a double as repr() would (shortest round-trip form).
std::string fmt(double value);

/// "TypeName(a=..., b=...)": the repr of each named attribute of a result object, arrays as
/// lists.
std::string repr_of(nb::handle self, const std::vector<const char*>& fields);

/// Whether T is a std::vector of numbers (a field returned as a numpy array).
template <class T>
struct is_number_vector : std::false_type {};
template <class T, class A>
struct is_number_vector<std::vector<T, A>> : std::is_arithmetic<T> {};

/// A copy of `text` that lives as long as the module (names and docstrings built at import).
const char* keep_text(std::string text);

/// The "name: doc" lines of a result class's attributes, split (kept with keep_text); throws
/// std::logic_error unless there are `count` of them.
std::vector<std::pair<const char*, const char*>> attribute_lines(const char* attributes, std::size_t count);

/// A result class with read-only attributes: `attributes` has one "name: doc" line per member,
/// in the order of `members`; a vector of numbers is returned as a numpy array (a copy), any
/// other member as itself. The repr shows the first `shown` attributes; the docstring lists
/// them all. More members can be added to the returned class.
template <class C, class... T>
nb::class_<C> result_class(nb::handle scope, const char* name, const std::string& doc, std::size_t shown,
                           const char* attributes, T C::*... members) {
  nb::class_<C> cls(scope, name, keep_text(doc + "\n\nAttributes\n----------\n" + attributes));
  const auto lines = attribute_lines(attributes, sizeof...(T));
  std::size_t k = 0;
  const auto bind = [&](auto member) {
    using M = typename std::remove_reference_t<decltype(std::declval<C&>().*member)>;
    if constexpr (is_number_vector<M>::value) {
      cls.def_prop_ro(lines[k].first, array_field(member), nb::rv_policy::move, lines[k].second);
    } else {
      cls.def_ro(lines[k].first, member, lines[k].second);
    }
    ++k;
  };
  (bind(members), ...);
  std::vector<const char*> repr_fields;
  for (std::size_t f = 0; f < shown && f < lines.size(); ++f) repr_fields.push_back(lines[f].first);
  cls.def("__repr__", [repr_fields](nb::handle self) { return repr_of(self, repr_fields); });
  return cls;
}

void init_rsa(nb::module_& m);
void init_decode(nb::module_& m);
void init_probe(nb::module_& m);
void init_geometry(nb::module_& m);
void init_attention(nb::module_& m);
void init_logit_lens(nb::module_& m);
void init_collect(nb::module_& m);
void init_io(nb::module_& m);
void init_preprocess(nb::module_& m);
void init_stats(nb::module_& m);

}  // namespace icl_py

#endif  // ICL_PY_BINDINGS_HPP
