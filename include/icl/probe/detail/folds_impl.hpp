#ifndef ICL_PROBE_DETAIL_FOLDS_IMPL_HPP
#define ICL_PROBE_DETAIL_FOLDS_IMPL_HPP

/// Fold assignments, train/test splits and control-task labels behind
/// icl/probe/cross_validation.hpp. Every shuffle is an icl::counter_rng stream, so the same seed
/// gives the same rows on every platform.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/random.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe::detail {

inline void check_folds(const char* function, std::size_t folds, std::size_t n) {
  if (folds < 2) icl::detail::throw_invalid(function, "folds = ", folds, " must be >= 2");
  if (folds > n) icl::detail::throw_invalid(function, "folds = ", folds, " must be <= n = ", n);
}

/// Shuffled plain k-fold: a counter_rng(seed, 0) permutation of the rows dealt round-robin.
inline std::vector<std::size_t> plain_folds(const char* function, std::size_t n, const cv_params& cv) {
  check_folds(function, cv.folds, n);
  icl::counter_rng rng(cv.seed, 0);
  const std::vector<std::size_t> perm = rng.permutation(n);
  std::vector<std::size_t> fold(n);
  for (std::size_t j = 0; j < n; ++j) fold[perm[j]] = j % cv.folds;
  return fold;
}

/// Stratified k-fold: each class's members shuffled with counter_rng(seed, class index) and
/// dealt round-robin, continuing across classes.
inline std::vector<std::size_t> stratified_folds(const char* function, const icl::detail::encoded_labels& enc,
                                                 const cv_params& cv) {
  const std::size_t n = enc.codes.size();
  check_folds(function, cv.folds, n);
  for (std::size_t c = 0; c < enc.n_classes(); ++c) {
    if (enc.counts[c] < cv.folds) {
      icl::detail::throw_invalid(function, "class ", enc.classes[c], " has ", enc.counts[c],
                                 " member(s), fewer than folds = ", cv.folds);
    }
  }
  std::vector<std::vector<std::size_t>> members(enc.n_classes());
  for (std::size_t i = 0; i < n; ++i) members[enc.codes[i]].push_back(i);
  std::vector<std::size_t> fold(n);
  std::size_t offset = 0;  // round-robin continues across classes: overall sizes differ by <= 1
  for (std::size_t c = 0; c < members.size(); ++c) {
    icl::counter_rng rng(cv.seed, c);
    rng.shuffle(members[c].begin(), members[c].size());
    for (std::size_t j = 0; j < members[c].size(); ++j) fold[members[c][j]] = (offset + j) % cv.folds;
    offset = (offset + members[c].size()) % cv.folds;
  }
  return fold;
}

/// Checks explicit fold ids (one per row, values 0..F−1, every fold non-empty, F >= 2) and returns F.
inline std::size_t check_fold_ids(const char* function, const std::vector<std::size_t>& fold, std::size_t n) {
  if (fold.size() != n) icl::detail::throw_invalid(function, "fold_ids has ", fold.size(), " entries but X has ", n, " rows");
  std::size_t F = 0;
  for (std::size_t v : fold) F = std::max(F, v + 1);
  if (F < 2) icl::detail::throw_invalid(function, "fold_ids define ", F, " fold(s), need at least 2");
  std::vector<std::size_t> size(F, 0);
  for (std::size_t v : fold) ++size[v];
  for (std::size_t f = 0; f < F; ++f) {
    if (size[f] == 0) icl::detail::throw_invalid(function, "fold ", f, " of ", F, " is empty");
  }
  return F;
}

/// stratified_split after its checks of test_fraction and labels (non-empty).
inline split_indices stratified_split(const char* function, const std::vector<int>& labels, double test_fraction,
                                      std::uint64_t seed) {
  const auto enc = icl::detail::encode_labels(function, labels, labels.size(), 1, "labels");
  std::vector<std::vector<std::size_t>> members(enc.n_classes());
  for (std::size_t i = 0; i < labels.size(); ++i) members[enc.codes[i]].push_back(i);
  split_indices out;
  for (std::size_t c = 0; c < members.size(); ++c) {
    const std::size_t count = members[c].size();
    if (count < 2) {
      icl::detail::throw_invalid(function, "class ", enc.classes[c], " has ", count, " member(s), need at least 2");
    }
    icl::counter_rng rng(seed, c);
    rng.shuffle(members[c].begin(), count);
    auto n_test = static_cast<std::size_t>(std::floor(test_fraction * static_cast<double>(count) + 0.5));
    n_test = std::min(std::max<std::size_t>(n_test, 1), count - 1);
    out.test.insert(out.test.end(), members[c].begin(), members[c].begin() + static_cast<std::ptrdiff_t>(n_test));
    out.train.insert(out.train.end(), members[c].begin() + static_cast<std::ptrdiff_t>(n_test), members[c].end());
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.test.begin(), out.test.end());
  return out;
}

/// Control labels by input type, after the length checks: one label per type (increasing id
/// order) drawn from the empirical label distribution with counter_rng(seed).
inline std::vector<int> control_labels_by_type(const char* function, const std::vector<int>& labels,
                                               const std::vector<int>& input_type, std::uint64_t seed) {
  const auto types = icl::detail::encode_labels(function, input_type, labels.size(), 1, "labels");
  icl::counter_rng rng(seed, 0);
  std::vector<int> assigned(types.n_classes());
  for (std::size_t t = 0; t < types.n_classes(); ++t) assigned[t] = labels[rng.uniform_below(labels.size())];
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = assigned[types.codes[i]];
  return out;
}

/// Control labels without types: the labels under a counter_rng(seed) permutation.
inline std::vector<int> permuted_labels(const std::vector<int>& labels, std::uint64_t seed) {
  icl::counter_rng rng(seed, 0);
  const auto perm = rng.permutation(labels.size());
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = labels[perm[i]];
  return out;
}

}  // namespace icl::probe::detail

#endif  // ICL_PROBE_DETAIL_FOLDS_IMPL_HPP
