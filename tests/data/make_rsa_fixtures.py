"""Reference fixtures for the RSA tests (METRICS.md section 1).

Run from the repository root after installing the pinned packages:

    python3 -m venv .venv
    .venv/bin/pip install -r tests/data/requirements.txt
    .venv/bin/python tests/data/make_rsa_fixtures.py

Every input is drawn from numpy's default_rng with a fixed seed, so the output is
reproducible.  The script writes into tests/data/:

    rsa_rdm.txt         dissimilarities (1.2): scipy pdist, rsatoolbox calc_rdm
    rsa_compare.txt     RDM comparisons (1.4): scipy.stats, rsatoolbox compare_*
    rsa_hypothesis.txt  hypothesis RDMs (1.3)
    rsa_embedding.txt   pooling and standardization (1.1)
    rsa_inference.txt   Welch t-test, Student t tail, exact permutation p-values (1.5)
    rsa_layers.txt      per-layer hypothesis alignment (1.5, 6)

File format (read by tests/support/fixture.hpp).  Lines starting with '#' are
comments.  A record starts with a header line

    @ NAME KIND NDIM D0 D1 ...

with KIND 'f8' (double) or 'i8' (integer) and NDIM 0 for a scalar, followed by
prod(shape) values (one for a scalar) separated by whitespace or newlines, in C
(row-major) order.  Doubles are written with '%.17g', which reads back exactly;
non-finite values are written 'nan', 'inf', '-inf'.

Condensed RDMs use the order of scipy.spatial.distance.squareform: the strict upper
triangle, row by row.

Every rsatoolbox value is checked in this script against an independent numpy or
scipy computation; a disagreement stops the script with an assertion error.
"""

import importlib
import itertools
import sys
import warnings
from importlib.metadata import version

import numpy as np
import scipy
import scipy.stats
from scipy.spatial.distance import pdist, squareform

from rsatoolbox.data import Dataset
from rsatoolbox.rdm import calc_rdm

from fixture_writer import FixtureWriter

# rsatoolbox.rdm re-exports a function named `compare`, which hides the module of the
# same name from attribute access; fetch the module itself.
rsa_compare = importlib.import_module("rsatoolbox.rdm.compare")

VERSIONS = "numpy {} scipy {} rsatoolbox {} (python {})".format(
    np.__version__, scipy.__version__, version("rsatoolbox"),
    sys.version.split()[0])

PDIST_METHODS = ("euclidean", "sqeuclidean", "correlation", "cosine")


def writer(file_name, description):
    """A fixture file of this script (format: tests/data/fixture_writer.py)."""
    return FixtureWriter(file_name, description, "make_rsa_fixtures.py", VERSIONS)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def spd_matrix(rng, d, low=0.5, high=2.0):
    """Symmetric positive-definite matrix with eigenvalues in [low, high]."""
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eig = rng.uniform(low, high, size=d)
    p = (q * eig) @ q.T
    return 0.5 * (p + p.T)


def rsa_rdm_vector(rdms):
    """Condensed vector of a single-RDM rsatoolbox RDMs object."""
    vec = rdms.get_vectors()
    assert vec.shape[0] == 1
    return vec[0]


def rel_close(x, y, rtol=1e-12, atol=0.0):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)


def max_rel_diff(x, y):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(y), np.finfo(float).tiny)))


def n_from_condensed(m):
    n = int(round((1 + np.sqrt(1 + 8 * m)) / 2))
    assert n * (n - 1) // 2 == m
    return n


# --------------------------------------------------------------------------------------
# rsa_rdm.txt (METRICS.md 1.2)
# --------------------------------------------------------------------------------------

def mahalanobis_numpy(x, p):
    """(x_i - x_j)^T P (x_i - x_j) / d for i < j, computed from the differences."""
    n, d = x.shape
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            diff = x[i] - x[j]
            out.append(diff @ p @ diff / d)
    return np.array(out)


