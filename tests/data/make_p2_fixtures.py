"""Reference values for the [P2] (Yang et al.) analyses of METRICS.md section 4 (tests/geometry,
tests/core/test_mann_whitney.cpp).

Writes
  p2_mann_whitney.txt   scipy.stats.mannwhitneyu(x, y, alternative=..., method='auto') for the
                        three alternatives: exact (a sample of at most 8 values, no ties) and
                        asymptotic (larger samples, or ties: tie and continuity corrections),
                        and on the layer indices of two head sets.

Run from the repository root:  .venv/bin/python tests/data/make_p2_fixtures.py
"""

import numpy as np
import scipy
from scipy.stats import mannwhitneyu

from fixture_writer import FixtureWriter

VERSIONS = "numpy %s scipy %s" % (np.__version__, scipy.__version__)
ALTERNATIVES = ["two-sided", "greater", "less"]


def mann_whitney_case(w, name, x, y):
    """x, y and [statistic, p] for two_sided, greater, less (in that order)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    values = []
    for alt in ALTERNATIVES:
        r = mannwhitneyu(x, y, alternative=alt, method="auto")
        values += [float(r.statistic), float(r.pvalue)]
    w.f8(name + "_x", x)
    w.f8(name + "_y", y)
    w.f8(name + "_result", np.array(values).reshape(3, 2))


def mann_whitney_fixtures(rng):
    w = FixtureWriter("p2_mann_whitney.txt",
                      "scipy.stats.mannwhitneyu(x, y, alternative, method='auto'): per case x, y and\n"
                      "result[k] = [statistic (U of x), p] for k = two-sided, greater, less.\n"
                      "cases: exact_* (a sample of <= 8 values, no ties), asym_* (normal approximation).",
                      "make_p2_fixtures.py", VERSIONS)
    names = []

    def case(name, x, y):
        mann_whitney_case(w, name, x, y)
        names.append(name)

    case("exact_small", [19, 22, 16, 29, 24], [20, 11, 17, 12])
    case("exact_one", [3.5], [1.0, 2.0, 4.0, 5.0, 6.0])
    case("exact_8x8", rng.standard_normal(8), rng.standard_normal(8) + 0.8)
    case("exact_3x40", rng.standard_normal(3) + 1.0, rng.standard_normal(40))
    case("exact_extreme", [10, 11, 12, 13, 14, 15, 16], [1, 2, 3, 4, 5, 6, 7])
    case("asym_9x9", rng.standard_normal(9), rng.standard_normal(9) + 0.5)
    case("asym_30x45", rng.standard_normal(30), rng.standard_normal(45) * 2.0 + 0.3)
    case("asym_ties_small", [1, 2, 2, 3, 5], [2, 3, 3, 4, 6, 7])      # small but tied
    case("asym_ties_large", rng.integers(0, 6, 25), rng.integers(1, 8, 31))
    case("asym_all_tied", [4, 4, 4], [4, 4, 4, 4])
    # Layer indices of two head sets (previous-token heads early, induction heads later).
    pth = [(0, 1), (0, 3), (1, 0), (1, 2), (1, 3), (2, 1), (3, 0), (2, 2), (0, 0)]
    ih = [(3, 1), (4, 2), (4, 0), (5, 3), (2, 0), (5, 1), (3, 2), (4, 3)]
    w.i8("heads_a", np.array(pth))
    w.i8("heads_b", np.array(ih))
    case("heads", [l for l, _ in pth], [l for l, _ in ih])
    w.i8("heads_small_a", np.array(pth[:4]))
    w.i8("heads_small_b", np.array(ih[:3]))
    case("heads_small", [l for l, _ in pth[:4]], [l for l, _ in ih[:3]])  # ties: asymptotic
    w.write()
    return names


def main():
    rng = np.random.default_rng(20250518)
    names = mann_whitney_fixtures(rng)
    print("mann-whitney cases:", " ".join(names))


if __name__ == "__main__":
    main()
