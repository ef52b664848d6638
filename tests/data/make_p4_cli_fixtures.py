"""Inputs and reference values of the command-line tests of the in-context head analyses of Yu &
Ananiadou (arXiv 2402.02872, [P4]; METRICS.md 5): the `heads`, `value-outputs`, `logit-minus`,
`logprob-increase` and `bias` subcommands (tests/cli/test_heads.cpp).

Run from anywhere: python3 tests/data/make_p4_cli_fixtures.py

A small model, drawn from numpy's default_rng with a fixed seed: 2 prompts, 3 layers, 4 query
heads on 2 key/value heads (grouped-query), T = 6 positions, d_head = 3, d_model = 12, a
vocabulary of 41 tokens. Writes .npy files under tests/data/cli/p4/ (numpy writes them
byte-for-byte the same each run):

    attention.npy [2, 3, 4, 6, 6]   causal softmax attention (row = query position)
    values.npy    [2, 3, 2, 6, 3]   values per kv head
    w_o.npy       [3, 12, 12]       W_O per layer (Hugging Face o_proj.weight layout)
    residual.npy  [2, 3, 12]        residual entering each layer at the last position
    final_hidden.npy [2, 12]        the final layer's last-position output before the final norm
    unembedding.npy [41, 12], gamma.npy [12]
    *_f4.npy                        the same in float32 (references computed from the rounded values)
    attention0.npy, values0.npy, residual0.npy, final_hidden0.npy   prompt 0 alone (unbatched)
    w_o_fortran.npy                 w_o.npy in Fortran order (strided input)
    positions_a.npy, positions_b.npy [2, 2]   label positions per prompt (-1 = padding)
    u.npy [6, 12]                   u_p of prompt 0, layer 1, head 1 (input of logit-minus)
    outputs.npy [4, 12], x.npy [12] head outputs of prompt 0 at layer 2 and the residual there
    label_attention.npy [5, 3]      label attention of 3 heads under 5 orders (f4)
    values_bad_kv.npy               3 kv heads for 4 query heads (an input error)

and the reference values in tests/data/cli/p4/reference.txt (fixture_writer.py format):

    imp / imp_f4 [P, K, L, H]       head_logprob_increase per prompt and label (tokens 3, 29),
                                    fixed scale sigma_f^2 = mean(final_hidden[p]^2), gamma
    at_a / at_b (and _f4) [P, L, H] label_logit_minus of each head's u_p at positions_a / positions_b
    top3_mean / merged3_mean        top 3 heads per label of imp averaged over prompts, and their merge
    top3_pred / merged3_pred        with --predicted [0, 1] (label 0 from prompt 0, label 1 from prompt 1)
    top3_minus / merged3_minus      by logit-minus: label a at_a, label b -at_b, averaged over prompts
    u_1_2, vo_1_2 [T, d]            u_p and vo_p of prompt 0, layer 1, head 2; o_1 [H, d] head outputs
    minus_u [T], minus_u_at [2]     logit_minus of u.npy (tokens 3, 29) and its mean at [1, 3] / [2, 4]
    lp_base, lp_logprob, lp_increase   logprob_change of outputs.npy at x.npy, token 29, fixed scale
    lp_increase_per_vector          each vector at its own RMS
    gap [3], order_std, att_std     bias measures (ddof 0)
"""

import os

import numpy as np

from fixture_writer import DATA_DIR, FixtureWriter
from make_p4_fixtures import EPS, log_softmax_at, merge, ranked

OUT = os.path.join(DATA_DIR, "cli", "p4")
P, L, H, KV, T, DH, D, V = 2, 3, 4, 2, 6, 3, 12, 41
TOKENS = [3, 29]
POS_A = [[1, 3], [0, -1]]
POS_B = [[2, 4], [2, -1]]


def save(name, array):
    np.save(os.path.join(OUT, name), array)


