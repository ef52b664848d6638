"""Reference values for the [P2] (Yang et al.) analyses of METRICS.md section 4 (tests/geometry,
tests/core/test_mann_whitney.cpp).

Writes
  p2_mann_whitney.txt   scipy.stats.mannwhitneyu(x, y, alternative=..., method='auto') for the
                        three alternatives: exact (a sample of at most 8 values, no ties) and
                        asymptotic (larger samples, or ties: tie and continuity corrections),
                        and on the layer indices of two head sets;
  p2_alignment.txt      the alignment measures (METRICS.md 4) at the default denoising rank 10,
                        with the logit-lens argmax over the whole unembedding and over the label
                        tokens' rows only (the measures of make_geometry_fixtures.py);
  p2_retention.txt      layer retention: per transition l-1 -> l, the row norms of
                        V_{l-1}^T V_l V_l^T (top-r right singular vectors of the centred states,
                        each signed so that its largest-magnitude entry is positive) and the
                        top / bottom tokens of E v for each direction of layer l-1;
  p2_task_vectors.txt   task vectors: the mean of chosen heads' outputs (one prompt, and over
                        prompts), the mean state at a layer, and the injection h + lambda v.

Run from the repository root:  .venv/bin/python tests/data/make_p2_fixtures.py
"""

import numpy as np
import scipy
import sklearn
from scipy.stats import mannwhitneyu

from fixture_writer import FixtureWriter
from make_geometry_fixtures import Lens, pair_measures

VERSIONS = "numpy %s scipy %s scikit-learn %s" % (np.__version__, scipy.__version__, sklearn.__version__)
ALTERNATIVES = ["two-sided", "greater", "less"]


