"""Inputs and reference values for the program's `retention`, `head-layers` and `task-vector`
subcommands (tests/cli/test_geometry_p2.cpp).

Run from the repository root after installing the pinned packages (tests/data/requirements.txt):

    .venv/bin/python tests/data/make_p2_cli_fixtures.py

Every input is drawn from numpy's default_rng with a fixed seed.  Writes into tests/data/cli/:

    p2_hidden.npy          f8 [4 layers, 40 prompts, 10] states whose top directions are partly
                           kept, partly replaced from layer to layer (make_p2_fixtures.retention_case)
    p2_hidden_f32.npy      the same rounded to f4, stored in Fortran order (a strided view)
    p2_hidden_one.npy      f8 [1, 40, 10] its first layer alone (retention needs two)
    p2_unembedding.npy     f8 [25, 10] an unembedding E; p2_unembedding_f16.npy the same in f2
    p2_tokens.txt          25 token strings, one per line; p2_vocab.json the same as {token: id}
    p2_pth.npy, p2_ih.npy  f8 [8 layers, 6 heads] previous-token and induction scores (values
                           exact in f4); p2_ih_f32.npy the induction scores in f4
    p2_attention.json      the two grids and the top 10 % induction heads inside a document like
                           `icl-metrics attention` writes
    p2_heads_a.npy, p2_heads_b.npy   i8 [k, 2] two (layer, head) lists
    p2_outputs.npy         f8 [3 layers, 4 heads, 6] head outputs of one prompt
    p2_outputs4_f32.npy    f4 [5 prompts, 3, 4, 6] head outputs of five prompts, Fortran order
    p2_states.npy          f8 [3, 7, 6] states; p2_states_f32.npy its layer 1 in f4 [7, 6]
    p2_h.npy               f8 [7, 6] states to inject into; p2_h_f16.npy the same in f2
    p2_reference.txt       the reference values (format: tests/data/fixture_writer.py)
"""

import json
import math
import os
import sys

import numpy as np
import scipy

from fixture_writer import DATA_DIR, FixtureWriter
from make_p2_fixtures import ALTERNATIVES, mann_whitney_case, retention_case, signed_top_right

VERSIONS = "numpy {} scipy {} (python {})".format(np.__version__, scipy.__version__, sys.version.split()[0])
OUT = os.path.join(DATA_DIR, "cli")
FRACTIONS = [0.01, 0.02, 0.05, 0.10]
MORE_FRACTIONS = [0.25, 0.5]


def save(name, array):
    np.save(os.path.join(OUT, name), array, allow_pickle=False)


