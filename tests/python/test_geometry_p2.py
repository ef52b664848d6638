"""The [P2] geometry: retention against numpy's SVD, task vectors and their injection, the
alignment measures alone and per layer, CKA per layer."""

import numpy as np
import pytest

import icl_metrics as im


def top_directions(H, r):
    Hc = H - H.mean(0)
    _, s, Vt = np.linalg.svd(Hc, full_matrices=False)
    V = Vt[:r]
    signs = np.sign(V[np.arange(r), np.argmax(np.abs(V), axis=1)])
    return V * signs[:, None], s[:r]


def test_retention_matches_numpy(rng):
    prev = rng.standard_normal((30, 8)) * np.arange(1, 9)
    cur = prev @ np.diag([1, 1, 1, 0.01, 1, 0.01, 1, 1]) + 0.1 * rng.standard_normal((30, 8))
    r = 3
    V, s = top_directions(prev, r)
    W, _ = top_directions(cur, r)
    got = im.retention(prev, cur, r)
    assert got.layer == 1
    np.testing.assert_allclose(got.singular_values, s, rtol=1e-10)
    np.testing.assert_allclose(got.directions, V, atol=1e-10)
    np.testing.assert_allclose(got.norms, np.linalg.norm(V @ W.T, axis=1), atol=1e-10)
    assert got.top_tokens == [] and repr(got).startswith("RetentionResult(layer=1, norms=[")
    E = rng.standard_normal((20, 8))
    decoded = im.retention(prev, cur, r, E=E, top_k=4)
    for i in range(r):
        scores = E @ decoded.directions[i]
        assert decoded.top_tokens[i] == list(np.argsort(-scores, kind="stable")[:4])
        assert decoded.bottom_tokens[i] == list(np.argsort(scores, kind="stable")[:4])
    H = np.stack([prev, cur, cur[::-1]])
    layers = im.layer_retention(H, r)
    assert [x.layer for x in layers] == [1, 2]
    np.testing.assert_array_equal(layers[0].norms, got.norms)
    with pytest.raises(im.Error, match="icl::geometry::layer_retention"):
        im.layer_retention(H[:1], r)


def test_task_vectors_and_injection(rng):
    outputs = rng.standard_normal((4, 3, 6))          # [layers, heads, d]
    heads = [(1, 2), (3, 0), (1, 2)]
    np.testing.assert_allclose(im.head_task_vector(outputs, heads), outputs[[1, 3, 1], [2, 0, 2]].mean(0), rtol=1e-12)
    prompts = rng.standard_normal((5, 4, 3, 6))
    np.testing.assert_allclose(im.head_task_vector(prompts, heads), prompts[:, [1, 3, 1], [2, 0, 2]].mean((0, 1)),
                               rtol=1e-12)
    states = rng.standard_normal((3, 10, 6))
    np.testing.assert_allclose(im.state_task_vector(states[2]), states[2].mean(0), rtol=1e-12)
    np.testing.assert_array_equal(im.state_task_vector(states, layer=2), im.state_task_vector(states[2]))
    v = im.state_task_vector(states[0])
    h = rng.standard_normal((2, 7, 6)).astype(np.float32)
    expected = h.copy()
    expected[:, -1, :] = (h[:, -1, :].astype(np.float64) + 0.5 * v).astype(np.float32)
    im.inject_task_vector(h[:, -1, :], v, 0.5)          # a strided view, changed in place
    np.testing.assert_array_equal(h, expected)
    one = np.zeros(6)
    im.inject_task_vector(one, v, 2.0)
    np.testing.assert_allclose(one, 2.0 * v, rtol=1e-15)
    frozen = np.zeros((2, 6))
    frozen.flags.writeable = False
    with pytest.raises(im.Error, match="icl::geometry::inject_task_vector: h must be a writable"):
        im.inject_task_vector(frozen, v, 1.0)
    with pytest.raises(im.Error, match="icl::geometry::inject_task_vector"):
        im.inject_task_vector(np.zeros((2, 5)), v, 1.0)
    with pytest.raises(im.Error, match="icl::geometry::head_task_vector"):
        im.head_task_vector(outputs, [(4, 0)])


def test_inject_bfloat16():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    h = np.ones((3, 4), dtype=ml_dtypes.bfloat16)
    im.inject_task_vector(h, [1.0, 2.0, 3.0, 4.0], 0.25)
    np.testing.assert_array_equal(h.astype(np.float64), np.ones((3, 4)) + 0.25 * np.arange(1, 5))


def alignment_data(rng, layers=None):
    labels = np.arange(36) % 3
    E = rng.standard_normal((3, 10))
    shape = (36, 10) if layers is None else (layers, 36, 10)
    H = rng.standard_normal(shape) + 1.5 * E[labels]
    return H, labels, E


def test_alignment_measures_alone_and_per_layer(rng):
    H, labels, E = alignment_data(rng, layers=3)
    full = [im.separability_alignment(H[l], labels, E, denoise_rank=4) for l in range(3)]
    curves = im.separability_alignment_curves(H, labels, E, denoise_rank=4)
    for name in ("separability", "output_alignment", "composite_alignment", "denoised_output_alignment",
                 "output_alignment_all_classes", "effective_dimension"):
        np.testing.assert_array_equal(getattr(curves, name), [getattr(r, name) for r in full], err_msg=name)
    assert len(curves.layers) == 3 and repr(curves).startswith("AlignmentCurves(separability=[")
    assert im.denoised_output_alignment(H[1], labels, E, 4) == full[1].denoised_output_alignment
    alone = im.separability(H[1], labels)
    assert alone.separability == full[1].separability
    assert len(full[1].pairs) == 3 and full[1].pairs[2].label_a == 1 and full[1].pairs[2].label_b == 2
    assert full[1].has_separability and repr(full[1].pairs[0]).startswith("PairAlignment(label_a=0, label_b=1")


def test_label_token_ids_and_directional_separability(rng):
    H, labels, E = alignment_data(rng)
    vocabulary = np.vstack([rng.standard_normal((5, 10)), E, rng.standard_normal((4, 10))])
    rows = im.separability_alignment(H, labels, vocabulary, separability=False, denoise_rank=4,
                                     label_token_ids=[5, 6, 7], argmax="label_rows")
    direct = im.separability_alignment(H, labels, E, separability=False, denoise_rank=4)
    assert rows.output_alignment == direct.output_alignment
    assert rows.denoised_output_alignment == direct.denoised_output_alignment
    normed = im.separability_alignment(H, labels, E, separability=False, denoise_rank=4,
                                       final_norm_gamma=np.linspace(0.5, 2, 10), final_norm_epsilon=1e-5)
    assert 0 <= normed.output_alignment <= 1
    two = labels < 2
    u = rng.standard_normal(10)
    s = H[two] @ u
    expected = (np.sum(s[labels[two] == 0] >= 0) + np.sum(s[labels[two] == 1] < 0)) / two.sum()
    assert im.directional_separability(H[two], labels[two], u) == pytest.approx(expected)
    with pytest.raises(im.Error, match="icl::geometry::directional_separability"):
        im.directional_separability(H, labels, u)


def test_cka_curve(rng):
    X, Y = rng.standard_normal((3, 20, 5)), rng.standard_normal((3, 20, 7))
    np.testing.assert_allclose(im.cka_curve(X, Y), [im.linear_cka(X[l], Y[l]) for l in range(3)], rtol=1e-12)
