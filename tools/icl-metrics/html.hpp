// The pieces of report.html that each metric family's report section draws with: line charts of
// per-layer curves, [layers, heads] heatmaps, figures with captions, top-head tables, and the
// conversions from results.json values. Everything is inline SVG/HTML text (no script).
#ifndef ICL_TOOLS_HTML_HPP
#define ICL_TOOLS_HTML_HPP

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "common.hpp"

namespace icl_tool::html {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

/// Text with &, <, > and " escaped.
std::string escape(const std::string& s);

/// A number with `digits` decimals; "–" for NaN, "∞" / "−∞" for infinities, never "-0.000".
std::string num(double v, int digits = 3);

/// One curve of a line chart.
struct series {
  std::string name;
  std::vector<double> values;  ///< NaN: no point
  bool dashed = false;
};

/// Curves over layers (or another integer axis).
struct line_chart {
  std::string title, y_label, x_label = "layer";
  std::vector<series> lines;
  bool fixed_unit_range = false;  ///< y axis 0..1 (accuracies, proportions)
  double reference = nan_value;   ///< a dashed horizontal line (chance level), NaN for none
  std::string reference_label = "chance";
};

/// A [layers, heads] grid of values with a colour bar.
struct heatmap {
  std::string title, value_label;
  std::vector<std::vector<double>> values;  ///< [layers][heads]; NaN: undefined, +inf: drawn as ∞
  bool centered = false;                    ///< diverging scale around 0
  bool log2_scale = false;                  ///< colour by log2(value), centered at 1 (ratios)
};

/// A line chart with its title and y label; unit_range: the y axis is 0..1.
line_chart chart(std::string title, std::string y_label, bool unit_range = false);

/// A heatmap of `values` with its title and the label of its colour bar.
heatmap head_map(std::string title, std::string value_label, std::vector<std::vector<double>> values);

/// The SVG of a chart.
std::string render(const line_chart& c);
std::string render(const heatmap& h);

/// A <figure> of an SVG with its caption (caption text is inserted as is).
std::string figure(const std::string& svg, const std::string& caption);

/// A ranked table of heads: top = [{"layer", "head", "score"}...].
std::string top_table(const json& top, const std::string& title, const std::string& score_name);

/// A JSON array of numbers (null: NaN) as doubles, each times scale.
std::vector<double> to_values(const json& a, double scale = 1.0);

/// A JSON [layers][heads] grid as doubles; entries flagged true in `infinite` become +inf.
std::vector<std::vector<double>> to_grid(const json& a, double scale = 1.0, const json* infinite = nullptr);

/// j[key] when j is an object holding key, else nullptr.
const json* get(const json& j, const char* key);

}  // namespace icl_tool::html

#endif  // ICL_TOOLS_HTML_HPP
