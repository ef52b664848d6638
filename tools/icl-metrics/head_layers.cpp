// Where two head sets sit in depth ([P2]): the Mann-Whitney U test on the layer indices of the
// top heads of two score grids (e.g. previous-token against induction scores) at several
// fractions, or of two given head lists; the `head-layers` subcommand.
#include <limits>
#include <memory>

#include "command.hpp"
#include "head_inputs.hpp"
#include "icl/attention/heads.hpp"
#include "icl/geometry/head_layers.hpp"

namespace icl_tool {

namespace {

double mean_layer(const head_list& heads) {
  if (heads.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0.0;
  for (const auto& pair : heads) sum += static_cast<double>(pair.first);
  return sum / static_cast<double>(heads.size());
}

class head_layers_command : public metric_command {
 public:
  explicit head_layers_command(CLI::App& app)
      : metric_command(app, "head-layers",
                       "Mann-Whitney U test on the layers of two head sets: the top heads of two [layers, heads] "
                       "score grids at several fractions, or two (layer, head) lists") {
    sub_->add_option("a", a_,
                     "First score grid [layers, heads] (.npy, tensor reference, JSON, or FILE.json:KEY of an "
                     "`attention` result, e.g. out.json:previous_token); with --lists a head list")
        ->required();
    sub_->add_option("b", b_, "Second score grid (e.g. out.json:induction), or with --lists a head list")->required();
    bound_.add("--fractions", "fractions", fractions_, "Fractions of heads taken from the top of each grid, in (0, 1]")
        ->delimiter(',');
    bound_.add("--alternative", "alternative", alternative_,
               "two_sided, or greater / less: a's heads sit in later / earlier layers than b's");
    bound_.flag("--lists", "lists", lists_, true,
                "A and B are lists of (layer, head) pairs ([k, 2] integers, or JSON such as out.json:top_induction)");
    add_output_options();
  }

  int run() override {
    json inputs{{"a", a_}, {"b", b_}};
    json result{{"alternative", std::string(icl::to_string(alternative_))}, {"source", lists_ ? "lists" : "scores"}};
    std::vector<std::pair<json, std::pair<head_list, head_list>>> sets;  // (fraction, (a, b))
    if (lists_) {
      sets.push_back({json(nullptr), {read_head_list(a_, "head list a"), read_head_list(b_, "head list b")}});
    } else {
      if (fractions_.empty()) throw usage_error("--fractions: give at least one fraction");
      for (const double f : fractions_) {
        if (!(f > 0.0 && f <= 1.0)) throw usage_error("--fractions: " + json(f).dump() + " is outside (0, 1]");
      }
      const auto grid_a = read_score_grid(a_, "score grid a"), grid_b = read_score_grid(b_, "score grid b");
      result["shape_a"] = {grid_a.layers, grid_a.heads};
      result["shape_b"] = {grid_b.layers, grid_b.heads};
      for (const double f : fractions_) {
        auto top_a = with_context(a_, [&] { return icl::attention::top_heads(grid_a, f); });
        auto top_b = with_context(b_, [&] { return icl::attention::top_heads(grid_b, f); });
        sets.push_back({json(f), {std::move(top_a), std::move(top_b)}});
      }
    }
    json tests = json::array(), rows = json::array();
    for (const auto& [fraction, heads] : sets) {
      const auto t = with_context(a_ + " and " + b_, [&, &h = heads] {
        return icl::geometry::head_layer_mann_whitney(h.first, h.second, alternative_);
      });
      json entry;
      if (!fraction.is_null()) entry["fraction"] = fraction;
      entry["n_a"] = heads.first.size();
      entry["n_b"] = heads.second.size();
      entry["mean_layer_a"] = number(mean_layer(heads.first));
      entry["mean_layer_b"] = number(mean_layer(heads.second));
      entry["statistic"] = number(t.statistic);
      entry["p_value"] = number(t.p_value);
      rows.push_back(entry);
      entry["heads_a"] = head_pairs(heads.first);
      entry["heads_b"] = head_pairs(heads.second);
      tests.push_back(entry);
    }
    result["tests"] = tests;
    return write("head-layers", inputs, result, rows);
  }

 private:
  std::string a_, b_;
  std::vector<double> fractions_ = {0.01, 0.02, 0.05, 0.10};
  icl::alternative alternative_ = icl::alternative::two_sided;
  bool lists_ = false;
};

[[maybe_unused]] const bool registered = register_command<head_layers_command>("head-layers", 55);

}  // namespace

}  // namespace icl_tool