def top_heads(scores, fraction):
    """icl::attention::top_heads: the ceil(fraction * n - 1e-9) best (layer, head), stable order."""
    n = scores.size
    count = min(n, max(1, math.ceil(fraction * n - 1e-9)))
    order = np.argsort(-scores.ravel(), kind="stable")[:count]
    return [(int(k) // scores.shape[1], int(k) % scores.shape[1]) for k in order]


def retention_inputs(w, rng):
    H, E = retention_case(w, "retention_", rng, 4, 40, 10, 3, 4, 25)
    save("p2_hidden.npy", H)
    save("p2_hidden_f32.npy", np.asfortranarray(H.astype(np.float32)))
    save("p2_hidden_one.npy", H[:1])
    save("p2_unembedding.npy", E)
    save("p2_unembedding_f16.npy", E.astype(np.float16))
    # The decoded tokens under the f16 unembedding (a rounded E may reorder close scores).
    E16 = E.astype(np.float16).astype(np.float64)
    for l in range(1, H.shape[0]):
        scores = signed_top_right(H[l - 1], 3) @ E16.T
        w.i8("retention_f16_top_%d" % l, np.argsort(-scores, axis=1, kind="stable")[:, :4])
    tokens = ["tok%d" % i for i in range(E.shape[0])]
    tokens[3] = "a, \"quoted\" token"
    with open(os.path.join(OUT, "p2_tokens.txt"), "w") as f:
        f.write("\n".join(tokens) + "\n")
    with open(os.path.join(OUT, "p2_vocab.json"), "w") as f:
        json.dump({t: i for i, t in enumerate(tokens)}, f)


def head_layer_inputs(w, rng):
    layers, heads = 8, 6
    depth = np.arange(layers)[:, None] / (layers - 1)
    pth = (1.5 * (1 - depth) + rng.uniform(0, 1, (layers, heads))).astype(np.float32).astype(np.float64)
    ih = (1.5 * depth + rng.uniform(0, 1, (layers, heads))).astype(np.float32).astype(np.float64)
    assert len(np.unique(pth)) == pth.size and len(np.unique(ih)) == ih.size
    save("p2_pth.npy", pth)
    save("p2_ih.npy", ih)
    save("p2_ih_f32.npy", ih.astype(np.float32))
    top_ih = top_heads(ih, 0.1)
    doc = {"format": "icl-metrics-result", "version": 1, "command": "attention",
           "result": {"layers": layers, "heads": heads, "previous_token": pth.tolist(), "induction": ih.tolist(),
                      "top_induction": [{"layer": l, "head": h, "score": ih[l, h]} for l, h in top_ih]}}
    with open(os.path.join(OUT, "p2_attention.json"), "w") as f:
        json.dump(doc, f)
    for k, fraction in enumerate(FRACTIONS + MORE_FRACTIONS):
        a, b = top_heads(pth, fraction), top_heads(ih, fraction)
        w.i8("heads_%d_a" % k, np.array(a))
        w.i8("heads_%d_b" % k, np.array(b))
        mann_whitney_case(w, "fraction_%d" % k, [l for l, _ in a], [l for l, _ in b])
    # Two head lists, given as such.
    a = [(0, 1), (0, 3), (1, 0), (1, 2), (2, 1), (3, 0), (2, 2)]
    b = [(3, 1), (4, 2), (4, 0), (5, 3), (2, 0), (5, 1)]
    save("p2_heads_a.npy", np.array(a, dtype=np.int64))
    save("p2_heads_b.npy", np.array(b, dtype=np.int32))
    mann_whitney_case(w, "lists", [l for l, _ in a], [l for l, _ in b])


def task_vector_inputs(w, rng):
    layers, heads, d, prompts, n = 3, 4, 6, 5, 7
    O = rng.standard_normal((layers, heads, d))
    O4 = rng.standard_normal((prompts, layers, heads, d)).astype(np.float32)
    chosen = [(2, 1), (0, 3), (1, 1), (2, 1)]  # a head listed twice counts twice
    states = rng.standard_normal((layers, n, d))
    h = rng.standard_normal((n, d))
    lam = 2.5
    save("p2_outputs.npy", O)
    save("p2_outputs4_f32.npy", np.asfortranarray(O4))
    save("p2_states.npy", states)
    save("p2_states_f32.npy", states[1].astype(np.float32))
    save("p2_h.npy", h)
    save("p2_h_f16.npy", h.astype(np.float16))
    v = np.mean([O[l, hh] for l, hh in chosen], axis=0)
    w.i8("tv_heads", np.array(chosen))
    w.f8("tv_from_heads", v)
    w.f8("tv_from_heads4", np.mean([O4.astype(np.float64)[:, l, hh] for l, hh in chosen], axis=(0, 1)))
    w.f8("tv_from_states", states[1].mean(axis=0))
    w.f8("tv_from_states_f32", states[1].astype(np.float32).astype(np.float64).mean(axis=0))
    w.f8("tv_lambda", lam)
    w.f8("tv_inject", h + lam * v)
    injected = states.copy()
    injected[2] += lam * v
    w.f8("tv_inject_layer2", injected)
    # f16 states: the sum formed in double, rounded to f4 and then to f2 (as inject_task_vector).
    h16 = h.astype(np.float16).astype(np.float64)
    w.f8("tv_inject_f16", (h16 + lam * v).astype(np.float32).astype(np.float16).astype(np.float64))


def main():
    rng = np.random.default_rng(20250752)
    w = FixtureWriter("cli/p2_reference.txt",
                      "Reference values of the retention, head-layers and task-vector subcommands.\n"
                      "retention_*: as p2_retention.txt (r = 3, top_k = 4) on p2_hidden.npy and\n"
                      "p2_unembedding.npy; retention_f16_top_<l>: top tokens under the f16 unembedding.\n"
                      "heads_<k>_a/b: top heads of p2_pth / p2_ih at fraction k of 0.01 0.02 0.05 0.1 0.25 0.5;\n"
                      "fraction_<k>_result / lists_result: scipy.stats.mannwhitneyu on their layers,\n"
                      "[statistic, p] for " + ", ".join(ALTERNATIVES) + ".\n"
                      "tv_*: task vectors (mean of head outputs, of states at layer 1) and injections.",
                      "make_p2_cli_fixtures.py", VERSIONS)
    retention_inputs(w, rng)
    head_layer_inputs(w, rng)
    task_vector_inputs(w, rng)
    w.write()


if __name__ == "__main__":
    main()
