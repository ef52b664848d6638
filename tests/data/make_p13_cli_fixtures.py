"""Inputs and reference values for the program's `p1`, `cka` and `associate` subcommands
(tests/cli/test_association.cpp).

Run from the repository root after installing the pinned packages (tests/data/requirements.txt):

    .venv/bin/python tests/data/make_p13_cli_fixtures.py

Every input is drawn from numpy's default_rng with a fixed seed.  Writes into tests/data/cli/:

    p13_tokens.npy        f8 [3 layers, 9 prompts, 5 tokens, 6] token states with demonstrations
    p13_tokens_f32.npy    the same rounded to f4, stored in Fortran order (a strided view)
    p13_tokens_none.npy   f8 [3, 9, 4, 6] the same prompts without demonstrations
    p13_pooled.npy        f8 [3, 9, 6] p13_tokens max-pooled over the shared subset
    p13_subsets.npy       i8 [9, 5] a token subset per prompt, padded with -1
    p13_parameter.npy     f8 [9] the latent task parameter s (hypothesis |s_i - s_j|)
    p13_labels.npy        i8 [9] concepts (categorical hypothesis)
    p13_cka_x.npy         f8 [4, 20, 8] hidden states
    p13_cka_y.npy         f4 [4, 20, 5] hidden states of the same prompts, Fortran order
    p13_cka_z.npy         f8 [3, 20, 7] hidden states with another layer count
    p13_metric.npy        f8 [10] a metric per layer
    p13_behaviour.npy     f4 [10] a behaviour (accuracy) per layer
    p13_curves.json       the same two lists inside a result document and a results.json-like
                          document, with one null entry
    p13_reference.txt     the reference values (format: tests/data/fixture_writer.py)
"""

import json
import os
import sys

import numpy as np
import scipy
import scipy.stats
from scipy.spatial.distance import pdist

from fixture_writer import DATA_DIR, FixtureWriter
from make_geometry_fixtures import cka_gram
from make_p13_fixtures import p1_rdm, token_states

VERSIONS = "numpy {} scipy {} (python {})".format(np.__version__, scipy.__version__, sys.version.split()[0])
OUT = os.path.join(DATA_DIR, "cli")


def save(name, array):
    np.save(os.path.join(OUT, name), array, allow_pickle=False)


def p1_curve(tokens, subsets, hyp):
    return [scipy.stats.spearmanr(p1_rdm(layer, subsets), hyp).statistic for layer in tokens]


def association(w, prefix, x, y):
    """Pearson, Spearman, least-squares line and the two-sided t-test p-values of both r."""
    pr = scipy.stats.pearsonr(x, y)
    sr = scipy.stats.spearmanr(x, y)
    lr = scipy.stats.linregress(x, y)
    w.f8(prefix + "pearson", pr.statistic)
    w.f8(prefix + "spearman", sr.statistic)
    w.f8(prefix + "r_squared", lr.rvalue ** 2)
    w.f8(prefix + "slope", lr.slope)
    w.f8(prefix + "intercept", lr.intercept)
    w.f8(prefix + "pearson_p", pr.pvalue)
    w.f8(prefix + "spearman_p", sr.pvalue)


