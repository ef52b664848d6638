"""The logit lens and the in-context heads against numpy and the library's fixture
(tests/data/logit_lens_projections.txt, written by tests/data/make_logit_lens_fixtures.py)."""

import os

import numpy as np
import pytest
from conftest import attention

import icl_metrics as im

ml_dtypes = pytest.importorskip("ml_dtypes")

DTYPES = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64]
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "data", "logit_lens_projections.txt")


def read_fixture(path):
    """The '@ name dtype ndim shape...' blocks of a library fixture file."""
    out, name, meta, values = {}, None, None, []

    def close():
        if name is not None:
            shape = tuple(int(s) for s in meta[2:2 + int(meta[1])])
            arr = np.array(values, dtype=np.float64 if meta[0] == "f8" else np.int64).reshape(shape)
            out[name] = arr

    for line in open(path):
        if line.startswith("#"):
            continue
        if line.startswith("@"):
            close()
            parts = line.split()
            name, meta, values = parts[1], parts[2:], []
        else:
            values.extend(float(v) for v in line.split())
    close()
    return out


@pytest.fixture(scope="module")
def fx():
    if not os.path.exists(FIXTURE):
        pytest.skip("the library's fixtures are not next to the tests")
    return read_fixture(FIXTURE)


def log_softmax_at(logits, b):
    m = logits.max(axis=-1, keepdims=True)
    return logits[..., b] - (m[..., 0] + np.log(np.exp(logits - m).sum(axis=-1)))


def fixed_increase(E, b, x, O, h, gamma, eps=1e-6):
    scale = np.sqrt(np.mean(h * h) + eps)
    base = log_softmax_at(E @ (gamma * x / scale), b)
    return log_softmax_at((gamma * (x + O) / scale) @ E.T, b) - base


def test_logit_minus_against_the_fixture(fx):
    E, U, h, gamma = fx["E"], fx["U"], fx["h"], fx["gamma"]
    a, b = int(fx["token_a"]), int(fx["token_b"])
    np.testing.assert_allclose(im.logit_minus(U, a, b, h, E=E, gamma=gamma), fx["minus_gamma"], rtol=1e-10)
    np.testing.assert_allclose(im.logit_minus(U, E[a], E[b], h), fx["minus_ones"], rtol=1e-10)


