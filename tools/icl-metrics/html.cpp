// report.html: one self-contained page (inline CSS and SVG, no script, no external resource)
// with a section per task: facts, a per-layer table, layer-curve plots and head heatmaps.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "html.hpp"
#include "report.hpp"

namespace icl_tool::html {

std::string escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, int digits) {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  std::string out = buffer;
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);  // "-0.000" -> "0.000"
  return out;
}

namespace {

/// Coordinates in SVG (one decimal).
std::string px(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

/// A tick label: as few digits as the step needs.
std::string tick_label(double v, double step) {
  int digits = 0;
  if (step > 0) digits = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  digits = std::min(digits, 6);
  if (std::abs(v) < step * 1e-6) v = 0.0;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

/// "Nice" axis ticks covering [lo, hi] (about `target` of them).
std::vector<double> nice_ticks(double& lo, double& hi, int target = 5) {
  if (!(hi > lo)) {
    const double pad = lo == 0.0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * magnitude;
    if (raw <= step) break;
  }
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double t = lo; t <= hi + step * 1e-6; t += step) ticks.push_back(t);
  return ticks;
}

const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                         "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

}  // namespace

std::string render(const line_chart& c) {
  const double W = 600, left = 62, right = 20, bottom = 52;
  // Legend: rows of items under the title, wrapped to the plot width.
  struct legend_item {
    double x, y;
  };
  std::vector<legend_item> items;
  double lx = left, ly = 40;
  for (const auto& s : c.lines) {
    const double width = 26 + 6.7 * static_cast<double>(s.name.size());
    if (lx > left && lx + width > W - right) {
      lx = left;
      ly += 18;
    }
    items.push_back({lx, ly});
    lx += width + 14;
  }
  const double top = (c.lines.empty() ? 30 : ly + 14), H = top + 236 + bottom;
  const double pw = W - left - right, ph = H - top - bottom;
  std::size_t n = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : c.lines) {
    n = std::max(n, s.values.size());
    for (const double v : s.values) {
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (std::isfinite(c.reference)) {
    lo = std::min(lo, c.reference);
    hi = std::max(hi, c.reference);
  }
  if (!std::isfinite(lo)) {
    lo = 0.0;
    hi = 1.0;
  }
  if (c.fixed_unit_range) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 1.0);
  }
  const std::vector<double> yt = nice_ticks(lo, hi);
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
  const double xmax = n > 1 ? static_cast<double>(n - 1) : 1.0;
  auto X = [&](double x) { return left + (n > 1 ? x / xmax * pw : pw / 2); };
  auto Y = [&](double y) { return top + (hi - y) / (hi - lo) * ph; };

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << W << ' ' << H << "\" class=\"chart\" role=\"img\">";
  o << "<title>" << escape(c.title) << "</title>";
  o << "<text x=\"" << px(left) << "\" y=\"20\" class=\"ctitle\">" << escape(c.title) << "</text>";
  // grid and y ticks
  for (const double t : yt) {
    o << "<line x1=\"" << px(left) << "\" x2=\"" << px(left + pw) << "\" y1=\"" << px(Y(t)) << "\" y2=\"" << px(Y(t))
      << "\" class=\"grid\"/>";
    o << "<text x=\"" << px(left - 8) << "\" y=\"" << px(Y(t) + 4) << "\" class=\"tick\" text-anchor=\"end\">"
      << tick_label(t, ystep) << "</text>";
  }
  // x ticks: every layer, or a step that keeps about 12 labels
  const std::size_t xstep = std::max<std::size_t>(1, (n + 11) / 12);
  for (std::size_t l = 0; l < std::max<std::size_t>(n, 1); l += xstep) {
    const double x = X(static_cast<double>(l));
    o << "<line x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(top + ph) << "\" y2=\"" << px(top + ph + 5)
      << "\" class=\"axis\"/>";
    o << "<text x=\"" << px(x) << "\" y=\"" << px(top + ph + 19) << "\" class=\"tick\" text-anchor=\"middle\">" << l
      << "</text>";
  }
  o << "<line x1=\"" << px(left) << "\" x2=\"" << px(left) << "\" y1=\"" << px(top) << "\" y2=\"" << px(top + ph)
    << "\" class=\"axis\"/>";
  o << "<line x1=\"" << px(left) << "\" x2=\"" << px(left + pw) << "\" y1=\"" << px(top + ph) << "\" y2=\""
    << px(top + ph) << "\" class=\"axis\"/>";
  o << "<text x=\"" << px(left + pw / 2) << "\" y=\"" << px(H - 10) << "\" class=\"alabel\" text-anchor=\"middle\">"
    << escape(c.x_label) << "</text>";
  o << "<text transform=\"translate(16," << px(top + ph / 2) << ") rotate(-90)\" class=\"alabel\" text-anchor=\"middle\">"
    << escape(c.y_label) << "</text>";
  if (std::isfinite(c.reference)) {
    o << "<line x1=\"" << px(left) << "\" x2=\"" << px(left + pw) << "\" y1=\"" << px(Y(c.reference)) << "\" y2=\""
      << px(Y(c.reference)) << "\" class=\"ref\"/>";
    o << "<text x=\"" << px(left + pw - 4) << "\" y=\"" << px(Y(c.reference) - 5) << "\" class=\"reftext\" "
      << "text-anchor=\"end\">" << escape(c.reference_label) << "</text>";
  }
  // lines
  for (std::size_t s = 0; s < c.lines.size(); ++s) {
    const char* color = palette[s % 10];
    const auto& v = c.lines[s].values;
    std::string path;
    bool pen = false;
    for (std::size_t l = 0; l < v.size(); ++l) {
      if (!std::isfinite(v[l])) {
        pen = false;
        continue;
      }
      path += (pen ? "L" : "M") + px(X(static_cast<double>(l))) + " " + px(Y(v[l])) + " ";
      pen = true;
    }
    o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2.2\""
      << (c.lines[s].dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>";
    for (std::size_t l = 0; l < v.size(); ++l) {
      if (!std::isfinite(v[l])) continue;
      o << "<circle cx=\"" << px(X(static_cast<double>(l))) << "\" cy=\"" << px(Y(v[l])) << "\" r=\"3.2\" fill=\""
        << color << "\"><title>" << escape(c.lines[s].name) << ", layer " << l << ": " << num(v[l], 4)
        << "</title></circle>";
    }
  }
  for (std::size_t k = 0; k < c.lines.size(); ++k) {
    const char* color = palette[k % 10];
    o << "<line x1=\"" << px(items[k].x) << "\" x2=\"" << px(items[k].x + 18) << "\" y1=\"" << px(items[k].y - 4)
      << "\" y2=\"" << px(items[k].y - 4) << "\" stroke=\"" << color << "\" stroke-width=\"2.6\""
      << (c.lines[k].dashed ? " stroke-dasharray=\"5 3\"" : "") << "/>";
    o << "<text x=\"" << px(items[k].x + 23) << "\" y=\"" << px(items[k].y) << "\" class=\"legend\">"
      << escape(c.lines[k].name) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

// ---- heatmaps -------------------------------------------------------------------------------------

namespace {

struct rgb {
  double r, g, b;
};

rgb mix(const rgb& a, const rgb& b, double t) { return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t}; }

rgb ramp(const std::vector<rgb>& stops, double t) {
  t = std::min(1.0, std::max(0.0, t));
  const double x = t * static_cast<double>(stops.size() - 1);
  const std::size_t i = std::min(stops.size() - 2, static_cast<std::size_t>(x));
  return mix(stops[i], stops[i + 1], x - static_cast<double>(i));
}

const std::vector<rgb>& sequential() {  // a perceptually ordered dark-blue -> teal -> yellow ramp
  static const std::vector<rgb> s = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  return s;
}
const std::vector<rgb>& diverging() {  // blue -> white -> red
  static const std::vector<rgb> s = {{33, 102, 172}, {146, 197, 222}, {247, 247, 247}, {244, 165, 130}, {178, 24, 43}};
  return s;
}

std::string css(const rgb& c) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", static_cast<int>(std::lround(c.r)), static_cast<int>(std::lround(c.g)),
                static_cast<int>(std::lround(c.b)));
  return buffer;
}

}  // namespace

