"""Quick tests of the numpy cross-check's ports (part of `./scripts/validate --self-test`): the
Philox generator against the known-answer vectors of Salmon et al. (Random123), the splits
against values printed by the library (icl::probe::stratified_split / make_folds), the exact
Mann-Whitney distribution and the Student-t p-value against closed forms."""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks as C  # noqa: E402


def philox_block(seed, block, stream):
    g = C.Philox(seed, stream)
    g.block = block
    g._refill()
    lo, hi = g.buf
    return [lo & C.M32, lo >> 32, hi & C.M32, hi >> 32]


def main():
    # Random123 known answers for philox4x32-10: counter 0, key 0; counter and key all ones
    assert philox_block(0, 0, 0) == [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    ones = 2 ** 64 - 1
    assert philox_block(ones, ones, ones) == [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    # icl::probe::stratified_split(y, 0.5, 7) and make_folds(17, {folds 5, seed 3})
    y = np.array([int(i % 3 == 0) for i in range(23)])
    assert C.stratified_split(y, 0.5, 7)[1].tolist() == [0, 2, 3, 4, 8, 10, 11, 12, 13, 16, 20, 21]
    assert C.plain_folds(17, 5, 3).tolist() == [1, 2, 3, 1, 2, 3, 0, 0, 2, 4, 1, 1, 0, 4, 4, 3, 0]
    # exact Mann-Whitney: U = 0 is 1 of C(6, 3) = 20 rankings
    assert C.mann_whitney([1, 2, 3], [4, 5, 6]) == (0.0, 0.1)
    assert C.mann_whitney([1, 2, 3], [4, 5, 6], "less") == (0.0, 0.05)
    # normal approximation with ties: U = 1, σ² = n1 n2 / 12 · (n + 1 − Σ(t³ − t) / (n (n − 1)))
    u, p = C.mann_whitney([1, 2, 2], [2, 3, 4, 5, 6, 7, 8, 9])
    sigma = math.sqrt(24 / 12 * (12 - 24 / 110))
    assert u == 1.0 and abs(p - math.erfc((23 - 12 - 0.5) / sigma / math.sqrt(2))) < 1e-15
    # Student t with 8 degrees of freedom: t = 0.5 sqrt(8 / 0.75); two-sided p from I_x(4, 1/2)
    # against a direct integration of the t density
    t = 0.5 * math.sqrt(8 / 0.75)
    xs = np.linspace(t, 200, 400001)
    dens = math.gamma(4.5) / (math.sqrt(8 * math.pi) * math.gamma(4)) * (1 + xs ** 2 / 8) ** -4.5
    assert abs(C.t_test_p(0.5, 10) - 2 * np.trapezoid(dens, xs)) < 1e-6
    print("test_checks: ok")


if __name__ == "__main__":
    main()
