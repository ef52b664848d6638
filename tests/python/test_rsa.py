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