def mann_whitney_case(w, name, x, y):
    """x, y and [statistic, p] for two_sided, greater, less (in that order)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    values = []
    for alt in ALTERNATIVES:
        r = mannwhitneyu(x, y, alternative=alt, method="auto")
        values += [float(r.statistic), float(r.pvalue)]
    w.f8(name + "_x", x)
    w.f8(name + "_y", y)
    w.f8(name + "_result", np.array(values).reshape(3, 2))


def mann_whitney_fixtures(rng):
    w = FixtureWriter("p2_mann_whitney.txt",
                      "scipy.stats.mannwhitneyu(x, y, alternative, method='auto'): per case x, y and\n"
                      "result[k] = [statistic (U of x), p] for k = two-sided, greater, less.\n"
                      "cases: exact_* (a sample of <= 8 values, no ties), asym_* (normal approximation).",
                      "make_p2_fixtures.py", VERSIONS)
    names = []

    def case(name, x, y):
        mann_whitney_case(w, name, x, y)
        names.append(name)

    case("exact_small", [19, 22, 16, 29, 24], [20, 11, 17, 12])
    case("exact_one", [3.5], [1.0, 2.0, 4.0, 5.0, 6.0])
    case("exact_8x8", rng.standard_normal(8), rng.standard_normal(8) + 0.8)
    case("exact_3x40", rng.standard_normal(3) + 1.0, rng.standard_normal(40))
    case("exact_extreme", [10, 11, 12, 13, 14, 15, 16], [1, 2, 3, 4, 5, 6, 7])
    case("asym_9x9", rng.standard_normal(9), rng.standard_normal(9) + 0.5)
    case("asym_30x45", rng.standard_normal(30), rng.standard_normal(45) * 2.0 + 0.3)
    case("asym_ties_small", [1, 2, 2, 3, 5], [2, 3, 3, 4, 6, 7])      # small but tied
    case("asym_ties_large", rng.integers(0, 6, 25), rng.integers(1, 8, 31))
    case("asym_all_tied", [4, 4, 4], [4, 4, 4, 4])
    # Layer indices of two head sets (previous-token heads early, induction heads later).
    pth = [(0, 1), (0, 3), (1, 0), (1, 2), (1, 3), (2, 1), (3, 0), (2, 2), (0, 0)]
    ih = [(3, 1), (4, 2), (4, 0), (5, 3), (2, 0), (5, 1), (3, 2), (4, 3)]
    w.i8("heads_a", np.array(pth))
    w.i8("heads_b", np.array(ih))
    case("heads", [l for l, _ in pth], [l for l, _ in ih])
    w.i8("heads_small_a", np.array(pth[:4]))
    w.i8("heads_small_b", np.array(ih[:3]))
    case("heads_small", [l for l, _ in pth[:4]], [l for l, _ in ih[:3]])  # ties: asymptotic
    w.write()
    return names


def alignment_fixtures(rng):
    """Three classes, d = 16, 20 rows per class, a 40-token unembedding, RMSNorm (eps 1e-5)."""
    w = FixtureWriter("p2_alignment.txt",
                      "Alignment measures (METRICS.md 4) at the default denoising rank r = 10, columns as\n"
                      "geometry_alignment.txt, per pair (0,1),(0,2),(1,2): pairs_vocabulary with the\n"
                      "logit-lens argmax over every row of E, pairs_label_rows over the label tokens'\n"
                      "rows only; all_*: the 3-way logit-lens accuracy over all rows.",
                      "make_p2_fixtures.py", VERSIONS)
    labels, n_per, d, vocab, r, eps = [0, 1, 2], 20, 16, 40, 10, 1e-5
    y = np.repeat(np.asarray(labels), n_per)
    rng.shuffle(y)
    codes = y.copy()
    E = rng.standard_normal((vocab, d))
    tokens = list(rng.choice(vocab, size=3, replace=False))
    class_rows = E[tokens]
    H = rng.standard_normal((len(y), d)) + 2.4 * class_rows[codes] / np.sqrt(d) * 3.0 + rng.standard_normal(d) * 0.3
    g = rng.uniform(0.5, 1.5, d)
    out = {}
    for mode, lens in (("vocabulary", Lens(E, tokens, g, eps)), ("label_rows", Lens(class_rows, None, g, eps))):
        pairs = []
        for a in range(3):
            for b in range(a + 1, 3):
                v, _, _, margin = pair_measures(H, codes, a, b, class_rows, lens, r)
                assert margin > 1e-5
                pairs.append(v)
        out[mode] = (np.array(pairs), lens.all_hits(H, codes, class_rows))
        assert lens.min_margin > 1e-4, (mode, lens.min_margin)
    assert not np.allclose(out["vocabulary"][0][:, 1], out["label_rows"][0][:, 1])
    w.f8("H", H)
    w.i8("y", y)
    w.f8("E", E)
    w.i8("tokens", tokens)
    w.f8("gamma", g)
    for mode in ("vocabulary", "label_rows"):
        w.f8("pairs_" + mode, out[mode][0])
        w.f8("all_" + mode, out[mode][1])
    w.write()


def signed_top_right(H, r):
    """Top-r right singular vectors of the centred H (rows), each with its largest-|.| entry > 0."""
    Hc = H - H.mean(axis=0)
    _, S, Vt = np.linalg.svd(Hc, full_matrices=False)
    V = Vt[:r].copy()
    for k in range(r):
        a = np.abs(V[k])
        j = int(np.argmax(a))
        assert np.sort(a)[-1] - np.sort(a)[-2] > 1e-3, "sign rule ambiguous"
        if V[k, j] < 0:
            V[k] = -V[k]
    assert np.all(np.diff(S[: r + 1]) < -0.05 * S[0]), "singular values too close"
    return V


def retention_case(w, prefix, rng, layers, n, d, r, k, vocab):
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    # Each layer keeps some directions of the one before, drops others, brings new ones.
    used = [[0, 1, 2], [0, 3, 1], [4, 3, 5], [5, 6, 4]][:layers]
    H = np.empty((layers, n, d))
    for l in range(layers):
        Z = rng.standard_normal((n, 3))
        Z = (Z - Z.mean(axis=0)) / Z.std(axis=0)
        H[l] = (Z * np.array([6.0, 4.0, 2.5])) @ Q[:, used[l]].T + 0.15 * rng.standard_normal((n, d)) + 0.5
    E = rng.standard_normal((vocab, d))
    w.f8(prefix + "H", H)
    w.f8(prefix + "E", E)
    w.i8(prefix + "r", r)
    w.i8(prefix + "k", k)
    for l in range(1, layers):
        Vp, Vc = signed_top_right(H[l - 1], r), signed_top_right(H[l], r)
        M = Vp @ Vc.T @ Vc
        scores = Vp @ E.T
        for row in scores:
            s = np.sort(row)  # the top and bottom k + 1 scores are apart (no tie at the cut)
            assert np.min(np.diff(s[: k + 1])) > 1e-4 and np.min(np.diff(s[-k - 1:])) > 1e-4, "scores too close"
        w.f8(prefix + "norms_%d" % l, np.linalg.norm(M, axis=1))
        w.f8(prefix + "directions_%d" % l, Vp)
        w.i8(prefix + "top_%d" % l, np.argsort(-scores, axis=1, kind="stable")[:, :k])
        w.i8(prefix + "bottom_%d" % l, np.argsort(scores, axis=1, kind="stable")[:, :k])
    return H, E


def retention_fixtures(rng):
    w = FixtureWriter("p2_retention.txt",
                      "Layer retention on H [layers, n, d] (rank r, top_k tokens of E [V, d]): for each\n"
                      "transition l = 1..L-1, norms_<l>[i] = |row i of V_{l-1}^T V_l V_l^T| (V: top-r right\n"
                      "singular vectors of the centred states, signed so that the largest-|.| entry is\n"
                      "positive), directions_<l> = V_{l-1} (r x d), top_<l>/bottom_<l>: indices of the\n"
                      "k largest / smallest entries of E v_i (stable order). Records without a prefix:\n"
                      "n > d; with the prefix wide_: n < d.",
                      "make_p2_fixtures.py", VERSIONS)
    retention_case(w, "", rng, 4, 40, 10, 3, 4, 25)
    retention_case(w, "wide_", rng, 3, 12, 30, 3, 5, 40)
    w.write()


def task_vector_fixtures(rng):
    w = FixtureWriter("p2_task_vectors.txt",
                      "Task vectors: outputs O [layers, heads, d] of one prompt and O4 [prompts, layers,\n"
                      "heads, d]; heads (layer, head) pairs; from_heads = mean over the listed heads of O,\n"
                      "from_heads4 = mean over prompts and heads of O4; states [layers, n, d], at_layer,\n"
                      "from_states = mean over the n prompts at that layer; h [n, d], lam, inject = h + lam v\n"
                      "with v = from_heads.",
                      "make_p2_fixtures.py", VERSIONS)
    layers, heads, d, prompts, n = 3, 4, 6, 5, 7
    O = rng.standard_normal((layers, heads, d))
    O4 = rng.standard_normal((prompts, layers, heads, d))
    chosen = np.array([(2, 1), (0, 3), (1, 1), (2, 1)])  # a head listed twice counts twice
    states = rng.standard_normal((layers, n, d))
    h = rng.standard_normal((n, d))
    lam = 2.5
    v = np.mean([O[l, hh] for l, hh in chosen], axis=0)
    w.f8("O", O)
    w.f8("O4", O4)
    w.i8("heads", chosen)
    w.f8("from_heads", v)
    w.f8("from_heads4", np.mean([O4[:, l, hh] for l, hh in chosen], axis=(0, 1)))
    w.f8("states", states)
    w.i8("at_layer", 1)
    w.f8("from_states", states[1].mean(axis=0))
    w.f8("h", h)
    w.f8("lam", lam)
    w.f8("inject", h + lam * v)
    w.write()


def main():
    rng = np.random.default_rng(20250518)
    names = mann_whitney_fixtures(rng)
    print("mann-whitney cases:", " ".join(names))
    alignment_fixtures(rng)
    retention_fixtures(rng)
    task_vector_fixtures(rng)


if __name__ == "__main__":
    main()
