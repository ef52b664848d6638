"""Prompt generators of the validation tasks. Every prompt is built from tagged text segments;
`Prompt.build` tokenizes each segment, checks that the concatenation equals the tokenization of
the whole text (so that the positions of the tags are the positions in the real prompt) and
records the token positions of every tag.

- bitwise (P3): 5-bit operands, the operation is latent: demonstrations "a,b=c" with
  c = a OP b for OP in AND, OR, XOR, NAND, NOR, XNOR, or c random (Null); query "a,b=".
- sentiment (P2/P4): "Review: <sentence>\\nSentiment: <label>\\n" with natural labels
  (positive/negative) or unrelated ones (foo/bar); the sentences come from a small lexicon.
- regression (P1): "x = 3, z = 28, y = 10" with y = a*x + b; the slope a is the latent
  parameter, z is an irrelevant number.
"""

import numpy as np

BIT_OPS = ["AND", "OR", "XOR", "NAND", "NOR", "XNOR", "Null"]


class Prompt:
    def __init__(self):
        self.segments = []

    def add(self, text, tag=None):
        self.segments.append((text, tag))
        return self

    def build(self, tok):
        ids, tags = [], {}
        for text, tag in self.segments:
            piece = tok.encode(text)
            if tag is not None:
                tags.setdefault(tag, []).extend(range(len(ids), len(ids) + len(piece)))
            ids.extend(piece)
        full = "".join(t for t, _ in self.segments)
        if tok.encode(full) != ids:
            raise AssertionError(f"segment tokenization differs from the whole text: {full!r}")
        self.text = full
        self.ids = ids
        self.tags = tags
        return self


def _bits(v):
    return format(v, "05b")


def _bit_op(op, a, b):
    m = 31
    return {"AND": a & b, "OR": a | b, "XOR": a ^ b, "NAND": ~(a & b) & m,
            "NOR": ~(a | b) & m, "XNOR": ~(a ^ b) & m}[op]


def bitwise_prompt(rng, op, k, tok):
    """k demonstrations and a query of operation op; the answer follows the prompt."""
    p = Prompt()
    for _ in range(k):
        a, b = int(rng.integers(32)), int(rng.integers(32))
        c = int(rng.integers(32)) if op == "Null" else _bit_op(op, a, b)
        p.add(_bits(a) + "," + _bits(b) + "=", "demo_input").add(_bits(c), "demo_answer").add("\n")
    a, b = int(rng.integers(32)), int(rng.integers(32))
    c = int(rng.integers(32)) if op == "Null" else _bit_op(op, a, b)
    p.add(_bits(a) + "," + _bits(b) + "=", "query")
    p.build(tok)
    q = Prompt().add(_bits(a) + "," + _bits(b) + "=", "query").build(tok)
    answer = tok.encode(_bits(c))
    return p, q, answer


POSITIVE = ["wonderful", "excellent", "delicious", "great", "amazing", "lovely", "fantastic",
            "superb", "delightful", "brilliant"]
NEGATIVE = ["terrible", "awful", "horrible", "boring", "disgusting", "dreadful", "bad", "poor",
            "miserable", "annoying"]
NOUNS = ["food", "movie", "service", "hotel", "book", "concert", "staff", "view", "coffee",
         "game", "room", "music", "trip", "show", "pizza", "team"]
TEMPLATES = ["the {n} was {a}", "what a {a} {n}", "our {n} was really {a}", "this {n} is {a}"]

LABEL_SETS = {"natural": ["positive", "negative"], "unrelated": ["foo", "bar"]}


def sentence(rng, cls):
    adj = (POSITIVE if cls == 0 else NEGATIVE)[int(rng.integers(10))]
    t = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    return t.format(n=NOUNS[int(rng.integers(len(NOUNS)))], a=adj)


def sentiment_draw(rng, k, query_cls):
    """Class 0 = positive sentiment (label 'positive' or 'foo'), class 1 = negative. The
    demonstrations' classes are drawn independently (so their shares vary: bias statistics).
    The same draw is rendered with each label set (render_sentiment), so that the two label
    sets see the same sentences."""
    demos = [(int(c), sentence(rng, int(c))) for c in rng.integers(2, size=k)]
    query = sentence(rng, query_cls)
    return {"demos": demos, "query": query, "cls": query_cls}


def render_sentiment(draw, label_set, tok):
    labels = LABEL_SETS[label_set]
    p = Prompt()
    for c, s in draw["demos"]:
        p.add("Review: " + s + "\nSentiment:").add(" " + labels[c], f"label{c}").add("\n")
    p.add("Review: " + draw["query"] + "\nSentiment:", "query")
    p.build(tok)
    q = Prompt().add("Review: " + draw["query"] + "\nSentiment:", "query").build(tok)
    return p, q


SLOPES = [1, 2, 3, 4, 5]


def regression_prompt(rng, slope_index, k, tok):
    """y = a*x + b with a = SLOPES[slope_index], b in 0..4 fixed per prompt, x in 1..9; every
    pair carries an irrelevant z in 10..99. The prompt ends with 'y = ' before the answer."""
    a = SLOPES[slope_index]
    b = int(rng.integers(5))
    p = Prompt()
    for _ in range(k):
        x = int(rng.integers(1, 10))
        z = int(rng.integers(10, 100))
        p.add("x = ").add(str(x), "x").add(", z = ").add(str(z), "z").add(", y = ")
        p.add(str(a * x + b), "y").add("\n")
    x = int(rng.integers(1, 10))
    z = int(rng.integers(10, 100))
    p.add("x = ").add(str(x), "x_query").add(", z = ").add(str(z), "z_query").add(", y = ", "query")
    p.build(tok)
    q = Prompt().add("x = ").add(str(x)).add(", z = ").add(str(z)).add(", y = ", "query").build(tok)
    return p, q, tok.encode(str(a * x + b)), {"slope": a, "intercept": b}
