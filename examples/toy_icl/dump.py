#!/usr/bin/python3
"""Runs the trained tiny ICL transformers and writes their activations in the manifest format
of docs/manifest.md.

    /usr/bin/python3 examples/toy_icl/dump.py --weights data/demo/weights --out data/demo

For every task (its weights/<task>.pt and weights/<task>.json), OUT/<task>/ receives
- activations.safetensors: hidden_icl [layers+1, n, d] f32 (residual stream at the query
  position: the embedding output, then after every block; the last entry is the input of the
  final RMSNorm), hidden_no_icl (the same queries alone, 0 demonstrations), and for the discrete
  tasks label_directions [classes, d] (unembedding rows of the answer tokens, increasing class)
  and final_norm_gain [d];
- concepts.npy, demonstrations.npy and (discrete tasks) labels.npy: int64 [n];
- attention.safetensors: maps [prompts, layers, heads, T, T] f16 for prompts with the maximum
  number of demonstrations, and the position sets (int64, padded with -1): sources, relevant,
  irrelevant, label_positions, label_classes.
and OUT/manifest.json lists them. n = per_k * max_demos prompts: per_k with each number of
demonstrations 1..max_demos.
"""

import argparse
import json
import os

# One thread everywhere (torch, and the BLAS/OpenMP pools under it): set before the imports.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "lib"))
import toy_model  # noqa: E402
from manifest_files import padded, write_safetensors  # noqa: E402

SEED_OFFSET = {"function": 1000, "classify": 2000, "regression": 3000}


@torch.no_grad()
def query_states(model, inputs):
    _, hidden, _ = model(inputs, keep_hidden=True)
    return torch.stack([h[:, -1] for h in hidden]).numpy().astype(np.float32)


@torch.no_grad()
def dump_task(name, wdir, out, per_k, n_attention, seed):
    with open(os.path.join(wdir, f"{name}.json")) as f:
        info = json.load(f)
    task = toy_model.TASKS[name](info["max_demos"])
    model = toy_model.make_model(task, info["model"])
    model.load_state_dict(torch.load(os.path.join(wdir, f"{name}.pt")))
    model.eval()
    rng = np.random.default_rng(seed + SEED_OFFSET[name] + 7)
    tdir = os.path.join(out, name)
    os.makedirs(tdir, exist_ok=True)

    icl, no_icl, concepts, labels, demos = [], [], [], [], []
    correct = []
    for k in range(1, task.max_demos + 1):
        b = task.batch(rng, per_k, k)
        icl.append(query_states(model, b["inputs"]))
        no_icl.append(query_states(model, b["inputs"][:, -1:]))
        concepts.append(b["concepts"])
        demos.append(np.full(per_k, k))
        if b["labels"] is not None:
            labels.append(b["labels"])
            logits, _, _ = model(b["inputs"])
            correct.append((logits[:, -1].argmax(-1) == b["targets"][:, -1]).numpy())
    tensors = {"hidden_icl": np.concatenate(icl, axis=1),
               "hidden_no_icl": np.concatenate(no_icl, axis=1)}
    entry = {"name": name, "description": DESCRIPTIONS[name],
             "hidden": {"icl": f"{name}/activations.safetensors:hidden_icl",
                        "no_icl": f"{name}/activations.safetensors:hidden_no_icl"},
             "concepts": f"{name}/concepts.npy",
             "demonstrations": f"{name}/demonstrations.npy"}
    np.save(os.path.join(tdir, "concepts.npy"), np.concatenate(concepts).astype(np.int64))
    np.save(os.path.join(tdir, "demonstrations.npy"), np.concatenate(demos).astype(np.int64))
    if labels:
        all_labels = np.concatenate(labels).astype(np.int64)
        missing = sorted(set(range(task.classes)) - set(all_labels.tolist()))
        if missing:
            print(f"[dump] warning: {name}: no prompt has the answer class(es) {missing}; "
                  "label_directions still holds every class", flush=True)
        np.save(os.path.join(tdir, "labels.npy"), all_labels)
        entry["labels"] = f"{name}/labels.npy"
        rows = np.arange(task.classes) + (task.items if name == "classify" else 0)
        tensors["label_directions"] = model.unembed.weight[rows].numpy().astype(np.float32)
        tensors["final_norm_gain"] = model.final_norm.gain.numpy().astype(np.float32)
        entry["readout"] = {"label_directions": f"{name}/activations.safetensors:label_directions",
                            "final_norm": {"gain": f"{name}/activations.safetensors:final_norm_gain",
                                           "epsilon": model.final_norm.eps}}
    write_safetensors(os.path.join(tdir, "activations.safetensors"), tensors,
                      {"task": name, "layers": "embedding output, then after each block"})

    # Attention maps for prompts with the maximum number of demonstrations.
    k = task.max_demos
    b = task.batch(rng, 8 * n_attention, k)
    keep = np.arange(8 * n_attention)
    if name == "classify":
        # Keep prompts whose demonstrations hold the query's category and another category, so
        # that both position sets of the ratio are non-empty.
        same = b["categories"][:, :k] == b["categories"][:, k:]
        keep = np.flatnonzero(same.any(1) & (~same).any(1))
    keep = keep[:n_attention]
    _, _, attention = model(b["inputs"][keep], keep_attention=True)
    maps = torch.stack(attention, dim=1).numpy().astype(np.float16)    # [P, L, H, T, T]
    t = maps.shape[-1]
    label_pos = b["label_positions"][keep]
    item_pos = b["item_positions"][keep]
    if name == "classify":
        same = (b["categories"][:, :k] == b["categories"][:, k:])[keep]
        relevant = padded([label_pos[i][same[i]] for i in range(len(keep))])
        irrelevant = padded([label_pos[i][~same[i]] for i in range(len(keep))])
    else:
        relevant, irrelevant = label_pos, item_pos
    att = {"maps": maps, "sources": np.full((len(keep), 1), t - 1, dtype=np.int64),
           "relevant": relevant.astype(np.int64), "irrelevant": irrelevant.astype(np.int64),
           "label_positions": label_pos.astype(np.int64)}
    if b["label_classes"] is not None:
        att["label_classes"] = b["label_classes"][keep].astype(np.int64)
    write_safetensors(os.path.join(tdir, "attention.safetensors"), att, {"task": name})
    entry["attention"] = {key: f"{name}/attention.safetensors:{key}" for key in att}

    summary = {"n": int(tensors["hidden_icl"].shape[1]), "attention_prompts": int(len(keep))}
    if correct:
        c = np.concatenate(correct)
        d = np.concatenate(demos)
        summary["dump_accuracy_by_demonstrations"] = {
            int(j): float(c[d == j].mean()) for j in range(1, task.max_demos + 1)}
    return entry, info, summary


