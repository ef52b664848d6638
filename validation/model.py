"""A Llama-architecture causal language model read from a GGUF file and run in numpy.

    from model import load_model
    m = load_model("SmolLM2-135M-Instruct.Q4_1.gguf")
    out = m.forward(m.tokenizer.encode("The capital of France is"), keep_attention=True)
    out.hidden      # [layers + 1, T, d] f32: the embedding output, then each block's output
    out.attention   # [layers, heads, T, T] f32: softmax(QK^T / sqrt(d_head) + causal mask)
    out.logits      # [T, vocab] (or [1, vocab] with last_only=True)

Weights are read with the `gguf` package and dequantized with gguf.quants.dequantize (any type
it supports: F32, F16, BF16, Q8_0, Q4_0, Q4_1, K-quants, ...). Hyper-parameters come from the
GGUF metadata (llama.* keys): block count, embedding and feed-forward sizes, head counts, the
RMSNorm epsilon and the RoPE frequency base.

RoPE convention. The GGUF converters of llama.cpp permute the rows of attn_q / attn_k of a
Hugging Face checkpoint so that, inside each head, the two halves (i, i + d_head/2) that the
Hugging Face code rotates together become adjacent rows (2i, 2i + 1). llama.cpp then applies
RoPE in its "normal" mode to adjacent pairs, and so does this file: pair i of a head is rotated
by the angle pos * base^(-2i / d_head).
"""

import os

# One BLAS thread: the position-wise layers run on packed prompts, and a threaded BLAS on a
# small shared machine loses more to contention than it gains (set before numpy is imported).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import math  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import gguf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer import Tokenizer  # noqa: E402


@dataclass
class Config:
    layers: int
    d_model: int
    d_ff: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    rms_eps: float
    rope_base: float
    rope_dims: int
    context: int


@dataclass
class Output:
    logits: np.ndarray              # [T or 1, vocab]
    hidden: np.ndarray              # [layers + 1, T, d]
    attention: np.ndarray = None    # [layers, heads, T, T] or None
    head_values: np.ndarray = None  # [layers, heads, T, head_dim]: V rows seen by each query head


def _field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        if default is None:
            raise KeyError(f"GGUF metadata key '{key}' is missing")
        return default
    return f.contents()


def dequantize(tensor):
    """A GGUF tensor as float32 [rows, cols] (numpy order: the GGUF shape reversed)."""
    shape = tuple(int(s) for s in reversed(tensor.shape.tolist()))
    if tensor.tensor_type == gguf.GGMLQuantizationType.F32:
        out = np.asarray(tensor.data, dtype=np.float32)
    else:
        out = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=False)
    return np.ascontiguousarray(out.reshape(shape))


def rms_norm(x, gain, eps):
    x64 = x.astype(np.float32, copy=False)
    scale = 1.0 / np.sqrt(np.mean(x64 * x64, axis=-1, keepdims=True) + eps)
    return (x64 * scale) * gain


def rope_tables(positions, dims, base):
    """cos and sin [T, dims/2] of pair i at each position: angle = pos * base^(-2i/dims)."""
    inv = base ** (-np.arange(0, dims, 2, dtype=np.float64) / dims)
    ang = np.asarray(positions, dtype=np.float64)[:, None] * inv[None, :]
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


def apply_rope(x, cos, sin, dims):
    """x [heads, T, head_dim]: rotates the adjacent pairs (2i, 2i + 1) of the first `dims`."""
    out = x.copy()
    a = x[..., 0:dims:2]
    b = x[..., 1:dims:2]
    out[..., 0:dims:2] = a * cos - b * sin
    out[..., 1:dims:2] = a * sin + b * cos
    return out


