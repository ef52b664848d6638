/// The C++ side of benchmarks/python/bench_package.py: the same library calls as the Python
/// package makes, on the same data, from a C++ program built with the wheel's flags (the CMake
/// defines of pyproject.toml: Release, -O2 -DNDEBUG, the blas and openmp components found the
/// same way). It reads commands from standard input, one per line, runs the call once and prints
/// one JSON line {"seconds": wall time of the call, "value": a number that the Python side checks
/// against its own result, "threads": ..., "blas": ...}. The script interleaves these calls with
/// its own, so both sides see the same load; the files are read once and kept.
///
///   syrk         X.f32 n d                       one triangle of X·Xᵀ through the library's BLAS
///   rdm          X.f32|X.f16 n d dissimilarity   value: the sum of the condensed RDM
///   compare      A.f64 B.f64 m comparison
///   permutation  A.f64 B.f64 m comparison permutations seed   value: the p-value
///   decodability X.f32|X.f16 y.i32 n d k         value: the overall accuracy
///   cka          X Y n d                         (same dtype, from the suffix)
///   logistic     X.f32 y.i32 folds.i32 n d       value: the mean fold accuracy
///   effdim       X n d
///   attention    A.f16 L H T S.i64 s R.i64 r I.i64 i   the ratio from the s sources to the r
///                relevant and i irrelevant positions; value: the sum of the [L, H] map
///   quit

#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "icl/attention/ratio.hpp"
#include "icl/core/linalg.hpp"
#include "icl/decode/knn.hpp"
#include "icl/geometry/cka.hpp"
#include "icl/geometry/spectrum.hpp"
#include "icl/probe/cross_validation.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "peers/driver_support.hpp"

namespace {

using icl_peers::parse_size;
using icl_peers::read_raw;

/// The files read so far, by path (each read once, with the element type of its suffix).
class files {
 public:
  template <class T>
  const std::vector<T>& get(const std::string& path, std::size_t count) {
    auto& slot = cache_[path];
    if (!slot) slot = std::make_shared<holder<T>>(read_raw<T>(path, count));
    return static_cast<holder<T>&>(*slot).values;
  }

