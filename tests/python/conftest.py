"""Fixtures of the Python package's tests (run against the installed icl_metrics)."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


@pytest.fixture
def states(rng):
    """40 prompts in 3 classes, 16 features: class means apart, unit noise."""
    labels = np.arange(40) % 3
    means = rng.standard_normal((3, 16)) * 2.0
    X = means[labels] + rng.standard_normal((40, 16))
    return X, labels


def attention(rng, layers=2, heads=3, T=7):
    """Causal attention probabilities [layers, heads, T, T] (rows sum to 1)."""
    A = rng.random((layers, heads, T, T)) * np.tril(np.ones((T, T)))
    return A / A.sum(axis=-1, keepdims=True)
