"""The agreement table: each metric figure of the run from both sides, the library
(icl-metrics, validation/library.py) and the numpy cross-check (validation/checks.py, computed
here from the same dumped files), with max |Δ| and the tolerance of each figure.

    python validation/agree.py --run OUT        # writes OUT/agreement.json, prints the table,
                                                # exits 1 when a figure disagrees beyond its
                                                # tolerance
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks as C  # noqa: E402

_DT = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def safetensors_names(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return [k for k in json.loads(f.read(n)) if k != "__metadata__"]


def read_safetensors(path, name):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    e = header[name]
    a, b = e["data_offsets"]
    dtype = np.dtype(_DT[e["dtype"]])
    return np.memmap(path, dtype=dtype, mode="r", offset=8 + n + a,
                     shape=tuple(e["shape"])) if b > a else np.zeros(e["shape"], dtype=dtype)


def read_ref(tdir, ref):
    """A manifest tensor reference (file.npy or file.safetensors:member), relative to tdir."""
    path, _, member = ref.partition(":")
    path = os.path.join(tdir, path)
    return np.load(path) if path.endswith(".npy") else read_safetensors(path, member)


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def grid(v):
    """A JSON curve or [L][H] grid with nulls as a float array (NaN)."""
    return np.array([[np.nan if x is None else x for x in r] if isinstance(r, list) else
                     (np.nan if r is None else r) for r in v], dtype=np.float64)


def unpad(row):
    return [int(x) for x in row if x >= 0]


class Table:
    def __init__(self):
        self.rows = []

    def add(self, task, figure, library, numpy_, tolerance, why, kind="values"):
        """kind 'values': max |Δ| over the finite entries (the NaN / infinite pattern must match);
        'heads': lists of (layer, head), Δ = the number of heads not in both lists."""
        if kind == "heads":
            a = {tuple(x) for x in library}
            b = {tuple(x) for x in numpy_}
            delta = float(len(a ^ b))
            summary = f"{len(library)} heads"
        else:
            lib = np.asarray(library, dtype=np.float64).ravel()
            ref = np.asarray(numpy_, dtype=np.float64).ravel()
            if lib.shape != ref.shape:
                raise SystemExit(f"agree: {task} {figure}: {lib.shape} library values against "
                                 f"{ref.shape} numpy values")
            fin = np.isfinite(lib) & np.isfinite(ref)
            pattern = bool(np.all(np.isfinite(lib) == np.isfinite(ref)))
            delta = float(np.max(np.abs(lib[fin] - ref[fin]))) if fin.any() else 0.0
            if not pattern:
                delta = float("inf")
            summary = f"{lib.size} values"
        self.rows.append({"task": task, "figure": figure, "size": summary,
                          "max_abs_delta": delta, "tolerance": tolerance, "why": why,
                          "ok": bool(delta <= tolerance * (1 + 1e-9))})

    def missing(self, task, family):
        """The manifest allows `family` but results.json has no entry for it."""
        self.rows.append({"task": task, "figure": f"{family}: not in results.json", "size": "–",
                          "max_abs_delta": float("inf"), "tolerance": 0.0,
                          "why": "the manifest has its inputs: the report must compute it",
                          "ok": False})


def task_entry(tdir):
    m = load(os.path.join(tdir, "manifest.json"))
    return m["tasks"][0] if m else None


def attention_inputs(tdir, entry):
    att = entry["attention"]
    maps = att["maps"]
    if isinstance(maps, list):
        maps = [read_ref(tdir, r) for r in maps]
    else:
        maps = list(read_ref(tdir, maps))
    get = lambda k: [unpad(r) for r in read_ref(tdir, att[k])] if k in att else None  # noqa
    return maps, get("relevant"), get("irrelevant"), get("label_positions"), get("label_classes")


def knn_tolerance(n):
    return 2.0 / n, ("two of the n = %d predictions may differ: the library ranks float "
                     "distances of f32 states, near-ties can order differently" % n)


def compare_task(table, run, task):
    tdir = os.path.join(run, task)
    entry = task_entry(tdir)
    res = load(os.path.join(tdir, "results.json"))
    if entry is None or res is None:
        return
    rt = res["tasks"][0]
    hidden = read_ref(tdir, entry["hidden"]["icl"])
    hidden_no = read_ref(tdir, entry["hidden"]["no_icl"]) if "no_icl" in entry["hidden"] else None
    for family, key in (("decodability", "concepts"), ("rsa", "concepts"),
                        ("geometry", "labels"), ("attention", "attention")):
        if key in entry and family not in rt:
            table.missing(task, family)
            return
    if "concepts" in entry:
        z = read_ref(tdir, entry["concepts"])
        tol, why = knn_tolerance(len(z))
        table.add(task, "task decodability (10-NN) per layer", rt["decodability"]["overall"],
                  C.td_curve(hidden, z), tol, why)
        if "demonstrations" in entry:
            dm = read_ref(tdir, entry["demonstrations"])
            for g in rt["decodability"].get("by_demonstrations", []):
                if "overall" not in g:
                    continue
                sel = dm == g["demonstrations"]
                tol, why = knn_tolerance(int(sel.sum()))
                table.add(task, f"task decodability, {g['demonstrations']} demonstrations",
                          g["overall"], C.td_curve(hidden[:, sel], z[sel]), tol, why)
        rsa = rt["rsa"]
        why = ("the library's RDM of f32 states is float (docs/rsa.md); these states' "
               "correlation distances are as small as 1e-5 (a few large residual dimensions "
               "dominate), so near-equal distances can swap ranks")
        table.add(task, "RSA (correlation distance, Spearman) with demonstrations",
                  grid(rsa["with_icl"]), C.rsa_curve(hidden, z), 5e-3, why)
        if hidden_no is not None and "without_icl" in rsa:
            table.add(task, "RSA without demonstrations", grid(rsa["without_icl"]),
                      C.rsa_curve(hidden_no, z), 5e-3, why)
    if "labels" in entry:
        y = read_ref(tdir, entry["labels"])
        geo = rt["geometry"]
        n_test = len(C.stratified_split(y, 0.5, 0)[1])
        why = (f"two of the {n_test} held-out prompts: not rounding — the library's L-BFGS "
               "(100 iterations, gradient rule 1e-6) and numpy's Newton solve stop at different "
               "points of an ill-conditioned fit (state norms ≈ 100, a few dimensions dominate), "
               "and a held-out prompt can change side")
        table.add(task, "separability (logistic probe, held-out half) with demonstrations",
                  grid(geo["separability"]), C.separability(hidden, y), 2.0 / n_test, why)
        ro = entry["readout"]
        dirs = read_ref(tdir, ro["label_directions"])
        gain = read_ref(tdir, ro["final_norm"]["gain"]).astype(np.float64)
        eps = ro["final_norm"]["epsilon"]
        why_oa = "argmax over two label logits; a near-tie can flip one prompt"
        table.add(task, "output alignment (logit lens, final RMSNorm) with demonstrations",
                  grid(geo["output_alignment"]), C.output_alignment(hidden, y, dirs, gain, eps),
                  1.0 / len(y), why_oa)
        g0 = load(os.path.join(tdir, "library", "geometry_no_icl.json"))
        if g0 and hidden_no is not None:
            g0 = g0["result"]
            table.add(task, "separability without demonstrations", grid(g0["separability"]),
                      C.separability(hidden_no, y), 2.0 / n_test, why)
            table.add(task, "output alignment without demonstrations",
                      grid(g0["output_alignment"]),
                      C.output_alignment(hidden_no, y, dirs, 1.0 * gain, 1e-5), 1.0 / len(y),
                      why_oa)
    for key in ("icl", "no_icl"):
        r = load(os.path.join(tdir, "library", f"ridge_{key}.json"))
        if r:
            t = read_ref(tdir, "slopes.npy").astype(np.float64)
            mine = C.ridge_cv(hidden if key == "icl" else hidden_no, t)
            table.add(task, f"ridge probe R² of the slope ({'with' if key == 'icl' else 'without'}"
                      " demonstrations)", grid(r["result"]["mean"]), mine,
                      1e-3 * max(1.0, float(np.max(np.abs(mine)))),
                      "the library's products of f32 states run in float (docs/probes.md), "
                      "numpy's in double (relative 1e-3)")
    if "attention" in entry and "attention" in rt:
        compare_attention(table, task, tdir, entry, rt["attention"], res["options"]["top_fraction"])


def compare_attention(table, task, tdir, entry, at, fraction):
    maps, rel, irr, lpos, lcls = attention_inputs(tdir, entry)
    why = "sums in double of the same f16 maps"

    def score_and_top(name, key, mine):
        table.add(task, f"{name} score per head", grid(at[key]), mine, 1e-9, why)
        table.add(task, f"top {fraction:.0%} {name} heads",
                  [[h["layer"], h["head"]] for h in at["top_" + key]],
                  C.top_heads(mine, fraction), 0, "same ranking rule", kind="heads")

    score_and_top("previous-token", "previous_token", C.previous_token(maps))
    if rel is not None and "ratio" in at:
        mean, sums = C.attention_ratio(maps, rel, irr)
        for name, key, mine in (("mean over prompts", "ratio", mean),
                                ("ratio of sums", "ratio_of_sums", sums)):
            mine = np.where(np.isfinite(mine), mine, np.nan)
            table.add(task, f"attention ratio per head ({name})", grid(at[key]), mine,
                      1e-9 * max(1.0, float(np.nanmax(mine))), why + " (relative 1e-9)")
    if lpos is not None and "induction" in at:
        score_and_top("induction", "induction", C.induction(maps, lpos))
    if lcls is not None and "bias" in at:
        maj, rec = C.label_bias(maps, lpos, lcls)
        table.add(task, "majority-label excess per head", grid(at["bias"]["majority_excess"]),
                  maj, 1e-9, why)
        table.add(task, "recency excess per head", grid(at["bias"]["recency_excess"]), rec,
                  1e-9, why)


def library_results(run, name, tasks=("sentiment_natural", "sentiment_unrelated")):
    """(task, task directory, `result` of <task>/library/<name>.json) for each task that has it."""
    for task in tasks:
        tdir = os.path.join(run, task)
        doc = load(os.path.join(tdir, "library", name + ".json"))
        if doc is not None:
            yield task, tdir, doc["result"]


def compare_heads(table, run):
    """[P4] against `icl-metrics heads`: the log-probability increase per label, logit-minus at
    both label sets' positions, each label's top heads and their union."""
    emb = None
    for task, tdir, lib in library_results(run, "heads"):
        if emb is None:
            emb = np.array(read_safetensors(os.path.join(run, "unembedding.safetensors"),
                                            "unembedding"))
        p4 = os.path.join(tdir, "p4_subset.safetensors")     # library.py's subset
        g = {k: read_safetensors(p4, k) for k in ("attention", "values", "residual",
                                                    "final_hidden", "w_o", "gamma", "predicted",
                                                    "positions_a", "positions_b",
                                                    "label_token_ids")}
        ids = [int(t) for t in g["label_token_ids"]]
        L, H = g["attention"].shape[1:3]
        gamma = g["gamma"].astype(np.float64)
        inc_sum = np.zeros((len(ids), L, H))
        inc_n = np.zeros(len(ids))
        at_a, at_b = np.zeros((L, H)), np.zeros((L, H))
        n = g["attention"].shape[0]
        for p in range(n):
            att = g["attention"][p, :, :, -1, :]
            fh = g["final_hidden"][p]
            o = C.head_outputs(att, g["values"][p], g["w_o"], H)
            imp = C.head_logprob_increase(emb, ids, g["residual"][p], o, gamma, fh)
            k = int(g["predicted"][p])
            inc_sum[k] += imp[k]
            inc_n[k] += 1
            a, b = C.logit_minus_at_labels(att, g["values"][p], g["w_o"],
                                           emb[ids[0]].astype(np.float64),
                                           emb[ids[1]].astype(np.float64), gamma, fh, unpad(g["positions_a"][p]),
                                           unpad(g["positions_b"][p]))
            at_a += a / n
            at_b += b / n
        inc = inc_sum / inc_n[:, None, None]
        why = ("both sides multiply by the f32 unembedding in float (blocked differently), "
               "then log-softmax in double")
        for k, name in enumerate(("first", "second")):
            table.add(task, f"log-probability increase per head, {name} label",
                      grid(lib["logprob_increase"][k]), inc[k], 1e-3, why)
        why_m = "a projection on one direction, in double on both sides"
        table.add(task, "logit-minus per head at the first label's positions",
                  grid(lib["logit_minus_a"]), at_a, 1e-6, why_m)
        table.add(task, "logit-minus per head at the second label's positions",
                  grid(lib["logit_minus_b"]), at_b, 1e-6, why_m)
        k_top = len(lib["in_context_heads"]["per_label"][0])
        why_h = "same ranking rule (top k per label, then the union)"
        merged = []
        for k in range(len(ids)):
            mine = C.top_heads_k(inc[k], k_top)
            merged += [h for h in mine if h not in merged]
            table.add(task, f"top {k_top} heads by log-probability increase, label {k}",
                      [[h["layer"], h["head"]] for h in lib["in_context_heads"]["per_label"][k]],
                      mine, 0, why_h, kind="heads")
        table.add(task, "in-context heads (union)",
                  [[h["layer"], h["head"]] for h in lib["in_context_heads"]["merged"]], merged, 0,
                  why_h, kind="heads")
        if "in_context_heads_logit_minus" in lib:
            mm = [C.top_heads_k(at_a, k_top), C.top_heads_k(-at_b, k_top)]
            union = mm[0] + [h for h in mm[1] if h not in mm[0]]
            table.add(task, "in-context heads by logit-minus (union)",
                      [[h["layer"], h["head"]] for h in lib["in_context_heads_logit_minus"]["merged"]],
                      union, 0, why_h, kind="heads")


def compare_retention(table, run):
    for task, tdir, lib in library_results(run, "retention"):
        hidden = read_ref(tdir, task_entry(tdir)["hidden"]["icl"])
        r = lib["rank"]
        mine = [C.retention_norms(hidden[t["layer"] - 1], hidden[t["layer"]], r)
                for t in lib["transitions"]]
        table.add(task, f"retention: row norms of the top-{r} directions, every transition",
                  [t["norms"] for t in lib["transitions"]], mine, 1e-6,
                  "SVDs in double on both sides; a norm moves only where two singular values "
                  "nearly coincide")


def compare_head_layers(table, run):
    for task in ("sentiment_natural", "sentiment_unrelated"):
        ldir = os.path.join(run, task, "library")
        for alt, name in (("two_sided", "two-sided"), ("less", "one-sided")):
            lib = load(os.path.join(ldir, f"head_layers_{alt}.json"))
            if lib is None:
                continue
            a = grid(load(os.path.join(ldir, "previous_token_grid.json")))
            b = grid(load(os.path.join(ldir, "induction_grid.json")))
            libv, mine = [], []
            for t in lib["result"]["tests"]:
                ha, hb = C.top_heads(a, t["fraction"]), C.top_heads(b, t["fraction"])
                u, pv = C.mann_whitney([h[0] for h in ha], [h[0] for h in hb],
                                       "two-sided" if alt == "two_sided" else alt)
                libv += [t["statistic"], t["p_value"]]
                mine += [u, pv]
            table.add(task, f"Mann-Whitney U and {name} p, previous-token vs induction head "
                      "layers, at each fraction", libv, mine, 1e-9,
                      "closed forms in double (normal approximation with tie correction)")


def compare_associate(table, run):
    ldir = os.path.join(run, "bitwise", "library")
    for key in ("accuracy_by_k", "digit_accuracy_by_k"):
        lib = load(os.path.join(ldir, f"associate_{key}.json"))
        if lib is None:
            continue
        r = lib["result"]
        mine = C.association(r["metric"], r["behaviour"], r["permutations"], r["seed"])
        fields = ["pearson_r", "r_squared", "spearman_r", "analytic_p_value", "p_value"]
        table.add("bitwise", f"TD vs {key.replace('_by_k', '').replace('_', ' ')}: r, R², "
                  "Spearman, t-test p, permutation p", [r[f] for f in fields],
                  [mine[f] for f in fields], 1e-9,
                  "closed forms; the permutations drawn with the library's generator")


COMPARATORS = [compare_heads, compare_retention, compare_head_layers, compare_associate]


def fmt(v):
    if v == 0:
        return "0"
    if not np.isfinite(v):
        return "∞"
    return f"{v:.1e}" if v < 1e-3 else f"{v:.3g}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--run", required=True)
    a = p.parse_args(argv)
    table = Table()
    for task in ("bitwise", "sentiment_natural", "sentiment_unrelated", "regression"):
        compare_task(table, a.run, task)
    for f in COMPARATORS:
        f(table, a.run)
    with open(os.path.join(a.run, "agreement.json"), "w") as f:
        json.dump(table.rows, f, indent=1, default=C.jsonable)
    width = max(len(r["task"] + r["figure"]) for r in table.rows) + 3
    bad = [r for r in table.rows if not r["ok"]]
    for r in table.rows:
        print(f"{r['task'] + ': ' + r['figure']:<{width}} max|Δ| {fmt(r['max_abs_delta']):>8}  "
              f"tol {fmt(r['tolerance']):>8}  {'ok' if r['ok'] else 'DISAGREES'}")
    print(f"[agree] {len(table.rows) - len(bad)} of {len(table.rows)} figures agree within "
          "their tolerance")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
