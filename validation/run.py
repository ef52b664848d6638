"""Runs the validation tasks on a GGUF model and writes one manifest directory per task.

    python validation/run.py --model SmolLM2-135M-Instruct.Q4_1.gguf --out build/validation

OUT/<task>/ receives manifest.json (docs/manifest.md), activations.safetensors (hidden states at
the query position of every layer, with and without demonstrations; the readout), attention
.safetensors (maps of a subset of prompts, f16, and the position sets), .npy label arrays; the
sentiment tasks also p4.safetensors (what the in-context-head analysis needs, see
write_p4_inputs) and OUT/unembedding.safetensors. OUT/behaviour.json holds what the model did:
accuracies, the predictions' bias, example prompts, the sanity completions and the time taken.
No metric is computed here: validation/library.py runs them with icl-metrics, and
validation/agree.py computes them again in numpy (checks.py) from the files written here.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "lib"))

from model import load_model, rms_norm  # noqa: E402
import numpy as np  # noqa: E402
import tasks as T  # noqa: E402
from checks import jsonable  # noqa: E402
from manifest_files import padded, write_safetensors  # noqa: E402


def log(msg):
    print(f"[validate {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def teacher_forced(model, prompts, answers, attention=None, value_positions=None):
    """Runs prompt + answer; the answer is right when every answer token is the argmax at the
    position before it (= greedy decoding reproduces it). Returns the model results (hidden at
    the last prompt token), the exact-match flags and the fraction of right answer tokens."""
    full = [p.ids + a for p, a in zip(prompts, answers)]
    qpos = [np.array([len(p.ids) - 1]) for p in prompts]
    lpos = [np.arange(len(p.ids) - 1, len(p.ids) - 1 + len(a)) for p, a in zip(prompts, answers)]
    res = model.forward_many(full, hidden_positions=qpos, logit_positions=lpos,
                             attention=attention, value_positions=value_positions)
    hits = [r["logits"].argmax(-1) == np.array(a) for r, a in zip(res, answers)]
    exact = np.array([bool(np.all(h)) for h in hits])
    return res, exact, np.array([float(np.mean(h)) for h in hits])


def query_only(model, queries):
    res = model.forward_many([q.ids for q in queries])
    return np.stack([r["hidden"][:, 0] for r in res], axis=1)


def readout(model, tok, words):
    ids = [tok.encode(" " + w) for w in words]
    if any(len(i) != 1 for i in ids):
        raise ValueError(f"label words {words} are not single tokens: {ids}")
    ids = [i[0] for i in ids]
    return ids, model.unembedding[ids].astype(np.float32)


def common_manifest_model(model):
    c = model.config
    return {"layers": c.layers, "d_model": c.d_model, "heads": c.heads, "kv_heads": c.kv_heads,
            "vocab": c.vocab, "file": os.path.basename(model.path),
            "tensor_types": model.quant_types, "rope_base": c.rope_base, "rms_eps": c.rms_eps}


def write_task(out, name, title, description, model, tensors, arrays, attention, entry_extra):
    tdir = os.path.join(out, name)
    os.makedirs(tdir, exist_ok=True)
    # Every query ends with the same token, so the embedding output (layer 0) is one vector for
    # all prompts: no metric is defined on it. The manifest holds the block outputs 1..L.
    tensors = dict(tensors)
    for key in ("hidden_icl", "hidden_no_icl"):
        if key in tensors:
            tensors[key] = tensors[key][1:]
    description += EMBEDDING_NOTE
    write_safetensors(os.path.join(tdir, "activations.safetensors"), tensors,
                      {"layers": "the output of each block, 1..L"})
    for k, v in arrays.items():
        np.save(os.path.join(tdir, f"{k}.npy"), v.astype(np.int64))
    entry = {"name": name, "description": description,
             "hidden": {"icl": "activations.safetensors:hidden_icl"}}
    if "hidden_no_icl" in tensors:
        entry["hidden"]["no_icl"] = "activations.safetensors:hidden_no_icl"
    for k in arrays:
        entry[k] = f"{k}.npy"
    if attention is not None:
        write_safetensors(os.path.join(tdir, "attention.safetensors"), attention)
        entry["attention"] = {k: f"attention.safetensors:{k}" for k in attention}
    entry.update(entry_extra)
    manifest = {"format": "icl-metrics-manifest", "version": 1, "title": title,
                "description": description, "model": common_manifest_model(model),
                "tasks": [entry]}
    with open(os.path.join(tdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return tdir


EMBEDDING_NOTE = (" Hidden states: the outputs of blocks 1..L, so layer i of the report is the "
                  "output of block i + 1 (the embedding output is the same vector for every "
                  "prompt, the query's last token being fixed).")


def readout_entry(model):
    return {"final_norm": {"gain": "activations.safetensors:final_norm_gain",
                           "epsilon": model.config.rms_eps}}


# ---------------------------------------------------------------------------------------------
def run_bitwise(model, out, per, max_k, n_att, att_k, rng):
    tok = model.tokenizer
    prompts, queries, answers, concepts, demos = [], [], [], [], []
    for k in range(max_k + 1):
        for ci, op in enumerate(T.BIT_OPS):
            for _ in range(per):
                p, q, a = T.bitwise_prompt(rng, op, k, tok)
                prompts.append(p), queries.append(q), answers.append(a)
                concepts.append(ci), demos.append(k)
    concepts, demos = np.array(concepts), np.array(demos)
    log(f"bitwise: {len(prompts)} prompts, {sum(len(p.ids) + 5 for p in prompts)} tokens")
    res, exact, digits = teacher_forced(model, prompts, answers)
    hidden = np.stack([r["hidden"][:, 0] for r in res], axis=1)
    hidden_no = query_only(model, queries)
    # attention maps: n_att prompts with att_k demonstrations, one operation after another
    pick = [i for i in range(len(prompts)) if demos[i] == att_k and concepts[i] < 6][:n_att]
    att_res = model.forward_many([prompts[i].ids for i in pick], attention=[True] * len(pick))
    # Prompts share T only when their tokenizations do (padding would move positions): maps of
    # different lengths are written one file per prompt.
    lengths = {len(prompts[i].ids) for i in pick}
    att = {"relevant": padded([prompts[i].tags.get("demo_answer", []) for i in pick]),
           "irrelevant": padded([prompts[i].tags.get("demo_input", []) for i in pick])}
    maps_list = [r["attention"].astype(np.float16) for r in att_res]
    if len(lengths) == 1:
        att["maps"] = np.stack(maps_list)
    att_entry_maps = maps_list if len(lengths) != 1 else None
    tensors = {"hidden_icl": hidden, "hidden_no_icl": hidden_no}
    description = ("P3 bitwise arithmetic: 5-bit operands, demonstrations 'a,b=c' with a latent "
                   "operation (AND, OR, XOR, NAND, NOR, XNOR, or Null: random c), query 'a,b=', "
                   f"0..{max_k} demonstrations, {per} prompts per operation and number. Concept = "
                   "the operation; hidden states at the '=' of the query. Attention ratio "
                   f"({len(pick)} prompts with {att_k} demonstrations): query to the "
                   "demonstrations' answer digits (relevant) versus their operand digits.")
    tdir = write_task(out, "bitwise", "SmolLM2-135M: bitwise arithmetic (P3)", description, model,
                      tensors, {"concepts": concepts, "demonstrations": demos},
                      att if att_entry_maps is None else None, {})
    if att_entry_maps is not None:
        _write_ragged_attention(tdir, att, att_entry_maps)
    checks = bitwise_behaviour(concepts, demos, exact, digits, T.BIT_OPS)
    checks["attention_prompts"] = len(pick)
    checks["examples"] = [prompts[i].text + tok.decode(answers[i]) for i in
                          [int(np.flatnonzero(demos == 2)[0])]]
    return checks


def bitwise_behaviour(concepts, demos, exact, digits, ops):
    """Accuracy by number of demonstrations (exact answers and per digit; the Null class, which
    has no right answer, left out) and by operation."""
    ks = sorted(set(demos.tolist()))
    real = concepts < len(ops) - 1
    return {
        "n": int(len(concepts)), "ks": ks, "operations": ops,
        "accuracy_by_k": [float(exact[(demos == k) & real].mean()) for k in ks],
        "digit_accuracy_by_k": [float(digits[(demos == k) & real].mean()) for k in ks],
        "accuracy_by_operation": {ops[c]: [float(exact[(demos == k) & (concepts == c)].mean())
                                           for k in ks] for c in range(len(ops) - 1)},
    }


def _write_ragged_attention(tdir, att, maps_list):
    """Maps of prompts with different lengths: one [layers, heads, T, T] file per prompt."""
    man_path = os.path.join(tdir, "manifest.json")
    with open(man_path) as f:
        manifest = json.load(f)
    refs = []
    for i, m in enumerate(maps_list):
        fn = f"attention_{i:03d}.safetensors"
        write_safetensors(os.path.join(tdir, fn), {"maps": m})
        refs.append(f"{fn}:maps")
    write_safetensors(os.path.join(tdir, "attention.safetensors"), att)
    entry = {k: f"attention.safetensors:{k}" for k in att}
    entry["maps"] = refs
    manifest["tasks"][0]["attention"] = entry
    with open(man_path, "w") as f:
        json.dump(manifest, f, indent=2)


# ---------------------------------------------------------------------------------------------
def run_sentiment(model, out, per, max_k, n_icl, n_att, rng):
    tok = model.tokenizer
    draws, demos = [], []
    for k in range(max_k + 1):
        count = n_icl if k == max_k else per
        for j in range(count):
            draws.append(T.sentiment_draw(rng, k, j % 2))
            demos.append(k)
    demos = np.array(demos)
    labels = np.array([d["cls"] for d in draws])
    all_checks = {}
    for label_set, words in T.LABEL_SETS.items():
        name = f"sentiment_{label_set}"
        rendered = [T.render_sentiment(d, label_set, tok) for d in draws]
        prompts = [r[0] for r in rendered]
        queries = [r[1] for r in rendered]
        ids, directions = readout(model, tok, words)
        log(f"{name}: {len(prompts)} prompts, {sum(len(p.ids) for p in prompts)} tokens")
        top = np.flatnonzero(demos == max_k)
        # label positions (ordered) and their classes, for every prompt
        label_pos, label_cls = [], []
        for p in prompts:
            pos = sorted([(q, 0) for q in p.tags.get("label0", [])]
                         + [(q, 1) for q in p.tags.get("label1", [])])
            label_pos.append([q for q, _ in pos]), label_cls.append([c for _, c in pos])
        res = model.forward_many([p.ids for p in prompts],
                                 kv_values=[bool(demos[i] == max_k) for i in range(len(prompts))],
                                 attention=[bool(demos[i] == max_k) for i in range(len(prompts))])
        logits = np.stack([r["logits"][-1] for r in res])
        hidden_all = np.stack([r["hidden"][:, 0] for r in res], axis=1)    # [L+1, n, d]
        pred2 = np.argmin(np.stack([-logits[:, ids[0]], -logits[:, ids[1]]], 1), 1)
        pred_full = logits.argmax(1)
        hidden = hidden_all[:, top]
        hidden_no = query_only(model, [queries[i] for i in top])
        # attention maps of the first n_att prompts with max_k demonstrations; the rest give
        # their last attention row and value vectors to the checks
        both = [i for i in top if len(set(label_cls[i])) == 2]
        pick = both[:n_att]
        lengths = {len(prompts[i].ids) for i in pick}
        rel = [[q for q, c in zip(label_pos[i], label_cls[i]) if c == labels[i]] for i in pick]
        irr = [[q for q, c in zip(label_pos[i], label_cls[i]) if c != labels[i]] for i in pick]
        att = {"relevant": padded(rel), "irrelevant": padded(irr),
               "label_positions": padded([label_pos[i] for i in pick]),
               "label_classes": padded([label_cls[i] for i in pick])}
        maps_list = [res[i]["attention"].astype(np.float16) for i in pick]
        if len(lengths) == 1:
            att["maps"] = np.stack(maps_list)
        tensors = {"hidden_icl": hidden, "hidden_no_icl": hidden_no,
                   "label_directions": directions,
                   "final_norm_gain": model.final_norm.astype(np.float32)}
        description = (f"P2/P4 in-context sentiment classification with "
                       f"{'natural' if label_set == 'natural' else 'semantically unrelated'} "
                       f"labels ('{words[0]}' for positive, '{words[1]}' for negative): "
                       "'Review: <sentence>\\nSentiment: <label>' from a small lexicon; hidden "
                       f"states at the ':' of the query, {len(top)} prompts with {max_k} "
                       "demonstrations (without: the query alone). Attention ratio: query to the "
                       "label tokens of demonstrations of the query's class (relevant) versus "
                       "the other demonstrations' label tokens.")
        extra = {"labels": "labels.npy", "readout": dict(readout_entry(model),
                 label_directions="activations.safetensors:label_directions")}
        tdir = write_task(out, name, f"SmolLM2-135M: sentiment, {label_set} labels (P2, P4)",
                          description, model, tensors, {"labels": labels[top]},
                          att if len(lengths) == 1 else None, extra)
        if len(lengths) != 1:
            _write_ragged_attention(tdir, att, maps_list)
        write_p4_inputs(tdir, model, [res[i] for i in top], hidden_all[:, top],
                        [label_pos[i] for i in top], [label_cls[i] for i in top],
                        labels[top], pred2[top], ids)
        ck = sentiment_behaviour(labels, demos, pred2, pred_full, ids)
        ck["prediction_bias"] = prediction_bias([[c for c, _ in d["demos"]] for d in draws],
                                                labels, pred2)
        ck["attention_prompts"] = len(pick)
        ck["examples"] = [prompts[int(top[0])].text]
        for r in res:
            r.pop("attention", None)
        all_checks[name] = ck
    return all_checks


def sentiment_behaviour(labels, demos, pred2, pred_full, ids):
    ks = sorted(set(demos.tolist()))
    return {
        "n_by_k": [int(np.sum(demos == k)) for k in ks], "ks": ks, "label_token_ids": ids,
        "accuracy_by_k": [float(np.mean(pred2[demos == k] == labels[demos == k])) for k in ks],
        "accuracy_full_vocab_by_k": [float(np.mean(pred_full[demos == k] ==
                                                   np.array(ids)[labels[demos == k]])) for k in ks],
        "label_token_top1_by_k": [float(np.mean(np.isin(pred_full[demos == k], ids))) for k in ks],
    }


def prediction_bias(demo_classes, labels, pred):
    """Majority-label and recency bias of the predictions (P4), over prompts with at least one
    demonstration: how often the prediction is the demonstrations' majority class (prompts with
    a unique majority) or the last demonstration's class, against how often the right answer
    is (the rate an unbiased perfect classifier would show)."""
    maj_pred, maj_true, last_pred, last_true = [], [], [], []
    for d, y, p in zip(demo_classes, labels, pred):
        if not d:
            continue
        counts = np.bincount(d, minlength=2)
        if counts[0] != counts[1]:
            m = int(np.argmax(counts))
            maj_pred.append(p == m)
            maj_true.append(y == m)
        last_pred.append(p == d[-1])
        last_true.append(y == d[-1])
    return {"majority_prompts": len(maj_pred),
            "prediction_is_majority": float(np.mean(maj_pred)),
            "answer_is_majority": float(np.mean(maj_true)),
            "prediction_is_last": float(np.mean(last_pred)),
            "answer_is_last": float(np.mean(last_true))}


def write_p4_inputs(tdir, model, results, hidden_all, label_pos, label_cls, labels, predicted,
                    ids):
    """p4.safetensors: what `icl-metrics heads` (the in-context heads of [P4]) needs, for the
    prompts with the most demonstrations and both classes among them. The prompts differ in
    length T, and the program takes one [prompts, layers, heads, T, T] tensor whose query is the
    last position: each prompt is shifted to the end of T_max positions (zeros before it), and
    only the row of the last position holds its attention (the only row the analysis reads):
      attention     [n, L, H, T_max, T_max] f16  row T_max − 1: the last position's attention
      values        [n, L, kv, T_max, dh]   values per key/value head
      residual      [n, L, d]               residual stream entering each block, last position
      final_hidden  [n, d]                  the last block's output there, before the final norm
      w_o           [L, d, H·dh]            each block's output projection (o_proj layout)
      gamma         [d]                     γ of the final RMSNorm
      positions_a / positions_b [n, k]      the (shifted) label positions of class 0 / class 1
                                            demonstrations (−1 padded)
      predicted     [n]                     the 2-way prediction (0: the first label token)
      label_token_ids [2], labels [n]
    and, once per run, ../unembedding.safetensors:unembedding [V, d] (tied: the embedding)."""
    c = model.config
    keep = [i for i in range(len(results)) if len(set(label_cls[i])) == 2]
    n = len(keep)
    tmax = max(results[i]["kv_values"].shape[2] for i in keep)
    att = np.zeros((n, c.layers, c.heads, tmax, tmax), dtype=np.float16)
    vals = np.zeros((n, c.layers, c.kv_heads, tmax, c.head_dim), dtype=np.float32)
    pos_a, pos_b = [], []
    for j, i in enumerate(keep):
        r = results[i]
        t = r["kv_values"].shape[2]
        shift = tmax - t
        att[j, :, :, -1, shift:] = r["attention"][:, :, -1, :]
        vals[j, :, :, shift:] = r["kv_values"]
        pos_a.append([q + shift for q, k in zip(label_pos[i], label_cls[i]) if k == 0])
        pos_b.append([q + shift for q, k in zip(label_pos[i], label_cls[i]) if k == 1])
    wo = np.stack([b["wo"] for b in model.blocks]).astype(np.float32)
    write_safetensors(os.path.join(tdir, "p4.safetensors"), {
        "attention": att, "values": vals,
        "residual": np.ascontiguousarray(hidden_all[:c.layers, keep].transpose(1, 0, 2)),
        "final_hidden": np.ascontiguousarray(hidden_all[c.layers, keep]),
        "w_o": wo, "gamma": model.final_norm.astype(np.float32),
        "positions_a": padded(pos_a), "positions_b": padded(pos_b),
        "labels": np.asarray(labels, dtype=np.int64)[keep],
        "predicted": np.asarray(predicted, dtype=np.int64)[keep],
        "label_token_ids": np.asarray(ids, dtype=np.int64)})
    emb = os.path.join(os.path.dirname(tdir), "unembedding.safetensors")
    if not os.path.exists(emb):
        write_safetensors(emb, {"unembedding": model.unembedding.astype(np.float32)})
        with open(os.path.join(os.path.dirname(tdir), "tokens.json"), "w") as f:
            json.dump([model.tokenizer.decode([i]) for i in range(model.config.vocab)], f)
    for r in results:
        r.pop("kv_values", None)


# ---------------------------------------------------------------------------------------------
def run_regression(model, out, per, k_icl, acc_ks, acc_per, n_att, rng):
    tok = model.tokenizer
    prompts, queries, answers, concepts, slopes = [], [], [], [], []
    for si in range(len(T.SLOPES)):
        for _ in range(per):
            p, q, a, info = T.regression_prompt(rng, si, k_icl, tok)
            prompts.append(p), queries.append(q), answers.append(a)
            concepts.append(si), slopes.append(info["slope"])
    concepts, slopes = np.array(concepts), np.array(slopes, dtype=np.float64)
    log(f"regression: {len(prompts)} prompts, {sum(len(p.ids) for p in prompts)} tokens")
    pick = list(range(0, len(prompts), max(1, len(prompts) // n_att)))[:n_att]
    res, exact, _ = teacher_forced(model, prompts, answers,
                                attention=[i in pick for i in range(len(prompts))])
    hidden = np.stack([r["hidden"][:, 0] for r in res], axis=1)
    hidden_no = query_only(model, queries)
    rel = [prompts[i].tags["x"] + prompts[i].tags["y"] for i in range(len(prompts))]
    irr = [prompts[i].tags["z"] for i in range(len(prompts))]
    maps_list = [res[i]["attention"].astype(np.float16) for i in pick]
    att = {"relevant": padded([rel[i] for i in pick]), "irrelevant": padded([irr[i] for i in pick])}
    lengths = {len(prompts[i].ids) for i in pick}
    if len(lengths) == 1:
        att["maps"] = np.stack(maps_list)
    description = ("P1 linear regression in text: 'x = 3, z = 57, y = 10' lines with "
                   f"y = a*x + b, slope a in {T.SLOPES}, b in 0..4 per prompt, x in 1..9, z an "
                   f"irrelevant number in 10..99; {k_icl} demonstrations, then 'x = .., z = .., "
                   "y = '. Concept = the slope (RSA hypothesis: same slope); without "
                   "demonstrations: the query line alone. Attention ratio: last position to the "
                   "digits of the demonstrations' x and y (relevant) versus those of z.")
    tdir = write_task(out, "regression", "SmolLM2-135M: linear regression in text (P1)",
                      description, model, {"hidden_icl": hidden, "hidden_no_icl": hidden_no},
                      {"concepts": concepts}, att if len(lengths) == 1 else None, {})
    if len(lengths) != 1:
        _write_ragged_attention(tdir, att, maps_list)
    np.save(os.path.join(tdir, "slopes.npy"), slopes)    # targets of the ridge probe
    ck = {"n": int(len(concepts)), "accuracy": float(exact.mean()),
          "accuracy_by_slope": [float(exact[concepts == c].mean()) for c in sorted(set(concepts))],
          "attention_prompts": len(pick)}
    # accuracy by number of demonstrations (separate prompts)
    acc = {}
    for k in acc_ks:
        ps, ans = [], []
        for j in range(acc_per):
            p, _, a, _ = T.regression_prompt(rng, j % len(T.SLOPES), k, tok)
            ps.append(p), ans.append(a)
        _, ex, _ = teacher_forced(model, ps, ans)
        acc[int(k)] = float(ex.mean())
    ck["accuracy_by_demonstrations"] = acc
    ck["examples"] = [prompts[0].text + tok.decode(answers[0])]
    return ck


SANITY_PROMPTS = ["The capital of France is", "1, 2, 3, 4, 5,"]


def run_sanity(model):
    """Greedy completions of a few plain prompts: a quick look that the model is the model."""
    out = []
    for text in SANITY_PROMPTS:
        ids = model.tokenizer.encode(text)
        full = model.generate(ids, 8)
        out.append({"prompt": text, "completion": model.tokenizer.decode(full[len(ids):])})
        log(f"sanity: {text!r} -> {out[-1]['completion']!r}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", required=True, help="GGUF file")
    p.add_argument("--out", required=True, help="run directory (one subdirectory per task)")
    p.add_argument("--tasks", default="sanity,bitwise,sentiment,regression")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies the prompt counts")
    p.add_argument("--seed", type=int, default=20240)
    a = p.parse_args(argv)
    s = lambda n: max(2, int(round(n * a.scale)))  # noqa: E731
    t0 = time.time()
    model = load_model(a.model)
    log(f"model loaded in {time.time() - t0:.1f} s: {model.config}")
    os.makedirs(a.out, exist_ok=True)
    checks_path = os.path.join(a.out, "behaviour.json")
    checks = {}
    if os.path.exists(checks_path):
        with open(checks_path) as f:
            checks = json.load(f)
    checks["model"] = common_manifest_model(model)
    wanted = a.tasks.split(",")
    for name in wanted:
        t1 = time.time()
        rng = np.random.default_rng(a.seed + sum(map(ord, name)))
        if name == "sanity":
            checks["sanity"] = run_sanity(model)
        elif name == "bitwise":
            checks["bitwise"] = run_bitwise(model, a.out, s(8), 8, 12, 4, rng)
        elif name == "sentiment":
            checks.update(run_sentiment(model, a.out, s(16), 8, s(64), 16, rng))
        elif name == "regression":
            checks["regression"] = run_regression(model, a.out, s(16), 6, [0, 1, 2, 4, 8], s(40),
                                                  16, rng)
        else:
            raise SystemExit(f"unknown task '{name}'")
        checks.setdefault("seconds", {})[name] = round(time.time() - t1, 1)
        log(f"{name}: done in {time.time() - t1:.0f} s")
        with open(checks_path, "w") as f:
            json.dump(checks, f, indent=1, default=jsonable)
    log(f"all done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
