// Linear CKA (icl::geometry::linear_cka) between the layers of one hidden-state tensor, or layer
// by layer between two tensors of the same prompts (e.g. with and without demonstrations); the
// `cka` subcommand.
#include <memory>
#include <optional>

#include "command.hpp"
#include "icl/geometry/cka.hpp"

namespace icl_tool {

namespace {

/// The [layers_x][layers_y] JSON grid of a CKA matrix.
json grid(const icl::dense_matrix<double>& m) {
  json out = json::array();
  for (std::size_t i = 0; i < m.rows(); ++i) {
    std::vector<double> row(m.cols());
    for (std::size_t j = 0; j < m.cols(); ++j) row[j] = m(i, j);
    out.push_back(numbers(row));
  }
  return out;
}

/// CKA of x with y (y = x when other is null): the matrix of every pair of layers, or (curve) the
/// corresponding layers only.
json cka_values(const named_array& x, const named_array* other, bool curve, bool debiased) {
  const named_array& y = other != nullptr ? *other : x;
  const std::string context = other != nullptr ? x.name + " with " + other->name : x.name;
  return icl_tool::visit_float(x.array, [&](auto xt) {
    return icl_tool::visit_float(y.array, [&](auto yt) {
      const auto X = x.array.view<decltype(xt), 3>();
      const auto Y = y.array.view<decltype(yt), 3>();
      return with_context(context, [&] {
        if (curve) return numbers(icl::geometry::cka_curve(X, Y, debiased).values);
        return grid(icl::geometry::cka_matrix(X, Y, debiased));
      });
    });
  });
}

class cka_command : public metric_command {
 public:
  explicit cka_command(CLI::App& app)
      : metric_command(app, "cka",
                       "Linear CKA between the layers of one hidden-state tensor, or layer by layer between two") {
    sub_->add_option("hidden", hidden_, "Hidden states [layers, n, d] (e.g. acts.safetensors:hidden)")->required();
    sub_->add_option("--other", other_,
                     "Hidden states [layers, n, d'] of the same n prompts (e.g. without demonstrations): CKA of "
                     "corresponding layers");
    bound_.flag("--matrix", "matrix", matrix_, true,
                "With --other: CKA of every layer of HIDDEN with every layer of --other, not only corresponding ones");
    bound_.flag("--debiased", "debiased", debiased_, true,
                "Debiased CKA (unbiased HSIC estimates; needs n > 3) instead of the biased one");
    add_output_options();
  }

  int run() override {
    if (matrix_ && other_.empty()) throw usage_error("cka: --matrix needs --other (one tensor always gives the matrix)");
    const named_array x = hidden_input(hidden_);
    std::optional<named_array> y;
    if (!other_.empty()) y = hidden_input(other_);
    const bool curve = y && !matrix_;
    if (curve && layer_count(*y) != layer_count(x)) {
      throw input_error(other_ + ": has " + std::to_string(layer_count(*y)) + " layers but " + hidden_ + " has " +
                        std::to_string(layer_count(x)) + " (give --matrix to compare every pair of layers)");
    }
    json result;
    result["debiased"] = debiased_;
    result["n"] = x.array.shape()[1];
    result["layers"] = layer_count(x);
    if (y) result["other_layers"] = layer_count(*y);
    result["matrix"] = !curve;
    result["cka"] = cka_values(x, y ? &*y : nullptr, curve, debiased_);
    json rows = json::array();
    const json& cka = result["cka"];
    for (std::size_t l = 0; l < cka.size(); ++l) {
      if (curve) {
        rows.push_back(json{{"layer", l}, {"cka", cka[l]}});
        continue;
      }
      for (std::size_t m = 0; m < cka[l].size(); ++m) rows.push_back(json{{"layer", l}, {"other_layer", m}, {"cka", cka[l][m]}});
    }
    json inputs{{"hidden", hidden_}};
    if (y) inputs["other"] = other_;
    return write("cka", inputs, result, rows);
  }

 private:
  std::string hidden_, other_;
  bool matrix_ = false, debiased_ = false;
};

[[maybe_unused]] const bool registered = register_command<cka_command>("cka", 45);

}  // namespace

}  // namespace icl_tool
