"""Inputs and reference values for the program's `rsa --dissimilarity mahalanobis|crossnobis`
and `decode --pairwise` (tests/cli/test_rsa_decode_options.cpp).

Run from the repository root after installing the pinned packages (tests/data/requirements.txt):

    .venv/bin/python tests/data/make_rsa_decode_cli_fixtures.py

Every input is drawn from numpy's default_rng with a fixed seed.  Writes into
tests/data/cli/rsa_decode/:

    hidden.npy          f8 [3 layers, 12 prompts, 5] hidden states
    hidden_f32.npy      the same rounded to f4, stored in Fortran order (a strided view)
    hidden_none.npy     f8 [3, 12, 5] the same prompts without demonstrations
    labels.npy          i8 [12] concepts of the prompts (categorical hypothesis)
    precision.npy       f8 [5, 5] a symmetric positive definite precision matrix
    precision_4.npy     f8 [4, 4] a precision of the wrong size
    conditions.npy      i8 [12] condition of each prompt (4 conditions: 3, 7, 8, 11)
    folds.npy           i8 [12] fold of each prompt (3 folds; every condition in every fold)
    condition_parameter.npy  f8 [4] a parameter per condition (hypothesis |a_i - a_j|)
    decode.npy          f8 [2 layers, 15 prompts, 4] clustered states for decodability
    decode_f32.npy      the same rounded to f4, Fortran order
    decode_labels.npy   i8 [15] three classes (2, 5, 9), five prompts each
    reference.txt       the reference values (format: tests/data/fixture_writer.py)
"""

import os
import sys

import numpy as np
import scipy
import scipy.stats
from scipy.spatial.distance import pdist

from fixture_writer import DATA_DIR, FixtureWriter

VERSIONS = "numpy {} scipy {} (python {})".format(np.__version__, scipy.__version__, sys.version.split()[0])
OUT = os.path.join(DATA_DIR, "cli", "rsa_decode")


def save(name, array):
    np.save(os.path.join(OUT, name), array, allow_pickle=False)


def mahalanobis_rdm(x, precision):
    """The library's Mahalanobis RDM: (x_i - x_j)^T P (x_i - x_j) / d, the square of scipy's
    'mahalanobis' distance (which takes the root) divided by d."""
    return pdist(x, "mahalanobis", VI=precision) ** 2 / x.shape[1]


