"""The Python package against the same calls from C++ and against the Python peers, in one run.

    python benchmarks/python/bench_package.py --output benchmarks/results/python.md

Run it with a Python where icl_metrics (the wheel) and the peers of benchmarks/requirements.txt
are installed. It builds the C++ twin, benchmarks/python/icl_py_twin.cpp, with the CMake defines
of pyproject.toml (the wheel's build type, -O2 -DNDEBUG, the blas and openmp components found in
the same way, and nanobind's code-generation flags: benchmarks/python/CMakeLists.txt), in
--twin-build-dir, one compile job.

Two tables:

1. Call time on tiny inputs, per function of the package (every name of icl_metrics.__all__ that
   is a function, plus the methods of LinearModel): min and median of many calls, in
   microseconds. Where the twin has the same call, its time on the same input is subtracted:
   "overhead" is the price of calling from Python (argument conversion, the GIL, the result as
   numpy).
2. n = 2000, d = 4096 (float32, and float16 where the library reads it): every case times the
   Python call, the same call in the twin (the same arrays, written once to raw files and read
   by the twin once), the machine's limit for the same work (one SSYRK of the n x d input
   through the library's BLAS, in the twin, as the C++ benchmarks measure it; numpy's argsort of
   both vectors for rank comparisons; a plain read of the tensor for attention) and the peer.
   The calls are interleaved: each round times every entry once, in the same order, with a
   pause before each call (the BLAS and OpenMP threads of the previous call stop spinning), so
   that all see the same load; min and median over the rounds. The two sides' results are
   checked: the twin's against the package's bit for bit (a number both compute the same way),
   the peer's to the tolerances of benchmarks/compare_peers.py (whose data generators and peer
   forms this script reuses).

The machine (nproc, load average before and after, threads of both sides) is printed with the
tables. The exit status is 1 when an agreement check failed.
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

import icl_metrics as im  # noqa: E402
from compare_peers import (Context, latent_rows, max_difference, numpy_cka_gram,  # noqa: E402
                           numpy_permutation_test, package_version, planted_classes, sklearn_loo_knn, stratified_folds, two_rdms)
from peer_support import machine_line, numpy_blas, write_table  # noqa: E402

# ---- the C++ twin ------------------------------------------------------------------------------


def wheel_defines():
    """The -D options with which pip builds the wheel (pyproject.toml), for the twin's CMake."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        tool = tomllib.load(f)["tool"]["scikit-build"]
    defines = dict(tool["cmake"]["define"])
    defines["CMAKE_BUILD_TYPE"] = tool["cmake"]["build-type"]
    defines["ICL_METRICS_PYTHON"] = "OFF"  # the twin needs the library, not the extension
    return ["-D%s=%s" % kv for kv in sorted(defines.items())]


def build_twin(build_dir):
    subprocess.run(["cmake", "-S", str(HERE), "-B", build_dir] + wheel_defines(), check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "--target", "icl_py_twin", "-j", os.environ.get("ICL_JOBS", "1")],
                   check=True, stdout=subprocess.DEVNULL)
    flags = pathlib.Path(build_dir, "CMakeFiles", "icl_py_twin.dir", "flags.make").read_text()
    compile_flags = " ".join(line.split("=", 1)[1].strip() for line in flags.splitlines()
                             if line.startswith(("CXX_FLAGS", "CXX_DEFINES")))
    return os.path.join(build_dir, "icl_py_twin"), compile_flags


class Twin:
    """The twin process: one command per line in, one JSON line out."""

    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.threads = None

    def call(self, *args):
        self.proc.stdin.write(" ".join(str(a) for a in args) + "\n")
        out = json.loads(self.proc.stdout.readline())
        if "error" in out:
            raise RuntimeError("icl_py_twin %s: %s" % (args[0], out["error"]))
        self.threads = out["threads"]
        return out["seconds"], out["value"]

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait()


# ---- timing ------------------------------------------------------------------------------------


def timed(fn):
    """(wall seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def sequential_sum(values):
    """The sum in index order, as the twin's loop adds: a bit-for-bit comparison."""
    total = 0.0
    for v in np.asarray(values, dtype=np.float64).ravel().tolist():
        total += v
    return total


