"""Self-test of the GGUF extraction path on a tiny random model (no download):

    python validation/test_model.py          (or ./scripts/validate --self-test)

It writes a 2-layer Llama GGUF with the gguf package (Q4_1, Q8_0, F16 and F32 tensors, GQA,
a non-default RoPE base and epsilon, tied embeddings, a byte-level BPE vocabulary), loads it
through validation/model.py and compares
- every dequantized tensor with a block decoder written here from the Q4_1 / Q8_0 layouts;
- the forward pass (hidden states of every layer, attention weights, logits) with a loop-based
  reference that works in the Hugging Face layout: it undoes the converter's Q/K row
  permutation and applies RoPE to the half-split pairs (i, i + d_head/2);
- packed prompts (forward_many) with single prompts;
- the tokenizer's pre-tokenizer with Python's `re` on ASCII text, and BPE with hand-worked
  merges.
Prints one line per test and 'N passed, N failed'; exits 1 on a failure.
"""

import math
import os
import re
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import gguf  # noqa: E402
import model as M  # noqa: E402
import tokenizer as TK  # noqa: E402

Q = gguf.GGMLQuantizationType
CFG = dict(layers=2, d=64, ff=96, heads=4, kv=2, vocab=300, eps=1e-6, base=5000.0)


# ---- the tiny model ---------------------------------------------------------------------------
def hf_to_gguf_rows(w, n_head):
    """The converter's permutation of q/k rows: inside a head, row i of the first half and row i
    of the second half become rows 2i and 2i + 1."""
    hd = w.shape[0] // n_head
    return w.reshape(n_head, 2, hd // 2, w.shape[1]).swapaxes(1, 2).reshape(w.shape)


def byte_vocab():
    """256 byte tokens, then merges: 't'+'h', 'th'+'e', ' '+'the', 'a'+'b', 'ab'+'c'."""
    table = TK._bytes_to_unicode()
    tokens = [table[b] for b in range(256)]
    merges = [("t", "h"), ("th", "e"), ("Ġ", "the"), ("a", "b"), ("ab", "c")]
    for a, b in merges:
        tokens.append(a + b)
    tokens.append("<|ctl|>")
    types = [1] * (len(tokens) - 1) + [3]
    tokens += [f"<unused{i}>" for i in range(CFG["vocab"] - len(tokens))]
    types += [1] * (CFG["vocab"] - len(types))
    return tokens, [f"{a} {b}" for a, b in merges], types


def write_tiny(path, seed=0):
    rng = np.random.default_rng(seed)
    c = CFG
    hd = c["d"] // c["heads"]
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(c["layers"])
    w.add_context_length(128)
    w.add_embedding_length(c["d"])
    w.add_feed_forward_length(c["ff"])
    w.add_head_count(c["heads"])
    w.add_head_count_kv(c["kv"])
    w.add_rope_dimension_count(hd)
    w.add_rope_freq_base(c["base"])
    w.add_layer_norm_rms_eps(c["eps"])
    w.add_file_type(3)
    tokens, merges, types = byte_vocab()
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_merges(merges)
    w.add_token_types(types)

    def add(name, arr, qtype):
        arr = arr.astype(np.float32)
        if qtype == Q.F32:
            w.add_tensor(name, arr)
        elif qtype == Q.F16:
            w.add_tensor(name, arr.astype(np.float16))
        else:
            w.add_tensor(name, gguf.quants.quantize(arr, qtype), raw_dtype=qtype)

    add("token_embd.weight", rng.normal(0, 1, (c["vocab"], c["d"])), Q.Q8_0)
    add("output_norm.weight", 1 + 0.1 * rng.normal(size=c["d"]), Q.F32)
    for i in range(c["layers"]):
        s = 1 / math.sqrt(c["d"])
        add(f"blk.{i}.attn_norm.weight", 1 + 0.1 * rng.normal(size=c["d"]), Q.F32)
        add(f"blk.{i}.attn_q.weight",
            hf_to_gguf_rows(rng.normal(0, 3 * s, (c["d"], c["d"])), c["heads"]), Q.Q4_1)
        add(f"blk.{i}.attn_k.weight",
            hf_to_gguf_rows(rng.normal(0, 3 * s, (c["kv"] * hd, c["d"])), c["kv"]), Q.Q4_1)
        add(f"blk.{i}.attn_v.weight", rng.normal(0, s, (c["kv"] * hd, c["d"])), Q.Q8_0)
        add(f"blk.{i}.attn_output.weight", rng.normal(0, s, (c["d"], c["d"])), Q.F16)
        add(f"blk.{i}.ffn_norm.weight", 1 + 0.1 * rng.normal(size=c["d"]), Q.F32)
        add(f"blk.{i}.ffn_gate.weight", rng.normal(0, s, (c["ff"], c["d"])), Q.Q4_1)
        add(f"blk.{i}.ffn_up.weight", rng.normal(0, s, (c["ff"], c["d"])), Q.Q4_1)
        add(f"blk.{i}.ffn_down.weight", rng.normal(0, 1 / math.sqrt(c["ff"]), (c["d"], c["ff"])),
            Q.Q4_1)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---- independent references -------------------------------------------------------------------
def ref_dequantize(raw, qtype, shape):
    """Block decoders from the ggml layouts: Q8_0 = f16 scale + 32 int8; Q4_1 = f16 scale, f16
    minimum, 16 bytes whose low nibbles are elements 0..15 and high nibbles 16..31."""
    raw = np.ascontiguousarray(raw).view(np.uint8).reshape(-1)
    rows, cols = shape
    out = np.empty(rows * cols, dtype=np.float64)
    if qtype == Q.F32:
        return raw.view(np.float32).astype(np.float64).reshape(shape)
    if qtype == Q.F16:
        return raw.view(np.float16).astype(np.float64).reshape(shape)
    size = {Q.Q8_0: 34, Q.Q4_1: 20}[qtype]
    for b in range(rows * cols // 32):
        blk = raw[b * size:(b + 1) * size]
        d = float(blk[0:2].view(np.float16)[0])
        if qtype == Q.Q8_0:
            for j in range(32):
                out[b * 32 + j] = d * float(blk[2 + j:3 + j].view(np.int8)[0])
        else:
            m = float(blk[2:4].view(np.float16)[0])
            for j in range(16):
                out[b * 32 + j] = d * (int(blk[4 + j]) & 15) + m
                out[b * 32 + 16 + j] = d * (int(blk[4 + j]) >> 4) + m
    return out.reshape(shape)


def gguf_to_hf_rows(w, n_head):
    hd = w.shape[0] // n_head
    out = np.empty_like(w)
    for h in range(n_head):
        for i in range(hd // 2):
            out[h * hd + i] = w[h * hd + 2 * i]
            out[h * hd + hd // 2 + i] = w[h * hd + 2 * i + 1]
    return out


def ref_forward(weights, tokens):
    """Loop-based Llama forward in the Hugging Face layout (float64)."""
    c = CFG
    hd = c["d"] // c["heads"]
    group = c["heads"] // c["kv"]
    T = len(tokens)

    def rms(x, g):
        return x / math.sqrt(sum(v * v for v in x) / len(x) + c["eps"]) * g

    def rope(vec, pos):
        out = vec.copy()
        half = hd // 2
        for i in range(half):
            ang = pos * c["base"] ** (-2.0 * i / hd)
            a, b = vec[i], vec[i + half]
            out[i] = a * math.cos(ang) - b * math.sin(ang)
            out[i + half] = b * math.cos(ang) + a * math.sin(ang)
        return out

    xs = [weights["token_embd.weight"][t].copy() for t in tokens]
    hidden = [np.array(xs)]
    att = np.zeros((c["layers"], c["heads"], T, T))
    for l in range(c["layers"]):
        g = lambda n: weights[f"blk.{l}.{n}.weight"]  # noqa: E731
        wq = gguf_to_hf_rows(g("attn_q"), c["heads"])
        wk = gguf_to_hf_rows(g("attn_k"), c["kv"])
        qs, ks, vs = [], [], []
        for t in range(T):
            h = rms(xs[t], g("attn_norm"))
            q, k, v = wq @ h, wk @ h, g("attn_v") @ h
            qs.append([rope(q[j * hd:(j + 1) * hd], t) for j in range(c["heads"])])
            ks.append([rope(k[j * hd:(j + 1) * hd], t) for j in range(c["kv"])])
            vs.append([v[j * hd:(j + 1) * hd] for j in range(c["kv"])])
        new = []
        for t in range(T):
            o = np.zeros(c["d"])
            for j in range(c["heads"]):
                kv = j // group
                scores = [float(np.dot(qs[t][j], ks[s][kv])) / math.sqrt(hd) for s in range(t + 1)]
                mx = max(scores)
                e = [math.exp(s - mx) for s in scores]
                tot = sum(e)
                for s in range(t + 1):
                    att[l, j, t, s] = e[s] / tot
                    o[j * hd:(j + 1) * hd] += att[l, j, t, s] * vs[s][kv]
            x = xs[t] + g("attn_output") @ o
            h = rms(x, g("ffn_norm"))
            gate, up = g("ffn_gate") @ h, g("ffn_up") @ h
            act = np.array([gv / (1 + math.exp(-gv)) * uv for gv, uv in zip(gate, up)])
            new.append(x + g("ffn_down") @ act)
        xs = new
        hidden.append(np.array(xs))
    logits = np.array([weights["token_embd.weight"] @ rms(x, weights["output_norm.weight"])
                       for x in xs])
    return np.array(hidden), att, logits


# ---- tests ------------------------------------------------------------------------------------
class Env:
    pass


def setup():
    env = Env()
    env.dir = tempfile.mkdtemp(prefix="icl-validation-")
    env.path = os.path.join(env.dir, "tiny.gguf")
    write_tiny(env.path)
    env.model = M.load_model(env.path)
    reader = gguf.GGUFReader(env.path)
    env.weights = {}
    for t in reader.tensors:
        shape = tuple(int(s) for s in reversed(t.shape.tolist()))
        if len(shape) == 1:
            shape = (1, shape[0])
        w = ref_dequantize(t.data, t.tensor_type, shape)
        env.weights[t.name] = w[0] if w.shape[0] == 1 else w
    env.types = {t.name: t.tensor_type for t in reader.tensors}
    return env


def test_config(env):
    c = env.model.config
    assert (c.layers, c.d_model, c.d_ff, c.heads, c.kv_heads, c.head_dim, c.vocab) == \
        (2, 64, 96, 4, 2, 16, 300), c
    assert abs(c.rms_eps - 1e-6) < 1e-12 and c.rope_base == 5000.0, c
    assert env.model.tied
    assert set(env.model.quant_types) == {"F32", "F16", "Q4_1", "Q8_0"}, env.model.quant_types


def test_dequantize(env):
    m = env.model
    pairs = [("token_embd.weight", m.embedding), ("output_norm.weight", m.final_norm)]
    for i, b in enumerate(m.blocks):
        for key, name in [("wq", "attn_q"), ("wk", "attn_k"), ("wv", "attn_v"),
                          ("wo", "attn_output"), ("gate", "ffn_gate"), ("up", "ffn_up"),
                          ("down", "ffn_down"), ("attn_norm", "attn_norm"),
                          ("ffn_norm", "ffn_norm")]:
            pairs.append((f"blk.{i}.{name}.weight", b[key]))
    for name, got in pairs:
        want = env.weights[name]
        assert got.shape == want.shape, (name, got.shape, want.shape)
        err = np.max(np.abs(got - want))
        assert err <= 1e-6 * max(1.0, np.max(np.abs(want))), (name, err)


def test_forward_matches_reference(env):
    tokens = [5, 260, 17, 299, 42, 42, 3, 101, 7]
    out = env.model.forward(tokens, keep_attention=True)
    hidden, att, logits = ref_forward(env.weights, tokens)
    assert out.hidden.shape == (3, len(tokens), 64)
    assert out.attention.shape == (2, 4, len(tokens), len(tokens))
    np.testing.assert_allclose(out.attention, att, atol=2e-5)
    scale = np.max(np.abs(hidden), axis=(1, 2), keepdims=True)
    assert np.max(np.abs(out.hidden - hidden) / scale) < 2e-5, np.max(np.abs(out.hidden - hidden))
    np.testing.assert_allclose(out.logits, logits, atol=2e-4 * np.max(np.abs(logits)))
    assert np.array_equal(out.logits.argmax(1), logits.argmax(1))
    # causal: rows sum to one, nothing above the diagonal
    np.testing.assert_allclose(out.attention.sum(-1), 1.0, atol=1e-5)
    assert np.all(np.triu(out.attention, 1) == 0)


def test_rope_layout_matters(env):
    """The reference must disagree when the permutation is not undone: the test sees the
    convention and is not satisfied by any RoPE pairing."""
    tokens = [1, 2, 3, 4, 5, 6]
    out = env.model.forward(tokens, keep_attention=True)
    w = dict(env.weights)
    for l in range(CFG["layers"]):   # pre-apply the inverse permutation twice: wrong layout
        w[f"blk.{l}.attn_q.weight"] = gguf_to_hf_rows(w[f"blk.{l}.attn_q.weight"], CFG["heads"])
        w[f"blk.{l}.attn_k.weight"] = gguf_to_hf_rows(w[f"blk.{l}.attn_k.weight"], CFG["kv"])
    _, att, _ = ref_forward(w, tokens)
    assert np.max(np.abs(out.attention - att)) > 1e-3


def test_packed_equals_single(env):
    prompts = [[3, 4, 5], [9, 8, 7, 6, 5, 4, 3], [260], [1, 2, 3, 4]]
    many = env.model.forward_many(prompts, hidden_positions=[np.arange(len(p)) for p in prompts],
                                  logit_positions=[np.arange(len(p)) for p in prompts],
                                  attention=[True] * 4,
                                  value_positions=[np.arange(len(p)) for p in prompts], max_rows=8)
    for p, r in zip(prompts, many):
        one = env.model.forward(p, keep_attention=True, keep_values=True)
        np.testing.assert_allclose(r["hidden"], one.hidden, atol=1e-5)
        np.testing.assert_allclose(r["attention"], one.attention, atol=1e-5)
        np.testing.assert_allclose(r["logits"], one.logits, atol=1e-4)
        np.testing.assert_allclose(r["values"], one.head_values, atol=1e-5)
    # value rows: query head j sees KV head j // 2
    assert np.array_equal(many[1]["values"][:, 0], many[1]["values"][:, 1])
    assert not np.array_equal(many[1]["values"][:, 1], many[1]["values"][:, 2])


def test_bad_inputs(env):
    for bad in ([], [300], [-1]):
        try:
            env.model.forward(bad)
        except ValueError:
            continue
        raise AssertionError(f"forward accepted {bad}")


def test_pretokenizer_against_re(env):
    pat = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")
    rng = np.random.default_rng(1)
    alphabet = list("ab Z9 0'.,:=\n\t") + ["'s", "'ll", "  ", "x = 12, y = 7"]
    for _ in range(400):
        text = "".join(alphabet[i] for i in rng.integers(len(alphabet), size=rng.integers(1, 20)))
        assert TK._gpt2_split(text) == pat.findall(text), text
        # digits one by one: apply the same pattern between digits
        want = []
        for part in re.split(r"([0-9])", text):
            if part:
                want.extend([part] if part.isdigit() else pat.findall(part))
        assert TK.pretokenize(text) == want, text


def test_bpe(env):
    tok = env.model.tokenizer
    ids = tok.encode("the abc thx<|ctl|>ab")
    pieces = [tok.tokens[i] for i in ids]
    # "the" -> t h e -> th e -> the; " abc" -> Ġ a b c -> Ġ ab c -> Ġ abc; " thx" -> Ġ th x
    assert pieces == ["the", "Ġ", "abc", "Ġ", "th", "x", "<|ctl|>", "ab"], pieces
    assert tok.encode(" the") == [tok.ids["Ġthe"]]
    for text in ["the abc thx<|ctl|>ab", "héllo wörld 123\n\n  x", "  the  the"]:
        assert tok.decode(tok.encode(text)) == text, text


def main():
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    env = setup()
    passed = failed = 0
    for name, fn in tests:
        try:
            fn(env)
            print(f"PASS {name}")
            passed += 1
        except Exception:
            print(f"FAIL {name}")
            traceback.print_exc()
            failed += 1
    print(f"validation: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
