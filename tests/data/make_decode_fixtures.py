"""Reference values for task decodability (include/icl/decode/knn.hpp, METRICS.md 3).

Leave-one-out kNN decodability computed literally, one point at a time, with scikit-learn:
for every i, KNeighborsClassifier(n_neighbors=k, algorithm='brute', metric=...) is fitted on the
other n - 1 points and predicts point i. Writes tests/data/decode_*.txt.

Every data set is drawn from a seeded generator; points whose k-th and (k+1)-th neighbour
distances are closer than a relative gap of 1e-3 (for any k and metric used with the data) are
drawn again until no point is, so that float rounding of the Gram distances in the library
cannot reorder the neighbours that decide a vote. The script asserts the gap on the data it
writes.

Run from the repository root: .venv/bin/python tests/data/make_decode_fixtures.py
"""

import os
import sys

import numpy as np
import sklearn
from sklearn.neighbors import KNeighborsClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_writer import FixtureWriter  # noqa: E402

VERSIONS = "numpy %s scikit-learn %s" % (np.__version__, sklearn.__version__)
SCRIPT = "make_decode_fixtures.py"
MIN_GAP = 1e-3


def distances(X, metric):
    """Exact pairwise distances in double (direct differences, not the Gram form)."""
    if metric == "euclidean":
        diff = X[:, None, :] - X[None, :, :]
        return np.sqrt((diff ** 2).sum(axis=2))
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    return 1.0 - unit @ unit.T


def relative_gaps(X, k, metric, subset=None):
    """(d_(k+1) - d_(k)) / d_(k+1) for every point (global indices, NaN outside `subset`), d_(j)
    the j-th neighbour distance among the other points (of `subset`, when given)."""
    idx = np.arange(len(X)) if subset is None else np.asarray(subset)
    D = distances(X[idx], metric)
    gaps = np.full(len(X), np.nan)
    for r, i in enumerate(idx):
        others = np.sort(np.delete(D[r], r))
        gaps[i] = (others[k] - others[k - 1]) / others[k]
    return gaps


def min_relative_gap(X, k, metric, subset=None):
    return np.nanmin(relative_gaps(X, k, metric, subset))


def loo_predictions(X, y, k, metric):
    """scikit-learn's prediction for each point from the other n - 1 points."""
    n = len(y)
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        keep = np.arange(n) != i
        model = KNeighborsClassifier(n_neighbors=k, algorithm="brute", metric=metric)
        model.fit(X[keep], y[keep])
        out[i] = model.predict(X[i:i + 1])[0]
    return out


def vote_ties(X, y, k, metric):
    """Number of points whose k neighbours split their votes evenly between the top classes."""
    n = len(y)
    ties = 0
    for i in range(n):
        keep = np.arange(n) != i
        model = KNeighborsClassifier(n_neighbors=k, algorithm="brute", metric=metric)
        model.fit(X[keep], y[keep])
        proba = np.sort(model.predict_proba(X[i:i + 1])[0])
        if len(proba) > 1 and proba[-1] == proba[-2]:
            ties += 1
    return ties


def scores(y, pred, classes):
    overall = float(np.mean(pred == y))
    per_class = [float(np.mean(pred[y == c] == c)) for c in classes]
    return overall, per_class


def pairwise(X, y, k, metric, classes):
    m = len(classes)
    out = np.full((m, m), np.nan)
    for a in range(m):
        for b in range(a + 1, m):
            mask = (y == classes[a]) | (y == classes[b])
            pred = loo_predictions(X[mask], y[mask], k, metric)
            out[a, b] = out[b, a] = float(np.mean(pred == y[mask]))
    return out


