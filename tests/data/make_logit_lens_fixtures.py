"""Reference fixtures for the logit-lens projections of attention outputs (METRICS.md 5).

Run from the repository root:

    .venv/bin/python tests/data/make_logit_lens_fixtures.py

Inputs are drawn from numpy's default_rng with a fixed seed.  Writes
tests/data/logit_lens_projections.txt:

    E (V x d)        unembedding;  U (n x d) value-output vectors;  h (d) final residual
    gamma (d)        final-norm weight;  token_a, token_b
    minus_gamma      logit_minus with gamma:  ((E_a - E_b) * gamma / sqrt(mean(h^2) + eps)) . u_p
    minus_ones       the same with gamma = ones
    x (d), O (P x d) residual vector and outputs;  inc_gamma, inc_ones: logprob_increase with
                     normalizer::per_vector (each vector's own RMS; the default fixed scale of
                     [P4] is checked against make_p4_fixtures.py)
    base_gamma, logprob_gamma   log p(b | x), log p(b | x + o_p) with gamma (logprob_change)
    inc_big          logprob_increase with x and O scaled by 40 and gamma * 80 (logits beyond
                     exp(709): a naive exp overflows, the log-sum-exp must not)
"""

import numpy as np
from fixture_writer import FixtureWriter

EPS = 1e-6


def rms_norm(v, gamma, eps=EPS):
    return gamma * v / np.sqrt(np.mean(v * v, axis=-1, keepdims=True) + eps)


def log_softmax_at(logits, b):
    m = logits.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(logits - m).sum(axis=-1))
    return logits[..., b] - lse


def logit_minus(U, E, a, b, h, gamma, eps=EPS):
    scale = np.sqrt(np.mean(h * h) + eps)
    return (gamma * U / scale) @ (E[a] - E[b])


def logprob_change(E, b, x, O, gamma, eps=EPS):
    base = log_softmax_at(E @ rms_norm(x, gamma, eps), b)
    with_o = log_softmax_at(rms_norm(x[None, :] + O, gamma, eps) @ E.T, b)
    return base, with_o


def logprob_increase(E, b, x, O, gamma, eps=EPS):
    base, with_o = logprob_change(E, b, x, O, gamma, eps)
    return with_o - base


def main():
    rng = np.random.default_rng(20260423)
    V, d, n, P = 37, 16, 13, 9
    E = rng.normal(size=(V, d))
    U = rng.normal(size=(n, d)) * 0.5
    h = rng.normal(size=d) * 3.0
    gamma = rng.uniform(0.5, 1.5, size=d)
    a, b = 5, 22
    x = rng.normal(size=d)
    O = rng.normal(size=(P, d)) * 0.7
    ones = np.ones(d)

    w = FixtureWriter("logit_lens_projections.txt", "Logit-lens projections of attention outputs (METRICS.md 5).",
                      "make_logit_lens_fixtures.py", versions="numpy %s" % np.__version__)
    w.f8("E", E)
    w.f8("U", U)
    w.f8("h", h)
    w.f8("gamma", gamma)
    w.i8("token_a", a)
    w.i8("token_b", b)
    w.f8("minus_gamma", logit_minus(U, E, a, b, h, gamma))
    w.f8("minus_ones", logit_minus(U, E, a, b, h, ones))
    w.f8("x", x)
    w.f8("O", O)
    w.f8("inc_gamma", logprob_increase(E, b, x, O, gamma))
    w.f8("inc_ones", logprob_increase(E, b, x, O, ones))
    base, with_o = logprob_change(E, b, x, O, gamma)
    w.f8("base_gamma", base)
    w.f8("logprob_gamma", with_o)
    w.f8("inc_big", logprob_increase(E, b, 40.0 * x, 40.0 * O, 80.0 * gamma))
    w.write()


if __name__ == "__main__":
    main()
