// Layer retention / filtering ([P2]): for each transition l-1 -> l, how much of each of layer
// l-1's top-r directions survives in layer l's top-r subspace, and with an unembedding the tokens
// each direction points to; the `retention` subcommand and its section of the report.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "retention.hpp"

#include "command.hpp"
#include "head_inputs.hpp"
#include "html.hpp"
#include "icl/geometry/retention.hpp"
#include "report.hpp"

namespace icl_tool {

token_strings read_token_strings(const std::string& path, std::size_t vocab) {
  token_strings out;
  const auto too_many = [&](std::size_t count) {
    return input_error(path + ": holds " + std::to_string(count) + " tokens but the unembedding has " +
                       std::to_string(vocab) + " rows");
  };
  if (const auto value = json_input(path, "token strings")) {
    if (value->is_array()) {
      if (value->size() > vocab) throw too_many(value->size());
      for (std::size_t i = 0; i < value->size(); ++i) {
        if (!(*value)[i].is_string()) {
          throw input_error(path + ": token " + std::to_string(i) + " is " + (*value)[i].dump() + ", not a string");
        }
        out.emplace_back((*value)[i].get<std::string>());
      }
      return out;
    }
    if (!value->is_object()) throw input_error(path + ": expected an array of strings or an object {token: id}");
    out.resize(vocab);
    for (auto it = value->begin(); it != value->end(); ++it) {
      if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
          it.value().get<std::uint64_t>() >= vocab) {
        throw input_error(path + ": the id of token " + json(it.key()).dump() + " is " + it.value().dump() +
                          ", not an id below the unembedding's " + std::to_string(vocab) + " rows");
      }
      out[it.value().get<std::size_t>()] = it.key();
    }
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path + ": cannot open the file (token strings)");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.emplace_back(line);
  }
  if (out.size() > vocab) throw too_many(out.size());
  return out;
}

namespace {

json token_column(const std::vector<std::size_t>& ids, const token_strings& strings) {
  json out = json::array();
  for (const std::size_t id : ids) out.push_back(id < strings.size() && strings[id] ? json(*strings[id]) : json(nullptr));
  return out;
}

template <class T>
std::vector<icl::geometry::retention_result> retention_typed(const named_array& hidden, const named_array* E,
                                                             const retention_options& o) {
  const auto H = hidden.array.view<T, 3>();
  if (E == nullptr) return icl::geometry::layer_retention(H, o.rank);
  float_matrix U;
  view_float_matrix(E->array, U);
  return U.is_double ? icl::geometry::layer_retention(H, o.rank, U.d, o.top_k)
                     : icl::geometry::layer_retention(H, o.rank, U.f, o.top_k);
}

class retention_command : public metric_command {
 public:
  explicit retention_command(CLI::App& app)
      : metric_command(app, "retention",
                       "Layer retention / filtering: how much of each top direction of layer l-1 survives in layer "
                       "l, with the tokens of each direction") {
    sub_->add_option("hidden", hidden_, "Hidden states [layers, n, d] (e.g. the final-token states)")->required();
    bound_.add("-r,--rank", "rank", options_.rank, "Directions per layer r (1 <= r <= min(n - 1, d))")->required();
    auto* unemb = sub_->add_option("--unembedding", unembedding_, "Unembedding E [V, d]: decode each direction");
    bound_.add("--top-k", "top_k", options_.top_k, "Tokens listed per direction (with --unembedding)")
        ->check(CLI::PositiveNumber);
    sub_->add_option("--tokens", tokens_,
                     "Token strings by id (with --unembedding): a JSON array, a JSON object {token: id} or one "
                     "token per line")
        ->needs(unemb);
    bound_.add("--threshold", "threshold", options_.threshold, "A direction with a norm >= this counts as retained")
        ->check(CLI::Range(0.0, 1.0));
    add_output_options();
  }

  int run() override {
    const named_array hidden = hidden_input(hidden_);
    json inputs{{"hidden", hidden_}};
    std::optional<named_array> E;
    if (!unembedding_.empty()) {
      E = named_array{load_float_tensor(unembedding_, "", 2, "unembedding [V, d]"), unembedding_};
      inputs["unembedding"] = unembedding_;
    }
    token_strings strings;
    if (!tokens_.empty()) {
      strings = read_token_strings(tokens_, E->array.shape()[0]);
      inputs["tokens"] = tokens_;
    }
    json rows = json::array();
    const json result = retention(hidden, E ? &*E : nullptr, tokens_.empty() ? nullptr : &strings, options_, rows);
    return write("retention", inputs, result, rows);
  }

