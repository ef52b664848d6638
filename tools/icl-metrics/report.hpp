// The report subcommand: reads DIR/manifest.json (docs/manifest.md), runs every metric the
// manifest's tensors allow, writes results.json and report.html, and prints a per-layer summary.
#ifndef ICL_TOOLS_REPORT_HPP
#define ICL_TOOLS_REPORT_HPP

#include <cstdint>
#include <string>

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

}  // namespace icl_tool

#endif  // ICL_TOOLS_REPORT_HPP
