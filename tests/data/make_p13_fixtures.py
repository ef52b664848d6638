"""Reference fixtures for the [P1] RSA preset and the behaviour-metric association
(METRICS.md 1.1, 1.5, 5b; tests/rsa/test_p1.cpp, tests/core/test_association.cpp).

Run from the repository root after installing the pinned packages:

    python3 -m venv .venv
    .venv/bin/pip install -r tests/data/requirements.txt
    .venv/bin/python tests/data/make_p13_fixtures.py

Every input is drawn from numpy's default_rng with a fixed seed.  Writes into tests/data/:

    rsa_p1.txt          the [P1] pipeline: max-pool over a token subset, z-score each
                        feature across prompts, cosine RDM, Spearman with a hypothesis
    association.txt     Pearson/Spearman r, least-squares line, t-test p-values, exact
                        permutation p-values, a bootstrap percentile interval

Format: tests/data/fixture_writer.py.
"""

import itertools
import math
import sys

import numpy as np
import scipy
import scipy.stats
from scipy.spatial.distance import pdist

from fixture_writer import FixtureWriter

VERSIONS = "numpy {} scipy {} (python {})".format(np.__version__, scipy.__version__,
                                                 sys.version.split()[0])


def writer(file_name, description):
    return FixtureWriter(file_name, description, "make_p13_fixtures.py", VERSIONS)


# --------------------------------------------------------------------------------------
# rsa_p1.txt
# --------------------------------------------------------------------------------------

def p1_rdm(tokens, subsets):
    """tokens [n, T, d]: max over each prompt's subset, z-score per feature (ddof=0) across
    prompts, cosine distances (scipy pdist order)."""
    pooled = np.array([tokens[i, s].max(axis=0) for i, s in enumerate(subsets)])
    z = (pooled - pooled.mean(axis=0)) / pooled.std(axis=0)
    assert np.allclose(z, scipy.stats.zscore(pooled, axis=0, ddof=0), rtol=1e-12, atol=1e-14)
    rdm = pdist(z, "cosine")
    # cosine RSM = 1 - RDM, written out directly as a check
    norms = np.linalg.norm(z, axis=1)
    rsm = (z @ z.T) / np.outer(norms, norms)
    iu = np.triu_indices(z.shape[0], 1)
    assert np.allclose(1.0 - rsm[iu], rdm, rtol=1e-10, atol=1e-12)
    return rdm


def token_states(rng, s, direction, strength, length):
    """[layers, n, length, d] token states: strength[l] * s_i * direction plus noise (sd 0.7) and a
    random shift of each feature per layer (layers = len(strength), n = len(s))."""
    layers, n, d = len(strength), len(s), len(direction)
    tokens = np.empty((layers, n, length, d))
    for l in range(layers):
        tokens[l] = strength[l] * s[:, None, None] * direction[None, None, :] \
            + 0.7 * rng.standard_normal((n, length, d)) + rng.uniform(-2.0, 2.0, size=(1, 1, d))
    return tokens


