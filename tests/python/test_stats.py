"""The statistical tests against scipy.stats: Mann-Whitney U, Welch's t-test, behaviour against
a metric (pearsonr, spearmanr, linregress), and the [P2] head-depth test."""

import numpy as np
import pytest
from scipy import stats

import icl_metrics as im


@pytest.mark.parametrize("alternative", ["two_sided", "greater", "less"])
def test_mann_whitney_u_matches_scipy(rng, alternative):
    scipy_alt = alternative.replace("_", "-")
    for x, y in [(rng.standard_normal(6), rng.standard_normal(5) + 0.5),          # exact
                 (rng.integers(0, 5, 30).astype(float), rng.integers(1, 6, 25))]:  # ties: normal
        got = im.mann_whitney_u(x, y, alternative=alternative)
        ref = stats.mannwhitneyu(x, y, alternative=scipy_alt, method="auto")
        assert got.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert got.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert repr(got).startswith("TestResult(statistic=")


def test_welch_t_test_matches_scipy(rng):
    a, b = rng.standard_normal(12), 1.5 * rng.standard_normal(20) + 0.4
    got = im.welch_t_test(a, b, alternative="less")
    ref = stats.ttest_ind(a, b, equal_var=False, alternative="less")
    assert got.t == pytest.approx(ref.statistic, rel=1e-12)
    assert got.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert (got.n_a, got.n_b) == (12, 20) and got.mean_a == pytest.approx(a.mean())
    assert repr(got).startswith("WelchResult(t=")
    with pytest.raises(im.Error, match="icl::stats::welch_t_test: both samples have zero variance"):
        im.welch_t_test([1.0, 1.0], [2.0, 2.0])


def test_behaviour_association_matches_scipy(rng):
    x = rng.standard_normal(20)
    y = 0.6 * x + rng.standard_normal(20)
    r = im.behaviour_association(x, y, permutations=999, bootstrap_samples=200, seed=3)
    assert r.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic, rel=1e-12)
    assert r.spearman_r == pytest.approx(stats.spearmanr(x, y).statistic, rel=1e-12)
    line = stats.linregress(x, y)
    assert (r.slope, r.intercept) == (pytest.approx(line.slope, rel=1e-12), pytest.approx(line.intercept, rel=1e-12))
    assert r.r_squared == pytest.approx(line.rvalue ** 2, rel=1e-12)
    assert r.analytic_p_value == pytest.approx(stats.pearsonr(x, y).pvalue, rel=1e-9)
    assert 0 < r.p_value <= 1 and r.permutations == 999 and r.n == 20
    assert r.ci_low <= r.statistic <= r.ci_high
    s = im.behaviour_association(x, y, statistic="spearman", permutations=0, bootstrap_samples=0)
    assert s.statistic == s.spearman_r and np.isnan(s.p_value) and np.isnan(s.ci_low)
    assert s.analytic_p_value == pytest.approx(stats.spearmanr(x, y).pvalue, rel=1e-9)
    x[3] = np.nan
    omitted = im.behaviour_association(x, y, nan="omit", permutations=0, bootstrap_samples=0)
    keep = ~np.isnan(x)
    assert omitted.n == 19 and omitted.pearson_r == pytest.approx(stats.pearsonr(x[keep], y[keep]).statistic)
    with pytest.raises(im.Error, match="icl::stats::behaviour_association"):
        im.behaviour_association(x, y)
    assert repr(r).startswith("AssociationResult(n=20, pearson_r=")


def test_head_layer_mann_whitney():
    previous_token = [(0, 1), (1, 3), (1, 0), (2, 2)]
    induction = [(3, 1), (4, 0), (2, 5), (5, 5), (4, 4)]
    got = im.head_layer_mann_whitney(induction, previous_token, alternative="greater")
    ref = stats.mannwhitneyu([l for l, _ in induction], [l for l, _ in previous_token], alternative="greater")
    assert got.statistic == ref.statistic and got.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    with pytest.raises(im.Error, match="icl::geometry::head_layer_mann_whitney"):
        im.head_layer_mann_whitney([], induction)
    with pytest.raises(im.Error, match=r"must be a \(layer, head\) pair"):
        im.head_layer_mann_whitney([(1, 2, 3)], induction)


def test_errors_name_the_function():
    with pytest.raises(im.Error, match="icl::stats::mann_whitney_u"):
        im.mann_whitney_u([], [1.0])
    with pytest.raises(im.Error, match="'sideways' is not a icl::alternative"):
        im.mann_whitney_u([1.0], [2.0], alternative="sideways")


def test_distributions_match_scipy():
    from scipy import special
    for t, df in [(0.3, 4.0), (-2.5, 11.5), (8.0, 2.0), (1.0, np.inf)]:
        assert im.student_t_sf(t, df) == pytest.approx(stats.t.sf(t, df), rel=1e-12)
        assert im.student_t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-12)
    for x in (-3.0, 0.0, 1.7, 9.0):
        assert im.normal_sf(x) == pytest.approx(stats.norm.sf(x), rel=1e-14)
        assert im.normal_cdf(x) == pytest.approx(stats.norm.cdf(x), rel=1e-14)
    assert im.regularized_incomplete_beta(2.5, 0.5, 0.3) == pytest.approx(special.betainc(2.5, 0.5, 0.3), rel=1e-13)
    with pytest.raises(im.Error, match="icl::stats::student_t_sf: df must be > 0"):
        im.student_t_sf(1.0, 0.0)
    with pytest.raises(im.Error, match="icl::stats::regularized_incomplete_beta"):
        im.regularized_incomplete_beta(1.0, 1.0, 1.5)
