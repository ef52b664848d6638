// The bias measures of [P4] (Yu & Ananiadou, arXiv 2402.02872) from behaviour and from the
// in-context heads' label attention: the majority-label accuracy gap, the standard deviation of
// accuracy across demonstration orders and of each head's label attention; the `bias`
// subcommand.
#include <memory>

#include "command.hpp"
#include "icl/attention/bias.hpp"

namespace icl_tool {

namespace {

class bias_command : public metric_command {
 public:
  explicit bias_command(CLI::App& app)
      : metric_command(app, "bias",
                       "[P4]'s bias measures: majority-label accuracy gap, accuracy std across demonstration "
                       "orders, label-attention std of the in-context heads") {
    auto* balanced = sub_->add_option("--balanced", balanced_,
                                      "Correctness (0/1) of each prompt with balanced demonstrations");
    auto* reduced = sub_->add_option("--reduced", reduced_,
                                     "Correctness (0/1) of each prompt with one fewer demonstration of a label");
    balanced->needs(reduced);
    reduced->needs(balanced);
    sub_->add_option("--orders", orders_, "Correctness (0/1) per demonstration order [orders, prompts]");
    sub_->add_option("--label-attention", attention_,
                     "Label attention of each in-context head under each order [orders, heads] (floating tensor)");
    bound_.add("--ddof", "ddof", ddof_, "Delta degrees of freedom of the standard deviations (0: population)");
    add_output_options();
  }

  int run() override {
    if (balanced_.empty() && orders_.empty() && attention_.empty()) {
      throw usage_error("give --balanced/--reduced, --orders or --label-attention");
    }
    json result = json::object();
    json row = json::object();
    json inputs = json::object();
    if (!balanced_.empty()) {
      const auto b = read_int_list(balanced_, "", "--balanced");
      const auto r = read_int_list(reduced_, "", "--reduced");
      const auto gap = with_context("--balanced/--reduced", [&] { return icl::attention::majority_label_gap(b, r); });
      result["majority_label_gap"] =
          json{{"balanced", number(gap.balanced)}, {"reduced", number(gap.reduced)}, {"gap", number(gap.gap)}};
      row["balanced_accuracy"] = number(gap.balanced);
      row["reduced_accuracy"] = number(gap.reduced);
      row["majority_label_gap"] = number(gap.gap);
      inputs["balanced"] = balanced_;
      inputs["reduced"] = reduced_;
    }
    if (!orders_.empty()) {
      const auto orders = read_int_rows(json(orders_), "", "--orders");
      const double s = with_context("--orders", [&] { return icl::attention::order_accuracy_std(orders, ddof_); });
      result["order_accuracy_std"] = number(s);
      result["orders"] = orders.size();
      row["order_accuracy_std"] = number(s);
      inputs["orders"] = orders_;
    }
    if (!attention_.empty()) {
      const icl::io::array a = load_float_tensor(attention_, "", 2, "label attention [orders, heads]");
      const auto s = icl_tool::visit_float(a, [&](auto tag) {
        return with_context(attention_, [&] {
          return icl::attention::label_attention_std(a.template matrix<decltype(tag)>(), ddof_);
        });
      });
      result["label_attention_std"] = numbers(s);
      for (std::size_t j = 0; j < s.size(); ++j) row["label_attention_std_" + std::to_string(j)] = number(s[j]);
      inputs["label_attention"] = attention_;
    }
    return write("bias", inputs, result, json::array({row}));
  }

 private:
  std::string balanced_, reduced_, orders_, attention_;
  std::size_t ddof_ = 0;
};

[[maybe_unused]] const bool registered = register_command<bias_command>("bias", 64);

}  // namespace

}  // namespace icl_tool
