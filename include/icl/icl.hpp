#ifndef ICL_ICL_HPP
#define ICL_ICL_HPP

/// icl-metrics: representation metrics for studying in-context learning.
///
/// The umbrella header: every host-side module. The file readers (icl/io/) and the adapters to
/// other array libraries (icl/interop/) are opt-in and not included here.

#include "icl/config.hpp"
#include "icl/version.hpp"

#include "icl/core/association.hpp"
#include "icl/core/association_types.hpp"
#include "icl/core/condensed.hpp"
#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/mann_whitney.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/preprocess.hpp"
#include "icl/core/preprocess_types.hpp"
#include "icl/core/random.hpp"
#include "icl/core/rank.hpp"
#include "icl/core/rms_norm.hpp"
#include "icl/core/stats.hpp"
#include "icl/core/stats_types.hpp"
#include "icl/core/view.hpp"
#include "icl/core/widen.hpp"

#include "icl/layers.hpp"

#include "icl/rsa/alignment.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/p1.hpp"
#include "icl/rsa/rdm.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

#include "icl/probe/cross_validation.hpp"
#include "icl/probe/logistic.hpp"
#include "icl/probe/model.hpp"
#include "icl/probe/ridge.hpp"
#include "icl/probe/types.hpp"

#include "icl/decode/knn.hpp"
#include "icl/decode/types.hpp"

#include "icl/geometry/alignment.hpp"
#include "icl/geometry/alignment_types.hpp"
#include "icl/geometry/cka.hpp"
#include "icl/geometry/head_layers.hpp"
#include "icl/geometry/retention.hpp"
#include "icl/geometry/spectrum.hpp"
#include "icl/geometry/task_vectors.hpp"
#include "icl/geometry/types.hpp"

#include "icl/attention/bias.hpp"
#include "icl/attention/heads.hpp"
#include "icl/attention/in_context_heads.hpp"
#include "icl/attention/logit_lens.hpp"
#include "icl/attention/ratio.hpp"
#include "icl/attention/types.hpp"
#include "icl/attention/value_output.hpp"

#include "icl/collect/collector.hpp"
#include "icl/collect/types.hpp"

#endif  // ICL_ICL_HPP