 private:
  std::string hidden_, unembedding_, tokens_;
  retention_options options_;
};

[[maybe_unused]] const bool registered = register_command<retention_command>("retention", 42);

// ---- the report's section: retention at every transition, decoded with readout.unembedding -----

/// The report's r, [P2]'s: 10 directions, or fewer where the prompts or the width allow fewer.
std::size_t report_rank(std::size_t n, std::size_t d) { return std::min({std::size_t{10}, n - 1, d}); }

void report_run(const task_data& task, json& out, json& skipped) {
  const std::size_t d = task.hidden.array.shape()[2];
  if (task.layers < 2 || task.n < 2 || d == 0) {
    skipped.push_back("layer retention: needs at least 2 layers, 2 prompts and a width d >= 1");
    return;
  }
  const task_reader& t = task.reader;
  retention_options options;
  options.rank = report_rank(task.n, d);
  std::optional<named_array> E;
  if (t.has("readout.unembedding")) {
    E = t.float_tensor("readout.unembedding", 2, "unembedding [V, d]");
    options.top_k = std::min(options.top_k, E->array.shape()[0]);
  }
  // A layer whose centred states have a rank below r (the embedding output of prompts that all
  // end in the same token) is the library's refusal of r: the report says so and goes on. Every
  // other error (NaN, an unembedding of another width) stops it, as in the other sections.
  std::string refusal;
  json result = t.run("retention", [&]() -> json {
    try {
      json rows = json::array();
      return retention(task.hidden, E ? &*E : nullptr, nullptr, options, rows);
    } catch (const input_error& e) {
      if (std::string(e.what()).find("exceeds the rank") == std::string::npos) throw;
      refusal = e.what();
      return nullptr;
    }
  });
  if (result.is_null()) {
    skipped.push_back("layer retention: " + refusal);
  } else {
    out["retention"] = std::move(result);
  }
}

/// Values of the transitions l-1 -> l placed at layer l (layer 0: none), each times scale.
std::vector<double> at_later_layer(const json& ret, const json& by_transition, double scale = 1.0) {
  std::vector<double> out(ret["layers"].get<std::size_t>(), html::nan_value);
  const std::vector<double> values = html::to_values(by_transition, scale);
  std::copy(values.begin(), values.end(), out.begin() + 1);
  return out;
}

void report_columns(const json& task, std::vector<layer_column>& columns) {
  const json* ret = html::get(task, "retention");
  if (ret == nullptr) return;
  columns.push_back({"retention", at_later_layer(*ret, (*ret)["mean_norm"])});
}

std::string report_figures(const json& task) {
  const json* ret = html::get(task, "retention");
  if (ret == nullptr) return {};
  const std::size_t rank = (*ret)["rank"].get<std::size_t>();
  json first = json::array();
  for (const json& step : (*ret)["transitions"]) first.push_back(step["norms"][0]);
  html::line_chart c = html::chart("Layer retention", "norm", true);
  c.lines.push_back({"mean norm of the r directions", at_later_layer(*ret, (*ret)["mean_norm"])});
  c.lines.push_back({"direction of the largest σ", at_later_layer(*ret, first)});
  c.lines.push_back({"share retained (norm ≥ " + html::num((*ret)["threshold"].get<double>(), 2) + ")",
                     at_later_layer(*ret, (*ret)["retained_count"], 1.0 / static_cast<double>(rank)), true});
  return html::figure(html::render(c),
                      "Layer retention ([P2]): at layer l, the norm of the projection of each of the top r = " +
                          std::to_string(rank) +
                          " right singular vectors of layer l − 1's centred states onto the top-r subspace of layer "
                          "l (1: the direction is retained, 0: filtered out).");
}

/// The first `count` tokens of a decoded direction: its strings where results.json has them,
/// else its ids.
std::string token_cell(const json& step, const char* strings, const char* ids, std::size_t direction,
                       std::size_t count) {
  const json* named = html::get(step, strings);
  const json& tokens = named != nullptr ? (*named)[direction] : step[ids][direction];
  std::string out;
  for (std::size_t i = 0; i < std::min(count, tokens.size()); ++i) {
    out += (i ? ", " : "") + (tokens[i].is_string() ? html::escape(json(tokens[i]).dump())
                                                   : tokens[i].is_null() ? std::string("?") : tokens[i].dump());
  }
  return out;
}

/// With an unembedding: per transition, the most retained and the most filtered direction and
/// the tokens each points to.
std::string report_block(const json& task) {
  const json* ret = html::get(task, "retention");
  if (ret == nullptr || !(*ret)["transitions"][0].contains("top_tokens")) return {};
  constexpr std::size_t shown = 5;
  std::ostringstream o;
  o << "<h3>Layer retention: decoded directions</h3><div class=\"tables\"><div class=\"tablebox\"><h4>The most "
       "retained and the most filtered of the r = "
    << (*ret)["rank"].get<std::size_t>() << " directions of each transition, decoded with "
    << html::escape((*ret)["unembedding"].get<std::string>())
    << "</h4><table class=\"small\"><thead><tr><th>transition</th><th>retained</th><th>norm</th><th>top tokens</th>"
       "<th>filtered</th><th>norm</th><th>top tokens</th></tr></thead><tbody>";
  for (const json& step : (*ret)["transitions"]) {
    const std::vector<double> norms = html::to_values(step["norms"]);
    const std::size_t kept = static_cast<std::size_t>(std::max_element(norms.begin(), norms.end()) - norms.begin());
    const std::size_t lost = static_cast<std::size_t>(std::min_element(norms.begin(), norms.end()) - norms.begin());
    const std::size_t layer = step["layer"].get<std::size_t>();
    o << "<tr><td>" << layer - 1 << " → " << layer << "</td>";
    for (const std::size_t i : {kept, lost}) {
      o << "<td>v" << i << "</td><td>" << html::num(norms[i]) << "</td><td>"
        << token_cell(step, "top_strings", "top_tokens", i, shown) << "</td>";
    }
    o << "</tr>";
  }
  o << "</tbody></table></div></div><p class=\"note\">v<i>i</i>: the right singular vector of layer l − 1 with the "
       "i-th largest singular value (from 0); its first "
    << shown
    << " tokens by E·v, highest first (ids, or strings where results.json has them). Every direction's norm, "
       "top and bottom tokens are in results.json (retention.transitions).</p>";
  return o.str();
}

std::string report_notes(const json& task) {
  const json* ret = html::get(task, "retention");
  if (ret == nullptr) return {};
  const std::size_t rank = (*ret)["rank"].get<std::size_t>();
  std::string values;
  for (std::size_t i = 0; i < (*ret)["transitions"].size(); ++i) {
    values += (i ? ", " : "") + std::to_string(i) + "->" + std::to_string(i + 1) + " " +
              format_number((*ret)["mean_norm"][i], "%.2f") + " (" +
              std::to_string((*ret)["retained_count"][i].get<std::size_t>()) + "/" + std::to_string(rank) + ")";
  }
  return "layer retention (r = " + std::to_string(rank) + "; mean norm, directions retained): " + values + "\n";
}

[[maybe_unused]] const bool section_registered =
    register_report_section({45, report_run, report_columns, report_figures, report_block, {}, {}, report_notes});

}  // namespace

