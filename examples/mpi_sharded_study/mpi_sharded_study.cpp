// A per-layer study of activations sharded across MPI ranks: each rank reads only its own shard
// of the prompts (hidden states [layers, n_r, d] and their concepts, .npy files read with the
// library's readers) and the ranks compute together, per layer, what `icl-metrics report` writes
// for the task decodability and the logistic probe of the concepts; rank 0 writes them as a
// results.json holding a subset of the report's keys (see README.md).
//
//   example_mpi_sharded_study shard DEMO_DIR SHARD_DIR RANKS [TASK...]   one process: writes the
//                                                       shards (default tasks: function classify)
//   mpirun -np RANKS example_mpi_sharded_study run SHARD_DIR OUT.json
//   example_mpi_sharded_study compare OUT.json REPORT_RESULTS.json  checks OUT against the report
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <mpi.h>
#include <nlohmann/json.hpp>

#include <icl/io/load.hpp>
#include <icl/mpi.hpp>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string> demo_tasks{"function", "classify"};

/// Writes a C-order .npy file (format 1.0) of `count` values of type descr ("<f4", "<i4").
void write_npy(const fs::path& path, const char* descr, const std::vector<std::size_t>& shape, const void* data,
               std::size_t bytes) {
  std::ostringstream header;
  header << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  for (std::size_t k = 0; k < shape.size(); ++k) header << shape[k] << (shape.size() == 1 || k + 1 < shape.size() ? "," : "");
  header << "), }";
  std::string h = header.str();
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::ofstream out(path, std::ios::binary);
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.write(reinterpret_cast<const char*>(magic), 8);
  const auto length = static_cast<std::uint16_t>(h.size());
  const char le[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(le, 2);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

/// Splits each task's prompts into `ranks` shards of uneven sizes (rank r gets about
/// (r + 1) / Σ(r + 1) of them), one hidden_<r>.npy [layers, n_r, d] (f32) and concepts_<r>.npy each.
int shard(const fs::path& demo, const fs::path& out, std::size_t ranks, const std::vector<std::string>& tasks) {
  for (const std::string& task : tasks) {
    const auto hidden = icl::io::load(task + "/activations.safetensors:hidden_icl", demo.string());
    const auto concepts = icl::io::load(task + "/concepts.npy", demo.string()).labels();
    const auto H = hidden.view<float, 3>();
    const std::size_t layers = H.extent(0), n = H.extent(1), d = H.extent(2);
    fs::create_directories(out / task);
    std::size_t first = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
      const std::size_t last = r + 1 == ranks ? n : first + n * (r + 1) * 2 / (ranks * (ranks + 1));
      std::vector<float> rows;
      for (std::size_t l = 0; l < layers; ++l)
        for (std::size_t i = first; i < last; ++i)
          for (std::size_t j = 0; j < d; ++j) rows.push_back(H(l, i, j));
      const std::vector<std::int32_t> labels(concepts.begin() + static_cast<std::ptrdiff_t>(first),
                                             concepts.begin() + static_cast<std::ptrdiff_t>(last));
      write_npy(out / task / ("hidden_" + std::to_string(r) + ".npy"), "<f4", {layers, last - first, d}, rows.data(),
                rows.size() * sizeof(float));
      write_npy(out / task / ("concepts_" + std::to_string(r) + ".npy"), "<i4", {last - first}, labels.data(),
                labels.size() * sizeof(std::int32_t));
      std::printf("%s: rank %zu gets prompts %zu..%zu\n", task.c_str(), r, first, last);
      first = last;
    }
  }
  return 0;
}

/// Every rank reads its shard of each task found in `shards`; the metrics of every layer over
/// all ranks' prompts.
int run(const fs::path& shards, const fs::path& out_file) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  json results = {{"format", "icl-metrics-results"}, {"version", 1}, {"tasks", json::array()}};
  for (const std::string& task : demo_tasks) {
    if (!fs::exists(shards / task)) continue;
    const std::string r = std::to_string(rank);
    const auto hidden = icl::io::load(task + "/hidden_" + r + ".npy", shards.string());
    const auto labels = icl::io::load(task + "/concepts_" + r + ".npy", shards.string()).labels();
    const auto H = hidden.view<float, 3>();
    std::size_t n = H.extent(1);
    MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_UNSIGNED_LONG, MPI_SUM, MPI_COMM_WORLD);
    // The report's options: k = 10 (euclidean); 5-fold stratified logistic probe, C = 1, seed 0.
    const auto td = icl::mpi::decodability_curve(MPI_COMM_WORLD, H, labels);
    const auto probe = icl::mpi::logistic_curve(MPI_COMM_WORLD, H, labels);
    results["tasks"].push_back({{"name", task},
                                {"layers", H.extent(0)},
                                {"n", n},
                                {"d", H.extent(2)},
                                {"decodability", {{"k", 10}, {"overall", td.curve.values}}},
                                {"probe", {{"folds", 5}, {"seed", 0}, {"mean", probe.values}}}});
  }
  if (rank == 0) {
    std::ofstream(out_file) << results.dump(2) << '\n';
    std::printf("results: %s\n", out_file.string().c_str());
  }
  return 0;
}