 private:
  struct base {
    virtual ~base() = default;
  };
  template <class T>
  struct holder : base {
    explicit holder(std::vector<T> v) : values(std::move(v)) {}
    std::vector<T> values;
  };
  std::map<std::string, std::shared_ptr<base>> cache_;
};

bool is_f16(const std::string& path) { return path.size() > 4 && path.compare(path.size() - 4, 4, ".f16") == 0; }

template <class T>
std::vector<std::size_t> as_sizes(const std::vector<T>& v) {
  return std::vector<std::size_t>(v.begin(), v.end());
}

/// Times f() once; prints {"seconds", "value"}.
template <class F>
void timed(F&& f) {
  double value = 0.0;
  const double seconds = icl_peers::seconds_of_one_call([&] { value = f(); });
  icl_peers::json_line().number("seconds", seconds).number("value", value).print();
  std::fflush(stdout);
}

/// Calls f(T{}) with T = icl::f16 for a ".f16" path, float otherwise.
template <class F>
void by_type(const std::string& path, F&& f) {
  if (is_f16(path)) {
    f(icl::f16{});
  } else {
    f(float{});
  }
}

void run(files& data, const std::vector<std::string>& a) {
  const std::string& what = a.at(0);
  if (what == "syrk") {
    const std::size_t n = parse_size(a.at(2)), d = parse_size(a.at(3));
    const auto& x = data.get<float>(a[1], n * d);
    std::vector<float> out(n * n);
    timed([&] {
      icl::detail::product_aat_upper<float>(x.data(), n, d, d, out.data(), n);
      return static_cast<double>(out[n - 1]);
    });
  } else if (what == "rdm") {
    const std::size_t n = parse_size(a.at(2)), d = parse_size(a.at(3));
    const auto kind = icl::from_string<icl::rsa::dissimilarity>(a.at(4));
    by_type(a[1], [&](auto t) {
      const auto& x = data.get<decltype(t)>(a[1], n * d);
      timed([&] {
        const auto r = icl::rsa::compute_rdm(icl::make_matrix_view(x.data(), n, d), kind);
        double sum = 0.0;
        for (double v : r.condensed()) sum += v;
        return sum;
      });
    });
  } else if (what == "compare" || what == "permutation") {
    const std::size_t m = parse_size(a.at(3));
    const auto c = icl::from_string<icl::rsa::comparison>(a.at(4));
    const auto& x = data.get<double>(a[1], m);
    const auto& y = data.get<double>(a[2], m);
    if (what == "compare") {
      timed([&] { return icl::rsa::compare(x, y, c); });
      return;
    }
    const auto ra = icl::rsa::rdm_from_condensed(x), rb = icl::rsa::rdm_from_condensed(y);
    const std::size_t permutations = parse_size(a.at(5));
    const std::uint64_t seed = parse_size(a.at(6));
    timed([&] { return icl::rsa::permutation_test(ra, rb, c, permutations, seed).p_value; });
  } else if (what == "decodability") {
    const std::size_t n = parse_size(a.at(3)), d = parse_size(a.at(4));
    const auto labels = icl_peers::read_int32_as<int>(a.at(2), n);
    icl::decode::decode_params p;
    p.k = parse_size(a.at(5));
    by_type(a[1], [&](auto t) {
      const auto& x = data.get<decltype(t)>(a[1], n * d);
      timed([&] { return icl::decode::task_decodability(icl::make_matrix_view(x.data(), n, d), labels, p).overall; });
    });
  } else if (what == "cka") {
    const std::size_t n = parse_size(a.at(3)), d = parse_size(a.at(4));
    by_type(a[1], [&](auto t) {
      using T = decltype(t);
      const auto& x = data.get<T>(a[1], n * d);
      const auto& y = data.get<T>(a[2], n * d);
      timed([&] {
        return icl::geometry::linear_cka(icl::make_matrix_view(x.data(), n, d), icl::make_matrix_view(y.data(), n, d));
      });
    });
  } else if (what == "logistic") {
    const std::size_t n = parse_size(a.at(4)), d = parse_size(a.at(5));
    const auto& x = data.get<float>(a[1], n * d);
    const auto labels = icl_peers::read_int32_as<int>(a.at(2), n);
    const auto folds = icl_peers::read_int32_as<std::size_t>(a.at(3), n);
    timed([&] {
      return icl::probe::cross_validate_logistic(icl::make_matrix_view(x.data(), n, d), labels, {}, folds).mean;
    });
  } else if (what == "effdim") {
    const std::size_t n = parse_size(a.at(2)), d = parse_size(a.at(3));
    by_type(a[1], [&](auto t) {
      const auto& x = data.get<decltype(t)>(a[1], n * d);
      timed([&] { return icl::geometry::effective_dimension(icl::make_matrix_view(x.data(), n, d)); });
    });
  } else if (what == "attention") {
    const std::size_t layers = parse_size(a.at(2)), heads = parse_size(a.at(3)), T = parse_size(a.at(4));
    const auto& values = data.get<icl::f16>(a[1], layers * heads * T * T);
    const auto positions = [&](std::size_t k) {
      return as_sizes(data.get<std::int64_t>(a.at(k), parse_size(a.at(k + 1))));
    };
    const auto sources = positions(5), relevant = positions(7), irrelevant = positions(9);
    const auto A = icl::make_tensor_view<icl::f16, 4>(values.data(), {layers, heads, T, T});
    timed([&] {
      const auto map = icl::attention::attention_ratio(A, sources, relevant, irrelevant);
      double sum = 0.0;
      for (double v : map.values) sum += v;
      return sum;
    });
  } else {
    throw std::runtime_error("unknown command " + what);
  }
}

}  // namespace

int main() {
  files data;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::vector<std::string> a;
    for (std::string w; words >> w;) a.push_back(w);
    if (a.empty()) continue;
    if (a[0] == "quit") break;
    try {
      run(data, a);
    } catch (const std::exception& e) {
      icl_peers::json_line().text("error", e.what()).print();
      std::fflush(stdout);
    }
  }
  return 0;
}