def main():
    print("using", VERSIONS)
    w = FixtureWriter("cli/p13_reference.txt", """
References of the p1, cka and associate subcommands on the p13_* inputs of this folder.
p1_<case>[l] = scipy.stats.spearmanr(pdist(zscore(max over the subset, axis=0, ddof=0), 'cosine'),
hyp).statistic per layer l, hyp = pdist(s[:, None], 'cityblock') (p13_parameter.npy) or, for
p1_labels, pdist(labels[:, None], lambda a, b: a != b) (p13_labels.npy).  Cases: shared (subset
[3, 0, 4] for every prompt), per (p13_subsets.npy), none (p13_tokens_none.npy, subset [1, 3]),
f32 (p13_tokens_f32.npy: the f4 values, computed in f64), labels (shared subset, labels).
cka_x_{biased,debiased}: linear CKA between every pair of layers of p13_cka_x (Kornblith et al.,
centered Gram matrices; debiased: U-centered); cka_xy_*[l]: layer l of x with layer l of y (the
f4 values); cka_xz_*: [4, 3] every layer of x with every layer of z.
assoc_*: scipy.stats pearsonr, spearmanr (two-sided p-values) and linregress (slope, intercept,
rvalue^2) of p13_metric.npy against p13_behaviour.npy (its f4 values); omit_*: the same with the
pair at index 4 (null in p13_curves.json) left out.
""", "make_p13_cli_fixtures.py", VERSIONS)
    rng = np.random.default_rng(20241303)

    # ---- P1 ----
    layers, n, length, d = 3, 9, 5, 6
    s = rng.uniform(-1.0, 1.0, size=n)
    labels = rng.integers(0, 3, size=n)
    direction = rng.standard_normal(d)
    strength = np.array([0.3, 2.0, 1.0])
    tokens = token_states(rng, s, direction, strength, length)
    subset = [3, 0, 4]
    sizes = rng.integers(1, length + 1, size=n)
    subsets = [rng.choice(length, size=k, replace=False) for k in sizes]
    padded = -np.ones((n, length), dtype=np.int64)
    for i, sub in enumerate(subsets):
        padded[i, :len(sub)] = sub
    tokens_none = token_states(rng, s, direction, 0.3 * strength, 4)
    tokens_f32 = np.asfortranarray(tokens.astype(np.float32))
    hyp = pdist(s[:, None], "cityblock")
    hyp_labels = pdist(labels[:, None].astype(float), lambda a, b: float(a[0] != b[0]))
    save("p13_tokens.npy", tokens)
    save("p13_tokens_f32.npy", tokens_f32)
    save("p13_tokens_none.npy", tokens_none)
    save("p13_pooled.npy", tokens[:, :, subset, :].max(axis=2))
    save("p13_subsets.npy", padded)
    save("p13_parameter.npy", s)
    save("p13_labels.npy", labels.astype(np.int64))
    w.f8("p1_shared", p1_curve(tokens, [subset] * n, hyp))
    w.f8("p1_per", p1_curve(tokens, subsets, hyp))
    w.f8("p1_none", p1_curve(tokens_none, [[1, 3]] * n, hyp))
    w.f8("p1_f32", p1_curve(tokens_f32.astype(np.float64), [subset] * n, hyp))
    w.f8("p1_labels", p1_curve(tokens, [subset] * n, hyp_labels))
    print("  p1 shared:", np.round(p1_curve(tokens, [subset] * n, hyp), 4))

    # ---- CKA ----
    m = 20
    base = rng.standard_normal((m, 4))
    x = np.stack([base @ rng.standard_normal((4, 8)) * (l + 1) + 0.5 * rng.standard_normal((m, 8))
                  for l in range(4)])
    y = np.asfortranarray(np.stack([base @ rng.standard_normal((4, 5)) + (0.3 + l) * rng.standard_normal((m, 5))
                                    for l in range(4)]).astype(np.float32))
    z = np.stack([base[:, :2] @ rng.standard_normal((2, 7)) + rng.standard_normal((m, 7)) for _ in range(3)])
    save("p13_cka_x.npy", x)
    save("p13_cka_y.npy", y)
    save("p13_cka_z.npy", z)
    y64 = y.astype(np.float64)
    for mode, debiased in (("biased", False), ("debiased", True)):
        w.f8("cka_x_" + mode, [[cka_gram(x[a], x[b], debiased) for b in range(4)] for a in range(4)])
        w.f8("cka_xy_" + mode, [cka_gram(x[l], y64[l], debiased) for l in range(4)])
        w.f8("cka_xz_" + mode, [[cka_gram(x[a], z[b], debiased) for b in range(3)] for a in range(4)])

    # ---- behaviour against metric ----
    metric = np.round(rng.uniform(0.2, 0.9, size=10), 3)
    behaviour = (0.5 * metric + 0.08 * rng.standard_normal(10)).astype(np.float32)
    save("p13_metric.npy", metric)
    save("p13_behaviour.npy", behaviour)
    b64 = behaviour.astype(np.float64)
    association(w, "assoc_", metric, b64)
    keep = np.arange(10) != 4
    association(w, "omit_", metric[keep], b64[keep])
    with_null = [None if i == 4 else float(v) for i, v in enumerate(metric)]
    curves = {"result": {"overall": with_null},
              "tasks": [{"name": "other", "accuracy": []},
                        {"name": "sizes", "decodability": {"overall": [float(v) for v in metric]},
                         "accuracy": [float(v) for v in b64]}]}
    with open(os.path.join(OUT, "p13_curves.json"), "w", encoding="ascii") as out:
        json.dump(curves, out, indent=1)
        out.write("\n")
    w.write()


if __name__ == "__main__":
    main()