/// How far a number at `where` may be from the report's. The probe's L-BFGS stops at max_iter
/// = 100 before converging on the demo (the report says converged: false), and the ranks add its
/// sums in another order than one process, so the unconverged iterates, and a few test
/// decisions, differ; the mean accuracy per layer stays within 0.005. The leave-one-out kNN is
/// exact: its decisions, ties included, are the single process's (decode_impl.hpp).
double tolerance(const std::string& where) {
  if (where.find("/probe/mean/") != std::string::npos) return 0.005;
  return 1e-12;
}

/// Every value of `mine` equals the value at the same place in `report` (numbers within tolerance()).
bool same(const json& mine, const json& report, const std::string& where) {
  if (mine.is_object()) {
    bool ok = true;
    for (const auto& [key, value] : mine.items()) {
      if (!report.contains(key)) {
        std::printf("%s/%s: not in the report\n", where.c_str(), key.c_str());
        return false;
      }
      ok = same(value, report[key], where + "/" + key) && ok;
    }
    return ok;
  }
  if (mine.is_array()) {
    if (!report.is_array() || report.size() != mine.size()) {
      std::printf("%s: %zu values, the report has %s\n", where.c_str(), mine.size(), report.dump().c_str());
      return false;
    }
    bool ok = true;
    for (std::size_t k = 0; k < mine.size(); ++k) ok = same(mine[k], report[k], where + "/" + std::to_string(k)) && ok;
    return ok;
  }
  if (mine.is_number()) {
    const double a = mine.get<double>(), b = report.is_number() ? report.get<double>() : NAN;
    const bool ok = std::abs(a - b) <= tolerance(where);
    std::printf("%s: %.6g here, %.6g in the report%s\n", where.c_str(), a, b, ok ? "" : "  <- differs");
    return ok;
  }
  if (mine != report) std::printf("%s: %s here, %s in the report\n", where.c_str(), mine.dump().c_str(), report.dump().c_str());
  return mine == report;
}

int compare(const fs::path& mine_file, const fs::path& report_file) {
  const json mine = json::parse(std::ifstream(mine_file)), report = json::parse(std::ifstream(report_file));
  bool ok = mine["format"] == report["format"];
  for (const json& task : mine["tasks"]) {
    const json* match = nullptr;
    for (const json& t : report["tasks"])
      if (t["name"] == task["name"]) match = &t;
    if (match == nullptr) {
      std::printf("task %s: not in the report\n", task["name"].get<std::string>().c_str());
      ok = false;
      continue;
    }
    ok = same(task, *match, "tasks/" + task["name"].get<std::string>()) && ok;
  }
  std::printf("%s\n", ok ? "the sharded run equals the report on every key it writes" : "MISMATCH");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "shard" && argc >= 5) {
      const std::vector<std::string> tasks = argc > 5 ? std::vector<std::string>(argv + 5, argv + argc) : demo_tasks;
      return shard(argv[2], argv[3], std::stoul(argv[4]), tasks);
    }
    if (mode == "compare" && argc == 4) return compare(argv[2], argv[3]);
    if (mode == "run" && argc == 4) {
      MPI_Init(&argc, &argv);
      int status = 0;
      try {
        status = run(argv[2], argv[3]);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        status = 1;
      }
      MPI_Finalize();
      return status;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: %s shard DEMO_DIR SHARD_DIR RANKS [TASK...] | run SHARD_DIR OUT.json (under mpirun) | compare OUT.json "
               "REPORT.json\n",
               argv[0]);
  return 2;
}