class Entry:
    """One timed thing of a case: fn() -> (seconds, value); `rounds` limits slow peers."""

    def __init__(self, role, name, fn, rounds=None, scale=1.0):
        self.role, self.name, self.fn, self.rounds, self.scale = role, name, fn, rounds, scale
        self.times, self.value = [], None

    def run(self):
        seconds, self.value = self.fn()
        return seconds * self.scale

    def stats(self):
        return min(self.times), statistics.median(self.times)


def interleave(entries, rounds, pause):
    """One warm-up of each entry, then `rounds` rounds in which every entry runs once."""
    for e in entries:
        time.sleep(pause)
        e.run()
    for r in range(rounds):
        for e in entries:
            if e.rounds is not None and r >= e.rounds:
                continue
            time.sleep(pause)
            e.times.append(e.run())


# ---- n = 2000, d = 4096 --------------------------------------------------------------------------


class Run(Context):
    """compare_peers' context (per-case seeds, data files, agreement failures) with the twin."""

    def __init__(self, args, twin, tmp):
        super().__init__(args, tmp)
        self.twin = twin
        self.rows = []

    def case(self, work, size, py, cpp, limit=None, peers=(), check=None):
        """Times py (the package), cpp (the twin), the limit and the peers, interleaved, and adds
        a row per peer (one row without peers). check(py_value, cpp_value, peer_values) returns
        (python vs C++ text, ok, {peer name: agreement text})."""
        entries = [py, cpp] + ([limit] if limit else []) + list(peers)
        interleave(entries, self.args.rounds, self.args.pause)
        agreement, ok, peer_notes = check(py.value, cpp.value, {p.name: p.value for p in peers})
        self.check(ok, "%s %s: %s" % (work, size, agreement))
        base = dict(work=work, size=size, py=py.stats(), cpp=cpp.stats(), limit=limit, agreement=agreement, ok=ok)
        if not peers:
            self.rows.append(dict(base, peer=None))
        for p in peers:
            self.rows.append(dict(base, peer=p, peer_note=peer_notes.get(p.name, "")))

    def py(self, fn, value=lambda r: r):
        def run():
            seconds, result = timed(fn)
            return seconds, value(result)
        return Entry("py", "icl_metrics", run)

    def cpp(self, *command):
        return Entry("cpp", "C++", lambda: self.twin.call(*command))

    def syrk(self, path, n, d, count=1):
        name = "SSYRK n x d (library's BLAS)" if count == 1 else "%d SSYRKs n x d (library's BLAS)" % count

        def run():
            return sum(self.twin.call("syrk", path, n, d)[0] for _ in range(count)), None
        return Entry("limit", name, run)

    def peer(self, name, fn, rounds=None, scale=1.0):
        return Entry("peer", name, lambda: timed(fn), rounds, scale)


def same(py_value, cpp_value):
    """The package's and the twin's numbers: equal bit for bit?"""
    return py_value == cpp_value, ("bit for bit" if py_value == cpp_value else
                                   "differ: %r vs %r" % (py_value, cpp_value))


