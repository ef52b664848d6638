"""The numpy cross-check: every figure that docs/validation.md quotes from the library, computed
again here in numpy from the same dumped files, without the library's code. validation/agree.py
puts the two side by side. The definitions follow docs/metrics.md in the settings the run uses;
where the library draws random splits, the same splits are drawn here with a numpy port of its
generator (Philox4x32-10, icl/core/random.hpp) and its split rules (icl/probe/detail/
folds_impl.hpp), so that the two sides fit the same rows."""

import math

import numpy as np


def jsonable(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return [jsonable(v) for v in o.tolist()] if o.dtype == object else \
            jsonable_list(o.tolist())
    raise TypeError(type(o))


def jsonable_list(v):
    if isinstance(v, list):
        return [jsonable_list(x) for x in v]
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


# ---------------------------------------------------------------------------------------------
# The library's random splits
M32 = 0xFFFFFFFF


class Philox:
    """Philox4x32-10 on counter (block, stream) with key seed, two 64-bit outputs per block,
    handed out last first (icl::counter_rng)."""

    def __init__(self, seed, stream=0):
        self.seed, self.stream, self.block, self.buf = seed & (2 ** 64 - 1), stream, 0, []

    def _refill(self):
        c0, c1 = self.block & M32, (self.block >> 32) & M32
        c2, c3 = self.stream & M32, (self.stream >> 32) & M32
        k0, k1 = self.seed & M32, (self.seed >> 32) & M32
        for _ in range(10):
            p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
            c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & M32, p1 & M32, ((p0 >> 32) ^ c3 ^ k1) & M32, \
                p0 & M32
            k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
        self.block += 1
        self.buf = [(c1 << 32) | c0, (c3 << 32) | c2]

    def next(self):
        if not self.buf:
            self._refill()
        return self.buf.pop()

    def below(self, bound):
        threshold = (2 ** 64 - bound) % bound
        while True:
            r = self.next()
            if r >= threshold:
                return r % bound

    def shuffle(self, items):
        for i in range(len(items), 1, -1):
            j = self.below(i)
            items[i - 1], items[j] = items[j], items[i - 1]
        return items


def stratified_split(labels, test_fraction, seed):
    """(train, test) row indices: each class shuffled with stream = its rank among the classes,
    the first round(test_fraction * count) rows (at least 1, at most count - 1) to test."""
    labels = np.asarray(labels)
    train, test = [], []
    for c, value in enumerate(np.unique(labels)):
        members = Philox(seed, c).shuffle([int(i) for i in np.flatnonzero(labels == value)])
        n_test = min(max(int(math.floor(test_fraction * len(members) + 0.5)), 1), len(members) - 1)
        test += members[:n_test]
        train += members[n_test:]
    return np.array(sorted(train)), np.array(sorted(test))


def plain_folds(n, folds, seed):
    perm = Philox(seed, 0).shuffle(list(range(n)))
    fold = np.empty(n, dtype=np.int64)
    for j, i in enumerate(perm):
        fold[i] = j % folds
    return fold


# ---------------------------------------------------------------------------------------------
# Decodability and RSA
def _sqdist(h):
    h = h.astype(np.float64)
    g = h @ h.T
    n = np.diag(g)
    return n[:, None] + n[None, :] - 2 * g


def knn_loo(h, z, k=10):
    """Leave-one-out k-NN predictions (Euclidean; distance ties to the lower row, vote ties to
    the lowest label)."""
    d = _sqdist(h)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1, kind="stable")[:, :k]
    classes, codes = np.unique(z, return_inverse=True)
    votes = np.zeros((len(z), len(classes)))
    for j in range(k):
        votes[np.arange(len(z)), codes[nn[:, j]]] += 1
    return classes[votes.argmax(1)]


def td_curve(hidden, z, k=10):
    """Task decodability per layer: [layers]."""
    return np.array([float(np.mean(knn_loo(hidden[l], z, k) == z)) for l in range(hidden.shape[0])])


