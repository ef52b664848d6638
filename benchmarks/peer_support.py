"""Helpers shared by benchmarks/compare_peers.py, memory_peak.py and scaling.py: running the C++
driver (benchmarks/peers/icl_peer_driver.cpp), timing a Python peer, describing the machine, and
writing a table."""

import json
import os
import platform
import statistics
import subprocess
import time


def add_driver_arguments(parser, unit, tables, small):
    """The options every peer script takes: --driver, --repeats (timed calls per `unit`),
    --output (the Markdown `tables`) and --quick (`small` sizes only)."""
    parser.add_argument("--driver", required=True, help="path of the icl_peer_driver executable")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per %s (median); default 3" % unit)
    parser.add_argument("--output", help="also write the Markdown %s to this file" % tables)
    parser.add_argument("--quick", action="store_true", help="%s only (a smoke test)" % small)


def run_driver(driver, args):
    """The JSON line that `driver args...` prints last."""
    out = subprocess.run([driver] + [str(a) for a in args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_time(fn, repeats):
    """Median wall time (seconds) of `repeats` calls of fn after one warm-up call."""
    fn()
    times = []
    for _ in range(max(repeats, 1)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib():
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1024.0 * 1024.0)
    except OSError:
        pass
    return float("nan")


def numpy_blas():
    """The BLAS libraries loaded in this process (numpy's, scipy's) as threadpoolctl sees them."""
    try:
        import numpy  # noqa: F401  (loads numpy's BLAS)
        import scipy.linalg  # noqa: F401  (loads scipy's)
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    pools = ["%s %s, %s threads%s" % (pool.get("internal_api"), pool.get("version"), pool.get("num_threads"),
                                      ", %s kernels" % pool["architecture"] if pool.get("architecture") else "")
             for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return " and ".join(pools) if pools else "none found"


def machine_line(driver_threads=None):
    """One sentence that describes the machine and the thread settings."""
    text = "Machine: %s, %d cores, %.0f GiB, %s %s; OMP_NUM_THREADS=%s, OPENBLAS_NUM_THREADS=%s" % (
        _cpu_model(), os.cpu_count() or 0, _memory_gib(), platform.system(), platform.release(),
        os.environ.get("OMP_NUM_THREADS", "unset"), os.environ.get("OPENBLAS_NUM_THREADS", "unset"))
    if driver_threads is not None:
        text += "; library: %s OpenMP threads" % driver_threads
    return text


def write_table(text, output):
    """Prints the table, and writes it to `output` (a path, or None)."""
    print(text)
    if output:
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        with open(output, "w", encoding="utf-8") as out:
            out.write(text + "\n")