def case_rdm(run, n, d):
    from scipy.spatial.distance import pdist
    import rsatoolbox

    x = latent_rows(run.rng, n, d, 32, 1.0).astype(np.float32)
    x16 = x.astype(np.float16)
    paths = {"float32": run.write("x.f32", x), "float16": run.write("x.f16", x16)}
    arrays = {"float32": x, "float16": x16}
    dataset = rsatoolbox.data.Dataset(x)
    slow = run.args.peer_rounds
    peers_of = {"correlation": [("scipy pdist 'correlation'", lambda: pdist(x, "correlation")),
                                ("rsatoolbox calc_rdm 'correlation'",
                                 lambda: rsatoolbox.rdm.calc_rdm(dataset, method="correlation").dissimilarities[0])],
                "cosine": [("scipy pdist 'cosine'", lambda: pdist(x, "cosine"))],
                "euclidean": [("scipy pdist 'euclidean'", lambda: pdist(x, "euclidean"))],
                "sqeuclidean": [("scipy pdist 'sqeuclidean'", lambda: pdist(x, "sqeuclidean"))],
                "sqeuclidean_per_feature": [("rsatoolbox calc_rdm 'euclidean'",
                                             lambda: rsatoolbox.rdm.calc_rdm(dataset,
                                                                             method="euclidean").dissimilarities[0])]}
    for dissimilarity, peer_list in peers_of.items():
        for dtype in ("float32", "float16"):
            arr = arrays[dtype]
            py = run.py(lambda arr=arr, k=dissimilarity: im.compute_rdm(arr, dissimilarity=k))
            cpp = run.cpp("rdm", paths[dtype], n, d, dissimilarity)
            # The peers take the float32 rows (for float16 input the library widens the same values).
            peers = [run.peer(name, fn, slow) for name, fn in peer_list] if dtype == "float32" else []

            def check(py_value, cpp_value, peer_values):
                ok, text = same(sequential_sum(py_value), cpp_value)
                notes = {}
                for name, value in peer_values.items():
                    diff, rel = max_difference(py_value, value)
                    ok = run.check(rel <= 1e-4, "rdm %s vs %s: %.2g" % (dissimilarity, name, rel)) and ok
                    notes[name] = "max abs diff %.2g (%.2g of max)" % (diff, rel)
                return text, ok, notes
            run.case("compute_rdm %s" % dissimilarity, "n=%d d=%d %s" % (n, d, dtype), py, cpp,
                     run.syrk(paths["float32"], n, d), peers, check)


def case_compare(run, n):
    from scipy.stats import kendalltau, spearmanr
    import rsatoolbox

    a, b = two_rdms(run.rng, n, 64, 8, 2.0)
    m = a.size
    pa, pb = run.write("ra.f64", a), run.write("rb.f64", b)
    rdm_a, rdm_b = rsatoolbox.rdm.RDMs(a[None, :]), rsatoolbox.rdm.RDMs(b[None, :])
    argsort = run.peer("numpy argsort of both (limit)", lambda: (np.argsort(a), np.argsort(b)))
    argsort.role = "limit"
    peers_of = {"spearman": [("scipy.stats.spearmanr", lambda: spearmanr(a, b).statistic),
                             ("rsatoolbox compare 'spearman'",
                              lambda: rsatoolbox.rdm.compare(rdm_a, rdm_b, method="spearman")[0, 0])],
                "kendall_tau_b": [("scipy.stats.kendalltau", lambda: kendalltau(a, b).statistic)],
                "pearson": [("numpy corrcoef", lambda: np.corrcoef(a, b)[0, 1])]}
    for method, peer_list in peers_of.items():
        py = run.py(lambda k=method: im.compare(a, b, method=k))
        cpp = run.cpp("compare", pa, pb, m, method)
        peers = [run.peer(name, fn) for name, fn in peer_list]

        def check(py_value, cpp_value, peer_values):
            ok, text = same(py_value, cpp_value)
            notes = {}
            for name, value in peer_values.items():
                ok = run.check(abs(float(value) - py_value) <= 1e-9, "compare %s vs %s" % (method, name)) and ok
                notes[name] = "%.12f vs %.12f" % (py_value, float(value))
            return text, ok, notes
        run.case("compare %s" % method, "n=%d (m=%d) f64" % (n, m), py, cpp, argsort, peers, check)


def case_permutation(run, n, permutations, peer_permutations):
    a, b = two_rdms(run.rng, n, 32, 4, 6.0)
    m = a.size
    pa, pb = run.write("pa.f64", a), run.write("pb.f64", b)
    py = run.py(lambda: im.permutation_test(a, b, method="spearman", permutations=permutations, seed=0),
                lambda r: r.p_value)
    cpp = run.cpp("permutation", pa, pb, m, "spearman", permutations, 0)
    loop = run.peer("numpy loop + scipy spearmanr (%d permutations, time scaled to %d)" % (peer_permutations,
                                                                                            permutations),
                    lambda: numpy_permutation_test(a, b, n, peer_permutations, 1), run.args.peer_rounds,
                    permutations / peer_permutations)

    def check(py_value, cpp_value, peer_values):
        ok, text = same(py_value, cpp_value)
        return text, ok, {loop.name: "p %.4f vs %.4f (%d permutations)" % (
            py_value, list(peer_values.values())[0][1], peer_permutations)}
    run.case("permutation_test spearman, %d permutations" % permutations, "n=%d (m=%d) f64" % (n, m), py, cpp,
             None, [loop], check)