def clustered(seed, sizes, labels, d, spread, checks):
    """Gaussian clusters; points whose neighbour distance gap is below MIN_GAP for any of
    `checks` ((k, metric, subset-of-y) triples) are drawn again until none is."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(len(sizes), d)) * spread + 0.5  # off the origin: cosine differs
    codes = np.concatenate([np.full(s, c) for c, s in enumerate(sizes)])
    rng.shuffle(codes)
    y = np.asarray(labels)[codes]
    X = centers[codes] + rng.normal(size=(len(y), d))
    for _ in range(200):
        bad = np.zeros(len(y), dtype=bool)
        for k, metric, subset in checks:
            bad |= relative_gaps(X, k, metric, subset(y)) < MIN_GAP
        if not bad.any():
            return X, y
        X[bad] = centers[codes[bad]] + rng.normal(size=(int(bad.sum()), d))
    raise AssertionError("could not reach the neighbour distance gap")


def first_good_seed(seed, make, checks):
    X, y = make(seed, checks)
    for k, metric, subset in checks:
        assert min_relative_gap(X, k, metric, subset(y)) >= MIN_GAP
    return seed, X, y


def whole(_):
    return None


def write_clustered():
    """3 classes with labels {-3, 2, 7}, k = 1, 5, 10, both metrics; pairwise TD for k = 5."""
    labels = [-3, 2, 7]
    ks = [1, 5, 10]
    metrics = ["euclidean", "cosine"]
    checks = [(k, m, whole) for k in ks for m in metrics]
    for a in range(3):
        for b in range(a + 1, 3):
            for m in metrics:
                checks.append((5, m, lambda y, a=a, b=b: np.flatnonzero((y == labels[a]) | (y == labels[b]))))
    seed, X, y = first_good_seed(1000, lambda s, c: clustered(s, [45, 40, 35], labels, 6, 0.9, c), checks)

    w = FixtureWriter("decode_clustered.txt",
                      "Leave-one-out kNN task decodability of 120 points in 6 dimensions, 3 overlapping\n"
                      "clusters labelled -3, 2, 7 (seed %d). pred_<metric>_k<k>: scikit-learn's prediction\n"
                      "for each point from the other 119; td_*, per_class_* (classes in increasing order);\n"
                      "pairwise_<metric>_k5: TD on the points of each pair of classes (diagonal NaN)." % seed,
                      SCRIPT, VERSIONS)
    w.f8("X", X)
    w.i8("y", y)
    w.i8("classes", labels)
    for m in metrics:
        for k in ks:
            pred = loo_predictions(X, y, k, m)
            overall, per_class = scores(y, pred, labels)
            w.i8("pred_%s_k%d" % (m, k), pred)
            w.f8("td_%s_k%d" % (m, k), overall)
            w.f8("per_class_%s_k%d" % (m, k), per_class)
        w.f8("pairwise_%s_k5" % m, pairwise(X, y, 5, m, labels))
        # The 5 nearest neighbours of every point (indices into X), nearest first.
        D = distances(X, m)
        np.fill_diagonal(D, np.inf)
        w.i8("neighbors_%s_k5" % m, np.argsort(D, axis=1, kind="stable")[:, :5])
    w.write()


def write_four_classes():
    """4 classes {-5, 0, 3, 11} of unequal sizes; pairwise TD for k = 3 and 10 (euclidean)."""
    labels = [-5, 0, 3, 11]
    sizes = [30, 22, 16, 12]
    checks = [(k, "euclidean", whole) for k in (3, 10)]
    for a in range(4):
        for b in range(a + 1, 4):
            for k in (3, 10):
                checks.append((k, "euclidean", lambda y, a=a, b=b: np.flatnonzero((y == labels[a]) | (y == labels[b]))))
    seed, X, y = first_good_seed(2000, lambda s, c: clustered(s, sizes, labels, 5, 0.8, c), checks)
    w = FixtureWriter("decode_four.txt",
                      "80 points in 5 dimensions, 4 classes labelled -5, 0, 3, 11 (sizes 30, 22, 16, 12;\n"
                      "seed %d). Euclidean leave-one-out kNN: overall/per-class TD and pairwise TD for\n"
                      "k = 3 and k = 10 (scikit-learn, one fit per held-out point)." % seed, SCRIPT, VERSIONS)
    w.f8("X", X)
    w.i8("y", y)
    w.i8("classes", labels)
    for k in (3, 10):
        pred = loo_predictions(X, y, k, "euclidean")
        overall, per_class = scores(y, pred, labels)
        w.i8("pred_k%d" % k, pred)
        w.f8("td_k%d" % k, overall)
        w.f8("per_class_k%d" % k, per_class)
        w.f8("pairwise_k%d" % k, pairwise(X, y, k, "euclidean", labels))
    w.write()


def write_ties():
    """Two heavily overlapping classes {4, -1} and even k: many vote ties (lowest label wins)."""
    labels = [4, -1]
    ks = [2, 4, 10]
    metrics = ["euclidean", "cosine"]
    checks = [(k, m, whole) for k in ks for m in metrics]
    seed, X, y = first_good_seed(3000, lambda s, c: clustered(s, [30, 30], labels, 4, 0.3, c), checks)
    w = FixtureWriter("decode_ties.txt",
                      "60 points in 4 dimensions, two overlapping classes labelled 4 and -1 (seed %d); even k\n"
                      "gives vote ties, which scikit-learn resolves to the lowest label (-1). ties_*: the\n"
                      "number of tied votes (asserted > 0)." % seed, SCRIPT, VERSIONS)
    w.f8("X", X)
    w.i8("y", y)
    for m in metrics:
        for k in ks:
            pred = loo_predictions(X, y, k, m)
            overall, per_class = scores(y, pred, sorted(labels))
            ties = vote_ties(X, y, k, m)
            if k in (2, 4):
                assert ties > 0, (m, k)
            w.i8("pred_%s_k%d" % (m, k), pred)
            w.f8("td_%s_k%d" % (m, k), overall)
            w.f8("per_class_%s_k%d" % (m, k), per_class)
            w.i8("ties_%s_k%d" % (m, k), ties)
    w.write()


def write_layers():
    """[layers, n, d] states whose class separation grows with depth, then falls at the last layer."""
    labels = [0, 1, 2]
    L, d = 5, 6
    scales = [0.2, 0.5, 0.9, 1.6, 1.2]

    seed = 4000
    rng = np.random.default_rng(seed)
    y = np.repeat(labels, [30, 25, 20])
    rng.shuffle(y)
    centers = rng.normal(size=(3, d))
    H = np.stack([centers[y] * s + rng.normal(size=(len(y), d)) for s in scales])
    for l in range(L):
        for _ in range(200):
            bad = relative_gaps(H[l], 10, "euclidean") < MIN_GAP
            if not bad.any():
                break
            H[l][bad] = centers[y[bad]] * scales[l] + rng.normal(size=(int(bad.sum()), d))
    for l in range(L):
        assert min_relative_gap(H[l], 10, "euclidean") >= MIN_GAP
    td = np.array([scores(y, loo_predictions(H[l], y, 10, "euclidean"), labels)[0] for l in range(L)])
    assert td[3] > td[0] and td[3] == td.max(), td
    per_class = np.array([scores(y, loo_predictions(H[l], y, 10, "euclidean"), labels)[1] for l in range(L)])
    w = FixtureWriter("decode_layers.txt",
                      "A [5, 75, 6] tensor of states whose class separation grows over the layers (scales\n"
                      "0.2 0.5 0.9 1.6 1.2; seed %d). td: Euclidean k = 10 leave-one-out TD per layer;\n"
                      "per_class: per layer and class (labels 0, 1, 2); peak: the first layer of highest TD." % seed,
                      SCRIPT, VERSIONS)
    w.f8("H", H)
    w.i8("y", y)
    w.f8("td", td)
    w.f8("per_class", per_class)
    w.i8("peak", int(np.argmax(td)))
    w.write()


if __name__ == "__main__":
    write_clustered()
    write_four_classes()
    write_ties()
    write_layers()
