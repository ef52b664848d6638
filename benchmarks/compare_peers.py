"""Times this library and the Python tools a user would pick instead, on the same inputs.

    ./scripts/compare-peers            # builds the driver, sets up the venv, runs everything
    .venv/bin/python benchmarks/compare_peers.py --driver build/bench/benchmarks/icl_peer_driver

Each case generates one data set with numpy (fixed seed), writes it as raw little-endian
float32 / int32 files, times the library through the small C++ driver
benchmarks/peers/icl_peer_driver.cpp (the same files, read once, then one warm-up call and the
median of --repeats timed calls inside the process) and the peer in this process (the same
warm-up and median), and checks that both compute the same thing:

- task decodability (leave-one-out kNN, k = 10, Euclidean) against scikit-learn
  KNeighborsClassifier: the fastest leave-one-out a user can write with it, one
  kneighbors(n_neighbors = k + 1) query on the fitted data with each point's own entry removed
  and a majority vote with scikit-learn's tie rule (lowest label). The predictions must agree.
- logistic 5-fold cross-validation (C = 1) against scikit-learn LogisticRegression (lbfgs, its
  default tol and max_iter = 100) scored with cross_val_score on the same folds
  (PredefinedSplit). The mean accuracies are printed side by side.

The result is a Markdown table on standard output (and in --output, if given): case, size,
ours (s), peer (s), ratio peer/ours, agreement. Thread counts are whatever the environment
gives both sides (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS apply to both).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import PredefinedSplit, cross_val_score
from sklearn.neighbors import KNeighborsClassifier


def median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def planted_classes(rng, n, d, classes, signal):
    """n points in d dimensions: class means on random directions, unit Gaussian noise."""
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    means = rng.standard_normal((classes, d)) * (signal / np.sqrt(d))
    x = rng.standard_normal((n, d)) + means[labels]
    return x.astype(np.float32), labels.astype(np.int32)


def stratified_folds(rng, labels, folds):
    fold_of = np.empty(len(labels), dtype=np.int32)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        rng.shuffle(members)
        fold_of[members] = np.arange(len(members)) % folds
    return fold_of


def run_driver(driver, args):
    out = subprocess.run([driver] + [str(a) for a in args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def sklearn_loo_knn(x, y, k):
    model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(x, y)
    _, idx = model.kneighbors(x, n_neighbors=k + 1)
    n = len(y)
    keep = np.empty((n, k), dtype=np.int64)
    for i in range(n):  # drop the point itself (at position 0 unless a distance tie moved it)
        row = idx[i][idx[i] != i]
        keep[i] = row[:k]
    votes = np.zeros((n, y.max() + 1), dtype=np.int64)
    np.add.at(votes, (np.repeat(np.arange(n), k), y[keep].ravel()), 1)
    return votes.argmax(axis=1)


def case_decodability(args, rng, tmp, n, d, k=10):
    x, y = planted_classes(rng, n, d, classes=4, signal=3.0)
    xf, yf = os.path.join(tmp, "x.f32"), os.path.join(tmp, "y.i32")
    x.tofile(xf)
    y.tofile(yf)
    ours = run_driver(args.driver, ["decodability", xf, yf, n, d, k, args.repeats])
    peer_pred = sklearn_loo_knn(x, y, k)
    peer_time = median_time(lambda: sklearn_loo_knn(x, y, k), args.repeats)
    ours_pred = np.fromfile(ours["predictions_file"], dtype=np.int32)
    agree = float(np.mean(ours_pred == peer_pred))
    return dict(case="task decodability, LOO kNN k=10", size="n=%d d=%d f32" % (n, d), ours=ours["seconds"],
                peer=peer_time, peer_name="scikit-learn KNeighborsClassifier (brute)",
                agreement="predictions equal on %.1f%% of points (TD %.4f vs %.4f)" %
                (100 * agree, ours["score"], float(np.mean(peer_pred == y))))


def case_logistic(args, rng, tmp, n, d, classes):
    x, y = planted_classes(rng, n, d, classes=classes, signal=3.0)
    folds = stratified_folds(rng, y, 5)
    xf, yf, ff = (os.path.join(tmp, name) for name in ("x.f32", "y.i32", "folds.i32"))
    x.tofile(xf)
    y.tofile(yf)
    folds.tofile(ff)
    ours = run_driver(args.driver, ["logistic_cv", xf, yf, n, d, ff, args.repeats])
    model = LogisticRegression(C=1.0, max_iter=100)

    def peer():
        return cross_val_score(model, x, y, cv=PredefinedSplit(folds))

    peer_scores = peer()
    peer_time = median_time(peer, args.repeats)
    return dict(case="logistic 5-fold CV, C=1, %d classes" % classes, size="n=%d d=%d f32" % (n, d),
                ours=ours["seconds"], peer=peer_time, peer_name="scikit-learn LogisticRegression (lbfgs)",
                agreement="mean accuracy %.4f vs %.4f" % (ours["score"], float(np.mean(peer_scores))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--driver", required=True, help="path of the icl_peer_driver executable")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per case (median); default 3")
    parser.add_argument("--output", help="also write the Markdown table to this file")
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke test)")
    args = parser.parse_args()

    rng = np.random.default_rng(20261123)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            rows.append(case_decodability(args, rng, tmp, 300, 64))
            rows.append(case_logistic(args, rng, tmp, 200, 256, 2))
        else:
            rows.append(case_decodability(args, rng, tmp, 2000, 1024))
            rows.append(case_decodability(args, rng, tmp, 2000, 4096))
            rows.append(case_logistic(args, rng, tmp, 1000, 4096, 2))
            rows.append(case_logistic(args, rng, tmp, 1000, 4096, 4))

    lines = ["| metric | size | ours (s) | peer | peer (s) | peer / ours | agreement |",
             "|---|---|---:|---|---:|---:|---|"]
    for r in rows:
        lines.append("| %s | %s | %.4f | %s | %.4f | %.1f× | %s |" % (
            r["case"], r["size"], r["ours"], r["peer_name"], r["peer"], r["peer"] / r["ours"], r["agreement"]))
    lines.append("")
    lines.append("Machine: %s, %d cores; Python %s, numpy %s, scikit-learn %s; OMP_NUM_THREADS=%s, "
                 "OPENBLAS_NUM_THREADS=%s; median of %d timed calls after one warm-up." % (
                     platform.processor() or platform.machine(), os.cpu_count(), platform.python_version(),
                     np.__version__, sklearn.__version__, os.environ.get("OMP_NUM_THREADS", "unset"),
                     os.environ.get("OPENBLAS_NUM_THREADS", "unset"), args.repeats))
    table = "\n".join(lines)
    print(table)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
