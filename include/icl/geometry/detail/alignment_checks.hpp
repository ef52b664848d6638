#ifndef ICL_GEOMETRY_DETAIL_ALIGNMENT_CHECKS_HPP
#define ICL_GEOMETRY_DETAIL_ALIGNMENT_CHECKS_HPP

/// Argument checks of the separability / alignment functions of icl/geometry/alignment.hpp.
/// Each names the public function `fn` and the offending index or size.

#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/rms_norm.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/types.hpp"
#include "icl/probe/types.hpp"

namespace icl::geometry::detail {

/// Checks the options that do not depend on the data (d: the width of H).
inline void check_params(const char* fn, const separability_alignment_params& p, std::size_t d) {
  if (p.final_norm) icl::detail::check_rms_norm(fn, "final_norm", *p.final_norm, d);
  if (p.denoise_rank == 0) icl::detail::throw_invalid(fn, "denoise_rank r = 0 must be >= 1");
  if (p.singular_vectors == 0) icl::detail::throw_invalid(fn, "singular_vectors = 0 must be >= 1");
  if (p.argmax != lens_argmax::vocabulary && p.argmax != lens_argmax::label_rows) {
    icl::detail::throw_invalid(fn, "unknown argmax ", static_cast<int>(p.argmax));
  }
  if (p.separability && !(p.test_fraction > 0.0 && p.test_fraction < 1.0)) {
    icl::detail::throw_invalid(fn, "test_fraction = ", p.test_fraction, " must be in (0, 1)");
  }
  if (p.separability && !(p.probe.C > 0.0 && std::isfinite(p.probe.C))) {
    icl::detail::throw_invalid(fn, "probe.C = ", p.probe.C, " must be finite and > 0");
  }
}

/// Checks that every index of an explicit split is a row of H.
inline void check_split(const char* fn, const icl::probe::split_indices& split, std::size_t n) {
  for (const auto* part : {&split.train, &split.test}) {
    const char* name = part == &split.train ? "split.train" : "split.test";
    for (std::size_t k = 0; k < part->size(); ++k) {
      if ((*part)[k] >= n) {
        icl::detail::throw_invalid(fn, name, "[", k, "] = ", (*part)[k], " is out of range for H with ", n, " rows");
      }
    }
  }
}

/// Checks H, labels and the options of the probe-only form; returns the encoded labels.
template <class T>
icl::detail::encoded_labels check_separability_input(const char* fn, matrix_view<const T> H,
                                                     const std::vector<int>& labels,
                                                     const separability_alignment_params& p,
                                                     const icl::probe::split_indices* split) {
  icl::detail::check_matrix(fn, "H", H);
  if (H.empty()) icl::detail::throw_invalid(fn, "H is empty (", H.rows(), " x ", H.cols(), ")");
  auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  separability_alignment_params q = p;
  q.separability = true;
  check_params(fn, q, H.cols());
  if (split != nullptr) check_split(fn, *split, H.rows());
  icl::detail::require_finite(fn, "H", H);
  return enc;
}

/// Checks label_directions (or the unembedding with p.label_token_ids) against m classes and width d.
template <class U>
void check_label_directions(const char* fn, matrix_view<const U> D, std::size_t m, std::size_t d,
                            const separability_alignment_params& p) {
  if (D.cols() != d) {
    icl::detail::throw_invalid(fn, "label_directions has ", D.cols(), " columns but H has d = ", d);
  }
  if (p.label_token_ids.empty()) {
    if (D.rows() != m) {
      icl::detail::throw_invalid(fn, "label_directions has ", D.rows(), " rows but the labels hold ", m,
                                 " classes (one direction per class, in increasing label order)");
    }
  } else {
    if (p.label_token_ids.size() != m) {
      icl::detail::throw_invalid(fn, "label_token_ids has ", p.label_token_ids.size(), " entries but the labels hold ",
                                 m, " classes");
    }
    for (std::size_t c = 0; c < m; ++c) {
      if (p.label_token_ids[c] >= D.rows()) {
        icl::detail::throw_invalid(fn, "label_token_ids[", c, "] = ", p.label_token_ids[c],
                                   " is out of range for an unembedding of ", D.rows(), " rows");
      }
    }
  }
}

/// Checks H, labels and label_directions; returns the encoded labels.
template <class T, class U>
icl::detail::encoded_labels check_alignment_input(const char* fn, matrix_view<const T> H, const std::vector<int>& labels,
                                                  matrix_view<const U> D, const separability_alignment_params& p) {
  icl::detail::check_matrix(fn, "H", H);
  icl::detail::check_matrix(fn, "label_directions", D);
  if (H.empty()) icl::detail::throw_invalid(fn, "H is empty (", H.rows(), " x ", H.cols(), ")");
  auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  check_label_directions(fn, D, enc.n_classes(), H.cols(), p);
  check_params(fn, p, H.cols());
  icl::detail::require_finite(fn, "H", H);
  icl::detail::require_finite(fn, "label_directions", D);
  return enc;
}

/// Checks the input of directional_separability; returns the encoded labels (two classes).
template <class T>
icl::detail::encoded_labels check_directional_input(const char* fn, matrix_view<const T> H,
                                                    const std::vector<int>& labels, const std::vector<double>& u) {
  icl::detail::check_matrix(fn, "H", H);
  auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  if (enc.n_classes() != 2) {
    icl::detail::throw_invalid(fn, "labels hold ", enc.n_classes(), " classes, need exactly 2");
  }
  if (u.size() != H.cols()) icl::detail::throw_invalid(fn, "u has ", u.size(), " entries but H has d = ", H.cols());
  icl::detail::require_finite(fn, "H", H);
  icl::detail::require_finite(fn, "u", make_matrix_view(u.data(), 1, u.size()));
  return enc;
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_ALIGNMENT_CHECKS_HPP