DESCRIPTIONS = {
    "function": ("Latent-function inference: tokens 0..15, one of four functions per prompt "
                 "(x, x+1 mod 16, 15-x, 2x mod 16), prompts 'x f(x) ... x'. Concept = the "
                 "function; label = the answer f(x) (16 classes). Attention ratio: query to the "
                 "demonstrations' answer tokens f(x) (relevant) versus their inputs x."),
    "classify": ("In-context classification with arbitrary labels: 24 items in 3 fixed categories, "
                 "3 label tokens assigned to the categories by a random permutation per prompt, "
                 "prompts 'item label ... item'. Concept = the permutation (6); label = the "
                 "answer label (3 classes). Attention ratio: query to the label tokens of "
                 "demonstrations of the query's category (relevant) versus the other "
                 "demonstrations' label tokens."),
    "regression": ("Sparse linear regression mixture (P3): x ~ N(0, I_8), w on one of 4 disjoint "
                   "bases of 2 coordinates, y = w.x + 0.1 noise. Concept = the basis. Attention "
                   "ratio: query to the y tokens (relevant) versus the x tokens."),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--weights", required=True, help="folder with <task>.pt and <task>.json")
    p.add_argument("--out", required=True)
    p.add_argument("--tasks", default="function,classify")
    p.add_argument("--per-k", type=int, default=250, help="prompts per number of demonstrations")
    p.add_argument("--attention", type=int, default=64, help="prompts with attention maps")
    p.add_argument("--seed", type=int, default=1234)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    entries, model_info, summaries = [], None, {}
    for name in names:
        entry, info, summary = dump_task(name, args.weights, args.out, args.per_k, args.attention,
                                         args.seed)
        entries.append(entry)
        model_info = info["model"]
        summaries[name] = summary
        print(f"[dump] {name}: {summary}", flush=True)
    manifest = {
        "format": "icl-metrics-manifest",
        "version": 1,
        "title": "Tiny ICL transformer",
        "description": ("A 4-layer causal transformer (pre-norm, RMSNorm with gain before the "
                        "untied unembedding, learned positions), one model per task, trained on "
                        "synthetic in-context tasks by examples/toy_icl/train.py. Hidden states "
                        "are residual-stream states at the query position: layer 0 is the "
                        "embedding output, layer l the output of block l."),
        "model": {"layers": model_info["layers"], "d_model": model_info["d_model"],
                  "heads": model_info["heads"]},
        "tasks": entries,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "dump_summary.json"), "w") as f:
        json.dump(summaries, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