class LlamaModel:
    def __init__(self, path):
        self.path = path
        reader = gguf.GGUFReader(path)
        arch = _field(reader, "general.architecture")
        if arch != "llama":
            raise ValueError(f"{path}: architecture '{arch}', expected 'llama'")
        heads = int(_field(reader, "llama.attention.head_count"))
        d = int(_field(reader, "llama.embedding_length"))
        tensors = {t.name: t for t in reader.tensors}
        embd = dequantize(tensors["token_embd.weight"])
        head_dim = d // heads
        self.config = Config(
            layers=int(_field(reader, "llama.block_count")),
            d_model=d,
            d_ff=int(_field(reader, "llama.feed_forward_length")),
            heads=heads,
            kv_heads=int(_field(reader, "llama.attention.head_count_kv", heads)),
            head_dim=head_dim,
            vocab=int(embd.shape[0]),
            rms_eps=float(_field(reader, "llama.attention.layer_norm_rms_epsilon")),
            rope_base=float(_field(reader, "llama.rope.freq_base", 10000.0)),
            rope_dims=int(_field(reader, "llama.rope.dimension_count", head_dim)),
            context=int(_field(reader, "llama.context_length", 2048)),
        )
        c = self.config
        if c.heads % c.kv_heads:
            raise ValueError(f"{path}: {c.heads} query heads over {c.kv_heads} KV heads")
        self.quant_types = sorted({t.tensor_type.name for t in reader.tensors})
        self.embedding = embd                                    # [vocab, d]
        # Tied embeddings: without output.weight the LM head is the token embedding.
        self.tied = "output.weight" not in tensors
        self.unembedding = embd if self.tied else dequantize(tensors["output.weight"])
        self.final_norm = dequantize(tensors["output_norm.weight"]).reshape(-1)
        self.blocks = []
        for i in range(c.layers):
            g = lambda n: dequantize(tensors[f"blk.{i}.{n}.weight"])  # noqa: E731
            self.blocks.append({
                "attn_norm": g("attn_norm").reshape(-1),
                "wq": g("attn_q"), "wk": g("attn_k"), "wv": g("attn_v"), "wo": g("attn_output"),
                "ffn_norm": g("ffn_norm").reshape(-1),
                "gate": g("ffn_gate"), "up": g("ffn_up"), "down": g("ffn_down"),
            })
        self.tokenizer = Tokenizer.from_gguf(reader)

    def forward(self, tokens, keep_attention=False, keep_values=False, last_only=False):
        """Runs the prompt `tokens` (a list of ids, positions 0..T-1) through the model."""
        t = len(tokens)
        pos = np.arange(t)
        r = self.forward_many([tokens], hidden_positions=[pos],
                              logit_positions=[pos[-1:] if last_only else pos],
                              attention=[keep_attention], value_positions=[pos] if keep_values else None)[0]
        return Output(logits=r["logits"], hidden=r["hidden"], attention=r.get("attention"),
                      head_values=r.get("values"))

    def forward_many(self, prompts, hidden_positions=None, logit_positions=None, attention=None,
                     value_positions=None, kv_values=None, max_rows=1024):
        """Runs several prompts, each from position 0, packing their tokens into one matrix for
        the position-wise layers (projections, norms, MLP) and attending within each prompt.

        For prompt i it returns a dict with
          hidden  [layers + 1, len(hidden_positions[i]), d]  (default: the last position)
          logits  [len(logit_positions[i]), vocab]            (default: the last position)
          attention [layers, heads, T, T] when attention[i] is true
          values  [layers, heads, len(value_positions[i]), head_dim] (V rows per query head)
          kv_values [layers, kv_heads, T, head_dim] when kv_values[i] is true (the values of
                    every position per key/value head, after the V projection; no RoPE on V)
        """
        c = self.config
        n = len(prompts)
        toks = [np.asarray(p, dtype=np.int64) for p in prompts]
        for i, tk in enumerate(toks):
            if tk.ndim != 1 or len(tk) == 0:
                raise ValueError(f"forward_many: prompt {i} is empty")
            if tk.min() < 0 or tk.max() >= c.vocab:
                raise ValueError(f"forward_many: prompt {i} has a token id outside [0, {c.vocab})")
        last = lambda i: np.array([len(toks[i]) - 1])  # noqa: E731
        hpos = [np.asarray(hidden_positions[i]) if hidden_positions is not None else last(i)
                for i in range(n)]
        lpos = [np.asarray(logit_positions[i]) if logit_positions is not None else last(i)
                for i in range(n)]
        want_att = [bool(attention[i]) if attention is not None else False for i in range(n)]
        vpos = [np.asarray(value_positions[i])
                if value_positions is not None and value_positions[i] is not None else None
                for i in range(n)]
        want_kv = [bool(kv_values[i]) if kv_values is not None else False for i in range(n)]
        results = [None] * n
        start = 0
        while start < n:
            stop = start + 1
            rows = len(toks[start])
            while stop < n and rows + len(toks[stop]) <= max_rows:
                rows += len(toks[stop])
                stop += 1
            group = list(range(start, stop))
            for i, r in zip(group, self._run_packed([toks[i] for i in group],
                                                    [hpos[i] for i in group],
                                                    [lpos[i] for i in group],
                                                    [want_att[i] for i in group],
                                                    [vpos[i] for i in group],
                                                    [want_kv[i] for i in group])):
                results[i] = r
            start = stop
        return results

    def _run_packed(self, toks, hpos, lpos, want_att, vpos, want_kv):
        c = self.config
        lengths = [len(t) for t in toks]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        rows = int(offsets[-1])
        positions = np.concatenate([np.arange(n) for n in lengths])
        cos, sin = rope_tables(positions, c.rope_dims, c.rope_base)
        group = c.heads // c.kv_heads
        scale = np.float32(1.0 / math.sqrt(c.head_dim))
        masks = {}

        x = self.embedding[np.concatenate(toks)].astype(np.float32)    # [rows, d]
        out = []
        for j, n in enumerate(lengths):
            r = {"hidden": np.empty((c.layers + 1, len(hpos[j]), c.d_model), dtype=np.float32)}
            r["hidden"][0] = x[offsets[j] + hpos[j]]
            if want_att[j]:
                r["attention"] = np.empty((c.layers, c.heads, n, n), dtype=np.float32)
            if vpos[j] is not None:
                r["values"] = np.empty((c.layers, c.heads, len(vpos[j]), c.head_dim),
                                       dtype=np.float32)
            if want_kv[j]:
                r["kv_values"] = np.empty((c.layers, c.kv_heads, n, c.head_dim), dtype=np.float32)
            out.append(r)
        o = np.empty((rows, c.heads * c.head_dim), dtype=np.float32)
        for i, b in enumerate(self.blocks):
            h = rms_norm(x, b["attn_norm"], c.rms_eps)
            q = (h @ b["wq"].T).reshape(rows, c.heads, c.head_dim).transpose(1, 0, 2)
            k = (h @ b["wk"].T).reshape(rows, c.kv_heads, c.head_dim).transpose(1, 0, 2)
            v = (h @ b["wv"].T).reshape(rows, c.kv_heads, c.head_dim).transpose(1, 0, 2)
            q = apply_rope(q, cos, sin, c.rope_dims)
            k = apply_rope(k, cos, sin, c.rope_dims)
            for j, n in enumerate(lengths):
                a, e = offsets[j], offsets[j + 1]
                if n not in masks:
                    masks[n] = np.triu(np.full((n, n), -np.inf, dtype=np.float32), 1)
                # GQA: query head m reads key/value head m // group.
                qj = q[:, a:e].reshape(c.kv_heads, group * n, c.head_dim)
                s = np.matmul(qj, k[:, a:e].transpose(0, 2, 1)).reshape(c.heads, n, n)
                s = s * scale + masks[n]
                s -= s.max(axis=-1, keepdims=True)
                p = np.exp(s)
                p /= p.sum(axis=-1, keepdims=True)
                if want_att[j]:
                    out[j]["attention"][i] = p
                if want_kv[j]:
                    out[j]["kv_values"][i] = v[:, a:e]
                if vpos[j] is not None:
                    out[j]["values"][i] = np.repeat(v[:, a + vpos[j]], group, axis=0)
                oj = np.matmul(p.reshape(c.kv_heads, group * n, n), v[:, a:e])
                o[a:e] = oj.reshape(c.heads, n, c.head_dim).transpose(1, 0, 2).reshape(n, -1)
            x = x + o @ b["wo"].T
            h = rms_norm(x, b["ffn_norm"], c.rms_eps)
            gate = h @ b["gate"].T
            act = gate / (1.0 + np.exp(-gate)) * (h @ b["up"].T)  # SwiGLU: silu(gate) * up
            x = x + act @ b["down"].T
            for j in range(len(lengths)):
                out[j]["hidden"][i + 1] = x[offsets[j] + hpos[j]]
        for j in range(len(lengths)):
            last = x[offsets[j] + lpos[j]]
            out[j]["logits"] = rms_norm(last, self.final_norm, c.rms_eps) @ self.unembedding.T
        return out

    def head_output(self, layer, head, vectors):
        """W_O restricted to one head: maps head_dim vectors [..., head_dim] into the residual
        stream [..., d] (the value-output map of that head)."""
        c = self.config
        wo = self.blocks[layer]["wo"][:, head * c.head_dim:(head + 1) * c.head_dim]
        return vectors @ wo.T

    def generate(self, tokens, steps, stop=None):
        """Greedy decoding (recomputes the whole prompt at each step)."""
        tokens = list(tokens)
        for _ in range(steps):
            nxt = int(np.argmax(self.forward(tokens, last_only=True).logits[-1]))
            tokens.append(nxt)
            if stop is not None and nxt in stop:
                break
        return tokens


def load_model(path):
    return LlamaModel(path)


def _main():
    import argparse
    import time
    p = argparse.ArgumentParser(description="Greedy completion with the numpy Llama forward pass")
    p.add_argument("gguf")
    p.add_argument("prompt", nargs="?", default="The capital of France is")
    p.add_argument("--steps", type=int, default=12)
    a = p.parse_args()
    t0 = time.time()
    m = load_model(a.gguf)
    print(f"loaded {a.gguf} in {time.time() - t0:.1f} s: {m.config}, tensor types {m.quant_types}")
    ids = m.tokenizer.encode(a.prompt)
    t0 = time.time()
    out = m.generate(ids, a.steps)
    print(f"{len(ids)} prompt tokens, {a.steps} steps in {time.time() - t0:.1f} s")
    print(repr(m.tokenizer.decode(out)))


if __name__ == "__main__":
    _main()
