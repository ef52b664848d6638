// Task vectors ([P2]): the mean over prompts of the hidden states at a layer, or of chosen heads'
// outputs, written as a .npy vector; and the additive injection h <- h + lambda v into given
// states, written back as .npy; the `task-vector` subcommand.
#include <cmath>
#include <memory>
#include <optional>
#include <type_traits>

#include "command.hpp"
#include "head_inputs.hpp"
#include "icl/geometry/task_vectors.hpp"
#include "npy_output.hpp"

namespace icl_tool {

namespace {

double euclidean_norm(const std::vector<double>& v) {
  double sum = 0.0;
  for (const double x : v) sum += x * x;
  return std::sqrt(sum);
}

template <class T>
double row_norm(icl::matrix_view<const T> X, std::size_t i) {
  double sum = 0.0;
  for (std::size_t j = 0; j < X.cols(); ++j) sum += icl::detail::to_double(X(i, j)) * icl::detail::to_double(X(i, j));
  return std::sqrt(sum);
}

/// The states injected and written: a C-order copy of the whole array, λv added to the rows of
/// `layer` (all rows of a [n, d] array), in the element type of the input.
template <class T>
json inject_typed(const named_array& states, std::optional<std::size_t> layer, const std::vector<double>& v,
                  double lambda, const std::string& save) {
  const auto& shape = states.array.shape();
  const std::size_t n = shape[shape.size() - 2], d = shape[shape.size() - 1];
  const std::size_t layers = shape.size() == 3 ? shape[0] : 1;
  std::vector<T> buffer(layers * n * d);
  if (shape.size() == 3) {
    const auto H = states.array.view<T, 3>();
    for (std::size_t l = 0; l < layers; ++l) {
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) buffer[(l * n + i) * d + j] = H(l, i, j);
      }
    }
  } else {
    const auto X = states.array.matrix<T>();
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) buffer[i * d + j] = X(i, j);
    }
  }
  const std::size_t first = layer.value_or(0) * n * d;
  const icl::matrix_view<T> h(buffer.data() + first, n, d, static_cast<std::ptrdiff_t>(d), 1);
  const auto before = icl::make_matrix_view(static_cast<const T*>(buffer.data() + first), n, d);
  std::vector<double> norms_before;
  for (std::size_t i = 0; i < n; ++i) norms_before.push_back(row_norm(before, i));
  icl::geometry::inject_task_vector(h, v, lambda);

  json rows = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    rows.push_back(json{{"row", i}, {"norm_before", number(norms_before[i])}, {"norm_after", number(row_norm(before, i))}});
  }
  if constexpr (std::is_same_v<T, icl::bf16>) {
    const std::vector<float> widened(buffer.begin(), buffer.end());
    write_npy(save, shape, widened.data());
  } else {
    write_npy(save, shape, buffer.data());
  }
  return rows;
}

class task_vector_command : public metric_command {
 public:
  explicit task_vector_command(CLI::App& app)
      : metric_command(app, "task-vector",
                       "Task vector: the mean hidden state at a layer over prompts, or the mean output of chosen "
                       "heads; --inject adds lambda times a vector to given states") {
    auto* hidden = sub_->add_option("hidden", hidden_, "Hidden states [layers, n, d] (with --layer) or [n, d]");
    layer_option_ = sub_->add_option("--layer", layer_, "Layer of HIDDEN (or of the --inject states) [layers, n, d]");
    auto* outputs = sub_->add_option("--outputs", outputs_,
                                     "Head outputs [layers, heads, d] (one prompt) or [prompts, layers, heads, d]");
    auto* heads = sub_->add_option("--heads", heads_,
                                   "Heads to average (with --outputs): [k, 2] integers, JSON [[layer, head], ...] or "
                                   "FILE.json:KEY of an `attention` result (e.g. out.json:top_induction)");
    auto* inject = sub_->add_option("--inject", inject_, "States [n, d] or [layers, n, d] that get lambda * v added");
    auto* vector = sub_->add_option("--vector", vector_, "The task vector v [d] to inject (.npy or JSON list)");
    bound_.add("--lambda", "lambda", lambda_, "Scale of the injected vector");
    sub_->add_option("--save", save_, "Write the vector (or with --inject the states) to this .npy file");
    outputs->needs(heads);
    heads->needs(outputs);
    inject->needs(vector);
    vector->needs(inject);
    hidden->excludes(outputs);
    hidden->excludes(inject);
    outputs->excludes(inject);
    add_output_options();
  }