def make_p1_fixtures():
    w = writer("rsa_p1.txt", """
The [P1] preset (Yousefi et al., arXiv 2310.00313).  tokens (3 layers, 9 prompts, 5 token
positions, 6 features).  subset: the token positions pooled for every prompt;
per-prompt subsets: positions_flat[positions_offsets[i] : positions_offsets[i+1]].
rdm_shared[l] / rdm_per[l] = pdist(zscore(max over the subset, axis=0, ddof=0), 'cosine')
(condensed, scipy order); hyp = |s_i - s_j| for a latent scalar s per prompt;
align_shared[l] = scipy.stats.spearmanr(rdm_shared[l], hyp).statistic, align_per likewise.
tokens_none (3 layers, 9 prompts, 4 positions, 6 features): the prompts without demonstrations;
align_none[l]: the same pipeline over subset_none (the ICL effect is align_shared - align_none).
""")
    rng = np.random.default_rng(20241301)
    layers, n, length, d = 3, 9, 5, 6
    s = rng.uniform(-1.0, 1.0, size=n)
    direction = rng.standard_normal(d)
    strength = np.array([0.2, 2.5, 1.0])
    tokens = token_states(rng, s, direction, strength, length)
    subset = np.array([3, 0, 4])
    sizes = rng.integers(1, length + 1, size=n)
    subsets = [rng.choice(length, size=k, replace=False) for k in sizes]
    hyp = pdist(s[:, None], "cityblock")
    rdm_shared = np.array([p1_rdm(tokens[l], [subset] * n) for l in range(layers)])
    rdm_per = np.array([p1_rdm(tokens[l], subsets) for l in range(layers)])
    align_shared = [scipy.stats.spearmanr(r, hyp).statistic for r in rdm_shared]
    align_per = [scipy.stats.spearmanr(r, hyp).statistic for r in rdm_per]
    # The same prompts without demonstrations: another token count, another subset.
    length_none = 4
    tokens_none = token_states(rng, s, direction, 0.3 * strength, length_none)
    subset_none = np.array([1, 3])
    align_none = [scipy.stats.spearmanr(p1_rdm(tokens_none[l], [subset_none] * n), hyp).statistic
                  for l in range(layers)]
    print("  P1 alignment without ICL:    ", np.round(align_none, 4))
    print("  P1 alignment (shared subset):", np.round(align_shared, 4))
    print("  P1 alignment (per-prompt):   ", np.round(align_per, 4))
    w.f8("tokens", tokens)
    w.i8("subset", subset)
    w.i8("positions_flat", np.concatenate(subsets))
    w.i8("positions_offsets", np.concatenate([[0], np.cumsum(sizes)]))
    w.f8("hyp", hyp)
    w.f8("rdm_shared", rdm_shared)
    w.f8("rdm_per", rdm_per)
    w.f8("align_shared", align_shared)
    w.f8("align_per", align_per)
    w.f8("tokens_none", tokens_none)
    w.i8("subset_none", subset_none)
    w.f8("align_none", align_none)
    w.write()


# --------------------------------------------------------------------------------------
# association.txt
# --------------------------------------------------------------------------------------

def exact_permutation_p(x, y, stat, alternative):
    """#{permutations of y: stat extreme} / n!, identity included (the limit of the Monte-Carlo
    p-value (1 + count) / (1 + N))."""
    obs = stat(x, y)
    values = np.array([stat(x, y[list(p)]) for p in itertools.permutations(range(len(y)))])
    assert values.size == math.factorial(len(y))
    if alternative == "two_sided":
        hits = np.abs(values) >= abs(obs) - 1e-12
    elif alternative == "greater":
        hits = values >= obs - 1e-12
    else:
        hits = values <= obs + 1e-12
    return hits.mean()


