#ifndef ICL_ICL_HPP
#define ICL_ICL_HPP

/// icl-metrics: representation metrics for studying in-context learning.
///
/// The umbrella header: every host-side module. The file readers (icl/io/) and the adapters to
/// other array libraries (icl/interop/) are opt-in and not included here.

#include "icl/config.hpp"
#include "icl/version.hpp"

#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/random.hpp"
#include "icl/core/rank.hpp"
#include "icl/core/rms_norm.hpp"
#include "icl/core/stats.hpp"
#include "icl/core/view.hpp"

#include "icl/layers.hpp"

#include "icl/rsa/alignment.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"

#include "icl/probe/cross_validation.hpp"
#include "icl/probe/logistic.hpp"
#include "icl/probe/model.hpp"
#include "icl/probe/ridge.hpp"

#include "icl/decode/knn.hpp"

#include "icl/geometry/alignment.hpp"
#include "icl/geometry/cka.hpp"

#include "icl/attention/bias.hpp"
#include "icl/attention/heads.hpp"
#include "icl/attention/logit_lens.hpp"
#include "icl/attention/ratio.hpp"

#endif  // ICL_ICL_HPP
