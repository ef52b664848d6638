// Shared pieces of the icl-metrics program: error kinds (and their exit codes), reading tensors
// and integer lists named on the command line or in a manifest, type dispatch over the four
// floating types, progress on stderr, and JSON / CSV output.
#ifndef ICL_TOOLS_COMMON_HPP
#define ICL_TOOLS_COMMON_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "icl/core/view.hpp"
#include "icl/io/dispatch.hpp"
#include "icl/io/load.hpp"

namespace icl_tool {

using json = nlohmann::ordered_json;

/// Exit codes of the program.
enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_usage = 2, exit_input = 3 };

/// A command line that parses but does not make sense (exit code 2).
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A bad input file or manifest (exit code 3). The message names the file and what is wrong.
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs f(); an icl::io::format_error, icl::invalid_argument or icl::error escaping it becomes an
/// input_error whose message is "<context>: <what>". Used around every library call so that a
/// shape check names the files it was about.
template <class F>
decltype(auto) with_context(const std::string& context, F&& f) {
  try {
    return f();
  } catch (const input_error& e) {
    throw input_error(context + ": " + e.what());
  } catch (const icl::io::format_error& e) {
    throw input_error(context + ": " + e.what());
  } catch (const icl::invalid_argument& e) {
    throw input_error(context + ": " + e.what());
  } catch (const icl::error& e) {
    throw input_error(context + ": " + e.what());
  }
}

/// Loads a tensor reference ("a.npy", "a.npz:member", "a.safetensors:tensor") relative to base_dir.
icl::io::array load_tensor(const std::string& reference, const std::string& base_dir = "");

/// Loads a floating tensor of the given rank; `what` names it in errors ("hidden states").
icl::io::array load_float_tensor(const std::string& reference, const std::string& base_dir, std::size_t rank,
                                 const std::string& what);

/// Checks that `a` is floating and of the given rank.
void require_float(const icl::io::array& a, std::size_t rank, const std::string& what);

/// A floating matrix as the library's float and double overloads read it: f32 and f64 viewed in
/// place, f16/bf16 widened to float once, row by row (no double intermediate). Filled by
/// view_float_matrix; `f` points into `converted`, so the object stays where it was filled.
struct float_matrix {
  std::vector<float> converted;
  icl::matrix_view<const float> f;
  icl::matrix_view<const double> d;
  bool is_double = false;
};

/// Views (or widens) the floating 2-D array `a` into `out`.
void view_float_matrix(const icl::io::array& a, float_matrix& out);

/// An integer list from a tensor reference (1-D integer array), an inline JSON array ("[0,1,2]")
/// or a .json file holding an array.
std::vector<int> read_int_list(const std::string& spec, const std::string& base_dir, const std::string& what);
std::vector<int> int_list_from_json(const json& value, const std::string& what);

/// Position lists, one per prompt: a 2-D integer array [prompts, k] (or a JSON array of arrays)
/// with −1 padding (negative entries dropped), or a 1-D list used for every prompt (then
/// `shared` is set and the result has one entry).
struct position_lists {
  std::vector<std::vector<std::size_t>> lists;
  bool shared = false;
  const std::vector<std::size_t>& operator[](std::size_t prompt) const { return lists[shared ? 0 : prompt]; }
};
position_lists read_positions(const std::string& spec, const std::string& base_dir, const std::string& what);
position_lists positions_from_json(const json& value, const std::string& base_dir, const std::string& what);

/// Class lists aligned with position lists (same padding rules: entries at padded positions are
/// ignored; −1 means padding).
std::vector<std::vector<int>> read_int_rows(const json& value, const std::string& base_dir, const std::string& what);

/// A floating 1-D list (norm gain, ridge targets) from a tensor reference or inline JSON.
std::vector<double> read_double_list(const std::string& spec, const std::string& base_dir, const std::string& what);

/// Calls f(T{}) with T the element type of a floating array (float, double, icl::f16, icl::bf16):
/// icl::io::visit_float, with a non-floating array an input_error (exit code 3).
template <class F>
decltype(auto) visit_float(const icl::io::array& a, F&& f) {
  if (!a.is_floating()) {
    throw input_error(a.source() + ": dtype " + icl::io::dtype_name(a.type()) +
                      " is not a floating type (f16, bf16, f32 or f64 expected)");
  }
  return icl::io::visit_float(a, std::forward<F>(f));
}

/// "4 x 128 x 64" for a shape.
std::string shape_string(const std::vector<std::size_t>& shape);

/// Progress of a long computation on stderr: "icl-metrics: <what>: layer k of L, elapsed 1.2 s,
/// about 3.4 s left", at most every half second and only once a step has taken that long.
/// Silent when quiet.
class progress {
 public:
  explicit progress(bool quiet) : quiet_(quiet) {}
  void begin(std::string what, std::string unit, std::size_t total);
  void step(std::size_t done);
  /// A line of its own ("icl-metrics: <line>"), unless quiet.
  void note(const std::string& line) const;
  bool quiet() const noexcept { return quiet_; }

 private:
  bool quiet_;
  std::string what_, unit_;
  std::size_t total_ = 0;
  std::chrono::steady_clock::time_point start_{}, last_{};
  bool printed_ = false;
};

/// A JSON number, or null for NaN / infinity (JSON has neither).
json number(double v);
json numbers(const std::vector<double>& v);

/// Output options shared by the subcommands.
struct output_options {
  std::string path;            ///< empty: stdout
  std::string format = "json"; ///< json or csv
};

/// Writes `result` as JSON, or its "rows" (an array of flat objects) as CSV, to opts.path or stdout.
void write_result(const json& result, const output_options& opts);

/// The CSV text of an array of flat objects (columns: the keys, in order of first appearance).
std::string rows_to_csv(const json& rows);

/// Writes text to a file, as an input_error-free failure (icl::error -> exit 1) when it cannot.
void write_file(const std::string& path, const std::string& text);

}  // namespace icl_tool

#endif  // ICL_TOOLS_COMMON_HPP
