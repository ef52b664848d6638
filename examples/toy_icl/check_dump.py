"""Independent sanity check of a dump written by dump.py, with numpy and scikit-learn.

    /work/main/.venv/bin/python examples/toy_icl/check_dump.py data/demo

Reads manifest.json and, per task and layer, prints
- TD: leave-one-out 10-nearest-neighbour accuracy (Euclidean, majority vote, ties to the lowest
  concept) of the concept from the query hidden states, with and without demonstrations, and per
  number of demonstrations;
- for tasks with labels: a logistic probe of the answer (fit on a random half, scored on the
  other) and the logit-lens accuracy argmax_c label_directions[c] . RMSNorm(h) (the last layer's
  value is the model's own accuracy restricted to the label tokens);
- the attention ratio per layer and head: the per-token mean attention of the last position to
  the relevant positions over that to the irrelevant ones, averaged over prompts (nan when some
  prompt gives 0/0), and the ratio of the two means over prompts.
Reads .npy with numpy and .safetensors with the small reader below (no other package).
"""

import json
import os
import struct
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

_DT = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path, name):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        meta = header[name]
        begin, end = meta["data_offsets"]
        f.seek(8 + n + begin)
        data = f.read(end - begin)
    return np.frombuffer(data, dtype=_DT[meta["dtype"]]).reshape(meta["shape"])


def load(root, ref):
    if isinstance(ref, (int, float)):
        return ref
    path, _, member = ref.partition(":")
    path = os.path.join(root, path)
    if path.endswith(".npy"):
        return np.load(path)
    return read_safetensors(path, member)


def loo_knn(h, z, k=10):
    h = h.astype(np.float64)
    sq = (h * h).sum(1)
    d = sq[:, None] + sq[None, :] - 2.0 * h @ h.T
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1, kind="stable")[:, :k]
    classes = np.unique(z)
    votes = (z[nn][:, :, None] == classes[None, None, :]).sum(1)
    pred = classes[votes.argmax(1)]            # argmax takes the first (lowest) class on ties
    return float((pred == z).mean())


def rms_norm(h, gain, eps):
    return gain * h / np.sqrt((h * h).mean(-1, keepdims=True) + eps)


def probe(h, y, seed=0):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    a, b = idx[: len(y) // 2], idx[len(y) // 2:]
    clf = LogisticRegression(C=1.0, max_iter=1000).fit(h[a], y[a])
    return float(clf.score(h[b], y[b]))


def fmt(values):
    return " ".join(f"{v:5.2f}" for v in values)


def main(root):
    with open(os.path.join(root, "manifest.json")) as f:
        manifest = json.load(f)
    for task in manifest["tasks"]:
        name = task["name"]
        h_icl = load(root, task["hidden"]["icl"])
        h_no = load(root, task["hidden"]["no_icl"])
        z = load(root, task["concepts"])
        k = load(root, task["demonstrations"])
        layers = h_icl.shape[0]
        print(f"== {name}: hidden {list(h_icl.shape)}, concepts {np.bincount(z).tolist()}, "
              f"chance {np.bincount(z).max() / len(z):.2f}")
        print(f"  layer            {' '.join(f'{l:5d}' for l in range(layers))}")
        print(f"  TD icl           {fmt([loo_knn(h_icl[l], z) for l in range(layers)])}")
        print(f"  TD no_icl        {fmt([loo_knn(h_no[l], z) for l in range(layers)])}")
        for kk in np.unique(k):
            sel = k == kk
            print(f"  TD icl k={kk:<2d}      {fmt([loo_knn(h_icl[l][sel], z[sel]) for l in range(layers)])}")
        if "labels" in task:
            y = load(root, task["labels"])
            ro = task["readout"]
            e = load(root, ro["label_directions"]).astype(np.float64)
            gain = load(root, ro["final_norm"]["gain"]).astype(np.float64)
            eps = ro["final_norm"]["epsilon"]
            print(f"  probe icl        {fmt([probe(h_icl[l], y) for l in range(layers)])}")
            print(f"  probe no_icl     {fmt([probe(h_no[l], y) for l in range(layers)])}")
            lens = [float(((rms_norm(h_icl[l].astype(np.float64), gain, eps) @ e.T).argmax(1) == y).mean())
                    for l in range(layers)]
            print(f"  logit lens icl   {fmt(lens)}")
            for kk in np.unique(k):
                sel = k == kk
                acc = ((rms_norm(h_icl[-1][sel].astype(np.float64), gain, eps) @ e.T).argmax(1) == y[sel]).mean()
                print(f"  model accuracy over label tokens, k={kk}: {acc:.3f}")
        att = task.get("attention")
        if att:
            maps = load(root, att["maps"]).astype(np.float64)       # [P, L, H, T, T]
            rel = load(root, att["relevant"])
            irr = load(root, att["irrelevant"])
            ratios = np.zeros(maps.shape[1:3])
            num = np.zeros(maps.shape[1:3])
            den = np.zeros(maps.shape[1:3])
            zero = np.zeros(maps.shape[1:3], dtype=int)
            for p in range(maps.shape[0]):
                r = rel[p][rel[p] >= 0]
                i = irr[p][irr[p] >= 0]
                last = maps[p, :, :, -1, :]
                a, b = last[:, :, r].mean(-1), last[:, :, i].mean(-1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratios += a / b
                num += a
                den += b
                zero += b == 0
            ratios /= maps.shape[0]
            print("  attention ratio per layer x head, mean over prompts of the per-prompt ratio"
                  " | ratio of the prompt means | prompts with a zero denominator:")
            for l in range(ratios.shape[0]):
                print(f"    layer {l}: {fmt(ratios[l])} | {fmt(num[l] / den[l])} | "
                      f"{' '.join(str(z) for z in zero[l])}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/demo")
