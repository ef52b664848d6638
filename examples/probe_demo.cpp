// Probes on generated hidden states: a toy "model" whose deeper layers encode a task label (4
// classes) and a continuous task parameter (a slope) more and more linearly.
// Prints, per layer, the 5-fold cross-validated accuracy of a logistic probe and the R² of a
// ridge probe, then at the peak layer: one fit with its convergence report, the [P2] 50/50
// split accuracy, and the selectivity against a control task (Hewitt & Liang 2019).
//
// Build and run (./scripts/demo does not build the examples):
//   cmake --preset dev && cmake --build --preset dev --target example_probe_demo
//   ./build/dev/examples/example_probe_demo
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <icl/core/random.hpp>
#include <icl/probe/cross_validation.hpp>
#include <icl/probe/logistic.hpp>
#include <icl/probe/ridge.hpp>

int main() {
  const std::size_t layers = 6, n = 200, d = 512, classes = 4;
  icl::counter_rng rng(7);
  auto normal = [&rng] {
    const double u1 = rng.uniform01() + 1e-300, u2 = rng.uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  std::vector<int> label(n), input_type(n);
  std::vector<double> slope(n);
  for (std::size_t i = 0; i < n; ++i) {
    label[i] = static_cast<int>(i % classes);
    input_type[i] = static_cast<int>(i % 20);  // 20 "word types", 10 samples each
    slope[i] = 2.0 * rng.uniform01() - 1.0;
  }
  // Class directions and a slope direction; their gain grows with the layer.
  std::vector<double> class_dir(classes * d), slope_dir(d);
  for (auto& v : class_dir) v = normal() / std::sqrt(static_cast<double>(d));
  for (auto& v : slope_dir) v = normal() / std::sqrt(static_cast<double>(d));
  std::vector<float> states(layers * n * d);  // [layers, n, d], C order, float like a model dump
  for (std::size_t l = 0; l < layers; ++l) {
    const double gain = 0.5 * static_cast<double>(l);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const double signal = gain * (class_dir[static_cast<std::size_t>(label[i]) * d + j] + 2.0 * slope[i] * slope_dir[j]);
        states[(l * n + i) * d + j] = static_cast<float>(normal() + signal);
      }
  }
  const auto H = icl::make_tensor_view<float, 3>(states.data(), {layers, n, d});

  icl::probe::logistic_params lp;  // C = 1, scikit-learn's objective; dual solver here (n <= d)
  icl::probe::cv_params cv;        // 5 stratified folds, seed 0
  icl::probe::ridge_params rp;     // alpha = 1
  const icl::layer_curve accuracy = icl::probe::logistic_curve(H, label, lp, cv);
  const icl::layer_curve r2 = icl::probe::ridge_curve(H, slope, rp, cv);
  std::printf("layer  logistic CV accuracy  ridge CV R^2\n");
  for (std::size_t l = 0; l < layers; ++l) std::printf("%5zu  %20.3f  %12.3f\n", l, accuracy[l], r2[l]);
  const std::size_t peak = accuracy.peak_layer();
  std::printf("peak logistic layer: %zu (accuracy %.3f); peak ridge layer: %zu (R^2 %.3f)\n", peak,
              accuracy.peak_value(), r2.peak_layer(), r2.peak_value());

  const auto X = H.matrix(peak);
  const icl::probe::linear_model model = icl::probe::fit_logistic(X, label, lp);
  const std::string method(icl::to_string(model.report.method));  // "logistic_dual" or "logistic_primal"
  std::printf("fit at layer %zu: %s, %zu iterations, gradient norm %.3g (initial %.3g), converged: %s\n", peak,
              method.c_str(), model.report.iterations, model.report.gradient_norm, model.report.initial_gradient_norm,
              model.report.converged ? "yes" : "no");

  // [P2] split mode: a random stratified half trains, the other half scores.
  const auto split = icl::probe::stratified_split(label, 0.5, 1);
  std::vector<float> train_rows, test_rows;
  std::vector<int> train_labels, test_labels;
  for (std::size_t i : split.train) {
    for (std::size_t j = 0; j < d; ++j) train_rows.push_back(X(i, j));
    train_labels.push_back(label[i]);
  }
  for (std::size_t i : split.test) {
    for (std::size_t j = 0; j < d; ++j) test_rows.push_back(X(i, j));
    test_labels.push_back(label[i]);
  }
  const auto half = icl::probe::fit_logistic(icl::make_matrix_view(train_rows.data(), train_labels.size(), d),
                                             train_labels, lp);
  std::printf("50/50 split accuracy at layer %zu: %.3f\n", peak,
              icl::probe::score_accuracy(half, icl::make_matrix_view(test_rows.data(), test_labels.size(), d),
                                         test_labels));

  const auto sel = icl::probe::selectivity(X, label, input_type, lp, cv, 3);
  std::printf("selectivity at layer %zu: task %.3f - control %.3f = %.3f\n", peak, sel.task.mean, sel.control.mean,
              sel.selectivity);
  return 0;
}
