"""Reference values for the hidden-state geometry tests (tests/geometry).

Writes
  geometry_alignment.txt   every measure of METRICS.md 4 per label pair and averaged, on fixed
                           binary and 3-class inputs with n < d and n > d, with and without the
                           final RMSNorm, with label rows or a full unembedding and token ids;
  geometry_cka.txt         linear CKA (biased and debiased) and effective dimension;
  geometry_separability.txt  logistic-probe accuracy on a fixed train/test split (scikit-learn).

Every measure is implemented here from its definition with numpy (SVD for the spectra, the
Gram-matrix and feature-space forms of CKA checked against each other).

Run from the repository root:  .venv/bin/python tests/data/make_geometry_fixtures.py
"""

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from fixture_writer import FixtureWriter

VERSIONS = "numpy %s scikit-learn %s" % (np.__version__, sklearn.__version__)
MEASURES = ["directional_separability", "output_alignment", "singular_alignment",
            "variance_alignment", "mean_alignment", "composite_alignment",
            "effective_dimension", "denoised_output_alignment"]


def rmsnorm(h, gamma, eps):
    return gamma * h / np.sqrt(np.mean(h * h, axis=-1, keepdims=True) + eps)


class Lens:
    """Logit lens: label rows (argmax over the pair's two rows) or a full unembedding."""

    def __init__(self, E, tokens, gamma, eps):
        self.E, self.tokens, self.gamma, self.eps = E, tokens, gamma, eps
        self.min_margin = np.inf

    def norm(self, rows):
        return rows if self.gamma is None else rmsnorm(rows, self.gamma, self.eps)

    def _margin(self, logits):
        s = np.sort(logits, axis=1)
        m = (s[:, -1] - s[:, -2]) / (np.abs(s[:, -1]) + 1.0)
        self.min_margin = min(self.min_margin, float(m.min()))

    def hits(self, rows, codes, a, b, class_rows):
        g = self.norm(rows)
        if self.tokens is None:
            logits = g @ np.stack([class_rows[a], class_rows[b]]).T
            self._margin(logits)
            pred = np.where(np.argmax(logits, axis=1) == 0, a, b)
            return np.sum(pred == codes)
        logits = g @ self.E.T
        self._margin(logits)
        return np.sum(np.argmax(logits, axis=1) == np.asarray(self.tokens)[codes])

    def all_hits(self, rows, codes, class_rows):
        g = self.norm(rows)
        cand = class_rows if self.tokens is None else self.E
        target = codes if self.tokens is None else np.asarray(self.tokens)[codes]
        logits = g @ cand.T
        self._margin(logits)
        return np.mean(np.argmax(logits, axis=1) == target)


def pair_measures(H, codes, a, b, class_rows, lens, r, top=2):
    mask = (codes == a) | (codes == b)
    Hp, cp = H[mask], codes[mask]
    n = Hp.shape[0]
    e = class_rows[a] - class_rows[b]
    e = e / np.linalg.norm(e)
    proj = Hp @ e
    margin = np.min(np.abs(proj)) / (np.max(np.abs(proj)) + 1.0)
    dirsep = np.mean(np.where(cp == a, proj >= 0, proj < 0))
    mu = Hp.mean(axis=0)
    Hc = Hp - mu
    U, S, Vt = np.linalg.svd(Hc, full_matrices=False)
    singular = max(abs(Vt[k] @ e) for k in range(min(top, len(S))))
    cov = Hc.T @ Hc / n
    variance = e @ cov @ e / np.trace(cov)
    variance_raw = e @ cov @ e
    pa, pb = proj[cp == a], proj[cp == b]
    pooled = (len(pa) * pa.var() + len(pb) * pb.var()) / (len(pa) + len(pb))
    mean_al = (pa.mean() - pb.mean()) / np.sqrt(pooled)
    eff = np.sum(S ** 2) ** 2 / np.sum(S ** 4)
    out_al = lens.hits(Hp, cp, a, b, class_rows) / n
    Hr = (U[:, :r] * S[:r]) @ Vt[:r] + mu
    den = lens.hits(Hr, cp, a, b, class_rows) / n
    values = [dirsep, out_al, singular, variance, mean_al, variance * mean_al, eff, den]
    return np.array(values), variance_raw, abs(Vt[0] @ e), margin


