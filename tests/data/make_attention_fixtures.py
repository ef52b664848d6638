"""Reference values for the attention metrics (tests/attention/*.cpp).

Writes tests/data/attention_heads.txt: causal softmax attention of three prompts with
different lengths, and for each the attention ratio (per-token means and raw sums),
previous-token and induction scores, label attention per class, computed with numpy
straight from the definitions in METRICS.md section 5.

Run from the repository root:  .venv/bin/python tests/data/make_attention_fixtures.py
"""

import numpy as np

from fixture_writer import FixtureWriter


def causal_attention(rng, layers, heads, tokens):
    logits = rng.normal(scale=2.0, size=(layers, heads, tokens, tokens))
    mask = np.triu(np.ones((tokens, tokens), dtype=bool), k=1)
    logits[..., mask] = -np.inf
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def ratio(A, sources, relevant, irrelevant, normalize):
    num = A[:, :, sources][:, :, :, relevant].sum(axis=(2, 3))
    den = A[:, :, sources][:, :, :, irrelevant].sum(axis=(2, 3))
    if normalize:
        num = num / len(relevant)
        den = den / len(irrelevant)
    return num / den


def main():
    rng = np.random.default_rng(20261123)
    layers, heads = 3, 4
    w = FixtureWriter("attention_heads.txt",
                      "Causal softmax attention of three prompts [layers, heads, T, T] and the\n"
                      "attention metrics of METRICS.md section 5 computed with numpy.",
                      "make_attention_fixtures.py", versions="numpy " + np.__version__)
    prompts = [
        # tokens, sources, relevant, irrelevant, label positions, labels
        (9, [8], [2, 5], [0, 1, 3, 4, 6], [2, 5], [1, 0]),
        (7, [5, 6], [1, 3, 5], [0, 2], [1, 3, 5], [0, 1, 0]),
        (11, [10], [3, 7], [0, 1, 2, 4, 5, 6, 8, 9], [3, 7, 9], [7, 7, -2]),
    ]
    sums_ratio = np.zeros((layers, heads))
    sums_pth = np.zeros((layers, heads))
    sums_ih = np.zeros((layers, heads))
    for p, (tokens, src, rel, irr, lab_pos, labels) in enumerate(prompts):
        A = causal_attention(rng, layers, heads, tokens)
        name = "p%d_" % p
        w.f8(name + "A", A)
        w.i8(name + "sources", src)
        w.i8(name + "relevant", rel)
        w.i8(name + "irrelevant", irr)
        w.i8(name + "label_positions", lab_pos)
        w.i8(name + "labels", labels)
        r = ratio(A, src, rel, irr, True)
        w.f8(name + "ratio", r)
        w.f8(name + "ratio_mean_heads", r.mean(axis=1))
        w.f8(name + "ratio_raw", ratio(A, src, rel, irr, False))
        pth = np.array([[np.trace(A[l, h], offset=-1) for h in range(heads)] for l in range(layers)])
        w.f8(name + "pth", pth)
        ih = A[:, :, tokens - 1, lab_pos].sum(axis=-1)
        w.f8(name + "ih", ih)
        classes = np.unique(labels)
        la = np.stack([A[:, :, tokens - 1, [q for q, c in zip(lab_pos, labels) if c == k]].sum(axis=-1)
                       for k in classes], axis=-1)
        w.f8(name + "label_attention", la)
        w.i8(name + "classes", classes)
        sums_ratio += r
        sums_pth += pth
        sums_ih += ih
    w.f8("mean_ratio", sums_ratio / len(prompts))
    w.f8("sum_pth", sums_pth)
    w.f8("sum_ih", sums_ih)
    w.write()


if __name__ == "__main__":
    main()
