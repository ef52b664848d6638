"""Reference fixtures for the in-context head analyses of Yu & Ananiadou (arXiv 2402.02872, [P4];
METRICS.md 5): the log-probability increase at the authors' fixed scale, value-output vectors,
in-context head selection and the paper's bias measures.

Run from the repository root:

    .venv/bin/python tests/data/make_p4_fixtures.py

Inputs are drawn from numpy's default_rng with a fixed seed.  Writes tests/data/attention_p4.txt:

    E (V x d), x (d), O (P x d), h (d) final_hidden, gamma (d), token_b
    fixed_gamma, fixed_ones     logprob_increase with N(v) = gamma * v / sqrt(mean(h^2) + eps)
    fixed_base, fixed_logprob   log p(b | x), log p(b | x + o_p) at that scale (gamma)
    X (L x d), OH (L x H x d), label_tokens (2)
    head_imp (2 x L x H)        log p(t_k | x_l + OH[l, h]) - log p(t_k | x_l), fixed scale, gamma
    A (H x T x T)               causal softmax attention of one layer (row = query)
    Vv (KV x T x dh), WO (d x H*dh)   values per kv head, the layer's output projection
    u, vo (H x T x d), o (H x d)      u_p = A[h, T-1, p] * WO[:, h*dh:(h+1)*dh] @ Vv[h // (H/KV), p]
    query_q, u_q (T x d), o_q (d)     head 2 at query position query_q
    positions_a, positions_b, minus_at   label_logit_minus of u[1] (tokens label_tokens, gamma):
                                mean of ((E_a - E_b) * gamma / sqrt(mean(h^2) + eps)) . u_p per set
    S (2 x L x H)               head scores for two labels;  top3 (2 x 3 x 2), merged3 (m x 2)
    top_frac (2 x 3 x 2), merged_frac (m x 2)   with fraction 0.25 (ceil(0.25 * 12) = 3)
    balanced (n), reduced (n)   per-prompt correctness (0/1);  gap: mean(balanced) - mean(reduced)
    orders (R x n)              correctness per demonstration order;  order_std0/1: std of the
                                per-order accuracies, ddof 0 and 1
    label_att (R x k)           label attention of k heads per order;  att_std0/1: per-head std
"""

import numpy as np
from fixture_writer import FixtureWriter

EPS = 1e-6


def log_softmax_at(logits, b):
    m = logits.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(logits - m).sum(axis=-1))
    return logits[..., b] - lse


def fixed_norm(v, h, gamma, eps=EPS):
    return gamma * v / np.sqrt(np.mean(h * h) + eps)


def fixed_change(E, b, x, O, h, gamma):
    base = log_softmax_at(E @ fixed_norm(x, h, gamma), b)
    with_o = log_softmax_at(fixed_norm(x[None, :] + O, h, gamma) @ E.T, b)
    return base, with_o


