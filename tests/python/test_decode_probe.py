"""Decodability against scikit-learn's leave-one-out kNN; probes against LogisticRegression."""

import numpy as np
import pytest

import icl_metrics as im

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402


def loo_knn_predictions(X, labels, k):
    """Majority vote of the k nearest other points; ties to the smallest label (the library's
    documented rule: with distinct distances this is KNeighborsClassifier under LeaveOneOut)."""
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    out = []
    for i, row in enumerate(idx):
        neighbours = [j for j in row if j != i][:k]
        votes = np.bincount(labels[neighbours], minlength=labels.max() + 1)
        out.append(int(np.argmax(votes)))
    return np.array(out)


def test_task_decodability_matches_loo_knn(states):
    X, labels = states
    r = im.task_decodability(X, labels, k=5)
    pred = loo_knn_predictions(X, labels, 5)
    np.testing.assert_array_equal(r.predictions, pred)
    assert r.overall == pytest.approx(np.mean(pred == labels))
    per_class = [np.mean(pred[labels == c] == c) for c in range(3)]
    np.testing.assert_allclose(r.per_class, per_class)
    np.testing.assert_array_equal(r.classes, [0, 1, 2])
    assert "DecodabilityResult(overall=" in repr(r)


def test_decodability_curve_equals_per_layer(states, rng):
    X, labels = states
    H = np.stack([X, rng.standard_normal(X.shape), X * 2.0])
    c = im.decodability_curve(H, labels, k=5)
    expected = [im.task_decodability(H[l], labels, k=5).overall for l in range(3)]
    np.testing.assert_array_equal(c.values, expected)
    assert c.peak_layer == int(np.argmax(expected))
    assert len(c.layers) == 3 and c.layers[1].overall == expected[1]


def test_pairwise_decodability(states):
    X, labels = states
    P = im.pairwise_decodability(X, labels, k=3)
    assert P.shape == (3, 3)
    np.testing.assert_allclose(P, P.T)
    mask = (labels == 0) | (labels == 2)
    assert P[0, 2] == pytest.approx(im.task_decodability(X[mask], labels[mask], k=3).overall)


def test_cross_validate_logistic_matches_sklearn(states):
    X, labels = states
    split = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    fold_ids = np.empty(len(labels), dtype=np.int64)
    expected = []
    for f, (train, test) in enumerate(split.split(X, labels)):
        fold_ids[test] = f
    for f in range(4):
        train, test = fold_ids != f, fold_ids == f
        model = LogisticRegression(C=0.5, max_iter=10000, tol=1e-12).fit(X[train], labels[train])
        expected.append(model.score(X[test], labels[test]))
    cv = im.cross_validate_logistic(X, labels, C=0.5, folds=fold_ids, max_iter=1000, tol=1e-10)
    np.testing.assert_allclose(cv.fold_scores, expected)
    assert cv.mean == pytest.approx(np.mean(expected)) and cv.std == pytest.approx(np.std(expected))
    assert cv.converged
    drawn = im.cross_validate_logistic(X, labels, C=0.5, folds=4, seed=0)
    assert drawn.fold_scores.shape == (4,)
    assert repr(cv).startswith("CVResult(mean=")


def test_cross_validate_ridge(rng):
    X = rng.standard_normal((50, 5))
    y = X @ np.arange(1.0, 6.0) + 0.1 * rng.standard_normal(50)
    cv = im.cross_validate_ridge(X, y, alpha=1.0, folds=5)
    assert cv.mean > 0.95


