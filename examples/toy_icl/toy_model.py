"""The tiny transformer and the synthetic in-context tasks of the demo data.

Model: a GPT-style causal transformer. Pre-norm blocks (RMSNorm with gain before attention and
before the MLP), learned absolute positions, an RMSNorm with gain after the last block and an
*untied* unembedding without bias, so that the logits are exactly E @ RMSNorm(h_L) and a logit
lens over the dumped residual states reproduces the model's own outputs.

Tasks (each trains its own model of the same shape):

* ``function`` -- discrete latent-function inference. Tokens 0..15 are numbers. A sequence picks
  one of four functions f (x, x+1 mod 16, 15-x, 2x mod 16) and reads
  "x1 f(x1) x2 f(x2) ... xk f(xk) x"; the model must answer f(x) at every x position. The
  function id is the latent concept.
* ``classify`` -- in-context classification with arbitrary label tokens. 24 item tokens fall in
  3 fixed categories (8 items each, learned in the weights); 3 label tokens are assigned to the
  categories by a random permutation per sequence. A sequence reads "item label item label ...
  item"; the answer is the label that this sequence's mapping gives the query item's category.
  The permutation id (0..5) is the latent concept, the answer label (0..2) the class.
* ``regression`` -- mixture of sparse linear regressions (source P3): x ~ N(0, I_8), the weight
  vector w ~ N(0, I) masked to one of 4 disjoint bases of 2 coordinates, y = w.x + noise;
  tokens are vectors [x, 0] and [0, y]; the model predicts y at every x position. The basis id
  is the latent concept. Optional (not part of the default demo data, see README.md).

Randomness: batches come from numpy Generators, the weights from torch's seeded generator; on
one CPU thread the whole run is deterministic.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class RMSNorm(nn.Module):
    """y = gain * x / sqrt(mean(x^2) + eps)."""

    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.gain = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.gain * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.norm2 = RMSNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, keep_attention=False):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=-1)
        q = q.view(b, t, self.heads, hd).transpose(1, 2)
        k = k.view(b, t, self.heads, hd).transpose(1, 2)
        v = v.view(b, t, self.heads, hd).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        att = scores.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        x = x + self.fc2(F.gelu(self.fc1(self.norm2(x))))
        return x, (att if keep_attention else None)


class TinyGPT(nn.Module):
    """Causal transformer over token ids (vocab > 0) or over input vectors (in_dim > 0)."""

    def __init__(self, vocab, out_dim, layers, d, heads, max_len, in_dim=0, eps=1e-5):
        super().__init__()
        if in_dim > 0:
            self.embed = nn.Linear(in_dim, d)
        else:
            self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(max_len, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.final_norm = RMSNorm(d, eps)
        self.unembed = nn.Linear(d, out_dim, bias=False)

    def forward(self, inputs, keep_hidden=False, keep_attention=False):
        """Returns logits [b, t, out], the residual stream [layers+1] x [b, t, d] (embedding
        output, then after every block) and attention [layers] x [b, heads, t, t] on request."""
        x = self.embed(inputs)
        x = x + self.pos[: x.shape[1]]
        hidden = [x] if keep_hidden else None
        attention = [] if keep_attention else None
        for block in self.blocks:
            x, att = block(x, keep_attention)
            if keep_hidden:
                hidden.append(x)
            if keep_attention:
                attention.append(att)
        return self.unembed(self.final_norm(x)), hidden, attention


# ----------------------------------------------------------------------------------------------
# Tasks. Each task makes batches of prompts with a fixed number k of demonstrations; the last
# token is the query. `targets` holds, per position, the token to predict there (-100: none).

FUNCTION_NAMES = ["x", "x+1 mod 16", "15-x", "2x mod 16"]


def token_batch(items, answers, concepts, labels, **extra):
    """A batch of token prompts x_0 a_0 x_1 a_1 ... x_k from items and answer tokens [size, k + 1]:
    each answer a_i is the target at its item x_i, and `labels` [size, k + 1] are the answers'
    classes (the last, the query's, is the label to predict)."""
    size, k = items.shape[0], items.shape[1] - 1
    tokens = np.zeros((size, 2 * k + 1), dtype=np.int64)
    tokens[:, 0::2] = items
    tokens[:, 1::2] = answers[:, :k]
    targets = np.full(tokens.shape, -100, dtype=np.int64)
    targets[:, 0::2] = answers
    batch = {
        "inputs": torch.from_numpy(tokens),
        "targets": torch.from_numpy(targets),
        "concepts": concepts,
        "labels": labels[:, k],
        # positions of the demonstrations' answers a_i and of their inputs x_i
        "label_positions": np.tile(np.arange(1, 2 * k, 2), (size, 1)),
        "label_classes": labels[:, :k],
        "item_positions": np.tile(np.arange(0, 2 * k, 2), (size, 1)),
    }
    batch.update(extra)
    return batch


class FunctionTask:
    name = "function"
    vocab = 16
    out_dim = 16
    classes = 16
    concepts = 4
    in_dim = 0

    def __init__(self, max_demos):
        self.max_demos = max_demos
        self.max_len = 2 * max_demos + 1

    @staticmethod
    def apply(f, x):
        return np.choose(f, [x, (x + 1) % 16, 15 - x, (2 * x) % 16])

    def batch(self, rng, size, k, concept=None):
        f = rng.integers(0, 4, size=size) if concept is None else concept
        x = rng.integers(0, 16, size=(size, k + 1))
        fx = self.apply(f[:, None], x)
        return token_batch(x, fx, f, fx)


class ClassifyTask:
    name = "classify"
    categories = 3
    items_per_category = 8
    items = categories * items_per_category
    vocab = items + categories          # label tokens are ids 24, 25, 26
    out_dim = vocab
    classes = categories
    concepts = 6                        # permutations of 3 labels
    in_dim = 0
    PERMUTATIONS = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])

    def __init__(self, max_demos):
        self.max_demos = max_demos
        self.max_len = 2 * max_demos + 1

    def label_token(self, label):
        return self.items + label

    def batch(self, rng, size, k, concept=None):
        perm_id = rng.integers(0, 6, size=size) if concept is None else concept
        perm = self.PERMUTATIONS[perm_id]                       # category -> label
        item = rng.integers(0, self.items, size=(size, k + 1))
        category = item // self.items_per_category
        label = np.take_along_axis(perm, category, axis=1)
        return token_batch(item, self.label_token(label), perm_id, label, categories=category)


