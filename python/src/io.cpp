// The file readers (.npy, .npz, .safetensors): arrays as read-only numpy arrays over the reader's
// storage (a memory map or the decompressed member), without a copy.
#include <string>

#include <icl/io/load.hpp>

#include "bindings.hpp"

namespace icl_py {

namespace {

nb::dlpack::dtype dlpack_of(icl::io::dtype t) {
  using icl::io::dtype;
  switch (t) {
    case dtype::f16: return nb::dlpack::dtype{static_cast<std::uint8_t>(nb::dlpack::dtype_code::Float), 16, 1};
    case dtype::f32: return nb::dtype<float>();
    case dtype::f64: return nb::dtype<double>();
    case dtype::i8: return nb::dtype<std::int8_t>();
    case dtype::i16: return nb::dtype<std::int16_t>();
    case dtype::i32: return nb::dtype<std::int32_t>();
    case dtype::i64: return nb::dtype<std::int64_t>();
    case dtype::u8: return nb::dtype<std::uint8_t>();
    case dtype::u32: return nb::dtype<std::uint32_t>();
    case dtype::u64: return nb::dtype<std::uint64_t>();
    case dtype::boolean: return nb::dtype<bool>();
    case dtype::bf16:  // numpy has no bfloat16: its bits, viewed as ml_dtypes.bfloat16 below
    case dtype::u16: break;
  }
  return nb::dtype<std::uint16_t>();
}

nb::object load(const std::string& reference, const std::string& base_dir) {
  auto* owned = new icl::io::array(released([&] { return icl::io::load(reference, base_dir); }));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<icl::io::array*>(p); });
  std::vector<std::int64_t> strides(owned->strides().begin(), owned->strides().end());
  nb::ndarray<nb::numpy, nb::ro> out(owned->data(), owned->rank(), owned->shape().data(), owner, strides.data(),
                                     dlpack_of(owned->type()));
  nb::object array = nb::cast(out);
  if (owned->type() == icl::io::dtype::bf16) {
    array = array.attr("view")(nb::module_::import_("ml_dtypes").attr("bfloat16"));
  }
  return array;
}

}  // namespace

void init_io(nb::module_& m) {
  m.def("load", &load, nb::arg("reference"), nb::arg("base_dir") = "",
        doc(R"(Reads one array of a .npy, .npz or .safetensors file with the library's readers
(icl::io::load), as a read-only numpy array over the reader's storage: a memory map of an
uncompressed file, or the decompressed member of a compressed .npz (no further copy). bfloat16
tensors come back as ml_dtypes.bfloat16 (ml_dtypes must be installed).)",
            R"(reference : str
    'file.npy', 'file.npz:member' or 'file.safetensors:tensor' (a single-array file needs no
    member).
base_dir : str, default ''
    The directory a relative path is resolved against.)",
            "numpy.ndarray (read-only; the dtype of the file)",
            R"(    a missing or unreadable file, a malformed file (wrong magic, truncated data, a header
    past the end, an unknown dtype, big-endian data, a shape that does not match the bytes), a
    missing member (the message lists the members).)")
            .c_str());
}

}  // namespace icl_py
