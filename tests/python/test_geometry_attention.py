"""Geometry (CKA, effective dimension) and attention scores against numpy."""

import numpy as np
import pytest
from conftest import attention

import icl_metrics as im


def cka_numpy(X, Y):
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    K, L = Xc @ Xc.T, Yc @ Yc.T
    return np.sum(K * L) / (np.linalg.norm(K) * np.linalg.norm(L))


def test_linear_cka(rng):
    X = rng.standard_normal((30, 10))
    Y = X @ rng.standard_normal((10, 6)) + 0.5 * rng.standard_normal((30, 6))
    assert im.linear_cka(X, Y) == pytest.approx(cka_numpy(X, Y), rel=1e-10)
    assert im.linear_cka(X, X) == pytest.approx(1.0, rel=1e-12)
    assert 0 < im.linear_cka(X, Y, debiased=True) < 1


def test_cka_matrix(rng):
    H = rng.standard_normal((3, 20, 5))
    M = im.cka_matrix(H)
    assert M.shape == (3, 3)
    assert M[0, 2] == pytest.approx(cka_numpy(H[0], H[2]), rel=1e-10)
    G = rng.standard_normal((2, 20, 4))
    assert im.cka_matrix(H, G)[2, 1] == pytest.approx(cka_numpy(H[2], G[1]), rel=1e-10)


def test_effective_dimension(rng):
    H = rng.standard_normal((40, 8)) * np.arange(1, 9)
    s = np.linalg.svd(H - H.mean(0), compute_uv=False)
    assert im.effective_dimension(H) == pytest.approx(np.sum(s**2) ** 2 / np.sum(s**4), rel=1e-10)
    layers = np.stack([H, H[:, ::-1] * 2])
    np.testing.assert_allclose(im.effective_dimension_curve(layers), [im.effective_dimension(H)] * 2, rtol=1e-12)


def test_previous_token_score(rng):
    A = attention(rng)
    expected = np.diagonal(A, offset=-1, axis1=2, axis2=3).sum(-1)
    np.testing.assert_allclose(im.previous_token_score(A), expected, rtol=1e-12)
    np.testing.assert_allclose(im.previous_token_score(A[1]), expected[1:], rtol=1e-12)


def test_induction_score(rng):
    A = attention(rng)
    positions = [1, 3, 4]
    np.testing.assert_allclose(im.induction_score(A, positions), A[:, :, -1, positions].sum(-1), rtol=1e-12)


def test_attention_ratio(rng):
    A = attention(rng)
    sources, relevant, irrelevant = [5, 6], [1, 2], [0, 3, 4]
    num = A[:, :, sources][:, :, :, relevant].sum((-1, -2)) / len(relevant)
    den = A[:, :, sources][:, :, :, irrelevant].sum((-1, -2)) / len(irrelevant)
    got = im.attention_ratio(A, sources, relevant, irrelevant)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, num / den, rtol=1e-12)
    unnormalized = im.attention_ratio(A, np.array(sources), relevant, irrelevant, normalize=False)
    np.testing.assert_allclose(unnormalized, num * len(relevant) / (den * len(irrelevant)), rtol=1e-12)


def test_label_attention(rng):
    A = attention(rng)
    positions, labels = [1, 2, 4, 5], [7, 3, 7, 3]
    r = im.label_attention(A, positions, labels)
    np.testing.assert_array_equal(r.classes, [3, 7])
    assert r.values.shape == (2, 3, 2)
    np.testing.assert_allclose(r.values[..., 0], A[:, :, -1, [2, 5]].sum(-1), rtol=1e-12)
    np.testing.assert_allclose(r.values[..., 1], A[:, :, -1, [1, 4]].sum(-1), rtol=1e-12)
    assert repr(r) == "LabelAttention(layers=2, heads=3, classes=2)"


def test_top_heads():
    scores = np.array([[0.1, 0.9, 0.3], [np.inf, 0.2, 0.9]])
    assert im.top_heads(scores, 0.5) == [(1, 0), (0, 1), (1, 2)]
    with pytest.raises(im.Error, match="icl::attention::top_heads"):
        im.top_heads(scores, 0.0)


def test_label_bias_matches_numpy(rng):
    prompts = [attention(rng, T=7), attention(rng, T=9)]
    positions = [[1, 3, 5], [2, 4, 6, 7]]
    classes = [[0, 1, 0], [1, 1, 0, 1]]
    r = im.label_bias(prompts, positions, classes)
    majority, recency = [], []
    for A, p, c in zip(prompts, positions, classes):
        m = A[:, :, -1, p]
        shares = m / m.sum(-1, keepdims=True)
        c = np.array(c)
        top = np.bincount(c).argmax()
        majority.append(shares[..., c == top].sum(-1) - np.mean(c == top))
        recency.append(shares[..., np.argmax(p)] - 1 / len(p))
    np.testing.assert_allclose(r.majority_excess, np.mean(majority, axis=0), rtol=1e-12)
    np.testing.assert_allclose(r.recency_excess, np.mean(recency, axis=0), rtol=1e-12)
    assert r.prompts == 2 and r.recency_profile.shape == (2, 3, 4)
    with pytest.raises(im.Error, match="one of each per prompt"):
        im.label_bias(prompts, positions[:1], classes)


def test_pool_tokens_and_standardize(rng):
    from scipy.stats import zscore
    tokens = rng.standard_normal((5, 6, 3))
    np.testing.assert_allclose(im.pool_tokens(tokens, [1, 4]), tokens[:, [1, 4]].mean(1), rtol=1e-12)
    np.testing.assert_array_equal(im.pool_tokens(tokens, [1, 4], how="max"), tokens[:, [1, 4]].max(1))
    per_prompt = [[0], [1, 2], [5], [3, 3], [2, 0]]
    expected = np.stack([tokens[i, p].mean(0) for i, p in enumerate(per_prompt)])
    np.testing.assert_allclose(im.pool_tokens(tokens, per_prompt), expected, rtol=1e-12)
    assert im.pool_tokens(tokens.astype(np.float16), [0]).dtype == np.float32
    X = rng.standard_normal((8, 4))
    np.testing.assert_allclose(im.standardize(X), zscore(X, axis=0), rtol=1e-12)
    np.testing.assert_allclose(im.standardize(X, "zscore_rows"), zscore(X, axis=1), rtol=1e-12)
    with pytest.raises(im.Error, match="icl::pool_tokens"):
        im.pool_tokens(tokens, [6])