std::string render(const heatmap& h) {
  const std::size_t L = h.values.size(), Hn = L ? h.values[0].size() : 0;
  const double cell = std::max(18.0, std::min(44.0, 420.0 / static_cast<double>(std::max<std::size_t>(Hn, 1))));
  const double cellh = std::max(14.0, std::min(32.0, 360.0 / static_cast<double>(std::max<std::size_t>(L, 1))));
  const double left = 70, top = 54, bar_gap = 24, bar_w = 14, right = 60, bottom = 46;
  const double pw = cell * static_cast<double>(Hn), ph = cellh * static_cast<double>(L);
  const double W = std::max(360.0, left + pw + bar_gap + bar_w + right), Ht = top + ph + bottom;
  // Colour coordinate of a value: the value, or its log2 on a log scale.
  auto cv = [&](double v) {
    if (!h.log2_scale) return v;
    return v > 0 ? std::log2(v) : -std::numeric_limits<double>::infinity();
  };
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& row : h.values) {
    for (const double v : row) {
      if (std::isfinite(cv(v))) {
        lo = std::min(lo, cv(v));
        hi = std::max(hi, cv(v));
      }
    }
  }
  if (!std::isfinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (h.centered || h.log2_scale) {
    const double m = std::max(std::abs(lo), std::abs(hi));
    lo = -m;
    hi = m;
  }
  if (!(hi > lo)) hi = lo + 1.0;
  const bool two_sided = h.centered || h.log2_scale;
  const auto& stops = two_sided ? diverging() : sequential();
  auto t_of = [&](double v) { return (cv(v) - lo) / (hi - lo); };

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << px(W) << ' ' << px(Ht)
    << "\" class=\"chart heat\" role=\"img\" style=\"max-width:" << px(W * 1.25) << "px\">";
  o << "<title>" << escape(h.title) << "</title>";
  o << "<text x=\"" << px(left) << "\" y=\"20\" class=\"ctitle\">" << escape(h.title) << "</text>";
  o << "<text x=\"" << px(left) << "\" y=\"38\" class=\"legend\">colour: " << escape(h.value_label) << "</text>";
  const bool annotate = cell >= 34 && cellh >= 18;
  for (std::size_t l = 0; l < L; ++l) {
    for (std::size_t k = 0; k < Hn; ++k) {
      const double v = h.values[l][k];
      const double x = left + cell * static_cast<double>(k), y = top + cellh * static_cast<double>(l);
      std::string fill = "#d9d9d9";
      if (std::isfinite(v) && std::isfinite(cv(v))) fill = css(ramp(stops, t_of(v)));
      if (std::isinf(v)) fill = v > 0 ? css(stops.back()) : css(stops.front());
      o << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(cell - 1) << "\" height=\"" << px(cellh - 1)
        << "\" fill=\"" << fill << "\"><title>layer " << l << ", head " << k << ": " << num(v, 4) << "</title></rect>";
      if (annotate || std::isinf(v)) {
        const double t = std::isfinite(v) && std::isfinite(cv(v)) ? t_of(v) : 1.0;
        const bool dark_text = two_sided ? std::abs(t - 0.5) < 0.3 : t > 0.55;
        o << "<text x=\"" << px(x + cell / 2 - 0.5) << "\" y=\"" << px(y + cellh / 2 + 3.5) << "\" class=\"cell\" fill=\""
          << (dark_text ? "#222" : "#fff") << "\" text-anchor=\"middle\">"
          << (std::isinf(v) ? std::string("∞") : num(v, std::abs(v) >= 100 ? 0 : (std::abs(v) >= 10 ? 1 : 2))) << "</text>";
      }
    }
  }
  // axes: heads along x (top label), layers along y
  const std::size_t hstep = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(22.0 / cell)));
  for (std::size_t k = 0; k < Hn; k += hstep) {
    o << "<text x=\"" << px(left + cell * (static_cast<double>(k) + 0.5)) << "\" y=\"" << px(top + ph + 16)
      << "\" class=\"tick\" text-anchor=\"middle\">" << k << "</text>";
  }
  const std::size_t lstep = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(14.0 / cellh)));
  for (std::size_t l = 0; l < L; l += lstep) {
    o << "<text x=\"" << px(left - 8) << "\" y=\"" << px(top + cellh * (static_cast<double>(l) + 0.5) + 4)
      << "\" class=\"tick\" text-anchor=\"end\">" << l << "</text>";
  }
  o << "<text x=\"" << px(left + pw / 2) << "\" y=\"" << px(Ht - 10) << "\" class=\"alabel\" text-anchor=\"middle\">head</text>";
  o << "<text transform=\"translate(20," << px(top + ph / 2) << ") rotate(-90)\" class=\"alabel\" text-anchor=\"middle\">layer</text>";
  // colour bar with ticks
  const double bx = left + pw + bar_gap;
  const int steps = 40;
  for (int i = 0; i < steps; ++i) {
    const double t0 = static_cast<double>(i) / steps;
    o << "<rect x=\"" << px(bx) << "\" y=\"" << px(top + ph * (1.0 - t0 - 1.0 / steps)) << "\" width=\"" << px(bar_w)
      << "\" height=\"" << px(ph / steps + 0.6) << "\" fill=\"" << css(ramp(stops, t0 + 0.5 / steps)) << "\"/>";
  }
  o << "<rect x=\"" << px(bx) << "\" y=\"" << px(top) << "\" width=\"" << px(bar_w) << "\" height=\"" << px(ph)
    << "\" fill=\"none\" class=\"axis\"/>";
  // ticks in colour coordinates, labelled with values
  std::vector<double> ticks;
  std::vector<std::string> labels;
  if (h.log2_scale) {
    const double first = std::ceil(lo - 1e-9), last = std::floor(hi + 1e-9);
    const double step = std::max(1.0, std::ceil((last - first) / 6.0));
    for (double k = first; k <= last + 1e-9; k += step) {
      char buffer[32];
      if (k < 0) {
        std::snprintf(buffer, sizeof buffer, "1/%.0f", std::exp2(-k));
      } else {
        std::snprintf(buffer, sizeof buffer, "%.0f", std::exp2(k));
      }
      ticks.push_back(k);
      labels.emplace_back(buffer);
    }
  } else {
    double tlo = lo, thi = hi;
    const std::vector<double> nice = nice_ticks(tlo, thi, 4);
    const double tstep = nice.size() > 1 ? nice[1] - nice[0] : 1.0;
    for (const double t : nice) {
      ticks.push_back(t);
      labels.push_back(tick_label(t, tstep));
    }
  }
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    if (ticks[i] < lo - 1e-12 || ticks[i] > hi + 1e-12) continue;
    const double y = top + ph * (1.0 - (ticks[i] - lo) / (hi - lo));
    o << "<line x1=\"" << px(bx + bar_w) << "\" x2=\"" << px(bx + bar_w + 4) << "\" y1=\"" << px(y) << "\" y2=\"" << px(y)
      << "\" class=\"axis\"/>";
    o << "<text x=\"" << px(bx + bar_w + 7) << "\" y=\"" << px(y + 4) << "\" class=\"tick\">" << labels[i] << "</text>";
  }
  o << "</svg>";
  return o.str();
}