def case_decodability(run, n, d, k=10):
    x, y = planted_classes(run.rng, n, d, classes=4, signal=3.0)
    py_x = {"float32": x, "float16": x.astype(np.float16)}
    paths = {"float32": run.write("dx.f32", x), "float16": run.write("dx.f16", py_x["float16"])}
    py_labels = run.write("dy.i32", y)
    for dtype in ("float32", "float16"):
        arr = py_x[dtype]
        py = run.py(lambda arr=arr: im.task_decodability(arr, y, k=k), lambda r: (r.overall, r.predictions))
        cpp = run.cpp("decodability", paths[dtype], py_labels, n, d, k)
        peers = [run.peer("scikit-learn KNeighborsClassifier LOO (brute)",
                          lambda arr=arr: sklearn_loo_knn(arr.astype(np.float32), y, k), run.args.peer_rounds)]\
            if dtype == "float32" else []

        def check(py_value, cpp_value, peer_values):
            overall, predictions = py_value
            ok, text = same(overall, cpp_value)
            notes = {}
            for name, value in peer_values.items():
                agree = float(np.mean(predictions == value))
                ok = run.check(agree >= 0.99, "decodability vs %s: %.3f" % (name, agree)) and ok
                notes[name] = "predictions equal on %.1f%% of points" % (100 * agree)
            return text, ok, notes
        run.case("task_decodability k=%d" % k, "n=%d d=%d %s" % (n, d, dtype), py, cpp,
                 run.syrk(paths["float32"], n, d), peers, check)


def case_cka(run, n, d):
    z = run.rng.standard_normal((n, 32))
    x = (z @ run.rng.standard_normal((32, d)) + 4.0 * run.rng.standard_normal((n, d))).astype(np.float32)
    y = (z[:, :16] @ run.rng.standard_normal((16, d)) + 4.0 * run.rng.standard_normal((n, d))).astype(np.float32)
    for dtype in ("float32", "float16"):
        xs, ys = x.astype(dtype), y.astype(dtype)
        suffix = "f32" if dtype == "float32" else "f16"
        px, py_path = run.write("cx." + suffix, xs), run.write("cy." + suffix, ys)
        py = run.py(lambda xs=xs, ys=ys: im.linear_cka(xs, ys))
        cpp = run.cpp("cka", px, py_path, n, d)
        peers = [run.peer("numpy f32, Gram form", lambda: numpy_cka_gram(x, y))] if dtype == "float32" else []

        def check(py_value, cpp_value, peer_values):
            ok, text = same(py_value, cpp_value)
            notes = {}
            for name, value in peer_values.items():
                ok = run.check(abs(value - py_value) <= 1e-4 * abs(py_value), "cka vs numpy") and ok
                notes[name] = "%.8f vs %.8f" % (py_value, value)
            return text, ok, notes
        run.case("linear_cka", "n=%d d=%d %s" % (n, d, dtype), py, cpp,
                 run.syrk(run.write("cx.f32", x), n, d, count=2), peers, check)


def case_logistic(run, n, d, classes):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import PredefinedSplit, cross_val_score

    x, y = planted_classes(run.rng, n, d, classes=classes, signal=3.0)
    folds = stratified_folds(run.rng, y, 5)
    px, py_labels, pf = run.write("lx.f32", x), run.write("ly.i32", y), run.write("lf.i32", folds)
    py = run.py(lambda: im.cross_validate_logistic(x, y, folds=folds), lambda r: r.mean)
    cpp = run.cpp("logistic", px, py_labels, pf, n, d)
    model = LogisticRegression(C=1.0, max_iter=100)
    peer = run.peer("scikit-learn LogisticRegression (lbfgs), cross_val_score",
                    lambda: float(np.mean(cross_val_score(model, x, y, cv=PredefinedSplit(folds)))),
                    run.args.peer_rounds)

    def check(py_value, cpp_value, peer_values):
        ok, text = same(py_value, cpp_value)
        return text, ok, {peer.name: "mean accuracy %.4f vs %.4f" % (py_value, list(peer_values.values())[0])}
    run.case("cross_validate_logistic 5 folds, %d classes" % classes, "n=%d d=%d float32" % (n, d), py, cpp,
             run.syrk(px, n, d), [peer], check)