def crossnobis_rdm(x, conditions, folds, precision):
    """docs/metrics.md 1.2: for each fold f, B_f = per-condition mean of the rows in f, A_f =
    per-condition mean of the rows in every other fold, K = A_f P B_f^T,
    d_ij = (K_ii + K_jj - K_ij - K_ji) / d, averaged over the folds."""
    conds = np.unique(conditions)
    d = x.shape[1]
    total = np.zeros(len(conds) * (len(conds) - 1) // 2)
    fold_values = np.unique(folds)
    for f in fold_values:
        b = np.array([x[(conditions == c) & (folds == f)].mean(axis=0) for c in conds])
        a = np.array([x[(conditions == c) & (folds != f)].mean(axis=0) for c in conds])
        k = a @ precision @ b.T
        iu = np.triu_indices(len(conds), 1)
        total += (np.diag(k)[iu[0]] + np.diag(k)[iu[1]] - k[iu] - k.T[iu]) / d
    return total / len(fold_values)


def categorical(labels):
    return pdist(np.asarray(labels, dtype=np.float64)[:, None], lambda a, b: float(a[0] != b[0]))


def compare(rdm, hypothesis, comparison):
    if comparison == "pearson":
        return scipy.stats.pearsonr(rdm, hypothesis).statistic
    return scipy.stats.spearmanr(rdm, hypothesis).statistic


def loo_knn_accuracy(x, y, k, dissimilarity):
    """Leave-one-out kNN accuracy: neighbours by (dissimilarity, row index), the majority label
    among the k nearest, a vote tie to the lower label."""
    if dissimilarity == "cosine":
        dist = 1.0 - (x @ x.T) / np.outer(np.linalg.norm(x, axis=1), np.linalg.norm(x, axis=1))
    else:
        dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    classes = np.unique(y)
    correct = 0
    for i in range(len(y)):
        others = [j for j in range(len(y)) if j != i]
        others.sort(key=lambda j: (dist[i, j], j))
        votes = [np.sum(y[others[:k]] == c) for c in classes]
        correct += classes[int(np.argmax(votes))] == y[i]
    return correct / len(y)


def pairwise(x, y, k, dissimilarity):
    """Entry (a, b): leave-one-out kNN accuracy on the points of classes a and b only (the rows
    in their original order); the diagonal NaN."""
    classes = np.unique(y)
    out = np.full((len(classes), len(classes)), np.nan)
    for ia, a in enumerate(classes):
        for ib, b in enumerate(classes):
            if ia < ib:
                rows = (y == a) | (y == b)
                out[ia, ib] = out[ib, ia] = loo_knn_accuracy(x[rows], y[rows], k, dissimilarity)
    return out


def main():
    print("using", VERSIONS)
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261203)
    layers, n, d = 3, 12, 5
    hidden = rng.standard_normal((layers, n, d))
    hidden_none = rng.standard_normal((layers, n, d))
    hidden_f32 = hidden.astype(np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], dtype=np.int64)
    g = rng.standard_normal((d, d))
    precision = g @ g.T / d + 0.5 * np.eye(d)
    g4 = rng.standard_normal((4, 4))
    conditions = np.array([3, 7, 8, 11] * 3, dtype=np.int64)
    folds = np.repeat(np.array([0, 1, 2], dtype=np.int64), 4)
    condition_parameter = np.array([0.2, 1.5, 0.7, 2.9])

    save("hidden.npy", hidden)
    save("hidden_f32.npy", np.asfortranarray(hidden_f32))
    save("hidden_none.npy", hidden_none)
    save("labels.npy", labels)
    save("precision.npy", precision)
    save("precision_4.npy", g4 @ g4.T + np.eye(4))
    save("conditions.npy", conditions)
    save("folds.npy", folds)
    save("condition_parameter.npy", condition_parameter)

    centres = 1.5 * rng.standard_normal((3, 4))
    decode_labels = np.repeat(np.array([2, 5, 9], dtype=np.int64), 5)
    decode = np.stack([centres[np.repeat(np.arange(3), 5)] * scale + rng.standard_normal((15, 4))
                       for scale in (0.3, 1.0)])
    save("decode.npy", decode)
    save("decode_f32.npy", np.asfortranarray(decode.astype(np.float32)))
    save("decode_labels.npy", decode_labels)

    w = FixtureWriter("cli/rsa_decode/reference.txt", """
References of rsa --dissimilarity mahalanobis|crossnobis and decode --pairwise on the inputs of
tests/data/cli/rsa_decode.  The RDMs: mahalanobis = pdist(X, 'mahalanobis', VI=P)**2 / d
(precision.npy); crossnobis = the mean over folds f of (K_ii + K_jj - K_ij - K_ji) / d with
K = A_f P B_f^T, B_f / A_f the per-condition means of the rows in / outside fold f (P the
identity or precision.npy).  Hypotheses: categorical(labels.npy) for the 12 prompts,
|a_i - a_j| of condition_parameter.npy for the 4 conditions.
<rdm>_<comparison>[_f32][_none][l]: scipy.stats spearmanr / pearsonr of layer l's condensed RDM with
the hypothesis (f32: the f4 values of hidden_f32.npy, computed in f64; none: hidden_none.npy).
pairwise_<dissimilarity>[_f32]: [2 layers, 3, 3] leave-one-out kNN (k = 3) accuracy on the points
of each pair of classes of decode_labels.npy (neighbours by distance then row index, a vote tie
to the lower label), NaN on the diagonal.
""", "make_rsa_decode_cli_fixtures.py", VERSIONS)
    hyp_prompts = categorical(labels)
    hyp_conditions = pdist(condition_parameter[:, None], "cityblock")
    for suffix, states in (("", hidden), ("_f32", hidden_f32.astype(np.float64)), ("_none", hidden_none)):
        for comparison in ("spearman", "pearson"):
            w.f8("mahalanobis_%s%s" % (comparison, suffix),
                 [compare(mahalanobis_rdm(layer, precision), hyp_prompts, comparison) for layer in states])
            w.f8("crossnobis_%s%s" % (comparison, suffix),
                 [compare(crossnobis_rdm(layer, conditions, folds, np.eye(d)), hyp_conditions, comparison)
                  for layer in states])
            w.f8("crossnobis_precision_%s%s" % (comparison, suffix),
                 [compare(crossnobis_rdm(layer, conditions, folds, precision), hyp_conditions, comparison)
                  for layer in states])
    for suffix, states in (("", decode), ("_f32", decode.astype(np.float32).astype(np.float64))):
        for dissimilarity in ("euclidean", "cosine"):
            w.f8("pairwise_%s%s" % (dissimilarity, suffix),
                 np.stack([pairwise(layer, decode_labels, 3, dissimilarity) for layer in states]))
    w.write()


if __name__ == "__main__":
    main()
