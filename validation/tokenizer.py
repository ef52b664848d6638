"""Byte-level BPE tokenizer (GPT-2 style) from a GGUF file's tokenizer.ggml.* metadata.

Pre-tokenization of SmolLM2 (tokenizer.ggml.pre = "smollm"): every digit is a piece of its own,
then the GPT-2 pattern
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
splits the rest. Each piece is mapped byte by byte to the printable characters of the GPT-2
byte table and merged by the ranks of tokenizer.ggml.merges. Control tokens (token type 3, e.g.
<|im_start|>) written literally in the text are matched first and kept whole.
"""

import unicodedata

CONTROL = 3


def _bytes_to_unicode():
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
            + list(range(ord("®"), ord("ÿ") + 1)))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


_BYTE_TO_CHAR = _bytes_to_unicode()
_CHAR_TO_BYTE = {c: b for b, c in _BYTE_TO_CHAR.items()}


def _is_letter(ch):
    return unicodedata.category(ch).startswith("L")


def _is_number(ch):
    return unicodedata.category(ch).startswith("N")


def _is_space(ch):
    return ch.isspace()


def _gpt2_split(text):
    """The pieces of the GPT-2 pattern, scanning left to right as the regex engine would."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        # contractions
        if ch == "'":
            m = None
            for suf in ("re", "ve", "ll", "s", "t", "m", "d"):
                if text.startswith(suf, i + 1):
                    m = suf
                    break
            if m is not None:
                out.append(text[i:i + 1 + len(m)])
                i += 1 + len(m)
                continue
        j = i + 1 if ch == " " and i + 1 < n else i
        nxt = text[j]
        if j == i + 1 or ch != " ":
            # ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            for cls in (_is_letter, _is_number,
                        lambda c: not (_is_space(c) or _is_letter(c) or _is_number(c))):
                if cls(nxt):
                    e = j + 1
                    while e < n and cls(text[e]):
                        e += 1
                    out.append(text[i:e])
                    i = e
                    break
            else:
                nxt = None
            if nxt is not None:
                continue
        # whitespace: `\s+(?!\S)` then `\s+`
        e = i
        while e < n and _is_space(text[e]):
            e += 1
        if e == i:  # cannot happen: every character falls in one class above
            raise AssertionError("tokenizer: unmatched character")
        if e < n and e - i > 1:
            e -= 1  # leave the last space to the next word
        out.append(text[i:e])
        i = e
    return out


def pretokenize(text):
    """SmolLM2's pre-tokenizer: digits one by one, then the GPT-2 pattern on the rest."""
    pieces = []
    start = 0
    for i, ch in enumerate(text):
        if _is_number(ch):
            if start < i:
                pieces.extend(_gpt2_split(text[start:i]))
            pieces.append(ch)
            start = i + 1
    if start < len(text):
        pieces.extend(_gpt2_split(text[start:]))
    return pieces


class Tokenizer:
    def __init__(self, tokens, merges, token_types=None, bos=None, eos=None):
        self.tokens = list(tokens)
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.ranks = {}
        for r, m in enumerate(merges):
            a, b = m.split(" ", 1)
            self.ranks[(a, b)] = r
        self.control = []
        if token_types is not None:
            self.control = sorted((self.tokens[i] for i, ty in enumerate(token_types)
                                   if ty == CONTROL and self.tokens[i]), key=len, reverse=True)
        self.bos = bos
        self.eos = eos
        self._cache = {}

    @classmethod
    def from_gguf(cls, reader):
        f = reader.fields
        tokens = f["tokenizer.ggml.tokens"].contents()
        merges = f["tokenizer.ggml.merges"].contents()
        types = f["tokenizer.ggml.token_type"].contents() if "tokenizer.ggml.token_type" in f else None
        model = f["tokenizer.ggml.model"].contents() if "tokenizer.ggml.model" in f else "gpt2"
        if model != "gpt2":
            raise ValueError(f"tokenizer model '{model}': only byte-level BPE (gpt2) is supported")
        get = lambda k: int(f[k].contents()) if k in f else None  # noqa: E731
        return cls(tokens, merges, types, get("tokenizer.ggml.bos_token_id"),
                   get("tokenizer.ggml.eos_token_id"))

    def _bpe(self, piece):
        hit = self._cache.get(piece)
        if hit is not None:
            return hit
        word = [_BYTE_TO_CHAR[b] for b in piece.encode("utf-8")]
        while len(word) > 1:
            best = None
            for k in range(len(word) - 1):
                r = self.ranks.get((word[k], word[k + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, k)
            if best is None:
                break
            a, b = word[best[1]], word[best[1] + 1]
            merged = []
            k = 0
            while k < len(word):
                if k + 1 < len(word) and word[k] == a and word[k + 1] == b:
                    merged.append(a + b)
                    k += 2
                else:
                    merged.append(word[k])
                    k += 1
            word = merged
        ids = []
        for w in word:
            if w in self.ids:
                ids.append(self.ids[w])
            else:  # a byte sequence without a token: fall back to its single bytes
                ids.extend(self.ids[c] for c in w)
        self._cache[piece] = ids
        return ids

    def encode(self, text):
        ids = []
        i = 0
        start = 0
        while i < len(text):
            hit = next((c for c in self.control if text.startswith(c, i)), None)
            if hit is None:
                i += 1
                continue
            for p in pretokenize(text[start:i]):
                ids.extend(self._bpe(p))
            ids.append(self.ids[hit])
            i += len(hit)
            start = i
        for p in pretokenize(text[start:]):
            ids.extend(self._bpe(p))
        return ids

    def token_text(self, i):
        t = self.tokens[i]
        if t in self.control:
            return t
        return bytes(_CHAR_TO_BYTE.get(c, 63) for c in t).decode("utf-8", errors="replace")

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.tokens[i]
            if t in self.control:
                out.extend(t.encode("utf-8"))
            else:
                out.extend(_CHAR_TO_BYTE.get(c, 63) for c in t)
        return out.decode("utf-8", errors="replace")