// ---- reading the results ----------------------------------------------------------------------------

std::vector<double> to_values(const json& a, double scale) {
  std::vector<double> v;
  if (!a.is_array()) return v;
  for (const auto& x : a) v.push_back(x.is_number() ? x.get<double>() * scale : nan_value);
  return v;
}

std::vector<std::vector<double>> to_grid(const json& a, double scale, const json* infinite) {
  std::vector<std::vector<double>> g;
  if (!a.is_array()) return g;
  for (std::size_t l = 0; l < a.size(); ++l) {
    g.push_back(to_values(a[l], scale));
    if (infinite != nullptr) {
      for (std::size_t h = 0; h < g.back().size(); ++h) {
        if ((*infinite)[l][h].get<bool>()) g.back()[h] = std::numeric_limits<double>::infinity();
      }
    }
  }
  return g;
}

const json* get(const json& j, const char* key) { return j.is_object() && j.contains(key) ? &j[key] : nullptr; }

line_chart chart(std::string title, std::string y_label, bool unit_range) {
  line_chart c;
  c.title = std::move(title);
  c.y_label = std::move(y_label);
  c.fixed_unit_range = unit_range;
  return c;
}

heatmap head_map(std::string title, std::string value_label, std::vector<std::vector<double>> values) {
  heatmap h;
  h.title = std::move(title);
  h.value_label = std::move(value_label);
  h.values = std::move(values);
  return h;
}

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + caption + "</figcaption></figure>\n";
}

