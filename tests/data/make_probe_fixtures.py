"""Reference fixtures for the probe tests (METRICS.md section 2).

Run from the repository root:

    .venv/bin/python tests/data/make_probe_fixtures.py

Every input is drawn from numpy's default_rng with a fixed seed.  The script writes into
tests/data/:

    probe_logistic.txt  scikit-learn LogisticRegression(C, solver='lbfgs', tol=1e-12,
                        max_iter=10000): binary and multinomial, n < d and n > d, two C values;
                        coef_, intercept_, predictions, probabilities, accuracy
    probe_ridge.txt     scikit-learn Ridge(alpha): n < d and n > d; coef_, intercept_,
                        predictions; r2_score and Pearson r
    probe_cv.txt        fold scores of both probes on explicit folds (PredefinedSplit)

Each logistic optimum is checked here: the gradient of C*sum(logloss) + 0.5*|W|^2 at
scikit-learn's solution must be below 1e-5 times the gradient at zero (scipy's L-BFGS-B stops on
its relative objective change, ftol = 64 eps, before a 1e-12 gradient is reached).
"""

import os
import sys
from importlib.metadata import version

import numpy as np
from scipy.special import expit, log_softmax, softmax
from scipy.stats import pearsonr
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import PredefinedSplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_writer import FixtureWriter  # noqa: E402

VERSIONS = "numpy %s scipy %s scikit-learn %s" % (version("numpy"), version("scipy"), version("scikit-learn"))
SCRIPT = "make_probe_fixtures.py"


def planted_classes(rng, n, d, labels, signal=1.5):
    """Rows = class mean (random directions scaled by signal) + standard normal noise."""
    k = len(labels)
    codes = np.arange(n) % k
    rng.shuffle(codes)
    means = rng.normal(size=(k, d)) * signal / np.sqrt(d)
    X = rng.normal(size=(n, d)) / np.sqrt(d) * 2.0 + means[codes]
    X += rng.normal(size=d) * 0.3  # a common offset, absorbed by the intercept
    y = np.asarray(labels)[codes]
    return X, y


def logistic_gradient(X, y, classes, C, coef, intercept):
    """Gradient of C*sum(logloss) + 0.5*|W|^2 with respect to (W, b)."""
    if len(classes) == 2:
        z = X @ coef[0] + intercept[0]
        r = C * (expit(z) - (y == classes[1]))
        return np.concatenate([X.T @ r + coef[0], [r.sum()]])
    Y = (y[:, None] == np.asarray(classes)[None, :]).astype(float)
    Z = X @ coef.T + intercept
    R = C * (softmax(Z, axis=1) - Y)
    return np.concatenate([(R.T @ X + coef).ravel(), R.sum(axis=0)])


def logistic_objective(X, y, classes, C, coef, intercept):
    if len(classes) == 2:
        z = X @ coef[0] + intercept[0]
        s = np.where(y == classes[1], 1.0, -1.0)
        return C * np.logaddexp(0.0, -s * z).sum() + 0.5 * (coef ** 2).sum()
    codes = np.searchsorted(classes, y)
    Z = X @ coef.T + intercept
    return -C * log_softmax(Z, axis=1)[np.arange(len(y)), codes].sum() + 0.5 * (coef ** 2).sum()


def fit_sklearn_logistic(X, y, C):
    model = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=10000).fit(X, y)
    classes = list(model.classes_)
    g = logistic_gradient(X, y, classes, C, model.coef_, model.intercept_)
    g0 = logistic_gradient(X, y, classes, C, np.zeros_like(model.coef_), np.zeros_like(model.intercept_))
    assert np.linalg.norm(g) <= 1e-5 * np.linalg.norm(g0), (np.linalg.norm(g), np.linalg.norm(g0))
    return model


def write_logistic(rng):
    w = FixtureWriter("probe_logistic.txt",
                      "Logistic probe references: scikit-learn LogisticRegression(C, solver='lbfgs',\n"
                      "tol=1e-12, max_iter=10000). Case <name>: X_<name> (n x d), y_<name>, C_<name>,\n"
                      "coef_<name> (rows x d), intercept_<name>, pred_<name>, proba_<name>,\n"
                      "objective_<name>; Xnew_<name> rows for prediction; coef_bin_tall_nointercept:\n"
                      "C=1, fit_intercept=False.",
                      SCRIPT, VERSIONS)
    cases = [
        # name, n, d, labels, C values
        ("bin_wide", 40, 60, [-1, 3], [1.0, 0.1]),
        ("bin_tall", 120, 10, [0, 1], [1.0, 0.5]),
        ("multi_wide", 45, 60, [2, 5, 7], [1.0, 0.1]),
        ("multi_tall", 120, 12, [0, 1, 2, 3], [1.0, 0.5]),
    ]
    names = []
    for name, n, d, labels, Cs in cases:
        X, y = planted_classes(rng, n, d, labels)
        Xnew, _ = planted_classes(rng, 15, d, labels)
        w.f8("X_" + name, X)
        w.i8("y_" + name, y)
        w.f8("Xnew_" + name, Xnew)
        for j, C in enumerate(Cs):
            case = "%s_%d" % (name, j)
            names.append(case)
            model = fit_sklearn_logistic(X, y, C)
            w.f8("C_" + case, C)
            w.f8("coef_" + case, model.coef_)
            w.f8("intercept_" + case, model.intercept_)
            w.i8("pred_" + case, model.predict(Xnew))
            w.f8("proba_" + case, model.predict_proba(Xnew))
            w.f8("accuracy_" + case, model.score(X, y))
            w.f8("objective_" + case, logistic_objective(X, y, list(model.classes_), C, model.coef_,
                                                         model.intercept_))
    # Without intercept (fit_intercept=False), on the binary tall data (which has a common offset).
    X = np.asarray(w.records[[r[0] for r in w.records].index("X_bin_tall")][2])
    y = np.asarray(w.records[[r[0] for r in w.records].index("y_bin_tall")][2])
    model = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-12, max_iter=10000, fit_intercept=False).fit(X, y)
    w.f8("coef_bin_tall_nointercept", model.coef_)
    w.write()