def alignment_case(w, name, rng, n_per, d, labels, r, gamma=False, vocab=0, spread=0.35, eps=1e-5):
    m = len(labels)
    y = np.repeat(np.asarray(labels), n_per)
    rng.shuffle(y)
    classes = np.unique(y)
    codes = np.searchsorted(classes, y)
    if vocab:
        E = rng.standard_normal((vocab, d))
        tokens = list(rng.choice(vocab, size=m, replace=False))
        class_rows = E[tokens]
    else:
        E = rng.standard_normal((m, d))
        tokens = None
        class_rows = E
    offset = rng.standard_normal(d) * 0.3
    H = rng.standard_normal((len(y), d)) + spread * class_rows[codes] / np.sqrt(d) * 3.0 + offset
    g = rng.uniform(0.5, 1.5, d) if gamma else None
    lens = Lens(E, tokens, g, eps)
    pairs, raw, first, margins = [], [], [], []
    for a in range(m):
        for b in range(a + 1, m):
            v, vr, s1, mg = pair_measures(H, codes, a, b, class_rows, lens, r)
            pairs.append(v)
            raw.append(vr)
            first.append(s1)
            margins.append(mg)
    pairs = np.array(pairs)
    all_al = lens.all_hits(H, codes, class_rows)
    assert lens.min_margin > 1e-5, (name, lens.min_margin)
    assert min(margins) > 1e-5, (name, min(margins))
    w.f8(name + "_H", H)
    w.i8(name + "_y", y)
    w.f8(name + "_E", E)
    if gamma:
        w.f8(name + "_gamma", g)
    if vocab:
        w.i8(name + "_tokens", tokens)
    w.i8(name + "_r", r)
    w.f8(name + "_pairs", pairs)
    w.f8(name + "_mean", pairs.mean(axis=0))
    w.f8(name + "_variance_raw", np.array(raw))
    w.f8(name + "_singular1", np.array(first))
    w.f8(name + "_all", all_al)
    return H, y


# ---- CKA: Gram-matrix form (biased and U-centered) and feature-space form ----

def gram_linear(x):
    return x @ x.T


def center_gram(k, unbiased):
    k = k.astype(np.float64).copy()
    n = k.shape[0]
    if not unbiased:
        h = np.eye(n) - np.ones((n, n)) / n
        return h @ k @ h
    # U-centering (Song et al. 2012): zero diagonal, then remove row/column means computed
    # with n - 2 in the denominator and add back the grand mean with (n - 1)(n - 2).
    np.fill_diagonal(k, 0.0)
    row = k.sum(axis=1)
    total = row.sum()
    u = k - row[:, None] / (n - 2) - row[None, :] / (n - 2) + total / ((n - 1) * (n - 2))
    np.fill_diagonal(u, 0.0)
    return u


def cka_gram(x, y, debiased):
    kx = center_gram(gram_linear(x), debiased)
    ky = center_gram(gram_linear(y), debiased)
    return np.sum(kx * ky) / (np.linalg.norm(kx) * np.linalg.norm(ky))


def hsic_unbiased(k, l):
    # The unbiased estimator written out (Song et al. 2012, eq. 5).
    n = k.shape[0]
    kt, lt = k.copy(), l.copy()
    np.fill_diagonal(kt, 0.0)
    np.fill_diagonal(lt, 0.0)
    one = np.ones(n)
    value = (np.trace(kt @ lt) + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
             - 2.0 / (n - 2) * (one @ kt @ lt @ one))
    return value / (n * (n - 3))


def cka_feature(x, y, debiased):
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    if not debiased:
        return (np.linalg.norm(yc.T @ xc) ** 2
                / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)))
    kx, ky = gram_linear(x), gram_linear(y)
    return hsic_unbiased(kx, ky) / np.sqrt(hsic_unbiased(kx, kx) * hsic_unbiased(ky, ky))


def effective_dimension(h):
    s = np.linalg.svd(h - h.mean(axis=0), compute_uv=False)
    return np.sum(s ** 2) ** 2 / np.sum(s ** 4)