def rankdata(a):
    """Average ranks (ties share their mean rank), 1-based."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    ranks = np.empty(len(a))
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return ranks


def pearson(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def rsa_curve(hidden, z):
    """Spearman correlation between the correlation-distance RDM of each layer and the
    categorical hypothesis RDM (0 same concept, 1 otherwise), condensed upper triangles; NaN for
    a layer whose RDM is undefined."""
    n = len(z)
    iu = np.triu_indices(n, 1)
    hr = rankdata((z[:, None] != z[None, :]).astype(float)[iu])
    out = []
    for l in range(hidden.shape[0]):
        x = hidden[l].astype(np.float64)
        x = x - x.mean(1, keepdims=True)
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        if np.any(norm == 0):
            out.append(float("nan"))
            continue
        x /= norm
        out.append(pearson(rankdata((1 - x @ x.T)[iu]), hr))
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# Probes
def logistic_fit(x, y, C=1.0, iters=100):
    """Binary L2 logistic regression with an unpenalized intercept, scikit-learn's objective
    ½‖w‖² + C Σ log(1 + exp(−s_i (w·x_i + b))), s = ±1: Newton steps with backtracking, in the
    dual-sized form when n < d (w = Xᵀa). Returns (w, b)."""
    x = x.astype(np.float64)
    s = np.where(y == 1, 1.0, -1.0)
    n, d = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.ones(d + 1)
    reg[-1] = 0.0

    def f(w):
        m = s * (xa @ w)
        return 0.5 * np.sum(reg * w * w) + C * np.sum(np.logaddexp(0, -m))

    for _ in range(iters):
        m = s * (xa @ w)
        p = 0.5 * (1 - np.tanh(m / 2))                     # sigmoid(-m)
        g = reg * w - C * (xa.T @ (s * p))
        if np.linalg.norm(g) < 1e-10 * max(1.0, C * n):
            break
        dw = p * (1 - p) * C
        hess = np.diag(reg) + xa.T @ (xa * dw[:, None])
        hess[-1, -1] += 1e-12
        step = np.linalg.solve(hess, g)
        t, f0 = 1.0, f(w)
        while f(w - t * step) > f0 - 1e-4 * t * (g @ step) and t > 1e-10:
            t /= 2
        w = w - t * step
    return w[:-1], w[-1]


def separability(hidden, labels, test_fraction=0.5, seed=0, C=1.0):
    """Two classes: logistic probe on the library's stratified split (pair 0: seed unchanged),
    accuracy on the held-out rows, per layer."""
    classes = np.unique(labels)
    if len(classes) != 2:
        raise ValueError("separability: this cross-check handles two classes")
    tr, te = stratified_split(labels, test_fraction, seed)
    y = (labels == classes[1]).astype(int)
    out = []
    for l in range(hidden.shape[0]):
        x = hidden[l].astype(np.float64)
        w, b = logistic_fit(x[tr], y[tr], C)
        out.append(float(np.mean(((x[te] @ w + b) > 0).astype(int) == y[te])))
    return np.array(out)


def output_alignment(hidden, labels, directions, gain, eps):
    """Logit-lens accuracy per layer over the label tokens: argmax_c E_c . RMSNorm(h)."""
    out = []
    for l in range(hidden.shape[0]):
        h = hidden[l].astype(np.float64)
        n = h / np.sqrt(np.mean(h * h, 1, keepdims=True) + eps) * gain
        out.append(float(np.mean((n @ directions.T.astype(np.float64)).argmax(1) == labels)))
    return np.array(out)


def ridge_cv(hidden, y, alpha=1.0, folds=5, seed=0):
    """Ridge probe per layer: the library's shuffled k-fold, X and y centred on the training
    rows, unpenalized intercept, closed form in the dual; the mean over folds of each fold's
    R²."""
    fold = plain_folds(len(y), folds, seed)
    out = []
    for l in range(hidden.shape[0]):
        x = hidden[l].astype(np.float64)
        scores = []
        for f in range(folds):
            te, tr = fold == f, fold != f
            mu, ym = x[tr].mean(0), y[tr].mean()
            a = x[tr] - mu
            coef = np.linalg.solve(a @ a.T + alpha * np.eye(int(tr.sum())), y[tr] - ym)
            pred = (x[te] - mu) @ (a.T @ coef) + ym
            scores.append(1 - np.sum((y[te] - pred) ** 2) / np.sum((y[te] - y[te].mean()) ** 2))
        out.append(float(np.mean(scores)))
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# Attention (maps: one [layers, heads, T, T] array per prompt)
def previous_token(maps):
    """Σ_k A[k, k−1] per (layer, head), summed over prompts."""
    out = 0
    for a in maps:
        t = a.shape[-1]
        out = out + a[:, :, np.arange(1, t), np.arange(0, t - 1)].astype(np.float64).sum(-1)
    return out


def induction(maps, label_pos):
    """Attention of the last position summed over the label positions, summed over prompts
    (prompts without label positions left out)."""
    out = 0
    for a, lp in zip(maps, label_pos):
        if len(lp):
            out = out + a[:, :, -1, lp].astype(np.float64).sum(-1)
    return out


def attention_ratio(maps, relevant, irrelevant):
    """Last position's per-token mean attention on the relevant keys over that on the
    irrelevant ones: the mean over prompts of the per-prompt ratios, and the ratio of the sums
    over prompts (inf where a denominator is 0)."""
    rel, irr = [], []
    for a, r, i in zip(maps, relevant, irrelevant):
        row = a[:, :, -1, :].astype(np.float64)
        rel.append(row[:, :, r].mean(-1))
        irr.append(row[:, :, i].mean(-1))
    rel, irr = np.array(rel), np.array(irr)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (rel / irr).mean(0), rel.sum(0) / irr.sum(0)


def label_bias(maps, label_pos, label_cls):
    """Per (layer, head): mean over prompts with a unique majority class of a_maj − s_maj, and
    mean over prompts of r_1 − 1/k (r_1: share of the label attention on the nearest label)."""
    maj, rec = [], []
    for a, lp, lc in zip(maps, label_pos, label_cls):
        lp, lc = np.asarray(lp), np.asarray(lc)
        if len(lp) == 0:
            continue
        m = a[:, :, -1, lp].astype(np.float64)
        total = m.sum(-1)
        classes, counts = np.unique(lc, return_counts=True)
        rec.append(m[:, :, int(np.argmax(lp))] / total - 1.0 / len(lp))
        if np.sum(counts == counts.max()) == 1:
            c = classes[int(np.argmax(counts))]
            maj.append(m[:, :, lc == c].sum(-1) / total - counts.max() / len(lp))
    return np.mean(maj, 0), np.mean(rec, 0)


def top_heads(score, fraction):
    """The ceil(fraction · L·H) heads of highest score, ties in (layer, head) order."""
    flat = np.asarray(score, dtype=np.float64).ravel()
    count = int(math.ceil(fraction * flat.size - 1e-9))
    order = np.argsort(-flat, kind="stable")[:count]
    return [[int(i) // score.shape[1], int(i) % score.shape[1]] for i in order]


# ---------------------------------------------------------------------------------------------
# Tests and regressions
def mann_whitney(x, y, alternative="two-sided"):
    """U of x and its p-value as scipy.stats.mannwhitneyu(method='auto'): the exact null
    distribution when both samples are below 8 values and there are no ties, otherwise the
    normal approximation with the tie correction and the continuity correction."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n1, n2 = len(x), len(y)
    r = rankdata(np.concatenate([x, y]))
    u1 = r[:n1].sum() - n1 * (n1 + 1) / 2
    u2 = n1 * n2 - u1
    ties = len(np.unique(np.concatenate([x, y]))) < n1 + n2
    if max(n1, n2) < 8 and not ties:
        # counts of U over all rankings (recursion on the largest value)
        from functools import lru_cache

        @lru_cache(None)
        def count(u, a, b):
            if u < 0:
                return 0
            if a == 0 or b == 0:
                return 1 if u == 0 else 0
            return count(u - b, a - 1, b) + count(u, a, b - 1)
        total = math.comb(n1 + n2, n1)
        pmf = [count(v, n1, n2) for v in range(n1 * n2 + 1)]
        sf = lambda u: sum(pmf[max(0, int(math.ceil(u))):]) / total  # noqa: E731  P(U >= u)
        if alternative == "greater":
            p = sf(u1)
        elif alternative == "less":
            p = sf(u2)                   # P(U <= u1), by the symmetry of U about n1 n2 / 2
        else:
            p = min(1.0, 2 * sf(max(u1, u2)))
        return float(u1), float(p)
    n = n1 + n2
    _, t = np.unique(r, return_counts=True)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - np.sum(t ** 3 - t) / (n * (n - 1))))
    mu = n1 * n2 / 2
    if alternative == "greater":
        z = (u1 - mu - 0.5) / sigma
        p = 0.5 * math.erfc(z / math.sqrt(2))
    elif alternative == "less":
        z = (u1 - mu + 0.5) / sigma
        p = 0.5 * math.erfc(-z / math.sqrt(2))
    else:
        z = (max(u1, u2) - mu - 0.5) / sigma
        p = min(1.0, math.erfc(z / math.sqrt(2)))
    return float(u1), float(p)


