// icl_metrics._core: the module, its error type, build information and thread settings.
#include <string>


#include "bindings.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

#if defined(ICL_USE_BLAS) && defined(__GNUC__)
// OpenBLAS's own thread count, when the BLAS linked is OpenBLAS (weak: absent elsewhere).
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" int openblas_get_num_threads(void) __attribute__((weak));
#endif

namespace nb = nanobind;

namespace {

nb::dict build_info() {
  nb::dict info;
  info["version"] = ICL_PY_VERSION;
  info["library_version"] = ICL_VERSION_STRING;
  info["components"] = nb::str(ICL_PY_COMPONENTS).attr("split")(",");
  if (std::string(ICL_PY_COMPONENTS).empty()) info["components"] = nb::list();
#if defined(ICL_USE_BLAS)
  info["blas"] = true;
#else
  info["blas"] = false;
#endif
#if defined(_OPENMP)
  info["openmp"] = true;
#else
  info["openmp"] = false;
#endif
  info["cuda"] = false;
  info["compiler"] = ICL_PY_COMPILER;
  info["copies"] = icl_py::copies_made();
  return info;
}

void set_num_threads(int n) {
  if (n < 1) icl::detail::throw_invalid("icl_metrics.set_num_threads", "n must be >= 1, got ", n);
#if defined(_OPENMP)
  omp_set_num_threads(n);
#endif
#if defined(ICL_USE_BLAS) && defined(__GNUC__)
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(n);
#endif
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "icl_metrics: representation metrics for in-context learning (compiled core).";

  static nb::exception<icl::invalid_argument> error(m, "Error", PyExc_ValueError);
  error.doc() =
      "Invalid input or an undefined result. A ValueError whose message is the library's own: the\n"
      "qualified C++ function name, then the offending index or sizes.";
  // icl::error (a computation that cannot be carried out, a file that cannot be read) is the
  // same Python type: the caller's data made the result undefined.
  nb::register_exception_translator(
      [](const std::exception_ptr& p, void* payload) {
        try {
          std::rethrow_exception(p);
        } catch (const icl::error& e) {
          PyErr_SetString(static_cast<PyObject*>(payload), e.what());
        }
      },
      error.ptr());

  m.def("build_info", &build_info,
        "How this package was built: 'version' (the package's, from the project's CMake\n"
        "version), 'library_version', 'components' (the library components compiled in:\n"
        "'blas', 'openmp'), 'blas', 'openmp', 'cuda' (always False: no device path), 'compiler',\n"
        "and 'copies': how many array arguments were converted to a float64 copy since the\n"
        "module was loaded (only inputs whose dtype is not float16, bfloat16, float32 or\n"
        "float64 are copied).");
  m.def("set_num_threads", &set_num_threads, nb::arg("n"),
        "Sets the number of threads of the library's parallel loops (OpenMP, when the package\n"
        "was built with it; see build_info()) and of OpenBLAS's products (when linked), for calls\n"
        "made from the calling thread. Results do not depend on it (the BLAS library's own\n"
        "splitting can move the last bits of a product; see the thread notes of the library).\n\n"
        "Raises Error for n < 1.");
  m.def("get_num_threads", &icl::max_threads,
        "The number of threads a parallel loop of the library may use from the calling thread\n"
        "(1 without OpenMP).");

  icl_py::init_rsa(m);
  icl_py::init_decode(m);
  icl_py::init_probe(m);
  icl_py::init_geometry(m);
  icl_py::init_attention(m);
  icl_py::init_logit_lens(m);
  icl_py::init_collect(m);
  icl_py::init_preprocess(m);
  icl_py::init_stats(m);
#if defined(ICL_PY_IO)
  icl_py::init_io(m);
#endif
}
