/// The library side of benchmarks/compare_peers.py, benchmarks/memory_peak.py and
/// benchmarks/scaling.py: reads the data set that the script wrote (raw little-endian float32,
/// float16, float64 or int32 values) or makes a synthetic one, runs one metric once as a warm-up
/// and then `repeats` times, and prints one JSON line: {"seconds": median time of one call,
/// "score": ..., ...}. Only the metric call is timed: reading the files is not.
///
///   icl_peer_driver decodability X.f32 y.i32 n d k repeats         predictions to X.f32.pred
///   icl_peer_driver logistic_cv  X.f32 y.i32 n d folds.i32 repeats
///   icl_peer_driver rdm          X n d dissimilarity f32|f16 repeats OUT.f64|-
///   icl_peer_driver compare      A.f64 B.f64 m comparison|sort_both repeats
///   icl_peer_driver permutation  A.f64 B.f64 m comparison permutations seed repeats
///   icl_peer_driver cka          X.f32 Y.f32 n dx dy repeats
///   icl_peer_driver cka_matrix   X.f32 layers n d repeats
///   icl_peer_driver syrk         X.f32 n d repeats
///   icl_peer_driver memory_rdm   n d dissimilarity                 (synthetic input, one call)
///   icl_peer_driver memory_decodability n d k classes             (synthetic input, one call)
///
/// X (rdm, syrk) and A (compare, permutation; B is then ignored) may be "synthetic": the data
/// are made in the process from a fixed seed. dissimilarity: euclidean, sqeuclidean,
/// sqeuclidean_per_feature, correlation, cosine. comparison: pearson, spearman, kendall_tau_a,
/// kendall_tau_b, rho_a, cosine, whitened_cosine. The memory tasks print the resident set size
/// before the input was made and the peak after the call (getrusage), with the sizes of the
/// input and of the output.

#include <cstddef>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "driver_geometry.hpp"
#include "driver_learn.hpp"
#include "driver_rsa.hpp"
#include "driver_support.hpp"

namespace {

struct task {
  const char* name;
  std::size_t arguments;
  const char* usage;
  std::function<int(const std::vector<std::string>&)> run;
};

const std::vector<task>& tasks() {
  static const std::vector<task> all = {
      {"decodability", 6, "X.f32 y.i32 n d k repeats", icl_peers::task_decodability},
      {"logistic_cv", 6, "X.f32 y.i32 n d folds.i32 repeats", icl_peers::task_logistic_cv},
      {"rdm", 7, "X n d dissimilarity f32|f16 repeats OUT.f64|-", icl_peers::task_rdm},
      {"compare", 5, "A.f64 B.f64 m comparison|sort_both repeats", icl_peers::task_compare},
      {"permutation", 7, "A.f64 B.f64 m comparison permutations seed repeats", icl_peers::task_permutation},
      {"cka", 6, "X.f32 Y.f32 n dx dy repeats", icl_peers::task_cka},
      {"cka_matrix", 5, "X.f32 layers n d repeats", icl_peers::task_cka_matrix},
      {"syrk", 4, "X.f32 n d repeats", icl_peers::task_syrk},
      {"memory_rdm", 3, "n d dissimilarity", icl_peers::task_memory_rdm},
      {"memory_decodability", 4, "n d k classes", icl_peers::task_memory_decodability},
  };
  return all;
}

int usage() {
  std::cerr << "usage:\n";
  for (const task& t : tasks()) std::cerr << "  icl_peer_driver " << t.name << " " << t.usage << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string name = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const task& t : tasks()) {
    if (name != t.name) continue;
    if (args.size() != t.arguments) return usage();
    try {
      return t.run(args);
    } catch (const std::exception& e) {
      std::cerr << "icl_peer_driver " << name << ": " << e.what() << "\n";
      return 1;
    }
  }
  return usage();
}