def numpy_effective_dimension(x):
    xc = x - x.mean(axis=0)
    eig = np.linalg.eigvalsh((xc @ xc.T).astype(np.float64))
    return float(eig.sum() ** 2 / np.sum(eig ** 2))


def case_effective_dimension(run, n, d):
    x = latent_rows(run.rng, n, d, 64, 1.0).astype(np.float32)
    for dtype in ("float32", "float16"):
        xs = x.astype(dtype)
        path = run.write("ex." + ("f32" if dtype == "float32" else "f16"), xs)
        py = run.py(lambda xs=xs: im.effective_dimension(xs))
        cpp = run.cpp("effdim", path, n, d)
        peers = [run.peer("numpy: centered Gram (f32) + eigvalsh (f64)", lambda: numpy_effective_dimension(x))] \
            if dtype == "float32" else []

        def check(py_value, cpp_value, peer_values):
            ok, text = same(py_value, cpp_value)
            notes = {}
            for name, value in peer_values.items():
                ok = run.check(abs(value - py_value) <= 1e-3 * py_value, "effective dimension vs numpy") and ok
                notes[name] = "%.6f vs %.6f" % (py_value, value)
            return text, ok, notes
        run.case("effective_dimension", "n=%d d=%d %s" % (n, d, dtype), py, cpp,
                 run.syrk(run.write("ex.f32", x), n, d), peers, check)


def causal_attention(rng, layers, heads, T):
    """[layers, heads, T, T] float16 attention probabilities (causal rows that sum to 1)."""
    A = np.empty((layers, heads, T, T), dtype=np.float16)
    mask = np.tril(np.ones((T, T), dtype=np.float32))
    for layer in range(layers):
        w = rng.random((heads, T, T), dtype=np.float32) * mask
        A[layer] = w / w.sum(axis=-1, keepdims=True)
    return A


def numpy_attention_ratio(A, sources, relevant, irrelevant):
    rows = A[:, :, sources]
    num = rows[..., relevant].sum(axis=(-1, -2), dtype=np.float64) / len(relevant)
    den = rows[..., irrelevant].sum(axis=(-1, -2), dtype=np.float64) / len(irrelevant)
    return num / den


def case_attention(run, layers, heads, T):
    A = causal_attention(run.rng, layers, heads, T)
    path = run.write("att.f16", A)
    relevant = np.arange(1, T, 16, dtype=np.int64)
    irrelevant = np.setdiff1d(np.arange(T, dtype=np.int64), relevant)
    stream = run.peer("numpy sum of the tensor as uint64 (a streaming read)",
                      lambda: int(A.view(np.uint64).sum()))
    stream.role = "limit"
    for label, sources in (("every position a source", np.arange(T, dtype=np.int64)),
                           ("last position only", np.array([T - 1], dtype=np.int64))):
        files = []  # the twin keeps what it read by file name: one name per content
        for name, positions in (("src-%d" % sources.size, sources), ("rel", relevant), ("irr", irrelevant)):
            files += [run.write(name + ".i64", positions), positions.size]
        py = run.py(lambda s=sources: im.attention_ratio(A, s, relevant, irrelevant))
        cpp = run.cpp("attention", path, layers, heads, T, *files)
        peer = run.peer("numpy fancy indexing + sums (float64)",
                        lambda s=sources: numpy_attention_ratio(A, s, relevant, irrelevant))

        def check(py_value, cpp_value, peer_values):
            ok, text = same(sequential_sum(py_value), cpp_value)
            value = list(peer_values.values())[0]
            rel = float(np.max(np.abs(py_value - value) / np.abs(value)))
            ok = run.check(rel <= 1e-6, "attention_ratio vs numpy: %.2g" % rel) and ok
            return text, ok, {peer.name: "max relative diff %.2g" % rel}
        run.case("attention_ratio, %s" % label, "[%d, %d, %d, %d] float16" % (layers, heads, T, T), py, cpp,
                 stream if label.startswith("every") else None, [peer], check)


CASES = ("rdm", "compare", "permutation", "decodability", "cka", "logistic", "effective_dimension", "attention")


