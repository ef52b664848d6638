// Arrays in, arrays out: see bindings.hpp.
#include <atomic>
#include <cmath>
#include <limits>
#include <sstream>

#include "bindings.hpp"

namespace icl_py {

namespace {

std::atomic<std::size_t> copies{0};

nb::object numpy() { return nb::module_::import_("numpy"); }

const char* device_name(int device_type) noexcept {
  switch (device_type) {
    case nb::device::cuda::value: return "a CUDA device";
    case nb::device::cuda_host::value: return "CUDA pinned host memory";
    case nb::device::cuda_managed::value: return "CUDA managed memory";
    case nb::device::rocm::value: return "a ROCm device";
    case nb::device::metal::value: return "a Metal device";
    default: return "a device other than the CPU";
  }
}

bool is_numpy_bfloat16(nb::handle obj) {
  if (!nb::hasattr(obj, "dtype") || !nb::hasattr(obj, "view")) return false;
  nb::object type = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(obj.ptr())));
  if (std::string(nb::str(type.attr("__module__")).c_str()) != "numpy") return false;
  return std::string(nb::str(obj.attr("dtype").attr("name")).c_str()) == "bfloat16";
}

bool element_of(const nb::dlpack::dtype& d, bool bf16_bits, element& out) {
  using code = nb::dlpack::dtype_code;
  if (d.lanes != 1) return false;
  if (d.code == static_cast<std::uint8_t>(code::Float)) {
    if (d.bits == 16) out = element::f16;
    else if (d.bits == 32) out = element::f32;
    else if (d.bits == 64) out = element::f64;
    else return false;
    return true;
  }
  if (d.bits == 16 && (d.code == static_cast<std::uint8_t>(code::Bfloat) ||
                       (bf16_bits && d.code == static_cast<std::uint8_t>(code::UInt)))) {
    out = element::bf16;
    return true;
  }
  return false;
}

void fill(array_arg& a, const char* function, const char* name, std::size_t ndim, std::size_t ndim_max) {
  if (a.array.device_type() != nb::device::cpu::value) {
    icl::detail::throw_invalid(function, name, " is on ", device_name(a.array.device_type()),
                               ", but this icl_metrics was built without CUDA: move it to the host first "
                               "(for a torch tensor, .cpu()); no copy is made implicitly");
  }
  if (ndim_max > ndim && a.array.ndim() >= ndim && a.array.ndim() <= ndim_max) {
    ndim = a.array.ndim();
  } else if (ndim_max > ndim) {
    icl::detail::throw_invalid(function, name, " must have ", ndim, " to ", ndim_max, " dimensions, got ",
                               a.array.ndim());
  } else if (a.array.ndim() != ndim) {
    icl::detail::throw_invalid(function, name, " must have ", ndim, " dimensions, got ", a.array.ndim());
  }
  a.data = a.array.data();
  a.shape.resize(ndim);
  a.strides.resize(ndim);
  for (std::size_t k = 0; k < ndim; ++k) {
    a.shape[k] = a.array.shape(k);
    a.strides[k] = static_cast<std::ptrdiff_t>(a.array.stride(k));
  }
}

/// obj as a 1-D numpy array of `dtype` (a copy only when obj is not already one).
nb::ndarray<nb::ro> one_dimensional(nb::handle obj, const char* dtype, const char* function, const char* name) {
  nb::object arr = numpy().attr("asarray")(obj, nb::arg("dtype") = dtype);
  nb::ndarray<nb::ro> out;
  if (!nb::try_cast(arr, out, false) || out.ndim() != 1) {
    icl::detail::throw_invalid(function, name, " must be a 1-D array or list");
  }
  return out;
}

/// obj as a 1-D array of int64 after checking that it holds integers.
nb::ndarray<nb::ro> integers(nb::handle obj, const char* function, const char* name) {
  nb::object arr = numpy().attr("asarray")(obj);
  const std::string kind = nb::str(arr.attr("dtype").attr("kind")).c_str();
  const bool empty = nb::cast<std::size_t>(arr.attr("size")) == 0;
  if (kind != "i" && kind != "u" && kind != "b" && !empty) {
    icl::detail::throw_invalid(function, name, " must hold integers (got dtype ", nb::str(arr.attr("dtype")).c_str(),
                               ")");
  }
  return one_dimensional(arr, "int64", function, name);
}

}  // namespace