def test_logprob_against_the_fixture(fx):
    E, x, O, gamma, b = fx["E"], fx["x"], fx["O"], fx["gamma"], int(fx["token_b"])
    inc = im.logprob_increase(E, b, x, O, normalizer="per_vector", gamma=gamma)
    np.testing.assert_allclose(inc, fx["inc_gamma"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(im.logprob_increase(E, b, x, O, normalizer="per_vector"), fx["inc_ones"],
                               rtol=1e-10, atol=1e-12)
    r = im.logprob_change(E, b, x, O, normalizer="per_vector", gamma=gamma)
    assert r.base == pytest.approx(float(fx["base_gamma"]), rel=1e-10)
    np.testing.assert_allclose(r.logprob, fx["logprob_gamma"], rtol=1e-10)
    np.testing.assert_allclose(r.increase, r.logprob - r.base, rtol=1e-12)
    assert repr(r).startswith("LogprobResult(base=")
    big = im.logprob_increase(E, b, 40 * x, 40 * O, normalizer="per_vector", gamma=80 * gamma)
    np.testing.assert_allclose(big, fx["inc_big"], rtol=1e-8, atol=1e-8)


def test_fixed_final_and_head_importance(rng):
    V, d, L, H = 23, 8, 3, 4
    E = rng.standard_normal((V, d))
    X = rng.standard_normal((L, d))
    O = rng.standard_normal((L, H, d)) * 0.5
    h = rng.standard_normal(d) * 2
    gamma = rng.uniform(0.5, 1.5, d)
    inc = im.logprob_increase(E, 4, X[0], O[0], h, gamma=gamma, eps=1e-5)
    np.testing.assert_allclose(inc, fixed_increase(E, 4, X[0], O[0], h, gamma, 1e-5), rtol=1e-10, atol=1e-12)
    maps = im.head_logprob_increase(E, [4, 9], X, O, h)
    assert maps.shape == (2, L, H)
    for k, t in enumerate([4, 9]):
        for layer in range(L):
            np.testing.assert_allclose(maps[k, layer], fixed_increase(E, t, X[layer], O[layer], h, np.ones(d)),
                                       rtol=1e-10, atol=1e-12)
    with pytest.raises(im.Error, match="fixed_final .* needs final_hidden"):
        im.logprob_increase(E, 4, X[0], O[0])
    with pytest.raises(im.Error, match="icl::attention::logprob_change"):
        im.logprob_change(E, V, X[0], O[0], h)
    with pytest.raises(im.Error, match="icl::from_string"):
        im.logprob_increase(E, 4, X[0], O[0], h, normalizer="rms")
    with pytest.raises(im.Error, match="icl::attention::head_logprob_increase: both arrays must have the same dtype"):
        im.head_logprob_increase(E, [4], X.astype(np.float32), O, h)


def values_numpy(A, V, W, head, q):
    heads, kv, dh = A.shape[0], V.shape[0], V.shape[2]
    g = head // (heads // kv)
    vo = V[g] @ W[:, head * dh:(head + 1) * dh].T        # [T, d_model]
    u = A[head, q][:, None] * vo
    return u, vo, u.sum(0)


def test_value_outputs_and_head_outputs(rng):
    heads, kv, T, dh, dm = 4, 2, 6, 3, 5
    A = attention(rng, layers=1, heads=heads, T=T)[0]
    V = rng.standard_normal((kv, T, dh))
    W = rng.standard_normal((dm, heads * dh))
    r = im.value_output_vectors(A, V, W, 3)
    u, vo, o = values_numpy(A, V, W, 3, T - 1)
    np.testing.assert_allclose(r.weighted, u, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r.unweighted, vo, rtol=1e-12)
    np.testing.assert_allclose(r.head_output, o, rtol=1e-12)
    assert (r.head, r.kv_head, r.query) == (3, 1, T - 1)
    assert repr(r) == "ValueOutputs(head=3, kv_head=1, query=5, positions=6, d_model=5)"
    at2 = im.value_output_vectors(A, V, W, 0, query=2)
    np.testing.assert_allclose(at2.weighted, values_numpy(A, V, W, 0, 2)[0], rtol=1e-12, atol=1e-14)
    Wt = np.ascontiguousarray(W.T)                       # [heads * d_head, d_model], read through .T
    outs = im.head_outputs(A, V, Wt.T)
    assert outs.shape == (heads, dm)
    for h in range(heads):
        np.testing.assert_allclose(outs[h], values_numpy(A, V, W, h, T - 1)[2], rtol=1e-12)
    with pytest.raises(im.Error, match="icl::attention::value_output_vectors"):
        im.value_output_vectors(A, V, W, heads)
    with pytest.raises(im.Error, match="icl::attention::head_outputs"):
        im.head_outputs(A, V, W[:, :-1])
    with pytest.raises(im.Error, match="icl::attention::head_outputs"):
        im.head_outputs(A, V, W, query=T)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_dtype_strided_without_a_copy(rng, dtype):
    V, d = 31, 16
    E = rng.standard_normal((V, d)).astype(dtype)
    big = rng.standard_normal((10, 3, d)).astype(dtype)
    U = big[:, 1, :]                                     # strided rows
    h = rng.standard_normal(d)
    before = im.build_info()["copies"]
    got = im.logit_minus(U, 2, 7, h, E=E)
    inc = im.logprob_increase(E, 3, h, U, h)
    assert im.build_info()["copies"] == before
    E64, U64 = E.astype(np.float64), U.astype(np.float64)
    ref = (U64 / np.sqrt(np.mean(h * h) + 1e-6)) @ (E64[2] - E64[7])
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(inc, fixed_increase(E64, 3, h, U64, h, np.ones(d)), rtol=tol, atol=tol)


def test_label_logit_minus_and_head_selection(rng):
    V, d, T = 19, 6, 8
    E = rng.standard_normal((V, d))
    U = rng.standard_normal((T, d))
    h = rng.standard_normal(d)
    m = im.logit_minus(U, 3, 4, h, E=E)
    np.testing.assert_array_equal(im.logit_minus(U, np.int64(3), np.int32(4), h, E=E), m)
    r = im.label_logit_minus(U, E, 3, 4, [1, 5], [2, 6, 7], h)
    assert r.at_a == pytest.approx(m[[1, 5]].mean(), rel=1e-12)
    assert r.at_b == pytest.approx(m[[2, 6, 7]].mean(), rel=1e-12)
    assert repr(r).startswith("LabelLogitMinus(at_a=")
    with pytest.raises(im.Error, match="icl::attention::label_logit_minus"):
        im.label_logit_minus(U, E, 3, 4, [], [2], h)
    with pytest.raises(im.Error, match="icl::attention::logit_minus"):
        im.logit_minus(U, 3, V, h, E=E)
    with pytest.raises(im.Error, match="icl::attention::logit_minus: token_a = -1 is negative"):
        im.logit_minus(U, -1, 2, h, E=E)

    foo = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.5]])
    bar = np.array([[0.7, 0.1, 0.6], [0.2, 0.9, 0.0]])
    s = im.select_in_context_heads([foo, bar], top_k=2)
    assert s.per_label == [[(0, 1), (1, 0)], [(1, 1), (0, 0)]]
    assert s.merged == [(0, 1), (1, 1), (1, 0), (0, 0)]
    assert im.select_in_context_heads(np.stack([foo, bar]), fraction=0.5).per_label[0] == [(0, 1), (1, 0), (1, 2)]
    assert "InContextHeads(per_label=2 lists" in repr(s)
    with pytest.raises(im.Error, match="icl::attention::select_in_context_heads"):
        im.select_in_context_heads([foo, bar[:1]])
    with pytest.raises(im.Error, match="icl::attention::select_in_context_heads"):
        im.select_in_context_heads([foo], top_k=7)

    acc, other = im.LabelScoreAccumulator(2), im.LabelScoreAccumulator(2)
    acc.add(0, foo)
    acc.add(0, bar)
    other.add(1, bar)
    acc.merge(other)
    np.testing.assert_allclose(acc.result(), [(foo + bar) / 2, bar], rtol=1e-12)
    assert acc.prompts(0) == 2 and acc.labels == 2
    assert repr(acc) == "LabelScoreAccumulator(labels=2, prompts=[2, 1])"
    with pytest.raises(im.Error, match="icl::attention::label_score_accumulator::add"):
        acc.add(2, foo)
    with pytest.raises(im.Error, match="icl::attention::label_score_accumulator::result"):
        im.LabelScoreAccumulator(2).result()
    with pytest.raises(im.Error, match="icl::attention::label_score_accumulator"):
        im.LabelScoreAccumulator(0)


