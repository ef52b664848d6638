"""Times this library and the Python tools a user would pick instead, on the same inputs.

    ./scripts/compare-peers            # builds the driver, sets up the venv, runs everything
    .venv/bin/python benchmarks/compare_peers.py --driver build/bench/benchmarks/icl_peer_driver

Each case generates one data set with numpy (fixed seed), writes it as raw little-endian
float32 / float16 / float64 / int32 files, times the library through the small C++ driver
benchmarks/peers/icl_peer_driver.cpp (the same files, read once, then one warm-up call and the
median of --repeats timed calls inside the process) and the peer in this process (the same
warm-up and median), and checks that both compute the same thing. Where the work has a machine
limit, the driver measures it in the same way and the table gives limit / ours (1 = at the
limit): one float32 SSYRK of the same n x d input for GEMM-shaped work (two for CKA, one per
input), and std::sort of both condensed vectors for rank work.

Cases (sizes of the full run; --quick runs small ones):

- rdm: compute_rdm with correlation, cosine and euclidean, n = 2000, d = 4096, float32 and
  float16 input, against scipy.spatial.distance.pdist (same metric; for float16 the pdist of the
  rounded values) and rsatoolbox.rdm.calc_rdm ('correlation'; and 'euclidean', which is the
  squared distance per feature: compared with our sqeuclidean_per_feature). The largest
  difference to the peer's values must stay within float tolerance.
- ranks: spearman and kendall_tau_b of two vectors of m = 2·10⁶ values against
  scipy.stats.spearmanr / kendalltau, and the limit (sorting both vectors once: std::sort in the
  driver, numpy argsort for the peer).
- rsatoolbox: rsatoolbox.rdm.compare with 'spearman', 'tau-a', 'rho-a' and 'cosine_cov' on two
  RDMs of n = 2000 conditions, against icl::rsa::compare with spearman, kendall_tau_a, rho_a and
  whitened_cosine (rsatoolbox's cosine_cov without a noise model: the cosine of the
  double-centered second-moment matrices).
- permutation: permutation_test, n = 300 conditions, 10 000 permutations, spearman, against
  the numpy loop users write (permute rows and columns of the square RDM, take the condensed
  vector, scipy.stats.spearmanr). The two draw different permutations: the observed statistics
  must be equal, the p-values agree up to Monte Carlo error.
- cka: biased linear CKA, n = 2000, d = 4096, float32, against numpy (the centered Gram form
  ⟨HK H, HLH⟩ and the feature form ‖YᵀX‖² / (‖XᵀX‖ ‖YᵀY‖), both timed; the faster is the peer).
- cka_matrix: biased linear CKA between every pair of L = 8 layers of one [L, n, d] tensor,
  n = 2000, d = 1024, float32, against numpy doing the same: each layer's centered Gram matrix
  once (L products xc @ xc.T, which numpy sends to SYRK), then L² inner products. The limit is
  one SSYRK per layer, timed by the driver.
- decodability: leave-one-out kNN (k = 10, Euclidean) against scikit-learn
  KNeighborsClassifier: the fastest leave-one-out a user can write with it, one
  kneighbors(n_neighbors = k + 1) query on the fitted data with each point's own entry removed
  and a majority vote with scikit-learn's tie rule (lowest label). The predictions must agree.
- logistic: 5-fold cross-validation (C = 1) against scikit-learn LogisticRegression (lbfgs, its
  default tol and max_iter = 100) scored with cross_val_score on the same folds
  (PredefinedSplit). The mean accuracies are printed side by side.

The result is a Markdown table on standard output (and in --output, if given): metric, size,
ours (s), limit / ours, peer, peer (s), peer / ours, agreement. Thread counts are whatever the
environment gives both sides (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS apply to both). The exit
status is 1 when a check of agreement failed.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
import zlib

import numpy as np

# scipy and scikit-learn are the peers of most cases; cka and cka_matrix need numpy alone and
# run where the others are not installed.
try:
    import scipy
    from scipy.spatial.distance import pdist, squareform
    from scipy.stats import kendalltau, spearmanr
except ImportError:
    scipy = None
try:
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import PredefinedSplit, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
except ImportError:
    sklearn = None

from peer_support import add_driver_arguments, machine_line, median_time, numpy_blas, run_driver, write_table

CASES = ("rdm", "ranks", "rsatoolbox", "permutation", "cka", "cka_matrix", "decodability", "logistic")
NEEDS_SCIPY = ("rdm", "ranks", "rsatoolbox", "permutation")
NEEDS_SKLEARN = ("decodability", "logistic")


def row(case, size, ours, peer_name, peer, agreement, ok=True, limit=None, limit_name=None):
    return dict(case=case, size=size, ours=ours, peer_name=peer_name, peer=peer, agreement=agreement, ok=ok,
                limit=limit, limit_name=limit_name)


def max_difference(ours, peer):
    """(largest |ours − peer|, that divided by the largest |peer|)."""
    diff = float(np.max(np.abs(ours - peer)))
    return diff, diff / max(float(np.max(np.abs(peer))), 1e-300)


class Context:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.rng = None
        self.failures = []
        self.threads = None

    def reseed(self, case):
        """Each case draws from its own generator, so its data do not depend on --cases."""
        self.rng = np.random.default_rng([20261123, zlib.crc32(case.encode())])

    def path(self, name):
        return os.path.join(self.tmp, name)

    def driver(self, *args):
        result = run_driver(self.args.driver, list(args))
        self.threads = result.get("threads")
        return result

    def write(self, name, array):
        path = self.path(name)
        np.ascontiguousarray(array).tofile(path)
        return path

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok

    def syrk_seconds(self, xf, n, d):
        return self.driver("syrk", xf, n, d, self.args.repeats)["seconds"]


def planted_classes(rng, n, d, classes, signal):
    """n points in d dimensions: class means on random directions, unit Gaussian noise."""
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    means = rng.standard_normal((classes, d)) * (signal / np.sqrt(d))
    x = rng.standard_normal((n, d)) + means[labels]
    return x.astype(np.float32), labels.astype(np.int32)


def latent_rows(rng, n, d, rank, noise):
    """n x d float64 rows: a rank-`rank` signal (shared latent factors) plus Gaussian noise."""
    z = rng.standard_normal((n, rank))
    return z @ rng.standard_normal((rank, d)) + noise * rng.standard_normal((n, d))


# ---- RDMs ------------------------------------------------------------------------------------

RDM_TOLERANCE = 1e-4  # largest difference relative to the largest distance (float32 Gram form)


def case_rdm(ctx, n, d):
    import rsatoolbox

    args = ctx.args
    x = latent_rows(ctx.rng, n, d, 32, 1.0).astype(np.float32)
    x16 = x.astype(np.float16)
    xf, hf = ctx.write("x.f32", x), ctx.write("x.f16", x16)
    x16_as_32 = x16.astype(np.float32)
    syrk = ctx.syrk_seconds(xf, n, d)
    dataset = rsatoolbox.data.Dataset(x)
    rows = []
    size = "n=%d d=%d" % (n, d)
    limit_name = "SSYRK n x d"
    for metric in ("correlation", "cosine", "euclidean"):
        out = ctx.path("rdm.f64")
        # f32 first: the f16 row reports the f32 time over its own.
        f32_seconds = None
        for dtype, path, peer_x, peer_note in (("f32", xf, x, ""), ("f16", hf, x16_as_32, " (f16 values as f32)")):
            ours = ctx.driver("rdm", path, n, d, metric, dtype, args.repeats, out)
            ours_values = np.fromfile(out, dtype=np.float64)
            peer_values = pdist(peer_x, metric)
            peer_time = median_time(lambda: pdist(peer_x, metric), args.repeats)
            diff, rel = max_difference(ours_values, peer_values)
            ok = ctx.check(rel <= RDM_TOLERANCE,
                           "rdm %s %s vs pdist: relative difference %.2g" % (metric, dtype, rel))
            note = "max abs diff %.2g (%.2g of max)" % (diff, rel)
            if f32_seconds is None:
                f32_seconds = ours["seconds"]
            else:
                note += "; f32 time / f16 time %.2f" % (f32_seconds / ours["seconds"])
            rows.append(row("compute_rdm %s" % metric, size + " " + dtype, ours["seconds"],
                            "scipy pdist '%s'%s" % (metric, peer_note), peer_time, note, ok, syrk, limit_name))

        peer_method = {"correlation": "correlation", "euclidean": "euclidean"}.get(metric)
        if peer_method is None:
            continue  # rsatoolbox has no cosine RDM
        ours_metric = "correlation" if metric == "correlation" else "sqeuclidean_per_feature"
        ours_rt = ctx.driver("rdm", xf, n, d, ours_metric, "f32", args.repeats, out)
        ours_rt_values = np.fromfile(out, dtype=np.float64)

        def peer_rt():
            return rsatoolbox.rdm.calc_rdm(dataset, method=peer_method)

        peer_rt_values = peer_rt().dissimilarities[0]
        peer_rt_time = median_time(peer_rt, args.repeats)
        diff, rel = max_difference(ours_rt_values, peer_rt_values)
        ok = ctx.check(rel <= RDM_TOLERANCE,
                       "rdm %s vs rsatoolbox %s: relative difference %.2g" % (ours_metric, peer_method, rel))
        rows.append(row("compute_rdm %s" % ours_metric, size + " f32", ours_rt["seconds"],
                        "rsatoolbox calc_rdm '%s'" % peer_method, peer_rt_time,
                        "max abs diff %.2g (%.2g of max)" % (diff, rel), ok, syrk, limit_name))
    return rows


# ---- rank correlations of two vectors ----------------------------------------------------------

def case_ranks(ctx, m):
    args = ctx.args
    a = ctx.rng.standard_normal(m)
    b = a + 1.5 * ctx.rng.standard_normal(m)
    af, bf = ctx.write("a.f64", a), ctx.write("b.f64", b)
    sort_both = ctx.driver("compare", af, bf, m, "sort_both", args.repeats)["seconds"]
    size = "m=%d f64" % m
    rows = [row("sort both vectors once (the limit)", size, sort_both, "numpy argsort of both", median_time(
        lambda: (np.argsort(a), np.argsort(b)), args.repeats), "", True, sort_both, "std::sort of both")]
    for ours_name, peer_name, peer_fn in (("spearman", "scipy.stats.spearmanr", lambda: spearmanr(a, b).statistic),
                                          ("kendall_tau_b", "scipy.stats.kendalltau",
                                           lambda: kendalltau(a, b).statistic)):
        ours = ctx.driver("compare", af, bf, m, ours_name, args.repeats)
        peer_value = float(peer_fn())
        peer_time = median_time(peer_fn, args.repeats)
        diff = abs(ours["score"] - peer_value)
        ok = ctx.check(diff <= 1e-10, "%s: %.17g vs %.17g" % (ours_name, ours["score"], peer_value))
        rows.append(row(ours_name, size, ours["seconds"], peer_name, peer_time,
                        "%.12f vs %.12f" % (ours["score"], peer_value), ok, sort_both, "std::sort of both"))
    return rows


# ---- rsatoolbox.rdm.compare --------------------------------------------------------------------

def two_rdms(rng, n, d, signal_rank, noise):
    """Condensed RDMs of two views of the same latent conditions (euclidean, float64)."""
    z = rng.standard_normal((n, signal_rank))
    x = z @ rng.standard_normal((signal_rank, d)) + noise * rng.standard_normal((n, d))
    y = z @ rng.standard_normal((signal_rank, d)) + noise * rng.standard_normal((n, d))
    return pdist(x, "euclidean"), pdist(y, "euclidean")


def case_rsatoolbox(ctx, n):
    import rsatoolbox

    args = ctx.args
    a, b = two_rdms(ctx.rng, n, 64, 8, 2.0)
    m = a.size
    af, bf = ctx.write("ra.f64", a), ctx.write("rb.f64", b)
    rdm_a, rdm_b = rsatoolbox.rdm.RDMs(a[None, :]), rsatoolbox.rdm.RDMs(b[None, :])
    sort_both = ctx.driver("compare", af, bf, m, "sort_both", args.repeats)["seconds"]
    size = "n=%d (m=%d) f64" % (n, m)
    rows = []
    for ours_name, peer_method, rank_work in (("spearman", "spearman", True), ("kendall_tau_a", "tau-a", True),
                                              ("rho_a", "rho-a", True), ("whitened_cosine", "cosine_cov", False)):
        ours = ctx.driver("compare", af, bf, m, ours_name, args.repeats)

        def peer():
            return float(rsatoolbox.rdm.compare(rdm_a, rdm_b, method=peer_method)[0, 0])

        peer_value = peer()
        peer_time = median_time(peer, args.repeats)
        diff = abs(ours["score"] - peer_value)
        ok = ctx.check(diff <= 1e-9, "%s vs rsatoolbox %s: %.17g vs %.17g" % (ours_name, peer_method, ours["score"],
                                                                           peer_value))
        rows.append(row("compare %s" % ours_name, size, ours["seconds"], "rsatoolbox compare '%s'" % peer_method,
                        peer_time, "%.12f vs %.12f" % (ours["score"], peer_value), ok,
                        sort_both if rank_work else None, "std::sort of both" if rank_work else None))
    return rows


# ---- permutation test --------------------------------------------------------------------------

def numpy_permutation_test(a, b, n, permutations, seed):
    """The loop users write: permute the conditions of the square RDM of a, take the condensed
    vector, compare with spearmanr; two-sided p = (1 + #{|s_k| >= |s_obs|}) / (1 + N)."""
    rng = np.random.default_rng(seed)
    square_a = squareform(a)
    upper = np.triu_indices(n, 1)
    observed = spearmanr(a, b).statistic
    extreme = 0
    for _ in range(permutations):
        p = rng.permutation(n)
        s = spearmanr(square_a[np.ix_(p, p)][upper], b).statistic
        if abs(s) >= abs(observed) - 1e-12 * abs(observed):
            extreme += 1
    return observed, (1 + extreme) / (1 + permutations)


def case_permutation(ctx, n, permutations, peer_permutations):
    args = ctx.args
    a, b = two_rdms(ctx.rng, n, 32, 4, 6.0)  # a weak relation: p-values well inside (0, 1)
    m = a.size
    af, bf = ctx.write("pa.f64", a), ctx.write("pb.f64", b)
    ours = ctx.driver("permutation", af, bf, m, "spearman", permutations, 0, args.repeats)
    # The peer loop is long: one warm-up of 1% of it, then one timed run of all its permutations.
    numpy_permutation_test(a, b, n, max(1, peer_permutations // 100), 1)
    start = time.perf_counter()
    observed, p_value = numpy_permutation_test(a, b, n, peer_permutations, 1)
    peer_time = (time.perf_counter() - start) * permutations / peer_permutations
    scaled = "" if peer_permutations == permutations else " (timed on %d permutations, scaled to %d)" % (
        peer_permutations, permutations)
    # Monte Carlo error of a p-value estimate: sqrt(p(1-p)/N); allow 5 of them for both together.
    spread = 5 * np.sqrt(max(p_value * (1 - p_value), 1 / peer_permutations) * (1 / permutations +
                                                                               1 / peer_permutations))
    ok = ctx.check(abs(ours["score"] - observed) <= 1e-10 and abs(ours["p_value"] - p_value) <= spread,
                   "permutation: statistic %.17g vs %.17g, p %.4g vs %.4g" % (ours["score"], observed,
                                                                              ours["p_value"], p_value))
    return [row("permutation_test spearman, %d permutations" % permutations, "n=%d (m=%d) f64" % (n, m),
                ours["seconds"], "numpy loop + scipy spearmanr" + scaled, peer_time,
                "statistic %.10f vs %.10f; p %.4f vs %.4f" % (ours["score"], observed, ours["p_value"], p_value),
                ok)]


# ---- CKA ---------------------------------------------------------------------------------------

def numpy_cka_gram(x, y):
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    k, l_ = xc @ xc.T, yc @ yc.T
    return float(np.vdot(k, l_) / (np.linalg.norm(k) * np.linalg.norm(l_)))


def numpy_cka_features(x, y):
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    cross = np.linalg.norm(yc.T @ xc) ** 2
    return float(cross / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)))


def case_cka(ctx, n, d):
    args = ctx.args
    # Two views that share half of their latent factors (CKA well inside (0, 1)).
    z = ctx.rng.standard_normal((n, 32))
    x = (z @ ctx.rng.standard_normal((32, d)) + 4.0 * ctx.rng.standard_normal((n, d))).astype(np.float32)
    y = (z[:, :16] @ ctx.rng.standard_normal((16, d)) + 4.0 * ctx.rng.standard_normal((n, d))).astype(np.float32)
    xf, yf = ctx.write("cx.f32", x), ctx.write("cy.f32", y)
    limit = ctx.syrk_seconds(xf, n, d) + ctx.syrk_seconds(yf, n, d)
    ours = ctx.driver("cka", xf, yf, n, d, d, args.repeats)
    # Reference value in float64; the float32 numpy forms are what is timed.
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    reference = numpy_cka_gram(x64, y64) if n < 2 * d else numpy_cka_features(x64, y64)
    timed = []
    for name, fn in (("Gram form", numpy_cka_gram), ("feature form", numpy_cka_features)):
        value = fn(x, y)
        timed.append((median_time(lambda fn=fn: fn(x, y), args.repeats), name, value))
    peer_time, peer_form, peer_value = min(timed)
    ok = ctx.check(abs(ours["score"] - reference) <= 1e-4 * abs(reference),
                   "cka: %.17g vs %.17g (float64 numpy)" % (ours["score"], reference))
    other = [t for t in timed if t[1] != peer_form][0]
    return [row("linear_cka (biased)", "n=%d d=%d f32" % (n, d), ours["seconds"],
                "numpy f32, %s (%s: %.3f s)" % (peer_form, other[1], other[0]), peer_time,
                "%.8f vs %.8f (numpy f32), %.8f (numpy f64)" % (ours["score"], peer_value, reference), ok, limit,
                "2 SSYRK n x d")]


def numpy_cka_matrix(x):
    grams = []
    for layer in x:
        c = layer - layer.mean(axis=0)
        grams.append(c @ c.T)
    norms = [np.linalg.norm(g) for g in grams]
    out = np.empty((len(grams), len(grams)))
    for a in range(len(grams)):
        for b in range(a, len(grams)):
            out[a, b] = out[b, a] = np.vdot(grams[a], grams[b]) / (norms[a] * norms[b])
    return out


def case_cka_matrix(ctx, layers, n, d):
    args = ctx.args
    z = ctx.rng.standard_normal((n, 32))
    x = np.stack([z @ ctx.rng.standard_normal((32, d)) + (1.0 + layer) * ctx.rng.standard_normal((n, d))
                  for layer in range(layers)]).astype(np.float32)
    xf = ctx.write("cm.f32", x)
    ours = ctx.driver("cka_matrix", xf, layers, n, d, args.repeats)
    reference = float(numpy_cka_matrix(x.astype(np.float64)).sum())
    peer_value = float(numpy_cka_matrix(x).sum())
    peer_time = median_time(lambda: numpy_cka_matrix(x), args.repeats)
    ok = ctx.check(abs(ours["score"] - reference) <= 1e-4 * abs(reference),
                   "cka_matrix: %.17g vs %.17g (float64 numpy)" % (ours["score"], reference))
    return [row("cka_matrix (biased), %d layers" % layers, "n=%d d=%d f32" % (n, d), ours["seconds"],
                "numpy f32, Gram of each layer once", peer_time,
                "sum of entries %.8f vs %.8f (numpy f32), %.8f (numpy f64)" % (ours["score"], peer_value, reference),
                ok, ours["syrk_seconds"], "%d SSYRK n x d" % layers)]


# ---- decoders ----------------------------------------------------------------------------------

def stratified_folds(rng, labels, folds):
    fold_of = np.empty(len(labels), dtype=np.int32)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        rng.shuffle(members)
        fold_of[members] = np.arange(len(members)) % folds
    return fold_of


def sklearn_loo_knn(x, y, k):
    model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(x, y)
    _, idx = model.kneighbors(x, n_neighbors=k + 1)
    n = len(y)
    keep = np.empty((n, k), dtype=np.int64)
    for i in range(n):  # drop the point itself (at position 0 unless a distance tie moved it)
        r = idx[i][idx[i] != i]
        keep[i] = r[:k]
    votes = np.zeros((n, y.max() + 1), dtype=np.int64)
    np.add.at(votes, (np.repeat(np.arange(n), k), y[keep].ravel()), 1)
    return votes.argmax(axis=1)


def case_decodability(ctx, n, d, k=10):
    args = ctx.args
    x, y = planted_classes(ctx.rng, n, d, classes=4, signal=3.0)
    xf, yf = ctx.write("x.f32", x), ctx.write("y.i32", y)
    limit = ctx.syrk_seconds(xf, n, d)
    ours = ctx.driver("decodability", xf, yf, n, d, k, args.repeats)
    peer_pred = sklearn_loo_knn(x, y, k)
    peer_time = median_time(lambda: sklearn_loo_knn(x, y, k), args.repeats)
    ours_pred = np.fromfile(ours["predictions_file"], dtype=np.int32)
    agree = float(np.mean(ours_pred == peer_pred))
    ok = ctx.check(agree >= 0.99, "decodability: predictions equal on %.1f%% of points" % (100 * agree))
    return [row("task decodability, LOO kNN k=10", "n=%d d=%d f32" % (n, d), ours["seconds"],
                "scikit-learn KNeighborsClassifier (brute)", peer_time,
                "predictions equal on %.1f%% of points (TD %.4f vs %.4f)" %
                (100 * agree, ours["score"], float(np.mean(peer_pred == y))), ok, limit, "SSYRK n x d")]


def case_logistic(ctx, n, d, classes):
    args = ctx.args
    x, y = planted_classes(ctx.rng, n, d, classes=classes, signal=3.0)
    folds = stratified_folds(ctx.rng, y, 5)
    xf, yf, ff = ctx.write("x.f32", x), ctx.write("y.i32", y), ctx.write("folds.i32", folds)
    limit = ctx.syrk_seconds(xf, n, d)
    ours = ctx.driver("logistic_cv", xf, yf, n, d, ff, args.repeats)
    model = LogisticRegression(C=1.0, max_iter=100)

    def peer():
        return cross_val_score(model, x, y, cv=PredefinedSplit(folds))

    peer_scores = peer()
    peer_time = median_time(peer, args.repeats)
    return [row("logistic 5-fold CV, C=1, %d classes" % classes, "n=%d d=%d f32" % (n, d), ours["seconds"],
                "scikit-learn LogisticRegression (lbfgs)", peer_time,
                "mean accuracy %.4f vs %.4f" % (ours["score"], float(np.mean(peer_scores))), True, limit,
                "SSYRK n x d")]


# ---- main --------------------------------------------------------------------------------------

def run_cases(ctx, selected):
    args = ctx.args
    quick = args.quick
    rows = []
    if "rdm" in selected:
        ctx.reseed("rdm")
        rows += case_rdm(ctx, *((300, 128) if quick else (2000, 4096)))
    if "ranks" in selected:
        ctx.reseed("ranks")
        rows += case_ranks(ctx, 20000 if quick else 2000000)
    if "rsatoolbox" in selected:
        ctx.reseed("rsatoolbox")
        rows += case_rsatoolbox(ctx, 200 if quick else 2000)
    if "permutation" in selected:
        ctx.reseed("permutation")
        n, permutations = (60, 500) if quick else (300, 10000)
        rows += case_permutation(ctx, n, permutations, args.peer_permutations or permutations)
    if "cka" in selected:
        ctx.reseed("cka")
        rows += case_cka(ctx, *((300, 256) if quick else (2000, 4096)))
    if "cka_matrix" in selected:
        ctx.reseed("cka_matrix")
        rows += case_cka_matrix(ctx, *((3, 300, 128) if quick else (8, 2000, 1024)))
    if "decodability" in selected:
        ctx.reseed("decodability")
        if quick:
            rows += case_decodability(ctx, 300, 64)
        else:
            rows += case_decodability(ctx, 2000, 1024)
            rows += case_decodability(ctx, 2000, 4096)
    if "logistic" in selected:
        ctx.reseed("logistic")
        if quick:
            rows += case_logistic(ctx, 200, 256, 2)
        else:
            rows += case_logistic(ctx, 1000, 4096, 2)
            rows += case_logistic(ctx, 1000, 4096, 4)
    return rows


def package_version(name):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def table(rows, args, threads):
    lines = ["| metric | size | ours (s) | limit / ours | peer | peer (s) | peer / ours | agreement |",
             "|---|---|---:|---:|---|---:|---:|---|"]
    for r in rows:
        limit = "%.2f (%s %.4f s)" % (r["limit"] / r["ours"], r["limit_name"], r["limit"]) if r["limit"] else "—"
        lines.append("| %s | %s | %.4f | %s | %s | %.4f | %.1f× | %s%s |" % (
            r["case"], r["size"], r["ours"], limit, r["peer_name"], r["peer"], r["peer"] / r["ours"],
            r["agreement"], "" if r["ok"] else " **MISMATCH**"))
    lines.append("")
    lines.append("%s; numpy BLAS: %s. Python %s, numpy %s, scipy %s, scikit-learn %s, rsatoolbox %s. Median of %d "
                 "timed calls after one warm-up%s." % (
                     machine_line(threads), numpy_blas(), platform.python_version(), np.__version__,
                     package_version("scipy"), package_version("scikit-learn"), package_version("rsatoolbox"),
                     args.repeats,
                     "; --quick sizes" if args.quick else ""))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_driver_arguments(parser, "case", "table", "small sizes")
    parser.add_argument("--cases", default=",".join(CASES),
                        help="comma-separated subset of: %s (default: all)" % ", ".join(CASES))
    parser.add_argument("--peer-permutations", type=int, default=0,
                        help="permutations of the numpy loop, whose time is scaled to the library's count "
                             "(default: the same count, 10000; the loop takes minutes)")
    args = parser.parse_args()
    selected = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in selected if c not in CASES]
    if unknown:
        parser.error("unknown case(s): %s" % ", ".join(unknown))
    missing = [c for c in selected if (c in NEEDS_SCIPY and scipy is None) or (c in NEEDS_SKLEARN and sklearn is None)]
    if missing:
        parser.error("case(s) %s need scipy and scikit-learn, which are not installed" % ", ".join(missing))

    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context(args, tmp)
        rows = run_cases(ctx, selected)
    write_table(table(rows, args, ctx.threads), args.output)
    for failure in ctx.failures:
        print("agreement check failed: " + failure, file=sys.stderr)
    return 1 if ctx.failures else 0


if __name__ == "__main__":
    sys.exit(main())
