"""Runs the icl-metrics program on a validation run directory: every figure of docs/validation.md
that is a metric comes out of these runs.

    python validation/library.py --program build/validation/tools/icl-metrics --run OUT

- `icl-metrics report DIR` on each task directory (results.json, report.html);
- subcommands for what the report does not cover, each written to OUT/<task>/library/<name>.json:
  geometry of the states without demonstrations, the ridge probe of the regression slope, and,
  when the program has them, `heads` (P4 in-context heads), `retention` (P2 layer retention),
  `head-layers` (Mann-Whitney on the layers of two head sets) and `associate` (P3's TD against
  accuracy). An analysis whose subcommand the program lacks is listed in OUT/library.json under
  `missing`, one the program fails on under `failed` (with its message); both are left out of
  the page, which names them. A failing report run is fatal.
"""

import argparse
import json
import os
import subprocess
import sys
import time

TASKS = ["bitwise", "sentiment_natural", "sentiment_unrelated", "regression"]


class Failed(Exception):
    pass


class Program:
    def __init__(self, path):
        self.path = path
        text = subprocess.run([path, "--help"], capture_output=True, text=True).stdout
        self.help = text
        self.runs = []

    def has(self, sub):
        return any(line.strip().split(" ")[0] == sub for line in self.help.splitlines())

    def run(self, args, out=None):
        cmd = [self.path] + [str(a) for a in args] + (["-o", out, "--quiet"] if out else [])
        t0 = time.time()
        print("[library] " + " ".join(cmd), flush=True)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise Failed(f"`icl-metrics {' '.join(os.path.relpath(c) if os.path.exists(c) else c for c in cmd[1:])}` "
                         f"failed with exit code {r.returncode}: {r.stderr.strip()}")
        self.runs.append({"command": " ".join(os.path.relpath(c) if os.path.exists(c) else c
                                              for c in cmd[1:]),
                          "seconds": round(time.time() - t0, 1)})
        return r.stdout


def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--program", required=True)
    p.add_argument("--run", required=True)
    a = p.parse_args(argv)
    prog = Program(a.program)
    summary = {"runs": prog.runs, "missing": []}
    for task in TASKS:
        tdir = os.path.join(a.run, task)
        if not os.path.exists(os.path.join(tdir, "manifest.json")):
            continue
        prog.run(["report", tdir, "--quiet"])
        ldir = os.path.join(tdir, "library")
        os.makedirs(ldir, exist_ok=True)
        acts = os.path.join(tdir, "activations.safetensors")
        if task.startswith("sentiment"):
            # the report's geometry is with demonstrations; the query alone here
            prog.run(["geometry", acts + ":hidden_no_icl", "--labels",
                      os.path.join(tdir, "labels.npy"), "--label-directions",
                      acts + ":label_directions", "--norm-gain", acts + ":final_norm_gain"],
                     os.path.join(ldir, "geometry_no_icl.json"))
        if task == "regression":
            for key in ("icl", "no_icl"):
                prog.run(["probe", f"{acts}:hidden_{key}", "--targets",
                          os.path.join(tdir, "slopes.npy")],
                         os.path.join(ldir, f"ridge_{key}.json"))
    for name, step in EXTRA:
        if not prog.has(name):
            summary["missing"].append(name)
            print(f"[library] the program has no `{name}` subcommand: left out", flush=True)
            continue
        try:
            step(prog, a.run)
        except Failed as e:
            # an analysis the program cannot run on this data is reported, not fatal
            summary.setdefault("failed", []).append({"analysis": name, "message": str(e)})
            print(f"[library] {e}", flush=True)
    with open(os.path.join(a.run, "library.json"), "w") as f:
        json.dump(summary, f, indent=1)


SENTIMENT = ["sentiment_natural", "sentiment_unrelated"]
RETENTION_RANK = 10
HEAD_FRACTIONS = "0.01,0.02,0.05,0.1"


def tasks_with(run, names, *files):
    for t in names:
        tdir = os.path.join(run, t)
        if all(os.path.exists(os.path.join(tdir, f)) for f in files):
            yield t, tdir, os.path.join(tdir, "library")


P4_PROMPTS = 16     # prompts of the in-context-head analysis (its cost grows with L·H·|V|·d each)


