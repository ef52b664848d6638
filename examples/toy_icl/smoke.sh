#!/usr/bin/env bash
# Smoke test of the demo-data scripts: trains every task of examples/toy_icl/train.py for a few
# steps with a tiny model into a temporary directory, dumps it, and checks that the weights, the
# activation files and manifest.json are there and consistent. Takes seconds; the real data in
# data/demo/ is made by the command in data/demo/README.md, never by CI.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

# Debian's python3-torch for /usr/bin/python3 (installed when missing and running as root).
# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
icl_ensure_dependencies icl_missing_torch_packages

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$here/train.py" --out "$tmp" --tasks function,classify,regression \
  --steps 8 --layers 2 --d-model 16 --heads 2 --max-demos 3 --batch 8 --warmup 2 \
  --eval-per-k 8 --log-every 4 --dump-per-k 6 --dump-attention 4

/usr/bin/python3 - "$tmp" <<'PY'
import json, os, struct, sys
import numpy as np

root = sys.argv[1]
m = json.load(open(os.path.join(root, "manifest.json")))
assert m["format"] == "icl-metrics-manifest" and m["version"] == 1, m
assert [t["name"] for t in m["tasks"]] == ["function", "classify", "regression"], m["tasks"]
layers, d, max_demos, per_k = 2, 16, 3, 6
n = per_k * max_demos

def tensor(ref):
    path, _, member = ref.partition(":")
    path = os.path.join(root, path)
    if path.endswith(".npy"):
        return np.load(path)
    raw = open(path, "rb").read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen])
    assert hlen % 8 == 0, hlen
    meta = header[member]
    b, e = meta["data_offsets"]
    dt = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}[meta["dtype"]]
    assert 8 + hlen + e <= len(raw), (path, member)
    a = np.frombuffer(raw[8 + hlen + b:8 + hlen + e], dtype=dt)
    return a.reshape(meta["shape"])

for t in m["tasks"]:
    name = t["name"]
    assert os.path.getsize(os.path.join(root, "weights", name + ".pt")) > 0
    for key in ("icl", "no_icl"):
        h = tensor(t["hidden"][key])
        assert h.shape == (layers + 1, n, d) and h.dtype == np.float32, (name, key, h.shape)
        assert np.isfinite(h).all(), (name, key)
    z = tensor(t["concepts"])
    k = tensor(t["demonstrations"])
    assert z.shape == (n,) and k.shape == (n,), name
    assert sorted(set(k.tolist())) == list(range(1, max_demos + 1)), name
    att = t["attention"]
    maps = tensor(att["maps"])
    p, T = maps.shape[0], 2 * max_demos + 1
    assert maps.shape == (p, layers, 2, T, T) and maps.dtype == np.float16 and p > 0, maps.shape
    rows = maps.astype(np.float64).sum(-1)
    assert np.allclose(rows, 1.0, atol=1e-2), name
    assert np.all(np.triu(maps.astype(np.float64), 1) == 0), name    # causal
    for key in ("sources", "relevant", "irrelevant", "label_positions"):
        pos = tensor(att[key])
        assert pos.shape[0] == p and pos.max() < T, (name, key)
    if "labels" in t:
        y = tensor(t["labels"])
        e = tensor(t["readout"]["label_directions"])
        g = tensor(t["readout"]["final_norm"]["gain"])
        assert y.shape == (n,) and e.shape == (3 if name == "classify" else 16, d), e.shape
        assert 0 <= y.min() and y.max() < e.shape[0], name
        assert g.shape == (d,)
print("smoke: manifest and", len(m["tasks"]), "tasks OK in", root)
PY