def make_association_fixtures():
    w = writer("association.txt", """
Behaviour against metric (METRICS.md 1.5, 5b).
Case a (n = 12, ties in x and y): a_x, a_y; a_pearson = pearsonr, a_spearman = spearmanr,
a_slope / a_intercept / a_r_squared from scipy.stats.linregress (r_squared = rvalue^2, checked
against 1 - SS_res/SS_tot); a_pearson_p_{two_sided,greater,less} = pearsonr(..., alternative)
.pvalue; a_spearman_p_{two_sided,greater,less} likewise from spearmanr;
a_boot_pearson_ci / a_boot_spearman_ci = scipy.stats.bootstrap((x, y), paired=True,
method='percentile', confidence_level=0.95, n_resamples=20000, random_state=1).
Case e (n = 6): e_x, e_y; e_exact_{pearson,spearman}_{two_sided,greater,less} =
#{permutations of y: r extreme} / 720 (two_sided |r_k| >= |r| - 1e-12, greater r_k >= r - 1e-12,
less r_k <= r + 1e-12), identity included.
Case t (n = 40): t_x, t_y; t_pearson_p = pearsonr(...).pvalue (two-sided), t_spearman_p likewise;
t_scipy_permutation_{pearson,spearman}_p = scipy.stats.permutation_test((t_y,), r(t_x, .),
permutation_type='pairings', n_resamples=20000, alternative='two-sided', random_state=5).pvalue.
""")
    rng = np.random.default_rng(20241302)
    # a: TD-like metric against accuracy over 12 layers, with ties.
    x = np.round(rng.uniform(0.3, 0.9, size=12), 2)
    x[5] = x[2]
    y = np.round(0.4 * x + 0.05 * rng.standard_normal(12), 2)
    y[7] = y[1]
    pr = scipy.stats.pearsonr(x, y)
    sr = scipy.stats.spearmanr(x, y)
    lr = scipy.stats.linregress(x, y)
    fitted = lr.intercept + lr.slope * x
    r2 = 1.0 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert abs(r2 - lr.rvalue ** 2) < 1e-12 and abs(lr.rvalue - pr.statistic) < 1e-12
    w.f8("a_x", x)
    w.f8("a_y", y)
    w.f8("a_pearson", pr.statistic)
    w.f8("a_spearman", sr.statistic)
    w.f8("a_slope", lr.slope)
    w.f8("a_intercept", lr.intercept)
    w.f8("a_r_squared", lr.rvalue ** 2)
    for alt, name in (("two-sided", "two_sided"), ("greater", "greater"), ("less", "less")):
        w.f8("a_pearson_p_" + name, scipy.stats.pearsonr(x, y, alternative=alt).pvalue)
        w.f8("a_spearman_p_" + name, scipy.stats.spearmanr(x, y, alternative=alt).pvalue)

    def pearson(u, v):
        return scipy.stats.pearsonr(u, v).statistic

    def spearman(u, v):
        return scipy.stats.spearmanr(u, v).statistic

    for name, fn in (("pearson", pearson), ("spearman", spearman)):
        boot = scipy.stats.bootstrap((x, y), fn, paired=True, vectorized=False, method="percentile",
                                     confidence_level=0.95, n_resamples=20000, random_state=1)
        w.f8("a_boot_%s_ci" % name, [boot.confidence_interval.low, boot.confidence_interval.high])
        print("  bootstrap %s CI: %s" % (name, np.round(boot.confidence_interval, 4)))

    # e: small n for exact enumeration.
    ex = rng.standard_normal(6)
    ey = 0.6 * ex + 0.8 * rng.standard_normal(6)
    w.f8("e_x", ex)
    w.f8("e_y", ey)
    for name, fn in (("pearson", pearson), ("spearman", spearman)):
        for alt in ("two_sided", "greater", "less"):
            p = exact_permutation_p(ex, ey, fn, alt)
            w.f8("e_exact_%s_%s" % (name, alt), p)
            print("  exact permutation %s %s: %.6f" % (name, alt, p))

    # t: larger n, for the permutation p against the t-test p.
    tx = rng.standard_normal(40)
    ty = 0.12 * tx + rng.standard_normal(40)
    w.f8("t_x", tx)
    w.f8("t_y", ty)
    w.f8("t_pearson_p", scipy.stats.pearsonr(tx, ty).pvalue)
    w.f8("t_spearman_p", scipy.stats.spearmanr(tx, ty).pvalue)
    # scipy's own permutation test (other random stream: comparable in distribution only).
    for name, fn in (("pearson", pearson), ("spearman", spearman)):
        res = scipy.stats.permutation_test((ty,), lambda v: fn(tx, v), permutation_type="pairings",
                                           n_resamples=20000, alternative="two-sided", random_state=5)
        w.f8("t_scipy_permutation_%s_p" % name, res.pvalue)
        print("  scipy permutation_test %s: %.4f" % (name, res.pvalue))
    print("  t case p: pearson %.4f spearman %.4f" % (scipy.stats.pearsonr(tx, ty).pvalue,
                                                      scipy.stats.spearmanr(tx, ty).pvalue))
    w.write()


def main():
    print("using", VERSIONS)
    make_p1_fixtures()
    make_association_fixtures()


if __name__ == "__main__":
    main()