def separability_case(w, name, rng, n_per, d, labels, spread):
    """A fixed stratified half split; per label pair, LogisticRegression(C=1) fitted on the
    pair's training rows (tol=1e-10, max_iter=10000: the optimum), accuracy on its test rows."""
    y = np.repeat(np.asarray(labels), n_per)
    rng.shuffle(y)
    classes = np.unique(y)
    codes = np.searchsorted(classes, y)
    means = rng.standard_normal((len(classes), d)) * spread / np.sqrt(d)
    H = rng.standard_normal((len(y), d)) + means[codes] + 0.5
    test = np.zeros(len(y), dtype=bool)
    for c in range(len(classes)):
        members = np.flatnonzero(codes == c)
        test[rng.permutation(members)[: len(members) // 2]] = True
    accuracies = []
    for a in range(len(classes)):
        for b in range(a + 1, len(classes)):
            pair = (codes == a) | (codes == b)
            tr, te = pair & ~test, pair & test
            model = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(H[tr], y[tr])
            margin = np.min(np.abs(model.decision_function(H[te])))
            assert margin > 1e-3, (name, margin)
            accuracies.append(model.score(H[te], y[te]))
    accuracies = np.array(accuracies)
    assert 0.5 < accuracies.min() and accuracies.max() < 1.0, (name, accuracies)
    w.f8(name + "_H", H)
    w.i8(name + "_y", y)
    w.i8(name + "_train", np.flatnonzero(~test))
    w.i8(name + "_test", np.flatnonzero(test))
    w.f8(name + "_pairs", accuracies)
    w.f8(name + "_mean", accuracies.mean())


def main():
    rng = np.random.default_rng(20251123)
    w = FixtureWriter("geometry_alignment.txt",
                      "Separability/alignment measures (METRICS.md 4) per label pair and averaged.\n"
                      "Record <case>_pairs has one row per pair (0,1),(0,2),(1,2) and the columns\n"
                      + " ".join(MEASURES) + ".",
                      "make_geometry_fixtures.py", VERSIONS)
    alignment_case(w, "bin_wide", rng, 7, 24, [3, -2], r=2)                       # n < d
    alignment_case(w, "bin_tall", rng, 20, 6, [0, 1], r=3, gamma=True)             # n > d, RMSNorm
    alignment_case(w, "tri_wide", rng, 6, 30, [5, 1, 9], r=2, gamma=True)          # 3 classes, n < d
    alignment_case(w, "tri_tall", rng, 15, 5, [0, 2, 4], r=1)                      # 3 classes, n > d
    alignment_case(w, "tri_vocab", rng, 8, 12, [1, 2, 3], r=2, gamma=True, vocab=9, spread=0.8)
    w.write()

    w = FixtureWriter("geometry_cka.txt",
                      "Linear CKA (biased, debiased) and effective dimension. Gram and\n"
                      "feature-space forms agree to 1e-12.",
                      "make_geometry_fixtures.py", VERSIONS)
    for name, n, dx, dy in [("wide", 10, 17, 8), ("tall", 40, 5, 3)]:
        x = rng.standard_normal((n, dx)) + rng.standard_normal(dx)
        y = np.tanh(x[:, :dy] @ rng.standard_normal((dy, dy))) + 0.5 * rng.standard_normal((n, dy)) + 2.0
        for debiased in (False, True):
            a, b = cka_gram(x, y, debiased), cka_feature(x, y, debiased)
            assert abs(a - b) < 1e-12, (name, debiased, a, b)
        assert abs(cka_gram(x, x, False) - 1.0) < 1e-12
        w.f8(name + "_X", x)
        w.f8(name + "_Y", y)
        w.f8(name + "_biased", cka_gram(x, y, False))
        w.f8(name + "_debiased", cka_gram(x, y, True))
        w.f8(name + "_effdim_X", effective_dimension(x))
        w.f8(name + "_effdim_Y", effective_dimension(y))
    w.write()

    w = FixtureWriter("geometry_separability.txt",
                      "Separability: scikit-learn LogisticRegression(C=1) test accuracy per label pair\n"
                      "on a fixed stratified half split (train/test are row indices), and the mean.",
                      "make_geometry_fixtures.py", VERSIONS)
    separability_case(w, "bin_wide", rng, 20, 50, [7, 3], spread=3.0)     # n < d
    separability_case(w, "bin_tall", rng, 40, 6, [0, 1], spread=2.0)      # n > d
    separability_case(w, "tri", rng, 24, 10, [2, 4, 6], spread=2.5)
    w.write()


if __name__ == "__main__":
    main()