def retention_norms(prev, cur, r):
    """Row norms of V_{l−1}ᵀ V_l V_lᵀ, V the top-r right singular vectors of the column-centred
    states (sign-free)."""
    def top(h):
        h = h.astype(np.float64)
        return np.linalg.svd(h - h.mean(0), full_matrices=False)[2][:r].T
    a, b = top(prev), top(cur)
    return np.linalg.norm(a.T @ b @ b.T, axis=1)


def _betacf(a, b, x):
    """Continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def betainc(a, b, x):
    if x <= 0 or x >= 1:
        return float(x >= 1)
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1 - x) / b


def t_test_p(r, n):
    """Two-sided p-value of a correlation r over n pairs from Student's t with n − 2 degrees of
    freedom (scipy.stats.pearsonr's)."""
    df = n - 2
    t2 = r * r * df / max(1e-300, 1 - r * r)
    return betainc(df / 2, 0.5, df / (df + t2))


def permutation_p(x, y, permutations, seed=0):
    """Two-sided permutation p-value of Pearson r, (1 + #{|r_k| >= |r|}) / (1 + N), permutation k
    of y drawn with the library's generator (stream k), as icl::stats::behaviour_association."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    y = np.asarray(y, dtype=np.float64) - np.mean(y)
    scale = 1.0 / math.sqrt(float(x @ x) * float(y @ y))
    r = float(x @ y) * scale
    extreme = 0
    for k in range(permutations):
        order = Philox(seed, k).shuffle(list(range(len(x))))
        rk = min(1.0, max(-1.0, float(x @ y[order]) * scale))
        extreme += abs(rk) >= abs(r) - 1e-12 * abs(r)
    return (1 + extreme) / (1 + permutations)


def association(metric, behaviour, permutations=10000, seed=0):
    r = pearson(metric, behaviour)
    rho = pearson(rankdata(np.asarray(metric, dtype=float)), rankdata(np.asarray(behaviour, dtype=float)))
    return {"pearson_r": r, "r_squared": r * r, "spearman_r": rho,
            "analytic_p_value": t_test_p(r, len(metric)),
            "p_value": permutation_p(metric, behaviour, permutations, seed)}


# ---------------------------------------------------------------------------------------------
# P4: value-output vectors and the logit lens at the authors' fixed scale
def head_outputs(att_last, values, wo, heads):
    """o^{(l,h)} = W_O^{(h)} Σ_p α_p v_p^{(kv(h))}: att_last [L, H, T], values [L, kv, T, dh],
    wo [L, d, H·dh] → [L, H, d] (query head h reads kv head h // (H / kv))."""
    L, kv, T, dh = values.shape
    group = heads // kv
    out = np.empty((L, heads, wo.shape[1]))
    for l in range(L):
        for h in range(heads):
            mixed = att_last[l, h].astype(np.float64) @ values[l, h // group].astype(np.float64)
            out[l, h] = wo[l][:, h * dh:(h + 1) * dh].astype(np.float64) @ mixed
    return out


def fixed_scale(final_hidden, eps=1e-6):
    return 1.0 / math.sqrt(float(np.mean(final_hidden.astype(np.float64) ** 2)) + eps)


def logit_minus_at_labels(att_last, values, wo, ea, eb, gamma, final_hidden, pos_a, pos_b):
    """Per head, the mean over pos_a and over pos_b of M_p = (E_a − E_b)·(γ ⊙ u_p)·scale with
    u_p = α_p W_O^{(h)} v_p, computed as α_p v_p·(W_O^{(h)ᵀ} w)."""
    w = (ea - eb).astype(np.float64) * gamma * fixed_scale(final_hidden)
    L, kv, T, dh = values.shape
    heads = att_last.shape[1]
    group = heads // kv
    m = np.empty((L, heads, T))
    for l in range(L):
        for h in range(heads):
            r = wo[l][:, h * dh:(h + 1) * dh].astype(np.float64).T @ w
            m[l, h] = att_last[l, h].astype(np.float64) * (values[l, h // group].astype(np.float64) @ r)
    return m[:, :, pos_a].mean(-1), m[:, :, pos_b].mean(-1)


def log_softmax_at(logits, idx):
    mx = logits.max(-1, keepdims=True)
    return logits[..., idx] - (mx[..., 0] + np.log(np.exp(logits - mx).sum(-1)))


def head_logprob_increase(E, tokens, x_in, o, gamma, final_hidden):
    """Imp(l, h) for each token: log p(t | x_l + o^{(l,h)}) − log p(t | x_l) under
    softmax(E (γ ⊙ v) · scale); x_in [L, d], o [L, H, d] → [tokens, L, H]. The product with E
    runs in E's precision (f32 for the dumped unembedding), the log-softmax in double."""
    s = fixed_scale(final_hidden)
    L, H, d = o.shape
    x = x_in.astype(np.float64)
    f32 = E.dtype == np.float32           # the product in E's precision, as the library's GEMM
    base = ((x * gamma * s).astype(E.dtype) @ E.T).astype(np.float64)                      # [L, V]
    plus = (((x[:, None, :] + o) * gamma * s).reshape(L * H, d).astype(E.dtype) @ E.T)     # [L·H, V]
    plus = plus.astype(np.float64) if f32 else plus
    return np.array([log_softmax_at(plus, t).reshape(L, H) - log_softmax_at(base, t)[:, None]
                     for t in tokens])


def top_heads_k(score, k):
    """The k heads of highest score, ties in (layer, head) order."""
    flat = np.asarray(score, dtype=np.float64).ravel()
    order = np.argsort(-flat, kind="stable")[:k]
    return [[int(i) // score.shape[1], int(i) % score.shape[1]] for i in order]
