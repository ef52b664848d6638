// How a subcommand joins the program. Each metric family's .cpp defines one command: its
// constructor adds the CLI11 subcommand with options bound straight to fields of the library's
// parameter structs (through option_set), run() computes and writes the output, and a
// namespace-scope register_command(...) makes it known. main.cpp parses and dispatches only, so a
// new family is one new .cpp file (tools/CMakeLists.txt picks up every .cpp of the folder).
// The sources are compiled into the executable itself: in a static library the linker would drop
// the object files that nothing references, and their registrations with them.
#ifndef ICL_TOOLS_COMMAND_HPP
#define ICL_TOOLS_COMMAND_HPP

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "common.hpp"
#include "families.hpp"
#include "icl/core/enum_names.hpp"

namespace icl_tool {

/// One subcommand of the program, alive from before parsing until it has run.
class command {
 public:
  virtual ~command() = default;
  /// Runs the parsed subcommand; returns the exit code (errors are thrown, see main.cpp).
  virtual int run() = 0;
};

/// Adds the subcommand `name` to app, with its options, and returns the command that runs it.
using command_factory = std::unique_ptr<command> (*)(CLI::App& app);

struct registered_command {
  std::string name;      ///< the subcommand's name, as the factory adds it
  int order = 0;         ///< place in --help (smaller first)
  command_factory make;  ///< adds the subcommand
};

/// Makes a subcommand known to main.cpp; returns true, for a namespace-scope initializer.
bool register_command(std::string name, int order, command_factory make);

/// register_command for a command class C constructed from the CLI11 app:
///   [[maybe_unused]] const bool registered = register_command<rsa_command>("rsa", 10);
template <class C>
bool register_command(std::string name, int order) {
  return register_command(std::move(name), order,
                          [](CLI::App& app) -> std::unique_ptr<command> { return std::make_unique<C>(app); });
}

/// Every registered subcommand, by order.
std::vector<registered_command> registered_commands();

/// The options of one subcommand. Each one is bound straight to a field (of a library
/// parameter struct, or of the command) and recorded under a key, so that params() echoes the
/// values a run used: adding a library option to the program is one call of add().
class option_set {
 public:
  explicit option_set(CLI::App* sub) : sub_(sub) {}

  CLI::App* app() const noexcept { return sub_; }

  /// An option bound to `field`, recorded under `key`. A library enum takes the names of
  /// icl::enum_names<E>() (icl::from_string converts them); numbers and strings are read as is.
  /// The help shows the field's value at the time of the call as the default.
  template <class T>
  CLI::Option* add(const std::string& flags, const std::string& key, T& field, const std::string& help) {
    record(key, field);
    return bind(flags, field, help);
  }

  /// An option bound to `field` that is not echoed in params() (a deprecated alias of another
  /// option, or a value the command echoes itself). Hidden from --help when `hidden`.
  template <class T>
  CLI::Option* alias(const std::string& flags, T& field, const std::string& help, bool hidden) {
    CLI::Option* option = bind(flags, field, help);
    if (hidden) option->group("");
    return option;
  }

  /// A flag that sets `field` to `value` when given (e.g. --no-separability sets separability to
  /// false), recorded under `key`.
  CLI::Option* flag(const std::string& flags, const std::string& key, bool& field, bool value, const std::string& help);

  /// {key: value} of every recorded option, in the order they were added.
  json params() const;

 private:
  template <class T>
  CLI::Option* bind(const std::string& flags, T& field, const std::string& help) {
    if constexpr (std::is_enum_v<T>) {
      return sub_
          ->add_option_function<std::string>(
              flags, [&field](const std::string& name) { field = icl::from_string<T>(name); }, help)
          ->check(CLI::IsMember(icl::enum_names<T>()))
          ->default_str(std::string(icl::to_string(field)));
    } else {
      return sub_->add_option(flags, field, help)->capture_default_str();
    }
  }

  template <class T>
  void record(const std::string& key, const T& field) {
    values_.emplace_back(key, [&field] {
      if constexpr (std::is_enum_v<T>) {
        return json(std::string(icl::to_string(field)));
      } else {
        return json(field);
      }
    });
  }

  CLI::App* sub_;
  std::vector<std::pair<std::string, std::function<json()>>> values_;
};

/// Options every metric subcommand has: -o/--output, --format json|csv, -q/--quiet.
struct common_options {
  output_options output;
  bool quiet = false;
};
void add_common_options(CLI::App* sub, common_options& c);

/// A metric subcommand (rsa, decode, probe, geometry, attention): its CLI11 subcommand, its
/// options bound and recorded for `params`, and the output options every one of them has.
class metric_command : public command {
 protected:
  metric_command(CLI::App& app, const std::string& name, const std::string& description)
      : sub_(app.add_subcommand(name, description)), bound_(sub_) {}

  /// Adds -o/--output, --format and -q/--quiet; called after the command's own options, so that
  /// --help lists them last.
  void add_output_options() { add_common_options(sub_, common_); }

  /// Writes the document (command_header, "result", "rows") to --output in --format.
  int write(const std::string& command, json inputs, json result, json rows) const {
    return write(command, std::move(inputs), bound_.params(), std::move(result), std::move(rows));
  }
  int write(const std::string& command, json inputs, json params, json result, json rows) const;

  CLI::App* sub_;
  option_set bound_;
  common_options common_;
};

/// Hidden states [layers, n, d] named on the command line.
named_array hidden_input(const std::string& reference, const std::string& what = "hidden states [layers, n, d]");

/// The document a metric subcommand writes: format, version, program_version, command, inputs,
/// params (its "result" and "rows" are added by the command). docs/cli.md gives the schema.
json command_header(const std::string& command, json inputs, json params);

/// Rows for CSV/JSON output: one object per layer with "layer" and the named curves of `curves`
/// (those it has).
json curve_rows(const json& curves, const std::vector<std::string>& keys, std::size_t layers);

/// The number of layers of hidden states [layers, n, d].
inline std::size_t layer_count(const named_array& hidden) { return hidden.array.shape()[0]; }

}  // namespace icl_tool

#endif  // ICL_TOOLS_COMMAND_HPP
