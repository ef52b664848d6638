"""Writes the small activation data set of the command-line program's tests (tests/data/cli/)
and the reference values the tests compare the program's output with (tests/data/cli/reference.txt).

Two tasks, in the manifest format of docs/manifest.md:

- "regression": hidden states [4 layers, 48 prompts, 16] in a .safetensors file written here
  by hand (8-byte little-endian header length, JSON header, raw data), with ICL (f32, and
  the same rounded to bf16) and without (f16); 4 concepts whose class means grow with the layer, so that decodability rises;
  binary labels with label directions (f64 .npy) and a final RMSNorm gain; attention maps
  [6 prompts, 4 layers, 4 heads, 12, 12] (f32) with a planted previous-token head (layer 1,
  head 2) and a planted induction head (layer 2, head 0). For the in-context heads of [P4], the
  inputs that go with those maps, in heads.safetensors (drawn from a generator of their own):
  values per kv head [6, 4, 2 kv heads, 12, 4] (f32), W_O [4, 16, 16] (f32), the residual
  entering each layer [6, 4, 16] (f32), the final hidden state [6, 16] (f32), an unembedding
  [24, 16] (f16) with label token ids [5, 17], and the label each prompt predicts (the
  geometry keeps the label directions, which take precedence over the unembedding); also
  hidden states [3, 10, 12] (f32) for the report tests' manifests over the tensors of
  tests/data/cli/p4 (d = 12; tests/cli/test_report_heads.cpp).
- "classification": hidden states [3, 40, 8] (f64) in an .npz written here (one deflated and one
  stored member, fixed timestamps), labels inline in the manifest, a full unembedding with
  label token ids, and one f16 attention .npy per prompt with different lengths (ragged T).

Reference values: task decodability by scikit-learn's KNeighborsClassifier (leave one out,
k = 10, brute force), RSA alignment by scipy (pdist 'correlation', spearmanr against the
categorical RDM), attention ratio, previous-token and induction scores by numpy, effective
dimension by numpy's SVD.

Also writes a few broken inputs for the exit-code tests (tests/data/cli/bad_*).

Run from anywhere with the project venv: python tests/data/make_cli_fixtures.py
"""

import json
import os
import struct
import zipfile

import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr
from sklearn.neighbors import KNeighborsClassifier

from fixture_writer import DATA_DIR, FixtureWriter

OUT = os.path.join(DATA_DIR, "cli")
K = 10


def path(*parts):
    return os.path.join(OUT, *parts)


def write_safetensors(file_name, tensors, metadata):
    """tensors: list of (name, array). Little-endian, C order, offsets in the given order."""
    dtypes = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64",
              np.dtype("<u2"): "BF16"}  # uint16 arrays here hold bfloat16 bit patterns
    header = {}
    blobs = []
    offset = 0
    for name, array in tensors:
        array = np.ascontiguousarray(array)
        raw = array.tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path(file_name), "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for raw in blobs:
            out.write(raw)


