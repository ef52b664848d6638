"""Labels and positions that are not int64 (int32, uint8, lists) are converted to int64 before
they are read: the converted array must live while it is read, at any length."""

import numpy as np

import icl_metrics as im


def test_int32_labels_of_any_length_equal_int64_labels(rng):
    n = 3000
    labels = np.arange(n) % 4
    X = rng.standard_normal((n, 8)) + labels[:, None]
    reference = im.task_decodability(X, labels.astype(np.int64), k=5)
    for other in (labels.astype(np.int32), labels.astype(np.uint8), labels.tolist()):
        for _ in range(3):  # the freed memory of a dead conversion is reused by the next one
            got = im.task_decodability(X, other, k=5)
            np.testing.assert_array_equal(got.predictions, reference.predictions)
            assert got.overall == reference.overall


def test_int32_positions_equal_int64_positions(rng):
    T = 400
    A = rng.random((1, 2, T, T)) * np.tril(np.ones((T, T)))
    A /= A.sum(axis=-1, keepdims=True)
    sources = np.arange(1, T)
    relevant = np.arange(0, T, 3)
    irrelevant = np.setdiff1d(np.arange(T), relevant)
    reference = im.attention_ratio(A, sources, relevant, irrelevant)
    for _ in range(3):
        got = im.attention_ratio(A, sources.astype(np.int32), relevant.astype(np.int32), irrelevant.tolist())
        np.testing.assert_array_equal(got, reference)