json retention(const named_array& hidden, const named_array* E, const token_strings* strings,
               const retention_options& options, json& rows) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  const std::string context = E == nullptr ? hidden.name : hidden.name + " with " + E->name;
  const auto steps = with_context(context, [&] {
    return icl_tool::visit_float(hidden.array, [&](auto tag) {
      return retention_typed<decltype(tag)>(hidden, E, options);
    });
  });

  json transitions = json::array();
  std::vector<double> mean_norm;
  std::vector<std::size_t> retained_count;
  for (const auto& s : steps) {
    json t{{"layer", s.layer}, {"norms", numbers(s.norms)}, {"singular_values", numbers(s.singular_values)}};
    json retained = json::array();
    double sum = 0.0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.norms.size(); ++i) {
      const bool kept = s.norms[i] >= options.threshold;
      retained.push_back(kept);
      count += kept;
      sum += s.norms[i];
      json row{{"layer", s.layer},
               {"direction", i},
               {"norm", number(s.norms[i])},
               {"singular_value", number(s.singular_values[i])},
               {"retained", kept}};
      if (E) {
        row["top_tokens"] = json(s.top_tokens[i]).dump();
        row["bottom_tokens"] = json(s.bottom_tokens[i]).dump();
      }
      if (strings != nullptr) {
        row["top_strings"] = token_column(s.top_tokens[i], *strings).dump();
        row["bottom_strings"] = token_column(s.bottom_tokens[i], *strings).dump();
      }
      rows.push_back(row);
    }
    t["retained"] = retained;
    if (E) {
      t["top_tokens"] = s.top_tokens;
      t["bottom_tokens"] = s.bottom_tokens;
    }
    if (strings != nullptr) {
      json top = json::array(), bottom = json::array();
      for (std::size_t i = 0; i < s.top_tokens.size(); ++i) {
        top.push_back(token_column(s.top_tokens[i], *strings));
        bottom.push_back(token_column(s.bottom_tokens[i], *strings));
      }
      t["top_strings"] = top;
      t["bottom_strings"] = bottom;
    }
    mean_norm.push_back(sum / static_cast<double>(s.norms.size()));
    retained_count.push_back(count);
    transitions.push_back(t);
  }
  const auto& shape = hidden.array.shape();
  json result{{"rank", options.rank},
              {"layers", shape[0]},
              {"n", shape[1]},
              {"d", shape[2]},
              {"threshold", options.threshold},
              {"unembedding", E ? json(E->name) : json(nullptr)}};
  if (E) result["top_k"] = options.top_k;
  result["mean_norm"] = numbers(mean_norm);
  result["retained_count"] = retained_count;
  result["transitions"] = transitions;
  return result;
}

}  // namespace icl_tool
