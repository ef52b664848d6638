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


def label_bias(A, label_positions, label_classes):
    """Bias statistics of one prompt (METRICS.md section 5, docs/attention.md):
    majority excess (None without a unique majority class), recency excess, recency profile."""
    tokens = A.shape[-1]
    pos = np.asarray(label_positions)
    cls = np.asarray(label_classes)
    m = A[:, :, tokens - 1, pos]                       # [L, H, k]
    share = m / m.sum(axis=-1, keepdims=True)
    order = np.argsort(-pos, kind="stable")            # nearest (largest position) first
    profile = share[:, :, order]
    recency = profile[:, :, 0] - 1.0 / len(pos)
    values, counts = np.unique(cls, return_counts=True)
    top = counts.max()
    majority = None
    if (counts == top).sum() == 1:
        c = values[np.argmax(counts)]
        majority = share[:, :, cls == c].sum(axis=-1) - top / len(pos)
    return majority, recency, profile


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
    attentions = []
    sums_ratio = np.zeros((layers, heads))
    sums_pth = np.zeros((layers, heads))
    sums_ih = np.zeros((layers, heads))
    for p, (tokens, src, rel, irr, lab_pos, labels) in enumerate(prompts):
        A = causal_attention(rng, layers, heads, tokens)
        name = "p%d_" % p
        attentions.append(A)
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

    # Bias statistics per prompt and their means over the prompts where each is defined.
    majority_sum, majority_n = np.zeros((layers, heads)), 0
    recency_sum = np.zeros((layers, heads))
    width = max(len(p[4]) for p in prompts)
    profile_sum, profile_n = np.zeros((layers, heads, width)), np.zeros(width)
    for p, (tokens, src, rel, irr, lab_pos, labels) in enumerate(prompts):
        majority, recency, profile = label_bias(attentions[p], lab_pos, labels)
        name = "p%d_" % p
        if majority is not None:
            w.f8(name + "majority_excess", majority)
            majority_sum += majority
            majority_n += 1
        w.f8(name + "recency_excess", recency)
        w.f8(name + "recency_profile", profile)
        recency_sum += recency
        profile_sum[:, :, :len(lab_pos)] += profile
        profile_n[:len(lab_pos)] += 1
    w.f8("mean_majority_excess", majority_sum / majority_n)
    w.f8("mean_recency_excess", recency_sum / len(prompts))
    w.f8("mean_recency_profile", profile_sum / profile_n)
    w.i8("profile_prompts", profile_n.astype(int))

    # The ICL-minus-no-ICL change of prompt 0's ratio against prompt 1's, and the label-attention
    # shift of prompt 1 when its labels are reversed (0 <-> 1).
    r0 = ratio(attentions[0], *prompts[0][1:4], True)
    r1 = ratio(attentions[1], *prompts[1][1:4], True)
    w.f8("change_ratio_p0_minus_p1", r0 - r1)
    A1, lab_pos1, labels1 = attentions[1], prompts[1][4], np.asarray(prompts[1][5])
    last = A1[:, :, A1.shape[-1] - 1, :]
    def per_class(labs):
        return np.stack([last[:, :, [q for q, c in zip(lab_pos1, labs) if c == k]].sum(axis=-1)
                         for k in (0, 1)], axis=-1)
    w.i8("p1_reversed_labels", 1 - labels1)
    w.f8("p1_label_attention_shift", per_class(1 - labels1) - per_class(labels1))
    w.write()


if __name__ == "__main__":
    main()