def to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns (uint16), rounding to nearest even."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def from_bf16_bits(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def npy_bytes(array):
    import io
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def write_npz(file_name, members):
    """members: list of (name, array, compress). Fixed timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path(file_name), "w") as archive:
        for name, array, compress in members:
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, npy_bytes(array))


def save_npy(file_name, array):
    with open(path(file_name), "wb") as out:
        out.write(npy_bytes(array))


def td_loo(h, labels, k=K):
    """Leave-one-out kNN accuracy (scikit-learn, brute force), as in docs/decodability.md."""
    n = h.shape[0]
    hits = 0
    for i in range(n):
        keep = np.arange(n) != i
        model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(h[keep], labels[keep])
        hits += int(model.predict(h[i:i + 1])[0] == labels[i])
    return hits / n


def rsa_alignment(h, concepts):
    rdm = pdist(h, "correlation")
    hyp = pdist(concepts.reshape(-1, 1).astype(np.float64), lambda a, b: float(a[0] != b[0]))
    return spearmanr(rdm, hyp).statistic


def effective_dimension(h):
    s = np.linalg.svd(h - h.mean(axis=0), compute_uv=False)
    return (s ** 2).sum() ** 2 / (s ** 4).sum()


def output_alignment(h, labels, directions, gain, eps):
    """Logit-lens accuracy over the label directions through an RMSNorm (binary labels 0/1)."""
    normed = gain * h / np.sqrt((h ** 2).mean(axis=1, keepdims=True) + eps)
    predicted = np.argmax(normed @ directions.T, axis=1)
    return float(np.mean(predicted == labels))


def causal_softmax(rng, tokens, sharp=1.0):
    logits = rng.normal(size=(tokens, tokens)) * sharp
    mask = np.tril(np.ones((tokens, tokens), dtype=bool))
    logits[~mask] = -np.inf
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def attention_maps(rng, layers, heads, tokens, label_positions, previous_head, induction_head):
    a = np.empty((layers, heads, tokens, tokens))
    for l in range(layers):
        for h in range(heads):
            m = causal_softmax(rng, tokens)
            if (l, h) == previous_head:
                for q in range(1, tokens):
                    m[q] *= 0.2
                    m[q, q - 1] += 0.8
            if (l, h) == induction_head and len(label_positions) > 0:
                m[tokens - 1] *= 0.3
                m[tokens - 1, label_positions] += 0.7 / len(label_positions)
            a[l, h] = m
    return a


def attention_reference(maps, sources, relevant, irrelevant, label_positions):
    """maps: list of [L, H, T, T] float64 arrays. Returns ratio (mean over prompts), previous-token
    and induction sums over prompts."""
    layers, heads = maps[0].shape[:2]
    ratio = np.zeros((layers, heads))
    previous = np.zeros((layers, heads))
    induction = np.zeros((layers, heads))
    for p, a in enumerate(maps):
        t = a.shape[-1]
        src = sources[p] if sources is not None else [t - 1]
        if relevant is not None:
            num = a[:, :, src][:, :, :, relevant[p]].sum(axis=(2, 3)) / len(relevant[p])
            den = a[:, :, src][:, :, :, irrelevant[p]].sum(axis=(2, 3)) / len(irrelevant[p])
            ratio += num / den
        previous += np.stack([np.diagonal(a[l, h], offset=-1).sum() for l in range(layers)
                              for h in range(heads)]).reshape(layers, heads)
        induction += a[:, :, t - 1, label_positions[p]].sum(axis=2)
    return ratio / len(maps), previous, induction


def pad(rows, width=None):
    width = width or max(len(r) for r in rows)
    out = -np.ones((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20251123)
    ref = FixtureWriter(os.path.join("cli", "reference.txt"),
                        "Reference values for the icl-metrics program tests (tests/cli), on the data set\n"
                        "in tests/data/cli/ written by the same script.",
                        "make_cli_fixtures.py",
                        versions="numpy %s scipy %s scikit-learn %s" % (np.__version__, scipy.__version__,
                                                                       sklearn.__version__))

    # ---- task 1: "regression" (safetensors, f32 with ICL, f16 without) ----
    layers, n, d, concepts_n = 4, 48, 16, 4
    concepts = np.repeat(np.arange(concepts_n), n // concepts_n).astype(np.int64)
    rng.shuffle(concepts)
    demonstrations = np.where(np.arange(n) % 2 == 0, 0, 4).astype(np.int32)
    labels = (rng.random(n) < 0.5).astype(np.int64)
    labels[:2] = [0, 1]
    means = rng.normal(size=(concepts_n, d)) * 1.6
    label_dirs = rng.normal(size=(2, d))
    hidden_icl = np.empty((layers, n, d), dtype=np.float32)
    hidden_no = np.empty((layers, n, d), dtype=np.float16)
    for l in range(layers):
        strength = l / (layers - 1)
        noise = rng.normal(size=(n, d))
        boost = np.where(demonstrations == 4, 1.0, 0.45)[:, None]
        label_signal = (labels * 2 - 1)[:, None] * (label_dirs[1] - label_dirs[0]) * 0.35 * strength
        hidden_icl[l] = (noise + strength * boost * means[concepts] + label_signal + 0.3).astype(np.float32)
        hidden_no[l] = (rng.normal(size=(n, d)) + 0.25 * strength * means[concepts]).astype(np.float16)
    gain = (1.0 + 0.1 * rng.normal(size=d)).astype(np.float32)

    att_prompts, heads, tokens = 6, 4, 12
    label_rows, rel_rows, irr_rows, class_rows = [], [], [], []
    maps = []
    for p in range(att_prompts):
        k = 3 + p % 3  # demonstrations of this prompt
        positions = [2 * j + 1 for j in range(k)]
        label_rows.append(positions)
        class_rows.append([int(c) for c in rng.integers(0, 2, size=k)])
        rel_rows.append(positions)
        irr_rows.append([2 * j for j in range(k)])
        maps.append(attention_maps(rng, layers, heads, tokens, positions, previous_head=(1, 2),
                                   induction_head=(2, 0)))
    maps_f32 = np.stack(maps).astype(np.float32)

    hidden_bf16 = to_bf16_bits(hidden_icl)
    write_safetensors("acts.safetensors",
                      [("hidden_icl", hidden_icl), ("hidden_no_icl", hidden_no), ("hidden_bf16", hidden_bf16),
                       ("attention", maps_f32)],
                      {"made_by": "tests/data/make_cli_fixtures.py"})
    save_npy("concepts.npy", concepts)
    save_npy("demonstrations.npy", demonstrations)
    save_npy("labels.npy", labels)
    save_npy("label_directions.npy", label_dirs.astype(np.float64))
    save_npy("norm_gain.npy", gain)
    save_npy("label_positions.npy", pad(label_rows))
    save_npy("label_classes.npy", pad(class_rows))
    save_npy("relevant.npy", pad(rel_rows))
    save_npy("irrelevant.npy", pad(irr_rows))

    h64 = hidden_icl.astype(np.float64)
    h0 = hidden_no.astype(np.float64)
    ref.f8("regression_td", [td_loo(h64[l], concepts) for l in range(layers)])
    for count in (0, 4):
        rows = demonstrations == count
        ref.f8("regression_td_demos_%d" % count, [td_loo(h64[l][rows], concepts[rows]) for l in range(layers)])
    hb = from_bf16_bits(hidden_bf16).astype(np.float64)
    ref.f8("regression_td_bf16", [td_loo(hb[l], concepts) for l in range(layers)])
    ref.f8("regression_rsa_icl", [rsa_alignment(h64[l], concepts) for l in range(layers)])
    ref.f8("regression_rsa_no_icl", [rsa_alignment(h0[l], concepts) for l in range(layers)])
    ref.f8("regression_effective_dimension", [effective_dimension(h64[l]) for l in range(layers)])
    ref.f8("regression_output_alignment",
           [output_alignment(h64[l], labels, label_dirs, gain.astype(np.float64), 1e-5) for l in range(layers)])
    maps64 = [m.astype(np.float64) for m in maps_f32]
    ratio, previous, induction = attention_reference(maps64, None, rel_rows, irr_rows, label_rows)
    ref.f8("regression_attention_ratio", ratio)
    ref.f8("regression_previous_token", previous)
    ref.f8("regression_induction", induction)

    # The in-context heads' inputs of "regression" ([P4]), from a generator of their own so that
    # the draws above and below stay as they were.
    heads_rng = np.random.default_rng(20251203)
    kv_heads, d_head, vocab = 2, 4, 24
    values_shape = (att_prompts, layers, kv_heads, tokens, d_head)
    write_safetensors("heads.safetensors",
                      [("values", heads_rng.normal(size=values_shape).astype(np.float32)),
                       ("w_o", (0.5 * heads_rng.normal(size=(layers, d, heads * d_head))).astype(np.float32)),
                       ("residual", heads_rng.normal(size=(att_prompts, layers, d)).astype(np.float32)),
                       ("final_hidden", (2.0 * heads_rng.normal(size=(att_prompts, d))).astype(np.float32)),
                       ("unembedding", heads_rng.normal(size=(vocab, d)).astype(np.float16)),
                       ("hidden_d12", heads_rng.normal(size=(3, 10, 12)).astype(np.float32))],
                      {"made_by": "tests/data/make_cli_fixtures.py"})

    # ---- task 2: "classification" (npz f64, inline labels, unembedding, ragged f16 attention) ----
    layers2, n2, d2 = 3, 40, 8
    concepts2 = np.repeat(np.arange(4), n2 // 4).astype(np.int16)
    labels2 = np.tile([0, 1], n2 // 2).astype(np.int64)
    means2 = rng.normal(size=(4, d2)) * 1.3
    hidden2 = np.empty((layers2, n2, d2))
    for l in range(layers2):
        hidden2[l] = rng.normal(size=(n2, d2)) + (l + 1) / layers2 * means2[concepts2]
    write_npz("hidden.npz", [("hidden_icl", hidden2, True), ("concepts", concepts2, False)])
    unembedding = rng.normal(size=(6, d2)).astype(np.float32)
    save_npy("unembedding.npy", unembedding)
    ragged_positions = []
    for p, t in enumerate((8, 10, 12)):
        positions = list(range(1, t - 1, 2))
        ragged_positions.append(positions)
        a = attention_maps(rng, layers2, 2, t, positions, previous_head=(0, 1), induction_head=(2, 1))
        save_npy("attention_%d.npy" % p, a.astype(np.float16))
    ragged = [np.load(path("attention_%d.npy" % p)).astype(np.float64) for p in range(3)]
    _, previous2, induction2 = attention_reference(ragged, None, None, None, ragged_positions)
    h2 = hidden2.astype(np.float64)
    ref.f8("classification_td", [td_loo(h2[l], concepts2.astype(np.int64)) for l in range(layers2)])
    ref.f8("classification_rsa_icl", [rsa_alignment(h2[l], concepts2.astype(np.int64)) for l in range(layers2)])
    ref.f8("classification_previous_token", previous2)
    ref.f8("classification_induction", induction2)
    ref.f8("classification_effective_dimension", [effective_dimension(h2[l]) for l in range(layers2)])

    manifest = {
        "format": "icl-metrics-manifest",
        "version": 1,
        "title": "icl-metrics test data",
        "description": "Synthetic activations for the program's tests (tests/data/make_cli_fixtures.py).",
        "model": {"layers": 4, "d_model": 16, "heads": 4},
        "tasks": [
            {
                "name": "regression",
                "description": "Concepts planted with a strength that grows with the layer.",
                "hidden": {"icl": "acts.safetensors:hidden_icl", "no_icl": "acts.safetensors:hidden_no_icl"},
                "concepts": "concepts.npy",
                "labels": "labels.npy",
                "demonstrations": "demonstrations.npy",
                "readout": {"label_directions": "label_directions.npy",
                            "final_norm": {"gain": "norm_gain.npy", "epsilon": 1e-5},
                            "unembedding": "heads.safetensors:unembedding", "label_token_ids": [5, 17],
                            "final_hidden": "heads.safetensors:final_hidden", "predicted": [0, 1, 1, 0, 1, 0]},
                "attention": {"maps": "acts.safetensors:attention", "relevant": "relevant.npy",
                              "irrelevant": "irrelevant.npy", "label_positions": "label_positions.npy",
                              "label_classes": "label_classes.npy", "values": "heads.safetensors:values",
                              "w_o": "heads.safetensors:w_o", "residual": "heads.safetensors:residual"},
            },
            {
                "name": "classification",
                "hidden": {"icl": "hidden.npz:hidden_icl"},
                "concepts": "hidden.npz:concepts",
                "labels": [int(v) for v in labels2],
                "readout": {"unembedding": "unembedding.npy", "label_token_ids": [2, 5]},
                "attention": {"maps": ["attention_0.npy", "attention_1.npy", "attention_2.npy"],
                              "label_positions": ragged_positions},
            },
        ],
    }
    with open(path("manifest.json"), "w", encoding="ascii") as out:
        json.dump(manifest, out, indent=2)
        out.write("\n")

    # ---- broken inputs for the exit-code tests ----
    os.makedirs(path("bad_sizes"), exist_ok=True)
    bad = {"format": "icl-metrics-manifest", "version": 1,
           "tasks": [{"name": "sizes", "hidden": {"icl": "../acts.safetensors:hidden_icl"},
                      "labels": [0, 1, 0, 1, 0]}]}
    with open(path("bad_sizes", "manifest.json"), "w", encoding="ascii") as out:
        json.dump(bad, out, indent=2)
        out.write("\n")
    os.makedirs(path("bad_member"), exist_ok=True)
    bad = {"format": "icl-metrics-manifest", "version": 1,
           "tasks": [{"name": "member", "hidden": {"icl": "../acts.safetensors:no_such_tensor"}}]}
    with open(path("bad_member", "manifest.json"), "w", encoding="ascii") as out:
        json.dump(bad, out, indent=2)
        out.write("\n")
    with open(path("truncated.npy"), "wb") as out:
        out.write(npy_bytes(hidden_icl)[:300])

    ref.write()


if __name__ == "__main__":
    main()
