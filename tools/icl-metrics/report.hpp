// The report subcommand: reads DIR/manifest.json (docs/manifest.md), runs every metric the
// manifest's tensors allow, writes results.json and report.html, and prints a per-layer summary.
//
// Each metric family joins the report in its own .cpp (decode.cpp, rsa.cpp, ...) with one
// register_report_section(...): how it reads its manifest keys and computes its entry of
// results.json, its columns of the per-layer tables, its figures in report.html and its lines
// after the summary table. report.cpp and html.cpp hold only what every task shares.
#ifndef ICL_TOOLS_REPORT_HPP
#define ICL_TOOLS_REPORT_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "families.hpp"

namespace icl_tool {

struct report_options {
  std::string dir;
  std::string out;  ///< empty: dir
  icl::decode::decode_params decode;
  rsa_options rsa;                           ///< rsa.permutation.seed is `seed`
  icl::attention::attention_params attention;
  std::uint64_t seed = 0;                    ///< probe folds, geometry splits, RSA permutations
  double top_fraction = 0.1;
  bool no_html = false;
  bool quiet = false;
};

/// Runs the report; returns the exit code (errors are thrown as in the other subcommands).
int run_report(const report_options& options);

/// Runs everything the manifest (already parsed; base_dir = its directory) allows and returns
/// the results document (the content of results.json).
json run_manifest(const json& manifest, const std::string& base_dir, const report_options& options, progress& prog);

/// The self-contained HTML report of a results document.
std::string render_html(const json& results);

/// The per-layer summary table printed at the end of a report.
std::string summary_table(const json& results);

// ---- what a family's report section works with ---------------------------------------------------

/// Reads the manifest keys of one task, naming the task and the key in every error.
class task_reader {
 public:
  task_reader(const json& task, std::string context, std::string base_dir)
      : task_(task), context_(std::move(context)), base_(std::move(base_dir)) {}

  /// Runs f(); an input, format or argument error escaping it names `key`.
  template <class F>
  decltype(auto) wrap(const std::string& key, F&& f) const {
    try {
      return f();
    } catch (const input_error& e) {
      fail(key, e.what());
    } catch (const icl::io::format_error& e) {
      fail(key, e.what());
    } catch (const icl::invalid_argument& e) {
      fail(key, e.what());
    }
  }

  /// Whether the task holds a non-null value at a dotted key ("readout.final_norm.gain").
  bool has(const std::string& key) const;
  /// The value at a dotted key (has(key) must hold).
  const json& value(const std::string& key) const;
  /// The value at key when it is a string, else `otherwise` (a tensor reference as a name).
  std::string name_or(const std::string& key, const std::string& otherwise) const;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

  std::string reference(const std::string& key) const;
  named_array float_tensor(const std::string& key, std::size_t rank, const std::string& what) const;
  named_array tensor(const std::string& key) const;
  std::vector<int> ints(const std::string& key) const;
  position_lists positions(const std::string& key) const;
  std::vector<std::vector<int>> int_rows(const std::string& key) const;
  std::vector<double> doubles(const std::string& key) const;
  double number(const std::string& key) const;

  /// Runs a metric family: its errors are prefixed with the task and the family.
  template <class F>
  json run(const std::string& family, F&& f) const {
    try {
      return f();
    } catch (const input_error& e) {
      throw input_error(context_ + ": " + family + ": " + e.what());
    }
  }

  const std::string& base() const { return base_; }

 private:
  const json& task_;
  std::string context_, base_;
};

/// One task as every family sees it: the hidden states and the per-prompt lists that several
/// families share, already read and checked against n.
struct task_data {
  const task_reader& reader;
  const named_array& hidden;  ///< hidden.icl [layers, n, d]
  const named_array* no_icl;  ///< hidden.no_icl, or nullptr
  std::size_t layers = 0, n = 0;
  std::optional<std::vector<int>> concepts, labels, demonstrations;
  std::string concepts_name, labels_name;  ///< the references, or "concepts" / "labels" when inline
  const report_options& options;
  progress& prog;
};

/// One column of the per-layer tables.
struct layer_column {
  std::string header;
  std::vector<double> values;
  bool mark_peak = true;  ///< the HTML table marks the largest value
};

/// A column of the summary printed at the end of a report: always present, "-" where the
/// task has no value.
struct summary_column {
  std::string header;              ///< at most 8 characters
  std::vector<std::string> path;   ///< inside a task of results.json, e.g. {"rsa", "with_icl"}
};

/// A metric family's part of the report. Every function but run may be null.
struct report_section {
  int order = 0;  ///< place among the sections (smaller first): results, tables and figures
  /// Computes the family's entries of the task's results (out["<family>"] = ...) from what the
  /// task holds, or says in `skipped` why it did not.
  void (*run)(const task_data& task, json& out, json& skipped) = nullptr;
  /// Its columns of the report's per-layer table (task: one task of results.json).
  void (*columns)(const json& task, std::vector<layer_column>& columns) = nullptr;
  /// Its figures among the per-layer charts.
  std::string (*figures)(const json& task) = nullptr;
  /// Its own block after the per-layer charts (e.g. head heatmaps).
  std::string (*block)(const json& task) = nullptr;
  /// Its columns of the summary table, and the legend of each ("TD: ...").
  std::vector<summary_column> summary;
  std::vector<std::string> legend;
  /// Its lines after the summary table.
  std::string (*summary_notes)(const json& task) = nullptr;
};

/// Makes a family's section known to the report; returns true, for a namespace-scope initializer.
bool register_report_section(report_section section);

/// Every registered section, by order.
const std::vector<report_section>& report_sections();

/// "%.3f" of a number, "-" otherwise (never "-0.000").
std::string format_number(const json& v, const char* format = "%.3f");

}  // namespace icl_tool

#endif  // ICL_TOOLS_REPORT_HPP