def test_fit_logistic_matches_sklearn(states):
    X, labels = states
    model = im.fit_logistic(X, labels, C=0.5, max_iter=1000, tol=1e-10)
    reference = LogisticRegression(C=0.5, max_iter=10000, tol=1e-12).fit(X, labels)
    assert model.converged and model.coef.shape == (3, 16)
    np.testing.assert_allclose(model.coef, reference.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.intercept, reference.intercept_, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    np.testing.assert_allclose(model.decision_function(X), reference.decision_function(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(model.classes, [0, 1, 2])
    assert repr(model) == "LinearModel(outputs=3, features=16, converged=True)"


def test_fit_ridge_matches_sklearn(rng):
    from sklearn.linear_model import Ridge
    X = rng.standard_normal((30, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3
    model = im.fit_ridge(X, y, alpha=2.0)
    reference = Ridge(alpha=2.0).fit(X, y)
    np.testing.assert_allclose(model.coef[0], reference.coef_, rtol=1e-10)
    np.testing.assert_allclose(model.intercept, [reference.intercept_], rtol=1e-10)
    with pytest.raises(im.Error, match="icl::probe::predict_class"):
        model.predict(X)


def test_predict_proba_matches_sklearn(states):
    X, labels = states
    model = im.fit_logistic(X, labels, C=0.5, max_iter=1000, tol=1e-10)
    reference = LogisticRegression(C=0.5, max_iter=10000, tol=1e-12).fit(X, labels)
    P = model.predict_proba(X)
    assert P.shape == (40, 3)
    np.testing.assert_allclose(P, reference.predict_proba(X), rtol=1e-4, atol=1e-6)


def test_probe_curves_and_folds(states, rng):
    X, labels = states
    H = np.stack([X, X * 0.5 + rng.standard_normal(X.shape), X[:, ::-1]])
    folds = im.make_folds(labels, folds=4, seed=2)
    assert folds.dtype == np.uint64 and set(folds) == {0, 1, 2, 3}
    for f in range(4):   # stratified: every class in every fold
        assert set(labels[folds == f]) == {0, 1, 2}
    curve = im.logistic_curve(H, labels, folds=4, seed=2, max_iter=1000, tol=1e-10)
    assert curve.shape == (3,)
    # layer 0 starts cold: exactly the cross-validation on the same folds
    assert curve[0] == im.cross_validate_logistic(H[0], labels, folds=folds, max_iter=1000, tol=1e-10).mean
    y = X @ rng.standard_normal(16)
    ridge = im.ridge_curve(H, y, alpha=0.5, folds=4, seed=2)
    plain = im.make_folds(len(y), folds=4, seed=2)
    np.testing.assert_allclose(ridge, [im.cross_validate_ridge(H[l], y, alpha=0.5, folds=plain).mean for l in range(3)],
                               rtol=1e-12)


def test_selectivity_and_control_labels(states):
    X, labels = states
    control = im.control_labels(labels, seed=1)
    assert sorted(control) == sorted(labels.tolist())
    r = im.selectivity(X, labels, folds=4, seed=0)
    assert r.task.mean == im.cross_validate_logistic(X, labels, folds=4, seed=0).mean
    assert r.control.mean == im.cross_validate_logistic(X, control, folds=4, seed=0).mean
    assert r.selectivity == pytest.approx(r.task.mean - r.control.mean)
    assert repr(r).startswith("SelectivityResult(selectivity=")
    by_type = im.control_labels(labels, input_type=np.arange(40) // 2, seed=3)
    assert all(by_type[2 * i] == by_type[2 * i + 1] for i in range(20))
    train, test = im.stratified_split(labels, 0.25, seed=1)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(40))
    assert len(test) in (9, 10, 11)
    with pytest.raises(im.Error, match="icl::probe::stratified_split"):
        im.stratified_split(labels, 1.5)


def test_loo_neighbors_match_sklearn(states):
    X, labels = states
    r = im.loo_neighbors(X, k=4)
    distances, idx = NearestNeighbors(n_neighbors=5).fit(X).kneighbors(X)
    np.testing.assert_array_equal(r.indices, idx[:, 1:])      # the row itself comes first there
    np.testing.assert_allclose(r.distances, distances[:, 1:], rtol=1e-10)
    assert repr(r) == "NeighborResult(n=40, k=4)"
    cos = im.loo_neighbors(X, k=2, dissimilarity="cosine")
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    D = 1 - Xn @ Xn.T
    np.fill_diagonal(D, np.inf)
    np.testing.assert_array_equal(cos.indices, np.argsort(D, axis=1, kind="stable")[:, :2])
