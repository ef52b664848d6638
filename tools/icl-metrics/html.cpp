// report.html: one self-contained page (inline CSS and SVG, no script, no external resource)
// with a section per task: facts, a per-layer table, layer-curve plots and head heatmaps.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "report.hpp"

namespace icl_tool {

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

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

std::string num(double v, int digits = 3) {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  std::string out = buffer;
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);  // "-0.000" -> "0.000"
  return out;
}

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

struct series {
  std::string name;
  std::vector<double> values;  ///< NaN: no point
  bool dashed = false;
};

struct line_chart {
  std::string title, y_label, x_label = "layer";
  std::vector<series> lines;
  bool fixed_unit_range = false;  ///< y axis 0..1 (accuracies, proportions)
  double reference = nan_value;   ///< a dashed horizontal line (chance level), NaN for none
  std::string reference_label = "chance";
};

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

struct heatmap {
  std::string title, value_label;
  std::vector<std::vector<double>> values;  ///< [layers][heads]; NaN: undefined, +inf: drawn as ∞
  bool centered = false;                    ///< diverging scale around 0
  bool log2_scale = false;                  ///< colour by log2(value), centered at 1 (ratios)
};

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

std::vector<double> to_values(const json& a, double scale = 1.0) {
  std::vector<double> v;
  if (!a.is_array()) return v;
  for (const auto& x : a) v.push_back(x.is_number() ? x.get<double>() * scale : nan_value);
  return v;
}