def run_cases(run, selected):
    quick = run.args.quick
    n, d = (300, 256) if quick else (2000, 4096)
    steps = {"rdm": lambda: case_rdm(run, n, d),
             "compare": lambda: case_compare(run, n),
             "permutation": lambda: case_permutation(run, 300 if quick else 2000, 100, 5),
             "decodability": lambda: case_decodability(run, n, d),
             "cka": lambda: case_cka(run, n, d),
             "logistic": lambda: case_logistic(run, 200 if quick else 1000, d, 4),
             "effective_dimension": lambda: case_effective_dimension(run, n, d),
             "attention": lambda: case_attention(run, *((4, 4, 128) if quick else (32, 32, 512)))}
    for name in selected:
        run.reseed(name)
        steps[name]()
        print("done: %s" % name, file=sys.stderr, flush=True)


# ---- call overhead on tiny inputs ---------------------------------------------------------------


def tiny_calls(tmp):
    """{function name: (call, twin command or None)} on inputs of a few elements."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((8, 4)).astype(np.float32)
    Y = rng.standard_normal((8, 4)).astype(np.float32)
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    folds = np.array([0, 0, 1, 1, 0, 0, 1, 1])  # both classes in every fold
    H3 = rng.standard_normal((2, 8, 4)).astype(np.float32)
    a = im.compute_rdm(X, "euclidean")
    b = im.compute_rdm(Y, "euclidean")
    hyp = im.categorical_rdm(labels)
    A = rng.random((2, 2, 6, 6)) * np.tril(np.ones((6, 6)))
    A = (A / A.sum(axis=-1, keepdims=True)).astype(np.float16)
    model = im.fit_logistic(X, labels)
    directions = rng.standard_normal((2, 4)).astype(np.float32)
    npy = os.path.join(tmp, "tiny.npy")
    np.save(npy, X)
    files = {}
    for name, arr in (("X.f32", X), ("Y.f32", Y), ("a.f64", a), ("b.f64", b), ("y.i32", labels.astype(np.int32)),
                      ("A.f16", A), ("s.i64", np.array([5])), ("r.i64", np.array([1, 3])),
                      ("i.i64", np.array([0, 2, 4])), ("f.i32", folds.astype(np.int32))):
        files[name] = os.path.join(tmp, name)
        np.ascontiguousarray(arr).tofile(files[name])
    f = files
    calls = {
        "build_info": (lambda: im.build_info(), None),
        "get_num_threads": (lambda: im.get_num_threads(), None),
        "set_num_threads": (lambda: im.set_num_threads(im.get_num_threads()), None),
        "compute_rdm": (lambda: im.compute_rdm(X, "correlation"), ("rdm", f["X.f32"], 8, 4, "correlation")),
        "compare": (lambda: im.compare(a, b, "spearman"), ("compare", f["a.f64"], f["b.f64"], 28, "spearman")),
        "permutation_test": (lambda: im.permutation_test(a, b, "spearman", permutations=1),
                             ("permutation", f["a.f64"], f["b.f64"], 28, "spearman", 1, 0)),
        "bootstrap_compare": (lambda: im.bootstrap_compare(a, b, "spearman", samples=2), None),
        "rsa_curve": (lambda: im.rsa_curve(H3, hyp, permutations=0, bootstrap_samples=0), None),
        "categorical_rdm": (lambda: im.categorical_rdm(labels), None),
        "parameter_rdm": (lambda: im.parameter_rdm(np.arange(8.0)), None),
        "task_decodability": (lambda: im.task_decodability(X, labels, k=1),
                              ("decodability", f["X.f32"], f["y.i32"], 8, 4, 1)),
        "pairwise_decodability": (lambda: im.pairwise_decodability(X, labels, k=1), None),
        "decodability_curve": (lambda: im.decodability_curve(H3, labels, k=1), None),
        "cross_validate_logistic": (lambda: im.cross_validate_logistic(X, labels, folds=folds),
                                    ("logistic", f["X.f32"], f["y.i32"], f["f.i32"], 8, 4)),
        "cross_validate_ridge": (lambda: im.cross_validate_ridge(X, np.arange(8.0), folds=2), None),
        "fit_logistic": (lambda: im.fit_logistic(X, labels), None),
        "fit_ridge": (lambda: im.fit_ridge(X, np.arange(8.0)), None),
        "LinearModel.predict": (lambda: model.predict(X), None),
        "LinearModel.decision_function": (lambda: model.decision_function(X), None),
        "separability_alignment": (lambda: im.separability_alignment(X, labels, directions, denoise_rank=2), None),
        "linear_cka": (lambda: im.linear_cka(X, Y), ("cka", f["X.f32"], f["Y.f32"], 8, 4)),
        "cka_matrix": (lambda: im.cka_matrix(H3), None),
        "effective_dimension": (lambda: im.effective_dimension(X), ("effdim", f["X.f32"], 8, 4)),
        "effective_dimension_curve": (lambda: im.effective_dimension_curve(H3), None),
        "attention_ratio": (lambda: im.attention_ratio(A, [5], [1, 3], [0, 2, 4]),
                            ("attention", f["A.f16"], 2, 2, 6, f["s.i64"], 1, f["r.i64"], 2, f["i.i64"], 3)),
        "previous_token_score": (lambda: im.previous_token_score(A), None),
        "induction_score": (lambda: im.induction_score(A, [1, 3]), None),
        "label_attention": (lambda: im.label_attention(A, [1, 3], [0, 1]), None),
        "label_bias": (lambda: im.label_bias([A], [[1, 3]], [[0, 1]]), None),
        "top_heads": (lambda: im.top_heads(np.arange(4.0).reshape(2, 2)), None),
        "pool_tokens": (lambda: im.pool_tokens(H3, [0, 1]), None),
        "standardize": (lambda: im.standardize(X), None),
        "load": (lambda: im.load(npy), None),
    }
    return calls


def surface():
    """The functions of the package's public surface (icl_metrics.__all__), LinearModel's methods."""
    names = [n for n in im.__all__ if callable(getattr(im, n)) and not isinstance(getattr(im, n), type)]
    return names + ["LinearModel.predict", "LinearModel.decision_function"]


def overhead_table(twin, tmp, rounds, calls_per_round):
    calls = tiny_calls(tmp)
    names = surface()
    lines = ["| function | Python call, tiny input: min (µs) | median (µs) | C++ same call: min (µs) | median (µs) "
             "| overhead: median Python − median C++ (µs) |", "|---|---:|---:|---:|---:|---:|"]
    times = {n: [] for n in names}
    cpp_times = {n: [] for n in names}
    missing = [n for n in names if n not in calls]
    measured = [n for n in names if n in calls]
    failed = {}
    for name in measured:  # warm-up; a function that fails here is reported, not timed
        try:
            calls[name][0]()
        except Exception as e:  # noqa: BLE001 (reported in the table's note)
            failed[name] = str(e)
    measured = [n for n in measured if n not in failed]
    for _ in range(rounds):
        for name in measured:
            fn, command = calls[name]
            for _ in range(calls_per_round):
                start = time.perf_counter_ns()
                fn()
                times[name].append((time.perf_counter_ns() - start) / 1e3)
            if command:
                for _ in range(calls_per_round):
                    cpp_times[name].append(1e6 * twin.call(*command)[0])
    for name in measured:
        t = times[name]
        row = "| `%s` | %.2f | %.2f |" % (name, min(t), statistics.median(t))
        c = cpp_times[name]
        if c:
            row += " %.2f | %.2f | %.2f |" % (min(c), statistics.median(c), statistics.median(t) - statistics.median(c))
        else:
            row += " | | |"
        lines.append(row)
    note = ("%d rounds of %d calls per function, interleaved across functions; time.perf_counter_ns around each "
            "call, the Python objects of the arguments made beforehand." % (rounds, calls_per_round))
    if failed:
        note += " Failed on the tiny input: %s." % "; ".join("%s (%s)" % kv for kv in failed.items())
    if missing:
        note += " Not measured (no tiny-input case in the benchmark yet): %s." % ", ".join(missing)
    return "\n".join(lines) + "\n\n" + note


# ---- output ------------------------------------------------------------------------------------


def fmt_s(t):
    return "%.4f / %.4f" % t if t[1] >= 1e-3 else "%.1f / %.1f µs" % (1e6 * t[0], 1e6 * t[1])


def main_table(rows):
    lines = ["| work | size | Python (s) min / median | C++ (s) min / median | Python / C++ (median; min) "
             "| limit | limit / Python | peer | peer (s) min / median | peer / Python (median) | agreement |",
             "|---|---|---:|---:|---:|---|---:|---|---:|---:|---|"]
    for r in rows:
        py, cpp = r["py"], r["cpp"]
        ratio = "%.3f; %.3f" % (py[1] / cpp[1], py[0] / cpp[0])
        if r["limit"] is not None:
            lim = r["limit"].stats()
            limit = "%s %s" % (r["limit"].name, fmt_s(lim))
            limit_ratio = "%.2f" % (lim[1] / py[1])
        else:
            limit, limit_ratio = "—", "—"
        if r["peer"] is not None:
            ps = r["peer"].stats()
            peer = (r["peer"].name, fmt_s(ps), "%.1f×" % (ps[1] / py[1]))
            agreement = "Python = C++ %s; peer: %s" % (r["agreement"], r["peer_note"])
        else:
            peer = ("—", "—", "—")
            agreement = "Python = C++ %s" % r["agreement"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s%s |" % (
            r["work"], r["size"], fmt_s(py), fmt_s(cpp), ratio, limit, limit_ratio, peer[0], peer[1], peer[2],
            agreement, "" if r["ok"] else " **MISMATCH**"))
    return "\n".join(lines)


def environment(twin, compile_flags, load_before):
    info = im.build_info()
    from threadpoolctl import threadpool_info
    omp = [p for p in threadpool_info() if p.get("user_api") == "openmp"]
    return ("%s. nproc %d; load average (1, 5, 15 min) %.2f %.2f %.2f before, %.2f %.2f %.2f after (other work on the "
            "machine shows here). Threads: icl_metrics.get_num_threads() = %d, the twin's icl::max_threads() = %s; "
            "OpenMP pools in this process: %s. icl_metrics %s, components %s, %s; the twin: %s. numpy BLAS: %s. "
            "Python %s, numpy %s, scipy %s, scikit-learn %s, rsatoolbox %s." % (
                machine_line(), os.cpu_count(), *load_before, *os.getloadavg(), im.get_num_threads(), twin.threads,
                ", ".join("%s %s threads" % (p.get("internal_api"), p.get("num_threads")) for p in omp) or "none",
                info["version"], ",".join(info["components"]), info["compiler"], compile_flags, numpy_blas(),
                platform.python_version(), np.__version__, package_version("scipy"), package_version("scikit-learn"),
                package_version("rsatoolbox")))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--twin-build-dir", default=str(ROOT / "build" / "py-twin"),
                        help="where the C++ twin is configured and built (default build/py-twin)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case (default 5)")
    parser.add_argument("--peer-rounds", type=int, default=3,
                        help="rounds in which the slow peers (pdist, rsatoolbox calc_rdm, scikit-learn, the numpy "
                             "permutation loop) run (default 3)")
    parser.add_argument("--pause", type=float, default=0.25, help="seconds of pause before each timed call")
    parser.add_argument("--calls", type=int, default=200, help="calls per function and round of the overhead table")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of: " + ", ".join(CASES))
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--output", help="also write the Markdown tables to this file")
    args = parser.parse_args()
    selected = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in selected if c not in CASES]
    if unknown:
        parser.error("unknown case(s): %s" % ", ".join(unknown))

    load_before = os.getloadavg()
    twin_path, compile_flags = build_twin(args.twin_build_dir)
    twin = Twin(twin_path)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            overhead = overhead_table(twin, tmp, 5, args.calls)
            run = Run(args, twin, tmp)
            run_cases(run, selected)
        text = "\n\n".join(["### Call time on tiny inputs", overhead, "### n = 2000, d = 4096" +
                            (" (--quick sizes)" if args.quick else ""), main_table(run.rows),
                            "%d interleaved rounds (slow peers: %d), %.2f s pause before each call; one warm-up "
                            "call of each first." % (args.rounds, args.peer_rounds, args.pause),
                            environment(twin, compile_flags, load_before)])
    finally:
        twin.close()
    write_table(text, args.output)
    for failure in run.failures:
        print("agreement check failed: " + failure, file=sys.stderr)
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