  int run() override {
    const std::optional<std::size_t> layer =
        layer_option_->count() > 0 ? std::optional<std::size_t>(layer_) : std::nullopt;
    json params = bound_.params();
    params["layer"] = layer ? json(*layer) : json(nullptr);
    if (!inject_.empty()) return run_inject(layer, params);
    if (hidden_.empty() && outputs_.empty()) {
      throw usage_error("give HIDDEN (the mean state at a layer), --outputs with --heads, or --inject");
    }
    json inputs = json::object(), result;
    std::vector<double> v;
    if (!hidden_.empty()) {
      inputs["hidden"] = hidden_;
      const named_array states{load_tensor(hidden_), hidden_};
      require_states(states, layer);
      v = with_context(hidden_, [&] {
        return icl_tool::visit_float(states.array, [&](auto tag) {
          using T = decltype(tag);
          return layer ? icl::geometry::state_task_vector(states.array.view<T, 3>(), *layer)
                       : icl::geometry::state_task_vector(states.array.matrix<T>());
        });
      });
      result = json{{"mode", "states"}, {"layer", layer ? json(*layer) : json(nullptr)},
                    {"prompts", states.array.shape()[states.array.rank() - 2]}};
    } else {
      if (layer) throw usage_error("--layer: not used with --outputs (the heads name their layers)");
      inputs["outputs"] = outputs_;
      inputs["heads"] = heads_;
      const named_array outputs{load_tensor(outputs_), outputs_};
      const auto& shape = outputs.array.shape();
      if (!outputs.array.is_floating() || (shape.size() != 3 && shape.size() != 4)) {
        throw input_error(outputs_ + ": head outputs must be floating [layers, heads, d] or [prompts, layers, heads, "
                          "d], got " + icl::io::dtype_name(outputs.array.type()) + " of shape " + shape_string(shape));
      }
      const head_list heads = read_head_list(heads_, "heads");
      v = with_context(outputs_ + " with " + heads_, [&] {
        return icl_tool::visit_float(outputs.array, [&](auto tag) {
          using T = decltype(tag);
          return shape.size() == 3 ? icl::geometry::head_task_vector(outputs.array.view<T, 3>(), heads)
                                   : icl::geometry::head_task_vector(outputs.array.view<T, 4>(), heads);
        });
      });
      result = json{{"mode", "heads"}, {"heads", head_pairs(heads)}, {"prompts", shape.size() == 4 ? shape[0] : 1}};
    }
    result["d"] = v.size();
    result["norm"] = number(euclidean_norm(v));
    result["vector"] = numbers(v);
    if (!save_.empty()) {
      write_npy(save_, {v.size()}, v.data());
      result["saved"] = save_;
      result["saved_dtype"] = "f8";
    }
    json rows = json::array();
    for (std::size_t j = 0; j < v.size(); ++j) rows.push_back(json{{"index", j}, {"value", number(v[j])}});
    return write("task-vector", inputs, params, result, rows);
  }

 private:
  /// States of the right rank: [layers, n, d] with --layer, [n, d] without.
  static void require_states(const named_array& states, std::optional<std::size_t> layer) {
    require_float(states.array, layer ? 3 : 2,
                  layer ? "states [layers, n, d] (with --layer)" : "states [n, d] (without --layer)");
  }

  int run_inject(std::optional<std::size_t> layer, const json& params) {
    if (save_.empty()) throw usage_error("--inject: give --save FILE.npy for the injected states");
    const named_array states{load_tensor(inject_), inject_};
    require_states(states, layer);
    if (layer && *layer >= states.array.shape()[0]) {
      throw input_error(inject_ + ": --layer " + std::to_string(*layer) + " is out of range for " +
                        std::to_string(states.array.shape()[0]) + " layers");
    }
    const std::vector<double> v = read_double_list(vector_, "", "task vector");
    json rows = with_context(inject_ + " with " + vector_, [&] {
      return icl_tool::visit_float(states.array, [&](auto tag) {
        return inject_typed<decltype(tag)>(states, layer, v, lambda_, save_);
      });
    });
    const std::string dtype = icl_tool::visit_float(states.array, [](auto tag) {
      return std::string(npy_dtype_name<decltype(tag)>());
    });
    json result{{"mode", "inject"},
                {"layer", layer ? json(*layer) : json(nullptr)},
                {"lambda", lambda_},
                {"rows", rows.size()},
                {"d", v.size()},
                {"vector_norm", number(euclidean_norm(v))},
                {"saved", save_},
                {"saved_dtype", dtype}};
    return write("task-vector", json{{"inject", inject_}, {"vector", vector_}}, params, result, rows);
  }

  std::string hidden_, outputs_, heads_, inject_, vector_, save_;
  std::size_t layer_ = 0;
  CLI::Option* layer_option_ = nullptr;
  double lambda_ = 1.0;
};

[[maybe_unused]] const bool registered = register_command<task_vector_command>("task-vector", 57);

}  // namespace

}  // namespace icl_tool