const char* element_name(element e) noexcept {
  switch (e) {
    case element::f16: return "float16";
    case element::bf16: return "bfloat16";
    case element::f32: return "float32";
    case element::f64: return "float64";
  }
  return "unknown";
}

std::size_t copies_made() noexcept { return copies.load(); }

array_arg take_array(nb::handle obj, const char* function, const char* name, std::size_t ndim,
                     std::size_t ndim_max) {
  array_arg a;
  a.keep = nb::borrow(obj);
  // ml_dtypes.bfloat16 is not a buffer-protocol or DLPack type: its bits are read through a
  // uint16 view of the same memory (no copy).
  const bool bf16_bits = is_numpy_bfloat16(obj);
  if (bf16_bits) a.keep = obj.attr("view")("uint16");
  if (nb::try_cast(a.keep, a.array, false) && element_of(a.array.dtype(), bf16_bits, a.type)) {
    fill(a, function, name, ndim, ndim_max);
    return a;
  }
  if (nb::try_cast(a.keep, a.array, false) && a.array.device_type() != nb::device::cpu::value) {
    fill(a, function, name, ndim, ndim_max);  // throws: no implicit copy from a device
  }
  // Any other element type (integers, booleans, lists): one float64 copy.
  a.keep = numpy().attr("array")(obj, nb::arg("dtype") = "float64", nb::arg("copy") = true);
  if (!nb::try_cast(a.keep, a.array, false)) {
    icl::detail::throw_invalid(function, name, " is not an array");
  }
  a.type = element::f64;
  a.copied = true;
  ++copies;
  fill(a, function, name, ndim, ndim_max);
  return a;
}

double_vector take_double_vector(nb::handle obj, const char* function, const char* name) {
  double_vector v;
  v.keep = one_dimensional(obj, "float64", function, name);
  v.view = icl::tensor_view<const double, 1>(static_cast<const double*>(v.keep.data()), {v.keep.shape(0)},
                                             {static_cast<std::ptrdiff_t>(v.keep.stride(0))});
  return v;
}

std::vector<double> take_doubles(nb::handle obj, const char* function, const char* name) {
  const double_vector v = take_double_vector(obj, function, name);
  const std::size_t m = v.view.extent(0);
  // Contiguous (the usual condensed RDM): one pass that allocates and copies, no zero-fill first.
  if (m < 2 || v.view.stride(0) == 1) return std::vector<double>(v.view.data(), v.view.data() + m);
  std::vector<double> out(m);
  for (std::size_t i = 0; i < m; ++i) out[i] = v.view(i);
  return out;
}

std::vector<int> take_labels(nb::handle obj, const char* function, const char* name) {
  // Named, so that a converted int64 array (from int32 labels, a list) lives while it is read.
  const nb::ndarray<nb::ro, std::int64_t, nb::ndim<1>> values(integers(obj, function, name));
  auto v = values.view();
  std::vector<int> out(v.shape(0));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t x = v(i);
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
      icl::detail::throw_invalid(function, name, "[", i, "] = ", x, " is outside the range of a C int");
    }
    out[i] = static_cast<int>(x);
  }
  return out;
}

std::vector<std::size_t> take_indices(nb::handle obj, const char* function, const char* name) {
  const nb::ndarray<nb::ro, std::int64_t, nb::ndim<1>> values(integers(obj, function, name));
  auto v = values.view();
  std::vector<std::size_t> out(v.shape(0));
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (v(i) < 0) icl::detail::throw_invalid(function, name, "[", i, "] = ", v(i), " is negative");
    out[i] = static_cast<std::size_t>(v(i));
  }
  return out;
}

void check_signals() {
  if (PyErr_CheckSignals() != 0) throw nb::python_error();
}

nb::ndarray<nb::numpy, double> head_map_array(icl::attention::head_map&& map) {
  const std::size_t layers = map.layers, heads = map.heads;
  return to_numpy(std::move(map.values), {layers, heads});
}

std::string doc(const std::string& summary, const std::string& parameters, const std::string& returns,
                const std::string& raises) {
  std::string out = summary + "\n";
  if (!parameters.empty()) out += "\nParameters\n----------\n" + parameters + "\n";
  out += "\nReturns\n-------\n" + returns + "\n";
  out += "\nRaises\n------\nError\n" + raises;
  return out;
}

std::string fmt(double value) { return nb::repr(nb::float_(value)).c_str(); }

}  // namespace icl_py
