"""scikit-learn peer of bench_probe: 5-fold cross-validated LogisticRegression on the
benchmark's data (n = 1000, d = 4096, float32, a planted class signal), and the data files the
C++ benchmark reads so that both score the same rows on the same folds.

    .venv/bin/python benchmarks/probe/probe_sklearn.py OUT_DIR [--no-fit]

writes OUT_DIR/probe_{binary,multi}_{X.f32,y.i32,folds.i32} and prints, per task, the
accuracy and wall time of the 5-fold CV with scikit-learn defaults (C=1, lbfgs, tol=1e-4,
max_iter=100) and with max_iter=1000. Run the C++ side with
ICL_PROBE_BENCH_DATA=OUT_DIR build/probe-bench/benchmarks/bench_probe.

Data: class c of k has mean s*u_c (u_c random unit vectors, s = 3), plus standard normal
noise; labels balanced and shuffled; folds are stratified (StratifiedKFold, shuffled, seed 0).
"""

import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

N, D, SIGNAL = 1000, 4096, 3.0


def make_task(k, seed):
    rng = np.random.default_rng(seed)
    y = np.arange(N) % k
    rng.shuffle(y)
    u = rng.normal(size=(k, D))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    X = (rng.normal(size=(N, D)) + SIGNAL * u[y]).astype(np.float32)
    folds = np.empty(N, dtype=np.int32)
    for f, (_, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
        folds[test] = f
    return X, y.astype(np.int32), folds


def cv_sklearn(X, y, folds, **kw):
    scores = []
    start = time.perf_counter()
    for f in range(5):
        train, test = folds != f, folds == f
        model = LogisticRegression(**kw).fit(X[train], y[train])
        scores.append(model.score(X[test], y[test]))
    return time.perf_counter() - start, float(np.mean(scores))


def main():
    out = sys.argv[1]
    fit = "--no-fit" not in sys.argv
    os.makedirs(out, exist_ok=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, k, seed in [("binary", 2, 1), ("multi", 4, 2)]:
        X, y, folds = make_task(k, seed)
        X.tofile(os.path.join(out, "probe_%s_X.f32" % name))
        y.tofile(os.path.join(out, "probe_%s_y.i32" % name))
        folds.tofile(os.path.join(out, "probe_%s_folds.i32" % name))
        if not fit:
            continue
        for label, kw in [("defaults", {}), ("max_iter=1000", {"max_iter": 1000})]:
            best = None
            for _ in range(3):
                t, acc = cv_sklearn(X, y, folds, **kw)
                best = t if best is None else min(best, t)
            print("sklearn %-7s %-14s 5-fold CV: %.3f s (best of 3), accuracy %.4f" % (name, label, best, acc))


if __name__ == "__main__":
    main()