std::string top_table(const json& top, const std::string& title, const std::string& score_name) {
  std::ostringstream o;
  o << "<div class=\"tablebox\"><h4>" << escape(title) << "</h4><table class=\"small\"><thead><tr><th>rank</th>"
    << "<th>layer</th><th>head</th><th>" << escape(score_name) << "</th></tr></thead><tbody>";
  std::size_t rank = 1;
  for (const auto& e : top) {
    o << "<tr><td>" << rank++ << "</td><td>" << e["layer"].get<std::size_t>() << "</td><td>" << e["head"].get<std::size_t>()
      << "</td><td>" << num(e["score"].is_number() ? e["score"].get<double>() : nan_value, 3) << "</td></tr>";
  }
  o << "</tbody></table></div>";
  return o.str();
}

}  // namespace icl_tool::html

namespace icl_tool {

namespace {

using namespace html;

std::string task_section(const json& task, std::size_t index) {
  std::ostringstream o;
  const std::size_t layers = task["layers"].get<std::size_t>();
  o << "<section id=\"task-" << index << "\"><h2>" << escape(task["name"].get<std::string>()) << "</h2>";
  if (!task["description"].get<std::string>().empty()) {
    o << "<p class=\"desc\">" << escape(task["description"].get<std::string>()) << "</p>";
  }
  o << "<p class=\"facts\"><span>" << task["n"].get<std::size_t>() << " prompts</span><span>" << layers
    << " layers</span><span>d = " << task["d"].get<std::size_t>() << "</span><span>"
    << escape(task["dtype"].get<std::string>()) << "</span><span><code>" << escape(task["hidden"].get<std::string>())
    << "</code></span></p>";

  // The per-layer table: every family's columns.
  std::vector<layer_column> cols;
  for (const report_section& section : report_sections()) {
    if (section.columns != nullptr) section.columns(task, cols);
  }
  if (!cols.empty()) {
    o << "<h3>Per layer</h3><div class=\"scroll\"><table><thead><tr><th>layer</th>";
    for (const auto& c : cols) o << "<th>" << escape(c.header) << "</th>";
    o << "</tr></thead><tbody>";
    for (std::size_t l = 0; l < layers; ++l) {
      o << "<tr><td>" << l << "</td>";
      for (const auto& c : cols) {
        double best = -std::numeric_limits<double>::infinity();
        for (const double v : c.values) {
          if (std::isfinite(v)) best = std::max(best, v);
        }
        const double v = l < c.values.size() ? c.values[l] : nan_value;
        o << "<td" << (v == best && c.mark_peak ? " class=\"peak\"" : "") << ">" << num(v) << "</td>";
      }
      o << "</tr>";
    }
    o << "</tbody></table></div><p class=\"note\">Bold: the peak layer of each measure.</p>";
  }

  o << "<div class=\"grid\">";
  for (const report_section& section : report_sections()) {
    if (section.figures != nullptr) o << section.figures(task);
  }
  o << "</div>";
  for (const report_section& section : report_sections()) {
    if (section.block != nullptr) o << section.block(task);
  }
  if (!task["skipped"].empty()) {
    o << "<p class=\"note\">Not computed: ";
    bool first = true;
    for (const auto& s : task["skipped"]) {
      o << (first ? "" : "; ") << escape(s.get<std::string>());
      first = false;
    }
    o << ".</p>";
  }
  o << "</section>\n";
  return o.str();
}

const char* style = R"css(
:root{--fg:#1f2328;--muted:#59636e;--line:#d0d7de;--bg:#ffffff;--soft:#f6f8fa;--accent:#4e79a7}
*{box-sizing:border-box}
body{font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0}
main{max-width:1280px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:28px;margin:8px 0 4px}
h2{font-size:22px;margin:40px 0 6px;padding-top:16px;border-top:2px solid var(--line)}
h3{font-size:17px;margin:24px 0 8px}
h4{font-size:14px;margin:0 0 6px}
.desc{color:var(--muted);max-width:900px}
.facts span{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:12px;
  padding:1px 10px;margin:0 6px 6px 0;font-size:13px}
nav a{margin-right:14px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13.5px}
th,td{border-bottom:1px solid var(--line);padding:4px 12px;text-align:right}
th{background:var(--soft);font-weight:600}
td:first-child,th:first-child{text-align:center}
td.peak{font-weight:700;color:#0b4f8a}
.scroll{overflow-x:auto}
.note{color:var(--muted);font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:20px 28px;margin-top:12px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
figcaption{color:var(--muted);font-size:12.5px;margin-top:4px}
svg.chart{width:100%;height:auto;display:block}
svg .ctitle{font-size:15px;font-weight:600;fill:#1f2328}
svg .tick{font-size:11px;fill:#59636e}
svg .alabel{font-size:12.5px;fill:#1f2328}
svg .legend{font-size:11.5px;fill:#1f2328}
svg .grid{stroke:#eaeef2;stroke-width:1}
svg .axis{stroke:#6e7781;stroke-width:1}
svg .ref{stroke:#8c959f;stroke-width:1.2;stroke-dasharray:3 4}
svg .reftext{font-size:11px;fill:#8c959f}
svg .cell{font-size:10.5px}
.tables{display:flex;flex-wrap:wrap;gap:28px;margin-top:16px}
.tablebox table.small td,.tablebox table.small th{padding:3px 10px}
footer{color:var(--muted);font-size:12.5px;margin-top:48px}
)css";

}  // namespace

std::string render_html(const json& results) {
  std::ostringstream o;
  const std::string title = results.value("title", "icl-metrics report");
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" << escape(title)
    << "</title><style>" << style << "</style></head><body><main>\n";
  o << "<h1>" << escape(title) << "</h1>";
  if (!results.value("description", "").empty()) o << "<p class=\"desc\">" << escape(results["description"].get<std::string>()) << "</p>";
  if (results.contains("model") && results["model"].is_object() && !results["model"].empty()) {
    o << "<p class=\"facts\">";
    for (auto it = results["model"].begin(); it != results["model"].end(); ++it) {
      o << "<span>" << escape(it.key()) << ": "
        << escape(it.value().is_string() ? it.value().get<std::string>() : it.value().dump()) << "</span>";
    }
    o << "</p>";
  }
  o << "<nav>";
  for (std::size_t i = 0; i < results["tasks"].size(); ++i) {
    o << "<a href=\"#task-" << i << "\">" << escape(results["tasks"][i]["name"].get<std::string>()) << "</a>";
  }
  o << "</nav>\n";
  for (std::size_t i = 0; i < results["tasks"].size(); ++i) o << task_section(results["tasks"][i], i);
  const json& opts = results["options"];
  o << "<footer>Made by icl-metrics " << escape(results.value("program_version", "")) << ". Task decodability: k = "
    << opts["decodability"]["k"].dump() << ", " << escape(opts["decodability"]["dissimilarity"].get<std::string>())
    << " dissimilarity; RSA: " << escape(opts["rsa"]["dissimilarity"].get<std::string>()) << " RDM, "
    << escape(opts["rsa"]["comparison"].get<std::string>()) << " comparison; seed " << opts["seed"].dump()
    << ". Every number is in results.json beside this file.</footer>";
  o << "</main></body></html>\n";
  return o.str();
}

}  // namespace icl_tool
