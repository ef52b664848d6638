// The bodies of the libFuzzer targets of the file readers, shared with the test that replays the
// corpus and every crashing input ever found (tests/io/test_fuzz_regressions.cpp).
//
// Contract checked: on any input, a parser either succeeds or throws icl::io::format_error; on
// success every element of every array can be read (doubles(), integers(), typed views) without
// reading out of bounds. Any other exception escapes and is reported as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "icl/io/npy.hpp"
#include "icl/io/npz.hpp"
#include "icl/io/safetensors.hpp"

namespace icl_fuzz {

template <class T>
double touch_view(const icl::io::array& a) {
  // The first and the last element through a typed view of the array's own rank.
  double sum = 0.0;
  if (a.size() == 0) return sum;
  if (a.rank() == 1) {
    const auto v = a.view<T, 1>();
    sum += static_cast<double>(v(0)) + static_cast<double>(v(v.extent(0) - 1));
  } else if (a.rank() == 2) {
    const auto m = a.matrix<T>();
    sum += static_cast<double>(m(0, 0)) + static_cast<double>(m(m.rows() - 1, m.cols() - 1));
  } else if (a.rank() == 3) {
    const auto v = a.view<T, 3>();
    sum += static_cast<double>(v(v.extent(0) - 1, v.extent(1) - 1, v.extent(2) - 1));
  }
  return sum;
}

inline double exercise(const icl::io::array& a) {
  double sum = 0.0;
  for (double v : a.doubles()) sum += v;
  if (!a.is_floating()) {
    try {
      for (std::int64_t v : a.integers()) sum += static_cast<double>(v);
    } catch (const icl::invalid_argument&) {
      // a u64 above the int64 range: a documented refusal
    }
  }
  switch (a.type()) {
    case icl::io::dtype::f32: sum += touch_view<float>(a); break;
    case icl::io::dtype::f64: sum += touch_view<double>(a); break;
    case icl::io::dtype::f16: sum += touch_view<icl::f16>(a); break;
    case icl::io::dtype::bf16: sum += touch_view<icl::bf16>(a); break;
    default: break;
  }
  return sum;
}

// exercise(a), its result kept so that the reads are not optimized away.
inline void consume(const icl::io::array& a) {
  volatile double sink = exercise(a);
  (void)sink;
}

// Runs parse(); an icl::io::format_error is the documented refusal of a malformed input and is
// swallowed. Returns 0, libFuzzer's "keep going".
template <class F>
int refusing_malformed(F&& parse) {
  try {
    parse();
  } catch (const icl::io::format_error&) {
  }
  return 0;
}

inline int run_npy(const std::uint8_t* data, std::size_t size) {
  return refusing_malformed([&] { consume(icl::io::parse_npy(data, size, "fuzz.npy")); });
}

inline int run_npz(const std::uint8_t* data, std::size_t size) {
  return refusing_malformed([&] {
    const auto archive = icl::io::parse_npz(data, size, "fuzz.npz");
    // get() may refuse one member; the others are still read.
    for (const auto& name : archive.names()) refusing_malformed([&] { consume(archive.get(name)); });
  });
}

inline int run_safetensors(const std::uint8_t* data, std::size_t size) {
  return refusing_malformed([&] {
    const auto file = icl::io::parse_safetensors(data, size, "fuzz.safetensors");
    for (const auto& name : file.names()) consume(file.get(name));
    for (const auto& [key, value] : file.metadata()) {
      volatile std::size_t n = key.size() + value.size();
      (void)n;
    }
  });
}

}  // namespace icl_fuzz
