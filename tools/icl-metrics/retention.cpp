// Layer retention / filtering ([P2]): for each transition l-1 -> l, how much of each of layer
// l-1's top-r directions survives in layer l's top-r subspace, and with an unembedding the tokens
// each direction points to; the `retention` subcommand.
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>

#include "retention.hpp"

#include "command.hpp"
#include "head_inputs.hpp"
#include "icl/geometry/retention.hpp"

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