def ranked(scores, count):
    """(layer, head) of the `count` highest scores, highest first, ties in (layer, head) order."""
    flat = scores.reshape(-1)
    order = sorted(range(flat.size), key=lambda i: (-flat[i], i))[:count]
    H = scores.shape[1]
    return [(i // H, i % H) for i in order]


def merge(lists):
    """Union of the lists, ordered by the best rank a head has in any list (ties: list order)."""
    out = []
    for r in range(max(len(l) for l in lists)):
        for l in lists:
            if r < len(l) and l[r] not in out:
                out.append(l[r])
    return out


def main():
    rng = np.random.default_rng(20260514)
    w = FixtureWriter("attention_p4.txt", "In-context head analyses of [P4] (METRICS.md 5).", "make_p4_fixtures.py",
                      versions="numpy %s" % np.__version__)
    # Log-probability increase at the fixed scale.
    V, d, P = 41, 12, 7
    E = rng.normal(size=(V, d))
    x = rng.normal(size=d)
    O = rng.normal(size=(P, d)) * 0.8
    h = rng.normal(size=d) * 2.5
    gamma = rng.uniform(0.5, 1.5, size=d)
    b = 17
    for name, value in (("E", E), ("x", x), ("O", O), ("h", h), ("gamma", gamma)):
        w.f8(name, value)
    w.i8("token_b", b)
    base, with_o = fixed_change(E, b, x, O, h, gamma)
    w.f8("fixed_gamma", with_o - base)
    base1, with_o1 = fixed_change(E, b, x, O, h, np.ones(d))
    w.f8("fixed_ones", with_o1 - base1)
    w.f8("fixed_base", base)
    w.f8("fixed_logprob", with_o)
    # Head importance per label token.
    L, H = 3, 4
    X = rng.normal(size=(L, d))
    OH = rng.normal(size=(L, H, d)) * 0.6
    tokens = [3, 29]
    imp = np.zeros((2, L, H))
    for k, t in enumerate(tokens):
        for l in range(L):
            b0, bo = fixed_change(E, t, X[l], OH[l], h, gamma)
            imp[k, l] = bo - b0
    w.f8("X", X)
    w.f8("OH", OH)
    w.i8("label_tokens", tokens)
    w.f8("head_imp", imp)
    # Value-output vectors (grouped-query: 4 query heads on 2 kv heads).
    T, KV, dh = 6, 2, 3
    logits = rng.normal(size=(H, T, T))
    logits[:, np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] = -np.inf
    A = np.exp(logits - logits.max(axis=-1, keepdims=True))
    A /= A.sum(axis=-1, keepdims=True)
    Vv = rng.normal(size=(KV, T, dh))
    WO = rng.normal(size=(d, H * dh))
    group = H // KV
    vo = np.zeros((H, T, d))
    for hh in range(H):
        vo[hh] = Vv[hh // group] @ WO[:, hh * dh:(hh + 1) * dh].T
    u = A[:, T - 1, :, None] * vo
    w.f8("A", A)
    w.f8("Vv", Vv)
    w.f8("WO", WO)
    w.f8("u", u)
    w.f8("vo", vo)
    w.f8("o", u.sum(axis=1))
    q = T - 3
    w.i8("query_q", q)
    u_q = A[2, q, :, None] * vo[2]
    w.f8("u_q", u_q)
    w.f8("o_q", u_q.sum(axis=0))
    # Logit-minus of head 1's u_p at two label position sets (tokens 3 and 29).
    M = (gamma * u[1] / np.sqrt(np.mean(h * h) + EPS)) @ (E[tokens[0]] - E[tokens[1]])
    w.i8("positions_a", [1, 3])
    w.i8("positions_b", [2, 4])
    w.f8("minus_at", [M[[1, 3]].mean(), M[[2, 4]].mean()])
    # Head selection.
    S = rng.normal(size=(2, L, H))
    S[1, 1, 2] = S[0].max() + 1.0  # shared best head: counted once in the merge
    S[0, 1, 2] = S[0].max() + 2.0
    lists = [ranked(S[k], 3) for k in range(2)]
    w.f8("S", S)
    w.i8("top3", np.array(lists))
    w.i8("merged3", np.array(merge(lists)))
    count = int(np.ceil(0.25 * L * H - 1e-9))
    lists_f = [ranked(S[k], count) for k in range(2)]
    w.i8("top_frac", np.array(lists_f))
    w.i8("merged_frac", np.array(merge(lists_f)))
    # Bias measures.
    n, R, k = 20, 5, 3
    balanced = (rng.uniform(size=n) < 0.8).astype(int)
    reduced = (rng.uniform(size=n) < 0.6).astype(int)
    orders = (rng.uniform(size=(R, n)) < rng.uniform(0.4, 0.9, size=(R, 1))).astype(int)
    label_att = rng.uniform(0.0, 0.6, size=(R, k))
    w.i8("balanced", balanced)
    w.i8("reduced", reduced)
    w.f8("gap", balanced.mean() - reduced.mean())
    w.i8("orders", orders)
    w.f8("order_std0", np.std(orders.mean(axis=1), ddof=0))
    w.f8("order_std1", np.std(orders.mean(axis=1), ddof=1))
    w.f8("label_att", label_att)
    w.f8("att_std0", np.std(label_att, axis=0, ddof=0))
    w.f8("att_std1", np.std(label_att, axis=0, ddof=1))
    w.write()


if __name__ == "__main__":
    main()