def write_ridge(rng):
    w = FixtureWriter("probe_ridge.txt",
                      "Ridge probe references: scikit-learn Ridge(alpha) with intercept. Case <name>:\n"
                      "X_<name>, y_<name>, alpha_<name>, coef_<name>, intercept_<name>, pred_<name> on\n"
                      "Xnew_<name>, r2_<name> and pearson_<name> of pred against ynew_<name>;\n"
                      "coef_<data>_nointercept: Ridge(alpha=1, fit_intercept=False).",
                      SCRIPT, VERSIONS)
    for name, n, d in [("wide", 30, 50), ("tall", 100, 8)]:
        X = rng.normal(size=(n, d)) + rng.normal(size=d)
        beta = rng.normal(size=d)
        y = X @ beta + 0.5 * rng.normal(size=n) + 2.0
        Xnew = rng.normal(size=(20, d)) + X.mean(axis=0)
        ynew = Xnew @ beta + 0.5 * rng.normal(size=20) + 2.0
        w.f8("X_" + name, X)
        w.f8("y_" + name, y)
        w.f8("Xnew_" + name, Xnew)
        w.f8("ynew_" + name, ynew)
        for j, alpha in enumerate([1.0, 10.0]):
            case = "%s_%d" % (name, j)
            model = Ridge(alpha=alpha).fit(X, y)
            pred = model.predict(Xnew)
            w.f8("alpha_" + case, alpha)
            w.f8("coef_" + case, model.coef_)
            w.f8("intercept_" + case, model.intercept_)
            w.f8("pred_" + case, pred)
            w.f8("r2_" + case, r2_score(ynew, pred))
            w.f8("pearson_" + case, pearsonr(ynew, pred)[0])
        model = Ridge(alpha=1.0, fit_intercept=False).fit(X, y)
        w.f8("coef_%s_nointercept" % name, model.coef_)
    w.write()


def write_cv_case(w, tag, X, write_y, y, folds, scores):
    """The records of one cross-validation case: X_<tag>, y_<tag> (written by write_y),
    folds_<tag>, scores_<tag> and their mean_<tag> and population std_<tag>."""
    w.f8("X_" + tag, X)
    write_y("y_" + tag, y)
    w.i8("folds_" + tag, folds)
    w.f8("scores_" + tag, scores)
    w.f8("mean_" + tag, np.mean(scores))
    w.f8("std_" + tag, np.std(scores))


def write_cv(rng):
    w = FixtureWriter("probe_cv.txt",
                      "Cross-validation references on explicit folds (scikit-learn PredefinedSplit):\n"
                      "logistic accuracy per fold (LogisticRegression(C, lbfgs, tol=1e-12)), ridge R^2\n"
                      "per fold (Ridge(alpha)); means and population std (numpy std, ddof=0).",
                      SCRIPT, VERSIONS)
    for name, n, d, labels in [("bin", 60, 80, [0, 1]), ("multi", 90, 15, [1, 2, 3])]:
        X, y = planted_classes(rng, n, d, labels, signal=2.5)
        folds = np.arange(n) % 5
        rng.shuffle(folds)
        scores = []
        for train, test in PredefinedSplit(folds).split():
            model = fit_sklearn_logistic(X[train], y[train], 1.0)
            scores.append(model.score(X[test], y[test]))
        write_cv_case(w, "log_" + name, X, w.i8, y, folds, scores)
    for name, n, d in [("wide", 40, 60), ("tall", 80, 5)]:
        X = rng.normal(size=(n, d)) + 3.0 * rng.normal(size=d)
        beta = rng.normal(size=d) / np.sqrt(d)
        y = X @ beta + 0.3 * rng.normal(size=n)
        folds = np.arange(n) % 4
        rng.shuffle(folds)
        scores = []
        for train, test in PredefinedSplit(folds).split():
            model = Ridge(alpha=2.0).fit(X[train], y[train])
            scores.append(r2_score(y[test], model.predict(X[test])))
        write_cv_case(w, "ridge_" + name, X, w.f8, y, folds, scores)
    w.write()


def main():
    rng = np.random.default_rng(20240602)
    write_logistic(rng)
    write_ridge(rng)
    write_cv(rng)


if __name__ == "__main__":
    main()