def test_in_context_heads_against_the_p4_fixture():
    path = os.path.join(os.path.dirname(__file__), "..", "data", "attention_p4.txt")
    if not os.path.exists(path):
        pytest.skip("the library's fixtures are not next to the tests")
    f = read_fixture(path)
    E, x, O, h, gamma, b = f["E"], f["x"], f["O"], f["h"], f["gamma"], int(f["token_b"])
    tol = dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(im.logprob_increase(E, b, x, O, h, gamma=gamma), f["fixed_gamma"], **tol)
    np.testing.assert_allclose(im.logprob_increase(E, b, x, O, h), f["fixed_ones"], **tol)
    r = im.logprob_change(E, b, x, O, h, gamma=gamma)
    assert r.base == pytest.approx(float(f["fixed_base"]), rel=1e-10)
    np.testing.assert_allclose(r.logprob, f["fixed_logprob"], **tol)
    np.testing.assert_allclose(im.head_logprob_increase(E, f["label_tokens"], f["X"], f["OH"], h, gamma=gamma),
                               f["head_imp"], **tol)
    A, V, W = f["A"], f["Vv"], f["WO"]
    for head in range(A.shape[0]):
        v = im.value_output_vectors(A, V, W, head)
        np.testing.assert_allclose(v.weighted, f["u"][head], **tol)
        np.testing.assert_allclose(v.unweighted, f["vo"][head], **tol)
    np.testing.assert_allclose(im.head_outputs(A, V, W), f["o"], **tol)
    q = int(f["query_q"])
    np.testing.assert_allclose(im.value_output_vectors(A, V, W, 2, query=q).weighted, f["u_q"], **tol)
    np.testing.assert_allclose(im.head_outputs(A, V, W, query=q)[2], f["o_q"], **tol)
    ta, tb = (int(t) for t in f["label_tokens"])
    m = im.label_logit_minus(f["u"][1], E, ta, tb, f["positions_a"], f["positions_b"], h, gamma=gamma)
    np.testing.assert_allclose([m.at_a, m.at_b], f["minus_at"], **tol)
    as_pairs = lambda heads: [tuple(p) for p in np.asarray(heads).tolist()]
    s = im.select_in_context_heads(f["S"], top_k=3)
    assert s.per_label == [as_pairs(t) for t in f["top3"]] and s.merged == as_pairs(f["merged3"])
    s = im.select_in_context_heads(list(f["S"]), fraction=0.25)
    assert s.per_label == [as_pairs(t) for t in f["top_frac"]] and s.merged == as_pairs(f["merged_frac"])
    assert im.majority_label_gap(f["balanced"], f["reduced"]).gap == pytest.approx(float(f["gap"]), rel=1e-12)
    assert im.order_accuracy_std(f["orders"]) == pytest.approx(float(f["order_std0"]), rel=1e-12)
    assert im.order_accuracy_std(list(f["orders"]), ddof=1) == pytest.approx(float(f["order_std1"]), rel=1e-12)
    np.testing.assert_allclose(im.label_attention_std(f["label_att"]), f["att_std0"], rtol=1e-12)
    np.testing.assert_allclose(im.label_attention_std(f["label_att"], ddof=1), f["att_std1"], rtol=1e-12)