# Crossnobis as rsatoolbox 0.3.2 computes it (calc_rdm_crossnobis with a single
# precision matrix P, remove_mean=False), read from src/rsatoolbox/rdm/calc.py:
#
#   1. The dataset is stably sorted by the condition descriptor.  Conditions are then
#      indexed by their sorted unique value (average_dataset_by keeps first-appearance
#      order, which after the sort is ascending order), and the returned RDM is sorted
#      once more by the descriptor ('alpha' = np.argsort, numeric for numbers).  So row
#      k of the RDM is the k-th smallest condition value.
#   2. Folds are the sorted unique values of the cv descriptor.  For each fold f
#      (leave-one-fold-out; NOT all pairs of folds):
#         A_f[k] = mean of ALL measurements of condition k whose fold != f
#                  (a pooled mean over the training rows, not a mean of fold means),
#         B_f[k] = mean of the measurements of condition k in fold f,
#         K_f    = A_f P B_f^T                      (n_cond x n_cond, not symmetric),
#         d_f(i, j) = (K_f[i,i] + K_f[j,j] - K_f[i,j] - K_f[j,i]) / d,  d = n_channels,
#      i.e. d_f(i, j) = (a_i - a_j)^T P (b_i - b_j) / d  with a = A_f rows, b = B_f rows.
#   3. rdm = (1 / n_folds) * sum_f d_f  (plain average over the folds).
#   (Only with a list of per-fold precisions does it instead use all fold pairs f < g,
#    each with the fold means of f and g and precision inv((V_f + V_g)/2).)
def crossnobis_numpy(x, conds, folds, p):
    d = x.shape[1]
    cond_values = np.unique(conds)
    fold_values = np.unique(folds)
    n = len(cond_values)
    total = np.zeros(n * (n - 1) // 2)
    for f in fold_values:
        a = np.array([x[(conds == c) & (folds != f)].mean(axis=0) for c in cond_values])
        b = np.array([x[(conds == c) & (folds == f)].mean(axis=0) for c in cond_values])
        out = []
        for i in range(n):
            for j in range(i + 1, n):
                out.append((a[i] - a[j]) @ p @ (b[i] - b[j]) / d)
        total += np.array(out)
    return total / len(fold_values)


def make_rdm_fixtures():
    w = writer("rsa_rdm.txt", """
Dissimilarities (METRICS.md 1.2).  Condensed vectors in scipy squareform order.
X (12,7) standard normal; rdm_* from scipy pdist on X, except
rdm_sqeuclidean_per_feature (rsatoolbox calc_rdm 'euclidean' = sqeuclidean / d) and
rdm_mahalanobis (rsatoolbox calc_rdm 'mahalanobis', noise=P: (x_i-x_j)^T P (x_i-x_j) / d).
X_big (70,33) normal with per-row offsets and scales; big_rdm_* likewise
(big_rdm_sqeuclidean_per_feature = pdist sqeuclidean / d, checked against rsatoolbox).
Crossnobis: cn_X (24,5) rows in shuffled order, 6 conditions (cn_conditions) x 4 folds
(cn_folds), one row per condition and fold; cn_P precision; rdm_crossnobis from
rsatoolbox calc_rdm(method='crossnobis', descriptor='conds', cv_descriptor='folds',
noise=cn_P): for each fold f, A = per-condition mean of the rows outside f, B = that of
fold f, K = A P B^T, d_ij = (K_ii + K_jj - K_ij - K_ji) / d; averaged over the 4 folds;
conditions in ascending order of their value.
""")
    rng = np.random.default_rng(20240101)
    x = rng.standard_normal((12, 7))
    n, d = x.shape
    w.f8("X", x)
    for method in ("euclidean", "sqeuclidean"):
        w.f8("rdm_" + method, pdist(x, method))

    per_feature_rsa = rsa_rdm_vector(calc_rdm(Dataset(x), method="euclidean"))
    per_feature_np = pdist(x, "sqeuclidean") / d
    assert rel_close(per_feature_rsa, per_feature_np, rtol=1e-12), \
        max_rel_diff(per_feature_rsa, per_feature_np)
    print("  rsatoolbox 'euclidean' == sqeuclidean/d: max rel diff %.2e"
          % max_rel_diff(per_feature_rsa, per_feature_np))
    w.f8("rdm_sqeuclidean_per_feature", per_feature_rsa)

    for method in ("correlation", "cosine"):
        w.f8("rdm_" + method, pdist(x, method))
    corr_rsa = rsa_rdm_vector(calc_rdm(Dataset(x), method="correlation"))
    assert rel_close(corr_rsa, pdist(x, "correlation"), rtol=1e-12)

    p = spd_matrix(rng, d)
    assert np.linalg.cond(p) < 10
    w.f8("P", p)
    maha_rsa = rsa_rdm_vector(calc_rdm(Dataset(x), method="mahalanobis", noise=p))
    maha_np = mahalanobis_numpy(x, p)
    assert rel_close(maha_rsa, maha_np, rtol=1e-12), max_rel_diff(maha_rsa, maha_np)
    print("  mahalanobis rsatoolbox vs numpy: max rel diff %.2e" % max_rel_diff(maha_rsa, maha_np))
    w.f8("rdm_mahalanobis", maha_rsa)

    rng_big = np.random.default_rng(20240102)
    n_big, d_big = 70, 33
    offsets = rng_big.uniform(-3.0, 3.0, size=(n_big, 1))
    scales = rng_big.uniform(0.5, 2.5, size=(n_big, 1))
    x_big = offsets + scales * rng_big.standard_normal((n_big, d_big))
    w.f8("X_big", x_big)
    big = {m: pdist(x_big, m) for m in PDIST_METHODS}
    big["sqeuclidean_per_feature"] = big["sqeuclidean"] / d_big
    big_rsa = rsa_rdm_vector(calc_rdm(Dataset(x_big), method="euclidean"))
    assert rel_close(big_rsa, big["sqeuclidean_per_feature"], rtol=1e-11)
    print("  big: rsatoolbox 'euclidean' vs pdist/d: max rel diff %.2e"
          % max_rel_diff(big_rsa, big["sqeuclidean_per_feature"]))
    for method in ("euclidean", "sqeuclidean", "sqeuclidean_per_feature", "correlation", "cosine"):
        w.f8("big_rdm_" + method, big[method])

    # Crossnobis: condition patterns plus measurement noise, rows shuffled.
    rng_cn = np.random.default_rng(20240103)
    n_cond, n_fold, d_cn = 6, 4, 5
    patterns = rng_cn.standard_normal((n_cond, d_cn))
    conds = np.repeat(np.arange(n_cond), n_fold)
    folds = np.tile(np.arange(n_fold), n_cond)
    order = rng_cn.permutation(n_cond * n_fold)
    conds, folds = conds[order], folds[order]
    cn_x = patterns[conds] + 0.7 * rng_cn.standard_normal((n_cond * n_fold, d_cn))
    cn_p = spd_matrix(rng_cn, d_cn)
    w.f8("cn_X", cn_x)
    w.i8("cn_conditions", conds)
    w.i8("cn_folds", folds)
    w.f8("cn_P", cn_p)
    ds = Dataset(cn_x, obs_descriptors={"conds": conds, "folds": folds})
    with warnings.catch_warnings():
        # rsatoolbox fills an integer descriptor with NaN while building the RDMs
        # object; the cast warning does not touch the dissimilarities.
        warnings.simplefilter("ignore", RuntimeWarning)
        cn_rsa_rdms = calc_rdm(ds, method="crossnobis", descriptor="conds",
                               cv_descriptor="folds", noise=cn_p)
    assert list(cn_rsa_rdms.pattern_descriptors["conds"]) == list(range(n_cond))
    cn_rsa = rsa_rdm_vector(cn_rsa_rdms)
    cn_np = crossnobis_numpy(cn_x, conds, folds, cn_p)
    assert rel_close(cn_rsa, cn_np, rtol=1e-10, atol=1e-13), max_rel_diff(cn_rsa, cn_np)
    print("  crossnobis rsatoolbox vs numpy: max abs diff %.2e" % np.max(np.abs(cn_rsa - cn_np)))
    w.f8("rdm_crossnobis", cn_rsa)
    w.write()


# --------------------------------------------------------------------------------------
# rsa_compare.txt (METRICS.md 1.4)
# --------------------------------------------------------------------------------------

def tau_a_bruteforce(a, b):
    """(C - D) / (m(m-1)/2); a pair tied in a or in b counts as neither."""
    m = a.size
    s = 0
    for start in range(0, m, 512):
        sa = np.sign(a[start:start + 512, None] - a[None, :])
        sb = np.sign(b[start:start + 512, None] - b[None, :])
        s += int(np.sum(sa * sb))
    # every unordered pair was counted twice, the diagonal contributes 0
    return (s // 2) / (m * (m - 1) // 2)


def whitened_cosine_numpy(a, b):
    """METRICS.md 1.4: G = -1/2 C D C, cosine of the G's as Frobenius vectors."""
    n = n_from_condensed(a.size)
    c = np.eye(n) - np.ones((n, n)) / n

    def second_moment(v):
        return -0.5 * c @ squareform(v) @ c

    ga, gb = second_moment(a), second_moment(b)
    na, nb = np.sqrt(np.sum(ga * ga)), np.sqrt(np.sum(gb * gb))
    return float(np.sum(ga * gb) / (na * nb))


def whitened_cosine_weighted_vector(a, b):
    """Same value, written as rsatoolbox's vector form: [upper * sqrt(2), diagonal]."""
    n = n_from_condensed(a.size)
    c = np.eye(n) - np.ones((n, n)) / n
    iu = np.triu_indices(n, 1)

    def vec(v):
        g = -0.5 * c @ squareform(v) @ c
        return np.concatenate([g[iu] * np.sqrt(2.0), np.diag(g)])

    va, vb = vec(a), vec(b)
    return float(va @ vb / np.sqrt((va @ va) * (vb @ vb)))


def rsa_scalar(fn, a, b, **kwargs):
    value = fn(np.asarray(a, float), np.asarray(b, float), **kwargs)
    value = np.asarray(value)
    assert value.shape == (1, 1), value.shape
    return float(value[0, 0])


def add_compare_case(w, prefix, a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    m = a.size
    w.f8(prefix + "_a", a)
    w.f8(prefix + "_b", b)
    ranks_a = scipy.stats.rankdata(a, method="average")
    ranks_b = scipy.stats.rankdata(b, method="average")
    w.f8(prefix + "_ranks_a", ranks_a)

    pearson = scipy.stats.pearsonr(a, b).statistic
    spearman = scipy.stats.spearmanr(a, b).statistic
    tau_b = scipy.stats.kendalltau(a, b, variant="b").statistic
    w.f8(prefix + "_pearson", pearson)
    w.f8(prefix + "_spearman", spearman)
    w.f8(prefix + "_kendall_tau_b", tau_b)

    tau_a = rsa_scalar(rsa_compare.compare_kendall_tau_a, a, b)
    tau_a_bf = tau_a_bruteforce(a, b)
    assert abs(tau_a - tau_a_bf) <= 1e-14, (tau_a, tau_a_bf)
    w.f8(prefix + "_kendall_tau_a", tau_a)

    rho_a = rsa_scalar(rsa_compare.compare_rho_a, a, b)
    ra, rb = ranks_a - ranks_a.mean(), ranks_b - ranks_b.mean()
    assert rel_close(rho_a, 12.0 * (ra @ rb) / (m ** 3 - m), rtol=1e-12)
    w.f8(prefix + "_rho_a", rho_a)

    cosine = rsa_scalar(rsa_compare.compare_cosine, a, b)
    assert rel_close(cosine, a @ b / np.sqrt((a @ a) * (b @ b)), rtol=1e-12)
    w.f8(prefix + "_cosine", cosine)

    wc = whitened_cosine_numpy(a, b)
    assert rel_close(wc, whitened_cosine_weighted_vector(a, b), rtol=1e-12)
    wc_rsa = rsa_scalar(rsa_compare.compare_cosine_cov_weighted, a, b, sigma_k=None)
    agree = rel_close(wc, wc_rsa, rtol=1e-10)
    print("  %s: whitened cosine numpy %.17g rsatoolbox %.17g (%s, rel diff %.1e)"
          % (prefix, wc, wc_rsa, "agree" if agree else "DIFFER", abs(wc - wc_rsa) / abs(wc)))
    assert agree
    w.f8(prefix + "_whitened_cosine", wc)
    w.f8(prefix + "_whitened_cosine_rsatoolbox", wc_rsa)


def make_compare_fixtures():
    w = writer("rsa_compare.txt", """
RDM comparisons (METRICS.md 1.4).  Cases cont_ (m=45, continuous), ties_ (m=45, many
ties), big_ (m=4950, integers 0..20).  For each case <c>:
<c>_a, <c>_b; <c>_ranks_a = scipy.stats.rankdata(a, 'average');
<c>_pearson, <c>_spearman, <c>_kendall_tau_b: scipy.stats pearsonr / spearmanr / kendalltau;
<c>_kendall_tau_a, <c>_rho_a, <c>_cosine: rsatoolbox compare_kendall_tau_a / compare_rho_a /
compare_cosine;  <c>_whitened_cosine: numpy, G = -1/2 C D C, Frobenius cosine of the G's;
<c>_whitened_cosine_rsatoolbox: rsatoolbox compare_cosine_cov_weighted (sigma_k None).
allequal_a (constant, m=10) vs allequal_b: allequal_kendall_tau_a, allequal_rho_a,
allequal_cosine, allequal_whitened_cosine (rsatoolbox values).
zero_a (all zeros, m=10) vs zero_b: allequal_cosine_zero = rsatoolbox compare_cosine
(0 by rsatoolbox's zero-norm rule).
""")
    rng = np.random.default_rng(20240201)
    a = rng.standard_normal(45)
    b = 0.6 * a + 0.8 * rng.standard_normal(45)
    add_compare_case(w, "cont", a, b)

    a = rng.integers(0, 5, size=45).astype(float)
    b = np.round(0.8 * a + rng.normal(0.0, 1.0, size=45))
    assert len(np.unique(a)) <= 5 and len(np.unique(b)) < 20
    add_compare_case(w, "ties", a, b)

    a = rng.integers(0, 21, size=4950).astype(float)
    b = np.clip(np.round(0.7 * a + rng.normal(3.0, 4.0, size=4950)), 0, 20)
    add_compare_case(w, "big", a, b)

    # Undefined / degenerate inputs with values defined by rsatoolbox.
    allequal_a = np.full(10, 0.75)
    allequal_b = rng.standard_normal(10)
    w.f8("allequal_a", allequal_a)
    w.f8("allequal_b", allequal_b)
    tau_a = rsa_scalar(rsa_compare.compare_kendall_tau_a, allequal_a, allequal_b)
    assert tau_a == 0.0 and tau_a_bruteforce(allequal_a, allequal_b) == 0.0
    w.f8("allequal_kendall_tau_a", tau_a)
    rho_a = rsa_scalar(rsa_compare.compare_rho_a, allequal_a, allequal_b)
    assert rho_a == 0.0
    w.f8("allequal_rho_a", rho_a)
    w.f8("allequal_cosine", rsa_scalar(rsa_compare.compare_cosine, allequal_a, allequal_b))
    wc_rsa = rsa_scalar(rsa_compare.compare_cosine_cov_weighted, allequal_a, allequal_b)
    assert rel_close(wc_rsa, whitened_cosine_numpy(allequal_a, allequal_b), rtol=1e-10)
    w.f8("allequal_whitened_cosine", wc_rsa)

    zero_a = np.zeros(10)
    zero_b = rng.standard_normal(10)
    w.f8("zero_a", zero_a)
    w.f8("zero_b", zero_b)
    cos_zero = rsa_scalar(rsa_compare.compare_cosine, zero_a, zero_b)
    assert cos_zero == 0.0
    w.f8("allequal_cosine_zero", cos_zero)
    w.write()


# --------------------------------------------------------------------------------------
# rsa_hypothesis.txt (METRICS.md 1.3)
# --------------------------------------------------------------------------------------

def make_hypothesis_fixtures():
    w = writer("rsa_hypothesis.txt", """
Hypothesis RDMs (METRICS.md 1.3), n = 9 conditions, condensed in squareform order.
categorical: 0 where labels agree, 1 otherwise.  parameter: |params_i - params_j|.
square: a symmetric 9x9 matrix with zero diagonal; square_condensed = squareform(square).
""")
    rng = np.random.default_rng(20240301)
    labels = rng.permutation(np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]))
    labels[rng.integers(0, 9)] = rng.integers(0, 3)  # uneven group sizes are fine
    params = rng.uniform(-2.0, 3.0, size=9)
    n = labels.size
    iu = np.triu_indices(n, 1)
    categorical = (labels[:, None] != labels[None, :]).astype(float)[iu]
    parameter = np.abs(params[:, None] - params[None, :])[iu]
    assert np.array_equal(categorical, pdist(labels[:, None].astype(float), lambda u, v: float(u[0] != v[0])))
    assert rel_close(parameter, pdist(params[:, None], "cityblock"), rtol=1e-15)
    raw = rng.uniform(0.0, 2.0, size=(n, n))
    square = raw + raw.T
    np.fill_diagonal(square, 0.0)
    w.i8("labels", labels)
    w.f8("categorical", categorical)
    w.f8("params", params)
    w.f8("parameter", parameter)
    w.f8("square", square)
    w.f8("square_condensed", squareform(square))
    w.write()


# --------------------------------------------------------------------------------------
# rsa_embedding.txt (METRICS.md 1.1)
# --------------------------------------------------------------------------------------

def make_embedding_fixtures():
    w = writer("rsa_embedding.txt", """
Pooling and standardization (METRICS.md 1.1).
tokens (5 prompts, 6 positions, 4 features).  Prompt i pools the positions
positions_flat[positions_offsets[i] : positions_offsets[i+1]] (distinct, unsorted).
pool_max / pool_mean: element-wise max / mean over those positions;
pool_last: the row at the largest position of the subset.
Z (8,5) with per-feature offsets and scales; zscore_features = scipy.stats.zscore(Z, axis=0,
ddof=0), zscore_rows = scipy.stats.zscore(Z, axis=1, ddof=0).
""")
    rng = np.random.default_rng(20240401)
    n_prompt, n_pos, d = 5, 6, 4
    tokens = rng.standard_normal((n_prompt, n_pos, d))
    sizes = [3, 2, 6, 4, 3]
    subsets = []
    for size in sizes:
        while True:
            subset = rng.choice(n_pos, size=size, replace=False)
            if np.any(np.diff(subset) < 0):  # make sure the order is not ascending
                break
        subsets.append(subset)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    flat = np.concatenate(subsets)
    pool_max = np.array([tokens[i, s].max(axis=0) for i, s in enumerate(subsets)])
    pool_mean = np.array([tokens[i, s].mean(axis=0) for i, s in enumerate(subsets)])
    pool_last = np.array([tokens[i, s.max()] for i, s in enumerate(subsets)])
    w.f8("tokens", tokens)
    w.i8("positions_flat", flat)
    w.i8("positions_offsets", offsets)
    w.f8("pool_max", pool_max)
    w.f8("pool_mean", pool_mean)
    w.f8("pool_last", pool_last)

    z = rng.uniform(-5.0, 5.0, size=(1, 5)) + rng.uniform(0.3, 4.0, size=(1, 5)) * \
        rng.standard_normal((8, 5))
    w.f8("Z", z)
    zf = scipy.stats.zscore(z, axis=0, ddof=0)
    zr = scipy.stats.zscore(z, axis=1, ddof=0)
    assert rel_close(zf, (z - z.mean(0)) / z.std(0), rtol=1e-12, atol=1e-15)
    assert rel_close(zr, (z - z.mean(1, keepdims=True)) / z.std(1, keepdims=True),
                     rtol=1e-12, atol=1e-15)
    w.f8("zscore_features", zf)
    w.f8("zscore_rows", zr)
    w.write()


# --------------------------------------------------------------------------------------
# rsa_inference.txt (METRICS.md 1.5)
# --------------------------------------------------------------------------------------

def permute_condensed(v, perm):
    """Condensed RDM of the conditions reordered by perm (rows and columns together)."""
    full = squareform(v)
    return squareform(full[np.ix_(perm, perm)], checks=False)


def make_inference_fixtures():
    w = writer("rsa_inference.txt", """
Inference (METRICS.md 1.5).
Welch: w_rdm (45, condensed, n=10), w_groups (10); within = entries of pairs in the same
group, between = the rest (condensed order); scipy.stats.ttest_ind(within, between,
equal_var=False): welch_t, welch_p_two_sided, welch_p_less (alternative='less');
welch_df = Welch-Satterthwaite (sample variances, ddof=1).
Student t upper tail: tdist_sf = scipy.stats.t.sf(tdist_t, tdist_df) over
t in {0.1, 1, 2.5, 12} (outer) x df in {1, 2.5, 10, 300} (inner).
Exact permutation: p_a, p_b (15, n=6); p_*_obs = statistic of (p_a, p_b);
p_exact_* = #{perm of 6 conditions: |stat(p_a permuted on rows and columns, p_b)| >=
|stat_obs| - 1e-12} / 720, identity included.
""")
    rng = np.random.default_rng(20240501)
    groups = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    groups = groups[rng.permutation(10)]
    n = groups.size
    iu = np.triu_indices(n, 1)
    same = (groups[:, None] == groups[None, :])[iu]
    rdm = rng.uniform(0.4, 1.2, size=same.size) - 0.25 * same
    within, between = rdm[same], rdm[~same]
    res = scipy.stats.ttest_ind(within, between, equal_var=False)
    res_less = scipy.stats.ttest_ind(within, between, equal_var=False, alternative="less")
    v1 = within.var(ddof=1) / within.size
    v2 = between.var(ddof=1) / between.size
    df = (v1 + v2) ** 2 / (v1 ** 2 / (within.size - 1) + v2 ** 2 / (between.size - 1))
    t = (within.mean() - between.mean()) / np.sqrt(v1 + v2)
    assert rel_close(t, res.statistic, rtol=1e-12) and rel_close(df, res.df, rtol=1e-12)
    assert rel_close(res.pvalue, 2 * scipy.stats.t.sf(abs(t), df), rtol=1e-12)
    w.f8("w_rdm", rdm)
    w.i8("w_groups", groups)
    w.f8("welch_t", res.statistic)
    w.f8("welch_df", df)
    w.f8("welch_p_two_sided", res.pvalue)
    w.f8("welch_p_less", res_less.pvalue)

    ts, dfs = [0.1, 1.0, 2.5, 12.0], [1.0, 2.5, 10.0, 300.0]
    grid_t = np.repeat(ts, len(dfs))
    grid_df = np.tile(dfs, len(ts))
    w.f8("tdist_t", grid_t)
    w.f8("tdist_df", grid_df)
    w.f8("tdist_sf", scipy.stats.t.sf(grid_t, grid_df))

    n_cond = 6
    pa = rng.standard_normal(n_cond * (n_cond - 1) // 2)
    pb = 0.5 * pa + rng.standard_normal(pa.size)
    stats = {
        "spearman": lambda u, v: scipy.stats.spearmanr(u, v).statistic,
        "pearson": lambda u, v: scipy.stats.pearsonr(u, v).statistic,
    }
    w.f8("p_a", pa)
    w.f8("p_b", pb)
    for name, fn in stats.items():
        obs = fn(pa, pb)
        values = np.array([fn(permute_condensed(pa, np.array(perm)), pb)
                           for perm in itertools.permutations(range(n_cond))])
        assert values.size == 720
        hits = np.abs(values) >= abs(obs) - 1e-12
        # no permutation may sit at the threshold, so the count is robust to rounding
        near = np.abs(np.abs(values) - abs(obs)) < 1e-9
        # Pearson: only the identity is at the threshold.  Spearman on 15 untied values
        # takes values 1 - 6*sum(d^2)/(m^3 - m), so the permutations near the threshold
        # are exactly tied with the observed value and must all be counted.
        assert name == "spearman" or int(near.sum()) == 1, (name, int(near.sum()))
        assert np.all(hits[near])
        p_exact = hits.sum() / values.size
        print("  exact permutation %s: obs %.6f, p = %d/720 (%d at the threshold)"
              % (name, obs, int(hits.sum()), int(near.sum())))
        w.f8("p_%s_obs" % name, obs)
        w.f8("p_exact_%s" % name, p_exact)
    w.write()


# --------------------------------------------------------------------------------------
# rsa_layers.txt (METRICS.md 1.5 and 6)
# --------------------------------------------------------------------------------------

def make_layer_fixtures():
    w = writer("rsa_layers.txt", """
Per-layer hypothesis alignment (METRICS.md 1.5, 6).  H (4 layers, 10 conditions, 6
features); hyp = |s_i - s_j| for a latent scalar s per condition (condensed);
align_spearman_correlation[l] = spearmanr(pdist(H[l], 'correlation'), hyp);
align_pearson_euclidean[l] = pearsonr(pdist(H[l], 'euclidean'), hyp).
""")
    rng = np.random.default_rng(20240601)
    n_layer, n, d = 4, 10, 6
    s = rng.uniform(-1.0, 1.0, size=n)
    hyp = pdist(s[:, None], "cityblock")
    direction = rng.standard_normal(d)
    strength = np.array([0.3, 1.5, 4.0, 2.0])  # structure peaks at layer 2
    h = np.empty((n_layer, n, d))
    for layer in range(n_layer):
        h[layer] = strength[layer] * np.outer(s, direction) \
            + 0.6 * rng.standard_normal((n, d)) + rng.uniform(-1.0, 1.0, size=(1, d))
    spearman = [scipy.stats.spearmanr(pdist(h[l], "correlation"), hyp).statistic
                for l in range(n_layer)]
    pearson = [scipy.stats.pearsonr(pdist(h[l], "euclidean"), hyp).statistic
               for l in range(n_layer)]
    print("  layer alignment spearman/correlation:", np.round(spearman, 3))
    print("  layer alignment pearson/euclidean:   ", np.round(pearson, 3))
    w.f8("H", h)
    w.f8("hyp", hyp)
    w.f8("align_spearman_correlation", spearman)
    w.f8("align_pearson_euclidean", pearson)
    w.write()


def main():
    print("using", VERSIONS)
    make_rdm_fixtures()
    make_compare_fixtures()
    make_hypothesis_fixtures()
    make_embedding_fixtures()
    make_inference_fixtures()
    make_layer_fixtures()


if __name__ == "__main__":
    main()
