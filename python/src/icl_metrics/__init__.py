"""icl_metrics: representation metrics for studying in-context learning.

RSA (RDMs, comparisons, permutation and bootstrap inference, hypothesis RDMs), probes and
cross-validation, task decodability, geometry (CKA, effective dimension) and attention head
scores, computed by the header-only C++ library icl-metrics on numpy arrays, torch tensors and
anything else that speaks DLPack -- float16, bfloat16 (ml_dtypes), float32 and float64 are read
in place, through their strides, without a copy.

Invalid input raises icl_metrics.Error (a ValueError) with the library's message.
"""

from ._core import (
    AlignmentResult,
    BootstrapResult,
    CVResult,
    DecodabilityCurve,
    DecodabilityResult,
    LinearModel,
    Error,
    LabelAttention,
    LabelBias,
    PermutationResult,
    RSACurve,
    attention_ratio,
    bootstrap_compare,
    build_info,
    categorical_rdm,
    cka_matrix,
    compare,
    compute_rdm,
    cross_validate_logistic,
    cross_validate_ridge,
    decodability_curve,
    effective_dimension,
    effective_dimension_curve,
    fit_logistic,
    fit_ridge,
    get_num_threads,
    induction_score,
    label_attention,
    label_bias,
    linear_cka,
    pairwise_decodability,
    parameter_rdm,
    permutation_test,
    pool_tokens,
    previous_token_score,
    rsa_curve,
    separability_alignment,
    set_num_threads,
    standardize,
    task_decodability,
    top_heads,
)

try:  # the file readers, when the package was built with the io component
    from ._core import load
except ImportError:
    pass

__version__ = build_info()["version"]

__all__ = [
    "AlignmentResult",
    "BootstrapResult",
    "CVResult",
    "DecodabilityCurve",
    "DecodabilityResult",
    "LinearModel",
    "Error",
    "LabelAttention",
    "LabelBias",
    "PermutationResult",
    "RSACurve",
    "attention_ratio",
    "bootstrap_compare",
    "build_info",
    "categorical_rdm",
    "cka_matrix",
    "compare",
    "compute_rdm",
    "cross_validate_logistic",
    "cross_validate_ridge",
    "decodability_curve",
    "effective_dimension",
    "effective_dimension_curve",
    "fit_logistic",
    "fit_ridge",
    "get_num_threads",
    "induction_score",
    "label_attention",
    "label_bias",
    "linear_cka",
    *(["load"] if "io" in build_info()["components"] else []),
    "pairwise_decodability",
    "parameter_rdm",
    "permutation_test",
    "pool_tokens",
    "previous_token_score",
    "rsa_curve",
    "separability_alignment",
    "set_num_threads",
    "standardize",
    "task_decodability",
    "top_heads",
]
