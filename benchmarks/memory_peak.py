"""Peak resident memory of the metrics that must not hold what the user did not ask for.

    .venv/bin/python benchmarks/memory_peak.py --driver build/bench/benchmarks/icl_peer_driver
    .venv/bin/python benchmarks/memory_peak.py --driver ... --quick     # small sizes (a smoke test)

Each case runs in its own process of benchmarks/peers/icl_peer_driver (a synthetic float32
input made in the process, the metric called once), so that the peak belongs to that case alone:

- compute_rdm (correlation), n = 20 000, d = 4096: the peak must stay within input + condensed
  output + 10% (the input is n·d floats, the output n(n−1)/2 doubles; the n x n matrix is never
  formed).
- task_decodability (k = 10, 4 classes), n = 50 000, d = 256: the peak must stay far below an
  n x n float matrix (10 GB here): the neighbours are found block by block.

Two measurements of the peak: getrusage(RUSAGE_SELF).ru_maxrss inside the driver, and the
"Maximum resident set size" of /usr/bin/time -v around it (where installed). The process's own
baseline (the program and its libraries, measured before the input is made) is also given: the
target is checked on the whole peak and, for information, on the peak above the baseline.
Prints a Markdown table (and writes it to --output, if given); the exit status is 1 when a
target is missed at the full sizes (with --quick the fixed costs — the program, the BLAS
buffers, one block of rows — weigh more than the data, and the verdicts are only printed).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys

from peer_support import machine_line, write_table

MIB = 1024.0 * 1024.0
THREADS = {}  # the library's thread count, as the driver reports it


def run(driver, args):
    """The driver's JSON line, and /usr/bin/time's peak in bytes (None without /usr/bin/time)."""
    command = [driver] + [str(a) for a in args]
    gnu_time = shutil.which("time", path="/usr/bin")
    if gnu_time:
        command = [gnu_time, "-v"] + command
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    THREADS["library"] = result.get("threads")
    peak = None
    if gnu_time:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
        peak = int(found.group(1)) * 1024.0 if found else None
    return result, peak


def mib(x):
    return "—" if x is None else "%.0f MiB" % (x / MIB)


def case_rdm(driver, n, d):
    result, time_peak = run(driver, ["memory_rdm", n, d, "correlation"])
    data = result["input_bytes"] + result["output_bytes"]
    peak = max(result["peak_rss"], time_peak or 0.0)
    ratio = peak / data
    above = (peak - result["baseline_rss"]) / data
    met = ratio <= 1.10
    return met, ("| compute_rdm correlation | n=%d d=%d f32 | %s + %s = %s | %s | %s | %s | %.3f | %.3f | %s |" % (
        n, d, mib(result["input_bytes"]), mib(result["output_bytes"]), mib(data), mib(result["peak_rss"]),
        mib(time_peak), mib(result["baseline_rss"]), ratio, above,
        "met (≤ 1.10)" if met else "**missed** (> 1.10)"))


def case_decodability(driver, n, d):
    result, time_peak = run(driver, ["memory_decodability", n, d, 10, 4])
    peak = max(result["peak_rss"], time_peak or 0.0)
    nxn = result["nxn_float_bytes"]
    # "No n x n matrix": the peak above the input must be a small fraction of one.
    extra = peak - result["baseline_rss"] - result["input_bytes"]
    met = extra < 0.05 * nxn
    return met, ("| task_decodability k=10 | n=%d d=%d f32 | %s (an n x n float matrix: %s) | %s | %s | %s | %.3f | %.3f | %s |" % (
        n, d, mib(result["input_bytes"]), mib(nxn), mib(result["peak_rss"]), mib(time_peak),
        mib(result["baseline_rss"]), peak / result["input_bytes"], (peak - result["baseline_rss"]) / result["input_bytes"],
        "met: %.2f%% of n x n above input" % (100 * extra / nxn) if met else
        "**missed**: %.1f%% of n x n above input" % (100 * extra / nxn)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--driver", required=True, help="path of the icl_peer_driver executable")
    parser.add_argument("--output", help="also write the Markdown table to this file")
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke test)")
    args = parser.parse_args()

    rdm_size, decode_size = ((3000, 512), (8000, 64)) if args.quick else ((20000, 4096), (50000, 256))
    results = [case_rdm(args.driver, *rdm_size), case_decodability(args.driver, *decode_size)]
    lines = ["| metric | size | input + output | peak RSS (getrusage) | peak RSS (/usr/bin/time) | "
             "process baseline | peak / data | (peak − baseline) / data | target |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    lines += [line for _, line in results]
    lines.append("")
    lines.append("data: input + condensed output for the RDM, the input for decodability. %s%s." % (
        machine_line(THREADS.get("library")), "; --quick sizes" if args.quick else ""))
    write_table("\n".join(lines), args.output)
    return 0 if args.quick or all(met for met, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
