// icl-metrics: representation metrics of in-context learning on activation files.
//
//   icl-metrics rsa|decode|probe|geometry|attention ...   one metric family, per layer (and head)
//   icl-metrics report DIR [--out OUTDIR]                  everything DIR/manifest.json allows
//
// Exit codes: 0 ok, 1 a computation failed, 2 usage error, 3 bad input file (one line naming the
// file and what is wrong). See docs/cli.md.
//
// Each subcommand lives in its own file (rsa.cpp, decode.cpp, heads.cpp, report.cpp, ...) and
// registers itself (command.hpp), and a metric family its section of the report (report.hpp);
// this file parses the command line and dispatches.
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "common.hpp"
#include "icl/version.hpp"

int main(int argc, char** argv) {
  using namespace icl_tool;
  CLI::App app{"icl-metrics " ICL_VERSION_STRING
               ": representation metrics of in-context learning (RSA, task decodability, probes, geometry, "
               "attention) on activation files (.npy, .npz, .safetensors)",
               "icl-metrics"};
  app.set_version_flag("--version", ICL_VERSION_STRING);
  app.require_subcommand(1, 1);
  app.footer("Exit codes: 0 ok, 1 computation failed, 2 usage error, 3 bad input file. See docs/cli.md.");

  std::map<std::string, std::unique_ptr<command>> commands;
  for (const registered_command& c : registered_commands()) commands[c.name] = c.make(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }

  try {
    return commands.at(app.get_subcommands().front()->get_name())->run();
  } catch (const usage_error& e) {
    std::cerr << "icl-metrics: usage error: " << e.what() << "\nRun with --help for more information.\n";
    return exit_usage;
  } catch (const input_error& e) {
    std::cerr << "icl-metrics: error: " << e.what() << '\n';
    return exit_input;
  } catch (const icl::io::format_error& e) {
    std::cerr << "icl-metrics: error: " << e.what() << '\n';
    return exit_input;
  } catch (const icl::invalid_argument& e) {
    std::cerr << "icl-metrics: error: " << e.what() << '\n';
    return exit_input;
  } catch (const std::exception& e) {
    std::cerr << "icl-metrics: failed: " << e.what() << '\n';
    return exit_failure;
  }
}