def p4_subset(tdir):
    """The first P4_PROMPTS prompts of p4.safetensors (run.py) in p4_subset.safetensors: the
    head analysis multiplies L·H + L vectors by the whole unembedding per prompt, on both sides
    of the cross-check."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
    from agree import read_safetensors, safetensors_names
    from manifest_files import write_safetensors
    src = os.path.join(tdir, "p4.safetensors")
    out = os.path.join(tdir, "p4_subset.safetensors")
    shared = ("w_o", "gamma", "label_token_ids")
    write_safetensors(out, {k: (read_safetensors(src, k) if k in shared else
                                read_safetensors(src, k)[:P4_PROMPTS])
                            for k in safetensors_names(src)})
    return out


def run_heads(prog, run):
    """[P4] in-context heads: log-probability increase per (layer, head) averaged over the
    prompts predicting each label, logit-minus at the label positions, the top 10 heads of each
    label and their union."""
    emb = os.path.join(run, "unembedding.safetensors") + ":unembedding"
    for _, tdir, ldir in tasks_with(run, SENTIMENT, "p4.safetensors"):
        p4 = p4_subset(tdir)
        prog.run(["heads", "--attention", p4 + ":attention", "--values", p4 + ":values",
                  "--w-o", p4 + ":w_o", "--residual", p4 + ":residual", "--unembedding", emb,
                  "--final-hidden", p4 + ":final_hidden", "--norm-gain", p4 + ":gamma",
                  "--label-token-ids", p4 + ":label_token_ids", "--predicted", p4 + ":predicted",
                  "--positions-a", p4 + ":positions_a", "--positions-b", p4 + ":positions_b"],
                 os.path.join(ldir, "heads.json"))


def run_retention(prog, run):
    """[P2] layer retention of the top directions of the query states with demonstrations,
    decoded by the unembedding."""
    emb = os.path.join(run, "unembedding.safetensors") + ":unembedding"
    for _, tdir, ldir in tasks_with(run, SENTIMENT, "activations.safetensors"):
        prog.run(["retention", os.path.join(tdir, "activations.safetensors") + ":hidden_icl",
                  "-r", RETENTION_RANK, "--unembedding", emb, "--top-k", 5,
                  "--tokens", os.path.join(run, "tokens.json")],
                 os.path.join(ldir, "retention.json"))


def run_head_layers(prog, run):
    """[P2] Mann-Whitney U on the layers of the top previous-token against the top induction
    heads (the report's score grids), at 1/2/5/10 %: two-sided, and one-sided (previous-token
    heads in earlier layers)."""
    for _, tdir, ldir in tasks_with(run, SENTIMENT, "results.json"):
        att = load(os.path.join(tdir, "results.json"))["tasks"][0].get("attention", {})
        if "induction" not in att:
            continue
        grids = {}
        for key in ("previous_token", "induction"):
            grids[key] = os.path.join(ldir, f"{key}_grid.json")
            with open(grids[key], "w") as f:
                json.dump(att[key], f)
        for alt in ("two_sided", "less"):
            prog.run(["head-layers", grids["previous_token"], grids["induction"], "--fractions",
                      HEAD_FRACTIONS, "--alternative", alt],
                     os.path.join(ldir, f"head_layers_{alt}.json"))


def run_associate(prog, run):
    """[P3] task decodability at the report's peak layer per number of demonstrations against
    the accuracy (exact answers, and per digit) at that number: Pearson r, R², permutation
    p-value, bootstrap interval."""
    behaviour = load(os.path.join(run, "behaviour.json")).get("bitwise")
    for _, tdir, ldir in tasks_with(run, ["bitwise"], "results.json"):
        dec = load(os.path.join(tdir, "results.json"))["tasks"][0]["decodability"]
        peak = dec["peak_layer"]
        groups = [g for g in dec["by_demonstrations"] if "overall" in g]
        td = [g["overall"][peak] for g in groups]
        ks = [g["demonstrations"] for g in groups]
        metric = os.path.join(ldir, "td_at_peak_by_k.json")
        with open(metric, "w") as f:
            json.dump(td, f)
        for key in ("accuracy_by_k", "digit_accuracy_by_k"):
            acc = [behaviour[key][behaviour["ks"].index(k)] for k in ks]
            path = os.path.join(ldir, f"{key}.json")
            with open(path, "w") as f:
                json.dump(acc, f)
            prog.run(["associate", "--metric", metric, "--behaviour", path, "--permutations",
                      10000, "--bootstrap", 2000, "--seed", 0],
                     os.path.join(ldir, f"associate_{key}.json"))


EXTRA = [("heads", run_heads), ("retention", run_retention), ("head-layers", run_head_layers),
         ("associate", run_associate)]

if __name__ == "__main__":
    sys.exit(main())
