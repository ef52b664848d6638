"""Time against size: compute_rdm against n and d (Θ(n²d)), the rank correlations against m
(Θ(m log m)), each normalized by its model, so that a step (a cache or memory level falling
off, a change of code path) shows as a jump in the normalized column.

    .venv/bin/python benchmarks/scaling.py --driver build/bench/benchmarks/icl_peer_driver
    .venv/bin/python benchmarks/scaling.py --driver ... --quick     # small grids (a smoke test)

Every point runs benchmarks/peers/icl_peer_driver on a synthetic input made in the process
(one warm-up call, the median of --repeats timed calls):

- compute_rdm (correlation, float32 input): n = 500 … 8000 at d = 1024, and d = 256 … 8192 at
  n = 2000 (two tables). Columns: time, time / (n²d) in picoseconds, the same relative to the
  median of its table, and the SSYRK of the same input (its time and SSYRK / ours: the fraction
  of the limit). At small d the O(n²) work per pair (the mapping to distances, the condensed
  output) is not negligible beside the O(n²d) product: time / (n²d) falls as d grows.
- spearman and kendall_tau_b of two vectors: m = 10⁴ … 1.6·10⁷. Columns: time,
  time / (m log₂ m) in nanoseconds, relative to the median, and sorting both vectors once
  (std::sort) with sort / ours.

Prints Markdown tables (and writes them to --output, if given).
"""

import argparse
import math
import statistics
import sys

from peer_support import add_driver_arguments, machine_line, run_driver, write_table

THREADS = {}  # the library's thread count, as the driver reports it


def run(driver, args):
    result = run_driver(driver, args)
    THREADS["library"] = result.get("threads")
    return result


def rdm_table(args, points):
    rows = []
    for n, d in points:
        ours = run(args.driver, ["rdm", "synthetic", n, d, "correlation", "f32", args.repeats, "-"])["seconds"]
        syrk = run(args.driver, ["syrk", "synthetic", n, d, args.repeats])["seconds"]
        rows.append((n, d, ours, ours / (n * n * d) * 1e12, syrk))
    middle = statistics.median(r[3] for r in rows)
    lines = ["| n | d | compute_rdm (s) | time / (n²d) (ps) | relative to median | SSYRK (s) | SSYRK / ours |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, d, ours, per, syrk in rows:
        lines.append("| %d | %d | %.4g | %.2f | %.2f | %.4g | %.2f |" % (n, d, ours, per, per / middle, syrk,
                                                                       syrk / ours))
    return lines


def rank_table(args, sizes):
    rows = []
    for m in sizes:
        spearman = run(args.driver, ["compare", "synthetic", "-", m, "spearman", args.repeats])["seconds"]
        kendall = run(args.driver, ["compare", "synthetic", "-", m, "kendall_tau_b", args.repeats])["seconds"]
        sort_both = run(args.driver, ["compare", "synthetic", "-", m, "sort_both", args.repeats])["seconds"]
        model = m * math.log2(m)
        rows.append((m, spearman, spearman / model * 1e9, kendall, kendall / model * 1e9, sort_both))
    mid_s = statistics.median(r[2] for r in rows)
    mid_k = statistics.median(r[4] for r in rows)
    lines = ["| m | spearman (s) | / (m log₂ m) (ns) | rel. to median | kendall_tau_b (s) | / (m log₂ m) (ns) | "
             "rel. to median | sort both (s) | sort / spearman | sort / kendall |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m, s, s_per, k, k_per, sort_both in rows:
        lines.append("| %d | %.4g | %.3f | %.2f | %.4g | %.3f | %.2f | %.4g | %.2f | %.2f |" % (
            m, s, s_per, s_per / mid_s, k, k_per, k_per / mid_k, sort_both, sort_both / s, sort_both / k))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_driver_arguments(parser, "point", "tables", "small grids")
    args = parser.parse_args()

    if args.quick:
        by_n = [(n, 128) for n in (100, 200, 400)]
        by_d = [(200, d) for d in (64, 128, 256)]
        sizes = [1000, 10000, 100000]
    else:
        by_n = [(n, 1024) for n in (500, 1000, 2000, 4000, 8000)]
        by_d = [(2000, d) for d in (256, 512, 1024, 2048, 4096, 8192)]
        sizes = [10000, 100000, 1000000, 2000000, 4000000, 8000000, 16000000]
    lines = ["### compute_rdm (correlation, f32): time against n at d = %d" % by_n[0][1], ""]
    lines += rdm_table(args, by_n)
    lines += ["", "### compute_rdm (correlation, f32): time against d at n = %d" % by_d[0][0], ""]
    lines += rdm_table(args, by_d)
    lines += ["", "### spearman and kendall_tau_b of two vectors of m doubles: time against m", ""]
    lines += rank_table(args, sizes)
    lines.append("")
    lines.append("%s; synthetic inputs; median of %d timed calls after one warm-up%s." % (
        machine_line(THREADS.get("library")), args.repeats, "; --quick sizes" if args.quick else ""))
    write_table("\n".join(lines), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