def value_outputs(A, Vv, WO, head):
    """vo (T x d), u (T x d) of one head of one layer at the last query position."""
    dh = Vv.shape[-1]
    vo = Vv[head // (A.shape[0] // Vv.shape[0])] @ WO[:, head * dh:(head + 1) * dh].T
    return A[head, -1, :, None] * vo, vo


def lens(v, h, gamma):
    return gamma * v / np.sqrt(np.mean(h * h) + EPS)


def analyses(A, Vv, WO, X, hf, E, gamma):
    imp = np.zeros((P, len(TOKENS), L, H))
    at = np.zeros((2, P, L, H))
    outputs = np.zeros((P, L, H, D))
    for p in range(P):
        for l in range(L):
            for h in range(H):
                u, _ = value_outputs(A[p, l], Vv[p, l], WO[l], h)
                outputs[p, l, h] = u.sum(axis=0)
                M = lens(u, hf[p], gamma) @ (E[TOKENS[0]] - E[TOKENS[1]])
                at[0, p, l, h] = M[[q for q in POS_A[p] if q >= 0]].mean()
                at[1, p, l, h] = M[[q for q in POS_B[p] if q >= 0]].mean()
            for k, t in enumerate(TOKENS):
                base = log_softmax_at(E @ lens(X[p, l], hf[p], gamma), t)
                imp[p, k, l] = log_softmax_at(lens(X[p, l][None, :] + outputs[p, l], hf[p], gamma) @ E.T, t) - base
    return imp, at, outputs


def selections(w, suffix, imp, at):
    mean = imp.mean(axis=0)
    lists = [ranked(mean[k], 3) for k in range(2)]
    w.i8("top3_mean" + suffix, np.array(lists))
    w.i8("merged3_mean" + suffix, np.array(merge(lists)))
    pred = [imp[0, 0], imp[1, 1]]
    lists = [ranked(pred[k], 3) for k in range(2)]
    w.i8("top3_pred" + suffix, np.array(lists))
    w.i8("merged3_pred" + suffix, np.array(merge(lists)))
    minus = [at[0].mean(axis=0), -at[1].mean(axis=0)]
    lists = [ranked(minus[k], 3) for k in range(2)]
    w.i8("top3_minus" + suffix, np.array(lists))
    w.i8("merged3_minus" + suffix, np.array(merge(lists)))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20260603)
    logits = rng.normal(size=(P, L, H, T, T)) * 1.5
    logits[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] = -np.inf
    A = np.exp(logits - logits.max(axis=-1, keepdims=True))
    A /= A.sum(axis=-1, keepdims=True)
    Vv = rng.normal(size=(P, L, KV, T, DH))
    WO = rng.normal(size=(L, D, H * DH)) * 0.7
    X = rng.normal(size=(P, L, D))
    hf = rng.normal(size=(P, D)) * 2.0
    E = rng.normal(size=(V, D))
    gamma = rng.uniform(0.5, 1.5, size=D)
    inputs = {"attention": A, "values": Vv, "w_o": WO, "residual": X, "final_hidden": hf, "unembedding": E}
    for name, value in inputs.items():
        save(name + ".npy", value)
        save(name + "_f4.npy", value.astype(np.float32))
    save("gamma.npy", gamma)
    save("attention0.npy", A[0])
    save("values0.npy", Vv[0])
    save("residual0.npy", X[0])
    save("final_hidden0.npy", hf[0])
    save("w_o_fortran.npy", np.asfortranarray(WO))
    save("positions_a.npy", np.array(POS_A, dtype=np.int64))
    save("positions_b.npy", np.array(POS_B, dtype=np.int64))
    save("values_bad_kv.npy", rng.normal(size=(P, L, 3, T, DH)))

    w = FixtureWriter(os.path.join("cli", "p4", "reference.txt"),
                      "Reference values of the [P4] command-line tests (tests/cli/test_heads.cpp).",
                      "make_p4_cli_fixtures.py", versions="numpy %s" % np.__version__)
    imp, at, outputs = analyses(A, Vv, WO, X, hf, E, gamma)
    w.f8("imp", imp)
    w.f8("at_a", at[0])
    w.f8("at_b", at[1])
    selections(w, "", imp, at)
    f4 = [a.astype(np.float32).astype(np.float64) for a in (A, Vv, WO, X, hf, E)]
    imp4, at4, _ = analyses(*f4, gamma)
    w.f8("imp_f4", imp4)
    w.f8("at_a_f4", at4[0])
    w.f8("at_b_f4", at4[1])

    u, vo = value_outputs(A[0, 1], Vv[0, 1], WO[1], 2)
    w.f8("u_1_2", u)
    w.f8("vo_1_2", vo)
    w.f8("o_1", outputs[0, 1])

    u, _ = value_outputs(A[0, 1], Vv[0, 1], WO[1], 1)
    save("u.npy", u)
    M = lens(u, hf[0], gamma) @ (E[TOKENS[0]] - E[TOKENS[1]])
    w.f8("minus_u", M)
    w.f8("minus_u_at", [M[[1, 3]].mean(), M[[2, 4]].mean()])

    save("outputs.npy", outputs[0, 2])
    save("x.npy", X[0, 2])
    t = TOKENS[1]
    base = log_softmax_at(E @ lens(X[0, 2], hf[0], gamma), t)
    logprob = log_softmax_at(lens(X[0, 2][None, :] + outputs[0, 2], hf[0], gamma) @ E.T, t)
    w.f8("lp_base", base)
    w.f8("lp_logprob", logprob)
    w.f8("lp_increase", logprob - base)
    own = lambda v: gamma * v / np.sqrt(np.mean(v * v, axis=-1, keepdims=True) + EPS)
    w.f8("lp_increase_per_vector",
         log_softmax_at(own(X[0, 2][None, :] + outputs[0, 2]) @ E.T, t) - log_softmax_at(E @ own(X[0, 2]), t))

    balanced = (rng.uniform(size=16) < 0.8).astype(np.int64)
    reduced = (rng.uniform(size=16) < 0.5).astype(np.int64)
    orders = (rng.uniform(size=(5, 16)) < rng.uniform(0.4, 0.9, size=(5, 1))).astype(np.int64)
    label_attention = rng.uniform(0.0, 0.6, size=(5, 3)).astype(np.float32)
    save("balanced.npy", balanced)
    save("reduced.npy", reduced)
    save("orders.npy", orders)
    save("label_attention.npy", label_attention)
    w.f8("gap", [balanced.mean(), reduced.mean(), balanced.mean() - reduced.mean()])
    w.f8("order_std", np.std(orders.mean(axis=1)))
    w.f8("order_std1", np.std(orders.mean(axis=1), ddof=1))
    w.f8("att_std", np.std(label_attention.astype(np.float64), axis=0))
    w.write()


if __name__ == "__main__":
    main()
