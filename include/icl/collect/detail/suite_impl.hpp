#ifndef ICL_COLLECT_DETAIL_SUITE_IMPL_HPP
#define ICL_COLLECT_DETAIL_SUITE_IMPL_HPP

/// The per-layer suite of prompt_collector::run_suite: each family calls the module's own batch
/// function on the stored states (a strided view, no copy), layer by layer, so the results are
/// those of the batch functions on the same rows.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"
#include "icl/collect/detail/collector_impl.hpp"
#include "icl/collect/types.hpp"
#include "icl/decode/knn.hpp"
#include "icl/geometry/alignment.hpp"
#include "icl/geometry/cka.hpp"
#include "icl/probe/cross_validation.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"

namespace icl::collect::detail {

/// RDM, comparison with the hypothesis and permutation test per layer.
template <class S>
void run_rsa(const collector_state& s, tensor_view<const S, 3> H, const suite_params& p, std::size_t position,
             suite_result& out) {
  const char* fn = "icl::collect::prompt_collector::run_suite";
  const std::size_t n = H.extent(1);
  const rsa::rdm hypothesis = p.hypothesis ? *p.hypothesis : rsa::categorical_rdm(s.labels);
  if (hypothesis.n() != n) throw_invalid(fn, "the hypothesis RDM has ", hypothesis.n(), " conditions for ", n, " prompts");
  out.used_grown_rdm = p.use_grown_rdm && s.config.grown_rdm && *s.config.grown_rdm == p.dissimilarity &&
                       s.rdm_position == position;
  for (std::size_t l = 0; l < H.extent(0); ++l) {
    rsa::rdm r = out.used_grown_rdm ? grown_rdm(s, l) : rsa::compute_rdm(H.matrix(l), p.dissimilarity, p.rdm);
    out.rsa.push_back(rsa::permutation_test(r, hypothesis, p.comparison, p.permutation));
    out.rsa_curve.values.push_back(out.rsa.back().statistic);
    if (p.bootstrap) out.rsa_bootstrap.push_back(rsa::bootstrap_compare(r, hypothesis, p.comparison, *p.bootstrap));
    if (p.keep_rdms) out.rdms.push_back(std::move(r));
  }
}

/// Separability (with every alignment measure when label directions are given), effective
/// dimension and CKA of consecutive layers.
template <class S>
void run_geometry(const collector_state& s, tensor_view<const S, 3> H, const suite_params& p, suite_result& out) {
  const std::size_t L = H.extent(0);
  for (std::size_t l = 0; l < L; ++l) {
    if (p.separability) {
      out.geometry.push_back(p.label_directions.rows() > 0
                                 ? geometry::separability_alignment(H.matrix(l), s.labels, p.label_directions.view(),
                                                                    p.geometry)
                                 : geometry::separability(H.matrix(l), s.labels, p.geometry));
      out.separability_curve.values.push_back(out.geometry.back().separability);
    }
    if (p.effective_dimension) out.effective_dimension.values.push_back(geometry::effective_dimension(H.matrix(l)));
    if (p.cka && l + 1 < L) {
      out.cka_consecutive.values.push_back(geometry::linear_cka(H.matrix(l), H.matrix(l + 1), p.cka_debiased));
    }
  }
}

/// The attention accumulators of the prompts, merged in prompt order.
inline attention_summary run_attention(const collector_state& s) {
  attention_summary out;
  attention::previous_token_accumulator previous;
  attention::induction_accumulator induction(s.config.attention_options);
  attention::ratio_accumulator ratio(s.config.ratio_normalize, s.config.attention_options);
  for (const attention_record& r : s.attention) {
    if (r.previous_token) previous.merge(*r.previous_token);
    if (r.induction) induction.merge(*r.induction);
    if (r.ratio) ratio.merge(*r.ratio);
  }
  if (previous.prompts() > 0) {
    out.previous_token = previous.result();
    out.previous_token_curve = attention::mean_over_heads(*out.previous_token);
  }
  if (induction.prompts() > 0) {
    out.induction = induction.result();
    out.induction_curve = attention::mean_over_heads(*out.induction);
  }
  if (ratio.prompts() > 0) {
    out.ratio = ratio.result();
    out.ratio_curve = attention::mean_over_defined_heads(*out.ratio);
    out.ratio_of_sums = ratio.ratio_of_sums();
    out.ratio_of_sums_curve = attention::mean_over_defined_heads(*out.ratio_of_sums);
  }
  return out;
}

inline suite_result run_suite(collector_state& s, const suite_params& p) {
  const char* fn = "icl::collect::prompt_collector::run_suite";
  sort(s);
  if (prompt_count(s) == 0) throw_invalid(fn, "no prompt was added");
  suite_result out;
  out.prompt_indices = s.indices;
  out.labels = s.labels;
  out.position = resolve_position(fn, s.config, p.position);
  visit_states(s, out.position, [&](auto H) {
    if (p.rsa) run_rsa(s, H, p, out.position, out);
    if (p.decodability) out.decodability = decode::decodability_curve(H, s.labels, p.decode);
    if (p.probes) {
      for (std::size_t l = 0; l < H.extent(0); ++l) {
        out.probes.push_back(probe::cross_validate_logistic(H.matrix(l), s.labels, p.probe, p.cv));
        out.probe_curve.values.push_back(out.probes.back().mean);
      }
    }
    run_geometry(s, H, p, out);
  });
  if (p.attention) out.attention = run_attention(s);
  return out;
}

}  // namespace icl::collect::detail

#endif  // ICL_COLLECT_DETAIL_SUITE_IMPL_HPP