class RegressionTask:
    name = "regression"
    dim = 8
    bases = 4
    concepts = 4
    noise = 0.1
    vocab = 0
    out_dim = 1
    in_dim = dim + 1

    def __init__(self, max_demos):
        self.max_demos = max_demos
        self.max_len = 2 * max_demos + 1

    def batch(self, rng, size, k, concept=None):
        basis = rng.integers(0, self.bases, size=size) if concept is None else concept
        w = rng.standard_normal((size, self.dim))
        mask = (np.arange(self.dim)[None, :] // (self.dim // self.bases)) == basis[:, None]
        w = w * mask
        x = rng.standard_normal((size, k + 1, self.dim))
        y = np.einsum("bkd,bd->bk", x, w) + self.noise * rng.standard_normal((size, k + 1))
        inputs = np.zeros((size, 2 * k + 1, self.in_dim), dtype=np.float32)
        inputs[:, 0::2, : self.dim] = x
        inputs[:, 1::2, self.dim] = y[:, :k]
        targets = np.full((size, 2 * k + 1), np.nan, dtype=np.float32)
        targets[:, 0::2] = y
        return {
            "inputs": torch.from_numpy(inputs),
            "targets": torch.from_numpy(targets),
            "concepts": basis,
            "labels": None,
            "label_positions": np.tile(np.arange(1, 2 * k, 2), (size, 1)),
            "label_classes": None,
            "item_positions": np.tile(np.arange(0, 2 * k, 2), (size, 1)),
        }


TASKS = {"function": FunctionTask, "classify": ClassifyTask, "regression": RegressionTask}


def make_model(task, cfg):
    return TinyGPT(vocab=task.vocab, out_dim=task.out_dim, layers=cfg["layers"], d=cfg["d_model"],
                   heads=cfg["heads"], max_len=task.max_len, in_dim=task.in_dim, eps=cfg["eps"])


def loss_of(task, logits, targets):
    if task.name == "regression":
        keep = ~torch.isnan(targets)
        return F.mse_loss(logits[..., 0][keep], targets[keep])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=-100)


@torch.no_grad()
def evaluate(task, model, rng, per_k=500):
    """Query-position accuracy (discrete tasks; argmax over the whole vocabulary) or mean squared
    error (regression) for k = 0..max_demos demonstrations."""
    model.eval()
    out = []
    for k in range(task.max_demos + 1):
        b = task.batch(rng, per_k, k)
        logits, _, _ = model(b["inputs"])
        last = logits[:, -1]
        tgt = b["targets"][:, -1]
        if task.name == "regression":
            out.append(float(((last[:, 0] - tgt) ** 2).mean()))
        else:
            out.append(float((last.argmax(-1) == tgt).float().mean()))
    model.train()
    return out
