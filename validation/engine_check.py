"""Compares the numpy forward pass and tokenizer with llama.cpp (through llama-cpp-python, when
it is installed) on the same GGUF file: token ids of a few texts, and the logits of every
position of a few prompts (top-1 agreement, largest difference, correlation).

    python validation/engine_check.py --model SmolLM2-135M-Instruct.Q4_1.gguf --out engine.json
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from model import load_model  # noqa: E402

TEXTS = [
    "The capital of France is",
    "10110,01101=00100\n11100,00111=",
    "Review: the food was wonderful\nSentiment: positive\nReview: what a boring movie\nSentiment:",
    "x = 3, z = 28, y = 7\nx = 5, z = 91, y = 11\nx = 2, z = 40, y = ",
    "Hello world! It's  a test.\n\n  ok <|im_start|>user\nhi<|im_end|>",
]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    import llama_cpp
    m = load_model(a.model)
    llm = llama_cpp.Llama(model_path=a.model, n_ctx=512, logits_all=True, verbose=False,
                          n_threads=1, n_batch=512, flash_attn=False)
    report = {"llama_cpp_python": getattr(llama_cpp, "__version__", "?"), "texts": []}
    for text in TEXTS:
        ours = m.tokenizer.encode(text)
        theirs = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        entry = {"text": text, "tokens_equal": ours == list(theirs), "ours": ours,
                 "llama_cpp": list(theirs)}
        llm.reset()
        llm.eval(list(theirs))
        ref = np.array(llm.scores[:len(theirs)], dtype=np.float64)
        got = m.forward(list(theirs)).logits.astype(np.float64)
        diff = np.abs(got - ref)
        entry.update({
            "positions": len(theirs),
            "top1_agreement": float(np.mean(got.argmax(1) == ref.argmax(1))),
            "max_abs_logit_diff": float(diff.max()),
            "mean_abs_logit_diff": float(diff.mean()),
            "logit_std": float(ref.std()),
            "correlation": float(np.corrcoef(got.ravel(), ref.ravel())[0, 1]),
        })
        report["texts"].append(entry)
        print(f"[engine] {entry['positions']:3d} tokens, ids equal: {entry['tokens_equal']}, "
              f"top-1 agreement {entry['top1_agreement']:.3f}, max |dlogit| "
              f"{entry['max_abs_logit_diff']:.3f} (logit std {entry['logit_std']:.2f}), "
              f"r = {entry['correlation']:.5f}", flush=True)
    with open(a.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
