#ifndef ICL_GEOMETRY_DETAIL_SEPARABILITY_IMPL_HPP
#define ICL_GEOMETRY_DETAIL_SEPARABILITY_IMPL_HPP

/// The separability score of one label pair (docs/metrics.md, section 4): a logistic probe fitted on the
/// training rows of the pair and its accuracy on the held-out rows. The pair's rows are copied
/// into dense compute-type blocks and handed to icl::probe::fit_logistic.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/types.hpp"
#include "icl/probe/cross_validation.hpp"
#include "icl/probe/logistic.hpp"
#include "icl/probe/model.hpp"

namespace icl::geometry::detail {

/// The seed of the split of pair p.
inline std::uint64_t pair_seed(std::uint64_t seed, std::size_t pair) {
  return seed + static_cast<std::uint64_t>(pair) * 0x9E3779B97F4A7C15ULL;
}

/// Rows `rows` of Hc as a dense block and their labels.
template <class C>
void gather(const C* Hc, std::size_t ldh, std::size_t d, const std::vector<std::size_t>& rows,
            const icl::detail::encoded_labels& enc, std::vector<C>& x, std::vector<int>& y) {
  x.resize(rows.size() * d);
  y.resize(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::copy_n(Hc + rows[r] * ldh, d, x.data() + r * d);
    y[r] = enc.classes[enc.codes[rows[r]]];
  }
}

/// The training and test rows (rows of H, increasing within each class) of the probe of the pair
/// (out.class_a, out.class_b) whose rows are idx: with `split` (explicit train/test rows of H)
/// the pair's rows of each part, otherwise a stratified random split of the pair's rows
/// (pair_seed(p.seed, pair_index)). Throws unless training holds both classes and test a row.
inline void pair_split(const char* fn, const std::vector<std::size_t>& idx, const icl::detail::encoded_labels& enc,
                       std::size_t pair_index, const icl::probe::split_indices* split,
                       const separability_alignment_params& p, const pair_alignment& out,
                       std::vector<std::size_t>& train, std::vector<std::size_t>& test) {
  const std::size_t a = out.class_a, b = out.class_b;
  const auto in_pair = [&](std::size_t i) { return enc.codes[i] == a || enc.codes[i] == b; };
  train.clear();
  test.clear();
  if (split != nullptr) {
    for (std::size_t i : split->train)
      if (in_pair(i)) train.push_back(i);
    for (std::size_t i : split->test)
      if (in_pair(i)) test.push_back(i);
  } else {
    for (std::size_t c : {a, b}) {
      if (enc.counts[c] < 2) {
        icl::detail::throw_invalid(fn, "label ", enc.classes[c], " has ", enc.counts[c],
                                   " row(s): separability needs at least 2 per class (one to train, one to test)");
      }
    }
    std::vector<int> y(idx.size());
    for (std::size_t r = 0; r < idx.size(); ++r) y[r] = enc.classes[enc.codes[idx[r]]];
    const auto s = icl::probe::stratified_split(y, p.test_fraction, pair_seed(p.seed, pair_index));
    for (std::size_t r : s.train) train.push_back(idx[r]);
    for (std::size_t r : s.test) test.push_back(idx[r]);
  }
  std::size_t train_a = 0;
  for (std::size_t i : train) train_a += enc.codes[i] == a ? 1 : 0;
  if (train_a == 0 || train_a == train.size() || test.empty()) {
    icl::detail::throw_invalid(fn, "the split of label pair (", out.label_a, ", ", out.label_b, ") has ", train_a,
                               " + ", train.size() - train_a, " training rows and ", test.size(),
                               " test rows: the probe needs both classes in training and a non-empty test part");
  }
}

/// Fills out.separability, probe_iterations and probe_converged for the pair (out.class_a,
/// out.class_b) whose rows are idx, on the rows pair_split chooses.
template <class C>
void pair_separability(const char* fn, const C* Hc, std::size_t ldh, std::size_t d, const std::vector<std::size_t>& idx,
                       const icl::detail::encoded_labels& enc, std::size_t pair_index,
                       const icl::probe::split_indices* split, const separability_alignment_params& p, pair_alignment& out) {
  std::vector<std::size_t> train, test;
  pair_split(fn, idx, enc, pair_index, split, p, out, train, test);
  std::vector<C> x;
  std::vector<int> y;
  // The rows are finite (checked once for all of H by the caller), so the probe's own entry
  // checks are made without its second pass over them: fit_logistic's checks but require_finite.
  gather(Hc, ldh, d, train, enc, x, y);
  const auto train_rows = make_matrix_view(x.data(), train.size(), d);
  const auto train_labels = icl::probe::detail::check_logistic_inputs("icl::probe::fit_logistic", train_rows, y, p.probe);
  const auto model = icl::probe::detail::fit_logistic_model(train_rows, train_labels, p.probe);
  gather(Hc, ldh, d, test, enc, x, y);
  const auto predicted = icl::probe::detail::predicted_classes(model, make_matrix_view(x.data(), test.size(), d));
  std::size_t hits = 0;
  for (std::size_t r = 0; r < test.size(); ++r) hits += predicted[r] == y[r] ? 1 : 0;
  out.separability = static_cast<double>(hits) / static_cast<double>(test.size());
  out.probe_iterations = model.report.iterations;
  out.probe_converged = model.report.converged;
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_SEPARABILITY_IMPL_HPP
