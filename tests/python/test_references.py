"""The references the package is measured against, beyond scipy: rsatoolbox (calc_rdm,
compare) and scikit-learn's leave-one-out kNN classifier. Skipped where a reference is not
installed (python/requirements-test.txt pins them)."""

import numpy as np
import pytest

import icl_metrics as im

rsatoolbox = pytest.importorskip("rsatoolbox")
from rsatoolbox.data import Dataset  # noqa: E402
from rsatoolbox.rdm import RDMs, calc_rdm  # noqa: E402
from rsatoolbox.rdm import compare as rsa_compare  # noqa: E402


def rsatoolbox_rdm(X, method, **kwargs):
    data = Dataset(X, obs_descriptors={"conds": np.arange(len(X))})
    return calc_rdm(data, method=method, descriptor="conds", **kwargs).get_vectors()[0]


@pytest.mark.parametrize("ours,theirs", [("sqeuclidean_per_feature", "euclidean"), ("correlation", "correlation")])
def test_compute_rdm_matches_calc_rdm(rng, ours, theirs):
    X = rng.standard_normal((20, 9))
    np.testing.assert_allclose(im.compute_rdm(X, ours), rsatoolbox_rdm(X, theirs), rtol=1e-10, atol=1e-12)


def test_mahalanobis_matches_calc_rdm(rng):
    X = rng.standard_normal((12, 5))
    A = rng.standard_normal((5, 5))
    P = A @ A.T + 0.5 * np.eye(5)
    np.testing.assert_allclose(im.compute_rdm_mahalanobis(X, P), rsatoolbox_rdm(X, "mahalanobis", noise=P),
                               rtol=1e-9)


def test_crossnobis_matches_calc_rdm(rng):
    conditions = np.tile(np.arange(5), 6)
    folds = np.repeat(np.arange(3), 10)
    X = rng.standard_normal((30, 4)) + conditions[:, None] * 0.3
    A = rng.standard_normal((4, 4))
    P = A @ A.T + np.eye(4)
    data = Dataset(X, obs_descriptors={"conds": conditions, "folds": folds})
    for noise in (None, P):
        theirs = calc_rdm(data, method="crossnobis", descriptor="conds", cv_descriptor="folds", noise=noise)
        ours = im.compute_rdm_crossnobis(X, conditions, folds, noise)
        np.testing.assert_allclose(ours, theirs.get_vectors()[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("ours,theirs", [("spearman", "spearman"), ("pearson", "corr"), ("kendall_tau_a", "tau-a"),
                                         ("rho_a", "rho-a"), ("cosine", "cosine"),
                                         ("whitened_cosine", "cosine_cov")])
def test_compare_matches_rsatoolbox(rng, ours, theirs):
    a = im.compute_rdm(rng.standard_normal((10, 4)), "euclidean")
    b = np.round(a + rng.standard_normal(a.shape), 1)    # ties
    expected = rsa_compare(RDMs(a[None, :]), RDMs(b[None, :]), method=theirs)[0, 0]
    assert im.compare(a, b, method=ours) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_task_decodability_is_leave_one_out_knn():
    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    from sklearn.model_selection import LeaveOneOut, cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier
    rng = np.random.default_rng(7)
    labels = np.arange(45) % 3
    X = rng.standard_normal((45, 8)) + np.eye(3, 8)[labels] * 1.5
    for k in (1, 5, 7):
        predicted = cross_val_predict(KNeighborsClassifier(n_neighbors=k), X, labels, cv=LeaveOneOut())
        r = im.task_decodability(X, labels, k=k)
        np.testing.assert_array_equal(r.predictions, predicted)
        assert r.overall == pytest.approx(np.mean(predicted == labels))
