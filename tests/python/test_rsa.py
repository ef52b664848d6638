"""RSA against scipy: RDMs (pdist), comparisons (spearmanr, kendalltau, pearsonr), inference."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import kendalltau, pearsonr, spearmanr

import icl_metrics as im


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "correlation", "cosine"])
def test_compute_rdm_matches_pdist(rng, metric):
    X = rng.standard_normal((25, 12))
    got = im.compute_rdm(X, dissimilarity=metric)
    assert got.dtype == np.float64 and got.shape == (25 * 24 // 2,)
    np.testing.assert_allclose(got, pdist(X, metric), rtol=1e-10, atol=1e-12)


def test_compute_rdm_default_is_correlation(rng):
    X = rng.standard_normal((10, 5))
    np.testing.assert_allclose(im.compute_rdm(X), pdist(X, "correlation"), rtol=1e-10)


def test_sqeuclidean_per_feature(rng):
    X = rng.standard_normal((9, 6))
    np.testing.assert_allclose(im.compute_rdm(X, "sqeuclidean_per_feature"), pdist(X, "sqeuclidean") / 6,
                               rtol=1e-10)


@pytest.mark.parametrize("method,reference", [
    ("spearman", lambda a, b: spearmanr(a, b).statistic),
    ("kendall_tau_b", lambda a, b: kendalltau(a, b).statistic),
    ("pearson", lambda a, b: pearsonr(a, b).statistic),
])
def test_compare_matches_scipy(rng, method, reference):
    a = pdist(rng.standard_normal((15, 4)))
    b = a + rng.standard_normal(a.shape)
    b[:10] = np.round(b[:10], 1)  # a few ties
    assert im.compare(a, b, method=method) == pytest.approx(reference(a, b), rel=1e-10)


def test_compare_accepts_lists_and_float32(rng):
    a = pdist(rng.standard_normal((6, 3)))
    b = pdist(rng.standard_normal((6, 3)))
    expected = im.compare(a, b)
    assert im.compare(list(a), list(b)) == expected
    assert im.compare(a.astype(np.float32), b.astype(np.float32)) == pytest.approx(expected, abs=1e-6)


def test_permutation_test(rng):
    a = pdist(rng.standard_normal((12, 4)))
    b = a + 0.5 * rng.standard_normal(a.shape)
    r = im.permutation_test(a, b, method="spearman", permutations=999, seed=3)
    assert r.statistic == pytest.approx(spearmanr(a, b).statistic, rel=1e-10)
    assert 0 < r.p_value <= 0.01
    assert r.permutations == 999
    again = im.permutation_test(a, b, method="spearman", permutations=999, seed=3, keep_null=True)
    assert again.p_value == r.p_value
    null = again.null_distribution
    assert null.shape == (999,)
    # p = (1 + #{|null| >= |observed|}) / (1 + N), two-sided
    count = np.sum(np.abs(null) >= abs(r.statistic) - 1e-12)
    assert r.p_value == pytest.approx((1 + count) / 1000)
    assert "PermutationResult(statistic=" in repr(r) and "p_value=" in repr(r)


def test_bootstrap_compare(rng):
    a = pdist(rng.standard_normal((12, 4)))
    b = a + rng.standard_normal(a.shape)
    r = im.bootstrap_compare(a, b, samples=200, seed=1)
    assert r.ci_low <= r.statistic <= r.ci_high
    assert r.samples == 200 and r.standard_error > 0
    assert repr(r).startswith("BootstrapResult(")


def test_hypothesis_rdms():
    labels = [0, 0, 1, 2]
    np.testing.assert_array_equal(im.categorical_rdm(labels),
                                  pdist(np.array(labels)[:, None], lambda u, v: float(u[0] != v[0])))
    values = np.array([0.5, 1.5, 4.0])
    np.testing.assert_allclose(im.parameter_rdm(values), pdist(values[:, None], "cityblock"))
    np.testing.assert_allclose(im.parameter_rdm(values, distance="squared"), pdist(values[:, None], "sqeuclidean"))


def test_rsa_curve_equals_the_per_layer_functions(rng):
    labels = np.arange(24) % 3
    H = rng.standard_normal((3, 24, 6))
    H[1] += 2.0 * np.eye(3)[labels] @ rng.standard_normal((3, 6))
    hypothesis = im.categorical_rdm(labels)
    c = im.rsa_curve(H, hypothesis, permutations=199, bootstrap_samples=50, seed=2)
    for l in range(3):
        rdm = im.compute_rdm(H[l])
        assert c.statistic[l] == im.compare(rdm, hypothesis)
        assert c.p_value[l] == im.permutation_test(rdm, hypothesis, permutations=199, seed=2).p_value
        boot = im.bootstrap_compare(rdm, hypothesis, samples=50, seed=2)
        assert (c.ci_low[l], c.ci_high[l]) == (boot.ci_low, boot.ci_high)
    assert c.peak_layer == 1
    np.testing.assert_array_equal(c.values, c.statistic)
    assert repr(c).startswith("RSACurve(statistic=[")
    H[2, 5] = np.nan
    with pytest.raises(im.Error, match=r"^icl::rsa::rsa_curve: layer 2: icl::rsa::compute_rdm"):
        im.rsa_curve(H, hypothesis, permutations=9, bootstrap_samples=0)


def test_rdm_from_square_is_squareform(rng):
    from scipy.spatial.distance import squareform
    D = squareform(pdist(rng.standard_normal((7, 3))))
    np.testing.assert_array_equal(im.rdm_from_square(D), squareform(D))
    D[0, 1] += 1.0
    with pytest.raises(im.Error, match="icl::rsa::rdm_from_square"):
        im.rdm_from_square(D)


def test_mahalanobis_and_crossnobis_match_numpy(rng):
    n, d = 6, 4
    X = rng.standard_normal((n, d))
    A = rng.standard_normal((d, d))
    P = A @ A.T + np.eye(d)
    expected = [(X[i] - X[j]) @ P @ (X[i] - X[j]) / d for i in range(n) for j in range(i + 1, n)]
    np.testing.assert_allclose(im.compute_rdm_mahalanobis(X, P), expected, rtol=1e-10)
    np.testing.assert_allclose(im.compute_rdm_mahalanobis(X.astype(np.float32), P.astype(np.float32)), expected,
                               rtol=1e-4)
    # Crossnobis: 3 conditions x 4 folds x 2 measurements, the documented formula.
    conditions = np.tile(np.repeat([10, 20, 30], 2), 4)
    folds = np.repeat(np.arange(4), 6)
    Y = rng.standard_normal((24, d)) + conditions[:, None] / 10.0
    def means(rows):
        return np.stack([Y[rows & (conditions == c)].mean(0) for c in (10, 20, 30)])
    total = np.zeros(3)
    for f in range(4):
        B, Aother = means(folds == f), means(folds != f)
        K = Aother @ P @ B.T
        total += [(K[i, i] + K[j, j] - K[i, j] - K[j, i]) / d for i in range(3) for j in range(i + 1, 3)]
    np.testing.assert_allclose(im.compute_rdm_crossnobis(Y, conditions, folds, P), total / 4, rtol=1e-10)
    identity = im.compute_rdm_crossnobis(Y, conditions, folds)
    np.testing.assert_allclose(identity, im.compute_rdm_crossnobis(Y, conditions, folds, np.eye(d)), rtol=1e-10)
    with pytest.raises(im.Error, match="icl::rsa::compute_rdm_mahalanobis"):
        im.compute_rdm_mahalanobis(X, np.eye(d + 1))


def test_within_between_test_matches_welch(rng):
    from scipy.stats import ttest_ind
    groups = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    rdm = pdist(rng.standard_normal((8, 3)) + groups[:, None])
    same = (groups[:, None] == groups[None, :])[np.triu_indices(8, 1)]
    r = im.within_between_test(rdm, groups, alternative="less")
    ref = ttest_ind(rdm[same], rdm[~same], equal_var=False, alternative="less")
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12) and r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert (r.within_pairs, r.between_pairs) == (same.sum(), (~same).sum())
    assert r.test.t == r.statistic and r.mean_within == pytest.approx(rdm[same].mean())
    assert repr(r).startswith("GroupTestResult(mean_within=")


def test_alignment_curve_and_icl_effect(rng):
    labels = np.arange(18) % 3
    H = rng.standard_normal((3, 18, 5))
    G = rng.standard_normal((3, 18, 5))
    hyp = im.categorical_rdm(labels)
    per_layer = [im.compare(im.compute_rdm(H[l]), hyp) for l in range(3)]
    assert [im.hypothesis_alignment(H[l], hyp) for l in range(3)] == per_layer
    np.testing.assert_array_equal(im.alignment_curve(H, hyp), per_layer)
    e = im.icl_effect(H, G, hyp, dissimilarity="euclidean", method="kendall_tau_a")
    np.testing.assert_array_equal(e.without_icl, im.alignment_curve(G, hyp, "euclidean", "kendall_tau_a"))
    np.testing.assert_array_equal(e.delta, e.with_icl - e.without_icl)
    assert repr(e).startswith("ICLEffect(with_icl=[")
    z = im.hypothesis_alignment(H[0], hyp, standardize="zscore_features")
    assert z == im.compare(im.compute_rdm(im.standardize(H[0])), hyp)


def test_p1_preset_is_max_pooling_zscore_cosine(rng):
    from scipy.stats import zscore
    layers, n, T, d = 2, 12, 5, 6
    tokens = rng.standard_normal((layers, n, T, d))
    positions = [1, 3, 4]
    hyp = im.categorical_rdm(np.arange(n) % 3)
    pooled = tokens[:, :, positions, :].max(axis=2)
    expected = pdist(zscore(pooled[1], axis=0), "cosine")
    np.testing.assert_allclose(im.p1_rdm(tokens[1], positions), expected, rtol=1e-10, atol=1e-12)
    c = im.p1_rsa_curve(tokens, positions, hyp, permutations=99, bootstrap_samples=20, seed=1)
    ref = im.rsa_curve(pooled, hyp, dissimilarity="cosine", standardize="zscore_features", permutations=99,
                       bootstrap_samples=20, seed=1)
    np.testing.assert_array_equal(c.statistic, ref.statistic)
    np.testing.assert_array_equal(c.p_value, ref.p_value)
    np.testing.assert_array_equal(c.ci_high, ref.ci_high)
    per_prompt = [[0, 2]] * n
    e = im.p1_icl_effect(tokens, per_prompt, tokens[:, :, :3], [2, 0], hyp)
    np.testing.assert_allclose(e.with_icl, [im.compare(im.p1_rdm(tokens[l], per_prompt), hyp) for l in range(2)])
    with pytest.raises(im.Error, match=r"^icl::rsa::p1_rsa_curve: layer 1: "):
        bad = tokens.copy()
        bad[1, 0, 3, 0] = np.inf
        im.p1_rsa_curve(bad, positions, hyp, permutations=9, bootstrap_samples=0)


def test_nan_policies(rng):
    from scipy.stats import spearmanr
    a = pdist(rng.standard_normal((8, 3)))
    b = a + rng.standard_normal(a.shape)
    b[4] = np.nan
    keep = ~np.isnan(b)
    assert im.compare(a, b, nan="omit") == pytest.approx(spearmanr(a[keep], b[keep]).statistic, rel=1e-12)
    assert np.isnan(im.compare(a, b, nan="propagate"))
    with pytest.raises(im.Error, match=r"icl::rsa::compare: b\[4\] is nan"):
        im.compare(a, b)
    X = rng.standard_normal((5, 4))
    X[2] = 1.0     # zero variance: the correlation dissimilarity of row 2 is undefined
    r = im.compute_rdm(X, "correlation", nan="propagate")
    undefined = [k for k, (i, j) in enumerate((i, j) for i in range(5) for j in range(i + 1, 5)) if 2 in (i, j)]
    assert np.all(np.isnan(r[undefined])) and np.isfinite(np.delete(r, undefined)).all()
    constant = np.ones_like(a)
    t = im.permutation_test(a, constant, permutations=9, nan="propagate")
    assert np.isnan(t.statistic) and np.isnan(t.p_value)
