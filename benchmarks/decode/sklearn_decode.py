"""scikit-learn's leave-one-out kNN decodability on the shapes of bench_decode.cpp, for comparison.

The equivalent of icl::decode::task_decodability(H, labels, k): KNeighborsClassifier(
n_neighbors=k + 1, algorithm='brute') fitted on all n points (float32), kneighbors of every
point, the point itself dropped from its own list, majority vote (ties to the lowest label).
Prints the median wall time of five runs per shape. Threads: set OMP_NUM_THREADS (scikit-learn's
pairwise-distance reductions use OpenMP) and OPENBLAS_NUM_THREADS before starting Python.

Run from the repository root: .venv/bin/python benchmarks/decode/sklearn_decode.py
"""

import time

import numpy as np
from sklearn.neighbors import KNeighborsClassifier


def loo_decodability(X, y, k):
    model = KNeighborsClassifier(n_neighbors=k + 1, algorithm="brute").fit(X, y)
    idx = model.kneighbors(X, return_distance=False)
    n = len(y)
    # Drop the point itself (normally the first column; with duplicates it may come later).
    keep = idx != np.arange(n)[:, None]
    neighbours = np.where(keep[:, :k].all(axis=1)[:, None], idx[:, :k], 0)
    rows = ~keep[:, :k].all(axis=1)
    for i in np.flatnonzero(rows):
        neighbours[i] = idx[i][keep[i]][:k]
    codes = np.searchsorted(model.classes_, y)
    votes = np.zeros((n, len(model.classes_)), dtype=np.int64)
    np.add.at(votes, (np.repeat(np.arange(n), k), codes[neighbours].ravel()), 1)
    return float(np.mean(votes.argmax(axis=1) == codes))


def main():
    rng = np.random.default_rng(20240611)
    for n, d in [(2000, 1024), (2000, 4096), (20000, 256)]:
        X = rng.standard_normal((n, d), dtype=np.float32)
        y = np.arange(n) % 4
        times = []
        for _ in range(5 if n <= 2000 else 2):
            start = time.perf_counter()
            td = loo_decodability(X, y, 10)
            times.append(time.perf_counter() - start)
        print("n=%d d=%d k=10: %.1f ms (median of %d), TD %.4f" % (n, d, 1e3 * np.median(times), len(times), td))


if __name__ == "__main__":
    main()
