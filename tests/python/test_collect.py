"""The Collector: fed by prompt, by layer (as from forward hooks) and in shards, against the batch
functions on the same rows."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from conftest import attention

import icl_metrics as im

ml_dtypes = pytest.importorskip("ml_dtypes")

DTYPES = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64]
L, N, T, D = 3, 24, 5, 8


@pytest.fixture
def data(rng):
    """Per-prompt hidden states [prompts, layers, T, d] (class means apart), labels, attention."""
    labels = np.arange(N) % 3
    means = rng.standard_normal((L, 3, D)) * 2
    hidden = means[:, labels].transpose(1, 0, 2)[:, :, None, :] + rng.standard_normal((N, L, T, D))
    maps = [attention(rng, layers=L, heads=2, T=T) for _ in range(N)]
    return hidden, labels, maps


SUITE = dict(permutations=200, k=3, folds=3)


def batch(H3, labels):
    """What run_suite computes, from the batch functions on [layers, prompts, d]."""
    hyp = im.categorical_rdm(labels)
    rsa = [im.permutation_test(im.compute_rdm(H3[l]), hyp, permutations=200, seed=0) for l in range(L)]
    return dict(rsa=rsa, td=im.decodability_curve(H3, labels, k=3),
                cv=[im.cross_validate_logistic(H3[l], labels, folds=3) for l in range(L)],
                ed=im.effective_dimension_curve(H3),
                cka=[im.linear_cka(H3[l], H3[l + 1]) for l in range(L - 1)])


def test_by_prompt_matches_the_batch_functions(data):
    hidden, labels, _ = data
    c = im.Collector(L, D, stored="f64")
    for i in range(N):
        assert c.add_prompt(hidden[i, :, -1, :], int(labels[i])) == i   # [layers, d]: one position
    r = c.run_suite(**SUITE)
    H3 = np.ascontiguousarray(hidden[:, :, -1, :].transpose(1, 0, 2))
    ref = batch(H3, labels)
    np.testing.assert_array_equal(r.rsa_curve, [t.statistic for t in ref["rsa"]])
    assert [t.p_value for t in r.rsa] == [t.p_value for t in ref["rsa"]]
    np.testing.assert_array_equal(r.decodability.values, ref["td"].values)
    np.testing.assert_array_equal(r.probe_curve, [cv.mean for cv in ref["cv"]])
    np.testing.assert_array_equal(r.effective_dimension, ref["ed"])
    np.testing.assert_array_equal(r.cka_consecutive, ref["cka"])
    assert len(r.geometry) == L and r.separability_curve.shape == (L,)
    np.testing.assert_array_equal(r.prompt_indices, np.arange(N))
    assert r.attention.previous_token is None and "SuiteResult(prompts=24" in repr(r)
    np.testing.assert_array_equal(c.states(), H3)
    assert len(c) == N and c.memory()["states"] == N * L * D * 8


def test_by_layer_from_hooks_shuffled_and_sharded(data, rng):
    hidden, labels, maps = data
    whole = im.Collector(L, D, positions=2)
    shards = [whole.make_shard() for _ in range(3)]
    order = rng.permutation(N)
    for n, i in enumerate(order):
        c = shards[n % 3]
        c.begin_prompt(int(labels[i]), index=int(i), label_positions=[1, 2], sources=[T - 1], relevant=[1],
                       irrelevant=[0, 2])
        assert c.prompt_open
        for layer in reversed(range(L)):                 # a hook sees one layer at a time
            c.add_layer(layer, hidden[i, layer, -2:, :])  # [positions, d], a strided view
            c.add_attention(layer, maps[i][layer])
        c.end_prompt()
    for s in shards:
        whole.merge(s)
    assert len(whole) == N and not whole.sorted
    direct = im.Collector(L, D, positions=2)
    for i in range(N):
        direct.add_prompt(hidden[i, :, -2:, :], int(labels[i]), attention=maps[i], label_positions=[1, 2],
                          sources=[T - 1], relevant=[1], irrelevant=[0, 2])
    a, b = whole.run_suite(**SUITE), direct.run_suite(**SUITE)
    np.testing.assert_array_equal(a.rsa_curve, b.rsa_curve)
    np.testing.assert_array_equal(a.decodability.values, b.decodability.values)
    np.testing.assert_array_equal(a.attention.induction, b.attention.induction)
    np.testing.assert_array_equal(whole.states(position=0), direct.states(position=0))
    prev, ind, ratio = im.PreviousTokenAccumulator(), im.InductionAccumulator(), im.RatioAccumulator()
    for i in range(N):
        prev.add(maps[i])
        ind.add(maps[i], [1, 2])
        ratio.add(maps[i], [T - 1], [1], [0, 2])
    np.testing.assert_array_equal(a.attention.previous_token, prev.result())
    np.testing.assert_array_equal(a.attention.induction, ind.result())
    np.testing.assert_allclose(a.attention.ratio, ratio.result(), rtol=1e-12)
    np.testing.assert_allclose(a.attention.ratio_of_sums, ratio.ratio_of_sums(), rtol=1e-12)
    np.testing.assert_allclose(a.attention.induction_curve, ind.result().mean(1), rtol=1e-12)
    assert whole.heads == 2


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_dtype_stored_in_the_engine_precision(data, dtype):
    hidden, labels, _ = data
    x = hidden.astype(dtype)
    stored = {np.dtype(np.float16): "f16", np.dtype(ml_dtypes.bfloat16): "bf16",
              np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}[np.dtype(dtype)]
    c = im.Collector(L, D, stored=stored, grown_rdm="correlation")
    before = im.build_info()["copies"]
    for i in range(N):
        c.add_prompt(x[i, :, -1, :], int(labels[i]))   # a strided view
    assert im.build_info()["copies"] == before
    states = c.states()
    assert states.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(states, x[:, :, -1, :].transpose(1, 0, 2))
    wide = states.astype(np.float64)
    np.testing.assert_allclose(c.grown_rdm(1), im.compute_rdm(wide[1]), rtol=1e-10, atol=1e-12)
    assert "stored='%s'" % stored in repr(c)
    config = c.config
    assert config["stored"] == stored and config["grown_rdm"] == "correlation" and config["grown_rdm_position"] is None
    assert im.Collector(**config).config == config


def test_label_directions_bootstrap_and_options(data):
    hidden, labels, _ = data
    c = im.Collector(L, D)
    for i in range(N):
        c.add_prompt(hidden[i, :, -1, :], int(labels[i]))
    directions = np.eye(3, D)
    r = c.run_suite(permutations=100, bootstrap_samples=50, label_directions=directions, denoise_rank=2,
                    probes=False, decodability=False, keep_rdms=True, hypothesis=im.categorical_rdm(labels),
                    use_grown_rdm=False)
    assert len(r.rsa_bootstrap) == L and len(r.rdms) == L and r.probes == [] and not r.used_grown_rdm
    H1 = c.states()[1]
    np.testing.assert_array_equal(r.rdms[1], im.compute_rdm(H1))
    expected = im.separability_alignment(H1, labels, directions.astype(np.float32), denoise_rank=2)
    assert r.geometry[1].composite_alignment == expected.composite_alignment
    assert r.rsa_bootstrap[1].ci_low == im.bootstrap_compare(r.rdms[1], im.categorical_rdm(labels), samples=50).ci_low


def test_errors(data):
    hidden, labels, maps = data
    c = im.Collector(L, D)
    with pytest.raises(im.Error, match="icl::collect::prompt_collector::run_suite"):
        c.run_suite()
    with pytest.raises(im.Error, match=r"icl::collect::prompt_collector::add_layer: no prompt is open"):
        c.add_layer(0, hidden[0, 0, -1])
    with pytest.raises(im.Error, match="icl::collect::prompt_collector::add_prompt: hidden has 2 layers, expected 3"):
        c.add_prompt(hidden[0, :2, -1, :])
    bad = hidden[0, :, -1, :].copy()
    bad[1, 4] = np.nan
    with pytest.raises(im.Error, match="prompt 0 layer 1 position 0 feature 4"):
        c.add_prompt(bad)
    assert len(c) == 0 and not c.prompt_open          # nothing kept
    c.add_prompt(hidden[0, :, -1, :], index=5)
    with pytest.raises(im.Error, match="prompt index 5 was already added"):
        c.add_prompt(hidden[1, :, -1, :], index=5)
    c.begin_prompt(1)
    with pytest.raises(im.Error, match="rows is 1 x 7"):
        c.add_layer(0, hidden[1, 0, -1, :7])
    with pytest.raises(im.Error, match="has no states for layer 0"):
        c.end_prompt()
    assert not c.prompt_open
    with pytest.raises(im.Error, match="icl::collect::prompt_collector::merge"):
        c.merge(c)
    with pytest.raises(im.Error, match="configurations differ"):
        c.merge(im.Collector(L, D, stored="f16"))
    with pytest.raises(im.Error, match="icl::collect::prompt_collector: width = 0"):
        im.Collector(L, 0)
    with pytest.raises(im.Error, match="icl::from_string"):
        im.Collector(L, D, stored="f8")
    with pytest.raises(im.Error, match="the collector grows no RDM"):
        c.grown_rdm(0)
    with pytest.raises(im.Error, match="heads"):
        c.add_prompt(hidden[2, :, -1, :], attention=maps[0][:, :1], label_positions=[1])
        c.add_prompt(hidden[3, :, -1, :], attention=maps[0], label_positions=[1])


def test_threads_shards_and_one_shared_collector(data):
    hidden, labels, maps = data
    sequential = im.Collector(L, D, grown_rdm="euclidean")
    for i in range(N):
        sequential.add_prompt(hidden[i, :, -1, :], int(labels[i]), attention=maps[i], label_positions=[1, 3])
    shared = im.Collector(L, D, grown_rdm="euclidean")
    shards = [shared.make_shard() for _ in range(4)]

    def feed(worker):
        for i in range(worker, N, 4):   # the GIL is released while a prompt is stored
            for c in (shards[worker], shared):
                c.add_prompt(hidden[i, :, -1, :], int(labels[i]), index=i, attention=maps[i], label_positions=[1, 3])

    threads = [threading.Thread(target=feed, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged = shards[0]
    for s in shards[1:]:
        merged.merge(s)
    assert len(shards[1]) == 0
    want = sequential.run_suite(**SUITE)
    for c in (merged, shared):
        got = c.run_suite(**SUITE)
        np.testing.assert_array_equal(got.rsa_curve, want.rsa_curve)
        np.testing.assert_array_equal(got.attention.induction, want.attention.induction)
        np.testing.assert_array_equal(c.grown_rdm(2), sequential.grown_rdm(2))


def test_ctrl_c_interrupts_the_suite(tmp_path):
    script = textwrap.dedent("""
        import os, signal, threading, numpy as np, icl_metrics as im
        rng = np.random.default_rng(0)
        c = im.Collector(1, 16)
        for i in range(300):
            c.add_prompt(rng.standard_normal((1, 16)), i % 3)
        off = dict(decodability=False, probes=False, separability=False, effective_dimension=False, cka=False)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even where SIGINT arrives ignored
        threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            c.run_suite(permutations=200_000_000, **off)
            print("finished")
        except KeyboardInterrupt:
            print("interrupted")
        assert c.run_suite(permutations=9, **off).rsa[0].permutations == 9
        print("usable")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path, env=dict(os.environ))
    assert out.stdout.split() == ["interrupted", "usable"], out.stdout + out.stderr