std::vector<std::vector<double>> to_grid(const json& a, double scale = 1.0, const json* infinite = nullptr) {
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

  const json* dec = get(task, "decodability");
  const json* rsa = get(task, "rsa");
  const json* probe = get(task, "probe");
  const json* geo = get(task, "geometry");
  const json* att = get(task, "attention");

  // per-layer table
  struct column {
    std::string name;
    std::vector<double> values;
  };
  std::vector<column> cols;
  if (dec) cols.push_back({"TD", to_values((*dec)["overall"])});
  if (rsa) {
    cols.push_back({rsa->contains("without_icl") ? "RSA (ICL)" : "RSA", to_values((*rsa)["with_icl"])});
    if (rsa->contains("without_icl")) {
      cols.push_back({"RSA (no ICL)", to_values((*rsa)["without_icl"])});
      cols.push_back({"Δ RSA", to_values((*rsa)["delta"])});
    }
  }
  if (probe) cols.push_back({"probe acc.", to_values((*probe)["mean"])});
  if (geo && geo->contains("separability")) cols.push_back({"separability", to_values((*geo)["separability"])});
  if (geo && geo->contains("output_alignment")) cols.push_back({"output align.", to_values((*geo)["output_alignment"])});
  if (geo && geo->contains("composite_alignment")) cols.push_back({"composite align.", to_values((*geo)["composite_alignment"])});
  if (geo) cols.push_back({"eff. dim.", to_values((*geo)["effective_dimension"])});
  if (!cols.empty()) {
    o << "<h3>Per layer</h3><div class=\"scroll\"><table><thead><tr><th>layer</th>";
    for (const auto& c : cols) o << "<th>" << escape(c.name) << "</th>";
    o << "</tr></thead><tbody>";
    for (std::size_t l = 0; l < layers; ++l) {
      o << "<tr><td>" << l << "</td>";
      for (const auto& c : cols) {
        double best = -std::numeric_limits<double>::infinity();
        for (const double v : c.values) {
          if (std::isfinite(v)) best = std::max(best, v);
        }
        const double v = l < c.values.size() ? c.values[l] : nan_value;
        o << "<td" << (v == best && c.name != "eff. dim." ? " class=\"peak\"" : "") << ">" << num(v) << "</td>";
      }
      o << "</tr>";
    }
    o << "</tbody></table></div><p class=\"note\">Bold: the peak layer of each measure.</p>";
  }

  o << "<div class=\"grid\">";
  if (dec) {
    line_chart c;
    c.title = "Task decodability per layer";
    c.y_label = "leave-one-out " + std::to_string((*dec)["k"].get<std::size_t>()) + "-NN accuracy";
    c.fixed_unit_range = true;
    c.lines.push_back({"all prompts", to_values((*dec)["overall"])});
    if (const json* groups = get(*dec, "by_demonstrations")) {
      for (const auto& g : *groups) {
        if (!g.contains("overall")) continue;
        c.lines.push_back({std::to_string(g["demonstrations"].get<int>()) + " demos", to_values(g["overall"]), true});
      }
    }
    const std::size_t classes = (*dec)["classes"].size();
    if (classes > 0) c.reference = 1.0 / static_cast<double>(classes);
    std::string caption = "Leave-one-out kNN accuracy of the concept from the query-position state (k = " +
                          std::to_string((*dec)["k"].get<std::size_t>()) + ", " + (*dec)["dissimilarity"].get<std::string>() +
                          "); peak at layer " + std::to_string((*dec)["peak_layer"].get<std::size_t>()) +
                          ". Dashed: one curve per number of demonstrations. Chance = 1 / number of concepts.";
    o << figure(render(c), caption);
  }
  if (rsa) {
    line_chart c;
    c.title = "RSA alignment with the concept RDM";
    c.y_label = (*rsa)["comparison"].get<std::string>() + " correlation";
    c.lines.push_back({rsa->contains("without_icl") ? "with ICL" : "alignment", to_values((*rsa)["with_icl"])});
    if (rsa->contains("without_icl")) c.lines.push_back({"without ICL", to_values((*rsa)["without_icl"])});
    c.reference = 0.0;
    c.reference_label = "no alignment";
    o << figure(render(c), "Correlation (" + (*rsa)["comparison"].get<std::string>() + ") between each layer's RDM (" +
                               (*rsa)["dissimilarity"].get<std::string>() +
                               " distance) and the categorical RDM of the concepts, with and without demonstrations.");
  }
  if (probe) {
    line_chart c;
    c.title = "Logistic probe of the concept";
    c.y_label = "cross-validated accuracy";
    c.fixed_unit_range = true;
    c.lines.push_back({"mean over folds", to_values((*probe)["mean"])});
    if (dec && !(*dec)["classes"].empty()) c.reference = 1.0 / static_cast<double>((*dec)["classes"].size());
    o << figure(render(c), std::to_string((*probe)["folds"].get<std::size_t>()) +
                               "-fold stratified cross-validated accuracy of an L2 logistic probe (C = " +
                               num((*probe)["C"].get<double>(), 2) + ").");
  }
  if (geo) {
    line_chart c;
    c.title = "Separability and alignment";
    c.y_label = "score";
    c.fixed_unit_range = true;
    for (const char* key : {"separability", "output_alignment", "directional_separability", "singular_alignment",
                            "variance_alignment"}) {
      if (geo->contains(key)) {
        std::string name = key;
        std::replace(name.begin(), name.end(), '_', ' ');
        c.lines.push_back({name, to_values((*geo)[key]), std::string(key) == "variance_alignment"});
      }
    }
    if (!c.lines.empty()) {
      c.reference = 0.5;
      o << figure(render(c), "Separability: logistic probe accuracy on a held-out half, per label pair. Output "
                             "alignment: logit-lens accuracy over the label tokens. Singular / variance alignment: the "
                             "label direction against the top singular vectors / the variance along it. Chance "
                             "(binary) = 0.5.");
    }
    if (geo->contains("mean_alignment")) {
      line_chart m;
      m.title = "Mean and composite alignment";
      m.y_label = "alignment";
      m.lines.push_back({"mean alignment", to_values((*geo)["mean_alignment"])});
      m.lines.push_back({"composite alignment", to_values((*geo)["composite_alignment"])});
      m.reference = 0.0;
      m.reference_label = "";
      o << figure(render(m), "Mean alignment: class-mean difference along the label direction over the pooled "
                             "standard deviation; composite = variance alignment × mean alignment.");
    }
    line_chart e;
    e.title = "Effective dimension";
    e.y_label = "participation ratio";
    e.lines.push_back({"effective dimension", to_values((*geo)["effective_dimension"])});
    o << figure(render(e), "Participation ratio (Σσ²)² / Σσ⁴ of the centered states of each layer.");
  }
  o << "</div>";

  if (att) {
    const double prompts = static_cast<double>((*att)["prompts"].get<std::size_t>());
    o << "<h3>Attention (" << (*att)["prompts"].get<std::size_t>() << " prompts, " << (*att)["layers"].get<std::size_t>()
      << " layers × " << (*att)["heads"].get<std::size_t>() << " heads)</h3><div class=\"grid\">";
    if (att->contains("ratio")) {
      heatmap h;
      h.title = "Attention ratio per head";
      h.value_label = "ratio (relevant / irrelevant)";
      h.values = to_grid((*att)["ratio"], 1.0, &(*att)["ratio_undefined"]);
      h.log2_scale = true;
      o << figure(render(h), "Attention from the source positions to the relevant keys over the irrelevant keys "
                             "(per-token means), averaged over prompts. Logarithmic colour scale centered at 1: red heads prefer the relevant keys, blue heads the irrelevant ones; ∞ marks a zero denominator.");
      line_chart c;
      c.title = "Attention ratio per layer";
      c.x_label = "attention layer";
      c.y_label = "mean ratio over heads";
      c.lines.push_back({"mean over heads", to_values((*att)["ratio_layer_mean"])});
      c.reference = 1.0;
      c.reference_label = "no preference";
      o << figure(render(c), "Mean over the heads of each layer whose ratio is defined; heads with a zero "
                             "denominator (∞ in the heatmap) are left out and counted in results.json "
                             "(attention.ratio_layer_undefined_heads).");
    }
    {
      heatmap h;
      h.title = "Previous-token score per head";
      h.value_label = "mean attention to k − 1 per prompt";
      h.values = to_grid((*att)["previous_token"], 1.0 / prompts);
      o << figure(render(h), "Σ_k A[k, k−1] per prompt, averaged over prompts (the library's score is the sum over "
                             "prompts, in results.json).");
    }
    if (att->contains("induction")) {
      const double with_labels = prompts - static_cast<double>((*att).value("prompts_without_labels", std::size_t{0}));
      heatmap h;
      h.title = "Induction score per head";
      h.value_label = "attention from the query to labels";
      h.values = to_grid((*att)["induction"], with_labels > 0 ? 1.0 / with_labels : 1.0);
      o << figure(render(h), "Attention from the last position to the demonstration label positions, averaged over "
                             "prompts with demonstrations.");
    }
    if (const json* la = get(*att, "label_attention")) {
      line_chart c;
      c.title = "Label attention per class";
      c.y_label = "attention per label token";
      const std::size_t L = (*att)["layers"].get<std::size_t>(), Hn = (*att)["heads"].get<std::size_t>();
      for (auto it = la->begin(); it != la->end(); ++it) {
        const double count = static_cast<double>((*att)["label_counts"][it.key()].get<std::size_t>());
        std::vector<double> per_layer(L, 0.0);
        const auto grid = to_grid(it.value());
        for (std::size_t l = 0; l < L; ++l) {
          for (std::size_t hh = 0; hh < Hn; ++hh) per_layer[l] += grid[l][hh];
          per_layer[l] /= static_cast<double>(Hn) * std::max(count, 1.0);
        }
        c.lines.push_back({"class " + it.key(), per_layer});
      }
      o << figure(render(c), "Attention from the last position to the label tokens of each class, per label token and "
                             "head (mean over heads).");
    }
    if (const json* bias = get(*att, "bias")) {
      heatmap m;
      m.title = "Majority-label bias per head";
      m.value_label = "attention share − demonstration share";
      m.values = to_grid((*bias)["majority_excess"]);
      m.centered = true;
      o << figure(render(m), "Share of label attention on the majority class minus its share of demonstrations, "
                             "mean over " + std::to_string((*bias)["majority_prompts"].get<std::size_t>()) +
                             " prompts with a unique majority; red = favours the majority label.");
      heatmap r;
      r.title = "Recency bias per head";
      r.value_label = "share on the nearest label − 1/k";
      r.values = to_grid((*bias)["recency_excess"]);
      r.centered = true;
      o << figure(render(r), "Share of label attention on the demonstration nearest to the query minus the even share "
                             "1/k; red = favours the most recent demonstration.");
    }
    o << "</div><div class=\"tables\">";
    if (att->contains("top_previous_token")) {
      o << top_table((*att)["top_previous_token"], "Top previous-token heads", "score (sum)");
    }
    if (att->contains("top_induction")) o << top_table((*att)["top_induction"], "Top induction heads", "score (sum)");
    o << "</div>";
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
