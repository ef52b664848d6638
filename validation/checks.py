"""Figures computed in numpy from the dumped activations, independently of the C++ program:
accuracy, task decodability (leave-one-out kNN), RSA against a categorical hypothesis, a ridge
probe, head scores, the attention ratio, label-attention bias statistics and logit-minus. They
follow the definitions of METRICS.md in their default settings (where a simpler estimator is
used it says so in its key, e.g. the ridge-classifier separability)."""

import numpy as np


def jsonable(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return [jsonable(v) for v in o.tolist()] if o.dtype == object else \
            jsonable_list(o.tolist())
    raise TypeError(type(o))


def jsonable_list(v):
    if isinstance(v, list):
        return [jsonable_list(x) for x in v]
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _sqdist(h):
    h = h.astype(np.float64)
    g = h @ h.T
    n = np.diag(g)
    return n[:, None] + n[None, :] - 2 * g


def knn_loo(h, z, k=10):
    """Leave-one-out k-NN predictions (Euclidean; majority vote, ties to the lowest label)."""
    d = _sqdist(h)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1, kind="stable")[:, :k]
    m = int(z.max()) + 1
    votes = np.zeros((len(z), m))
    for j in range(k):
        votes[np.arange(len(z)), z[nn[:, j]]] += 1
    return votes.argmax(1)


def td_curve(hidden, z, k=10):
    """Task decodability per layer: [layers]."""
    return np.array([float(np.mean(knn_loo(hidden[l], z, k) == z)) for l in range(hidden.shape[0])])


def rankdata(a):
    """Average ranks (ties share their mean rank), 1-based."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    ranks = np.empty(len(a))
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return ranks


def pearson(a, b):
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def rsa_curve(hidden, z):
    """Spearman correlation between the correlation-distance RDM of each layer and the
    categorical hypothesis RDM (0 same concept, 1 otherwise), condensed upper triangles."""
    n = len(z)
    iu = np.triu_indices(n, 1)
    hyp = (z[:, None] != z[None, :]).astype(float)[iu]
    hr = rankdata(hyp)
    out = []
    for l in range(hidden.shape[0]):
        x = hidden[l].astype(np.float64)
        x = x - x.mean(1, keepdims=True)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        rdm = (1 - x @ x.T)[iu]
        out.append(pearson(rankdata(rdm), hr))
    return np.array(out)


def ridge_cv(hidden, y, alpha=1.0, folds=5, seed=0):
    """Ridge probe R^2 per layer: features z-scored on the training fold, closed form in the
    dual (n < d), shuffled k-fold; R^2 of the pooled out-of-fold predictions."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    parts = np.array_split(idx, folds)
    out = []
    for l in range(hidden.shape[0]):
        x = hidden[l].astype(np.float64)
        pred = np.empty(len(y))
        for f in range(folds):
            te = parts[f]
            tr = np.concatenate([parts[g] for g in range(folds) if g != f])
            mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-8
            a, b = (x[tr] - mu) / sd, (x[te] - mu) / sd
            ym = y[tr].mean()
            k = a @ a.T
            coef = np.linalg.solve(k + alpha * np.eye(len(tr)), y[tr] - ym)
            pred[te] = b @ (a.T @ coef) + ym
        out.append(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))
    return np.array(out)


def ridge_classifier_split(hidden, labels, alpha=1.0, seed=0):
    """Separability stand-in: a ridge classifier (targets +-1) trained on a random half, accuracy
    on the other half, per layer (the report's separability is the logistic probe)."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(labels))
    tr, te = idx[: len(idx) // 2], idx[len(idx) // 2:]
    y = np.where(labels == 0, 1.0, -1.0)
    out = []
    for l in range(hidden.shape[0]):
        x = hidden[l].astype(np.float64)
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-8
        a, b = (x[tr] - mu) / sd, (x[te] - mu) / sd
        coef = np.linalg.solve(a @ a.T + alpha * np.eye(len(tr)), y[tr] - y[tr].mean())
        p = b @ (a.T @ coef) + y[tr].mean()
        out.append(float(np.mean((p >= 0) == (y[te] > 0))))
    return np.array(out)


def output_alignment(hidden, labels, directions, gain, eps):
    """Logit-lens accuracy per layer over the label tokens: argmax_c E_c . RMSNorm(h)."""
    out = []
    for l in range(hidden.shape[0]):
        h = hidden[l].astype(np.float64)
        n = h / np.sqrt(np.mean(h * h, 1, keepdims=True) + eps) * gain
        out.append(float(np.mean((n @ directions.T).argmax(1) == labels)))
    return np.array(out)


# ---------------------------------------------------------------------------------------------
def bitwise_checks(hidden, hidden_no, concepts, demos, exact, digits, ops):
    ks = sorted(set(demos.tolist()))
    real = concepts < len(ops) - 1          # Null has no correct answer
    acc_k = np.array([exact[(demos == k) & real].mean() for k in ks])
    digit_k = np.array([digits[(demos == k) & real].mean() for k in ks])
    acc_op = {ops[c]: [float(exact[(demos == k) & (concepts == c)].mean()) for k in ks]
              for c in range(len(ops) - 1)}
    td_all = td_curve(hidden, concepts)
    td_k = np.array([td_curve(hidden[:, demos == k], concepts[demos == k]) for k in ks])
    peak = int(np.argmax(td_all))
    # per-class TD at the peak layer within each k (conditions = (operation, k))
    cond_td, cond_acc = [], []
    for k in ks:
        m = demos == k
        pred = knn_loo(hidden[peak][m], concepts[m])
        for c in range(len(ops) - 1):
            sel = concepts[m] == c
            cond_td.append(float(np.mean(pred[sel] == c)))
            cond_acc.append(float(exact[m][sel].mean()))
    r_k = pearson(td_k[:, peak], acc_k)
    r_d = pearson(td_k[:, peak], digit_k)
    r_c = pearson(np.array(cond_td), np.array(cond_acc))
    return {
        "n": int(len(concepts)), "ks": ks, "operations": ops,
        "accuracy_by_k": acc_k, "accuracy_by_operation": acc_op, "digit_accuracy_by_k": digit_k,
        "digit_accuracy_by_operation": {ops[c]: [float(digits[(demos == k) & (concepts == c)].mean())
                                                 for k in ks] for c in range(len(ops) - 1)},
        "td_layers": td_all, "td_peak_layer": peak, "td_by_k": td_k,
        "td_peak_layer_by_k": [int(np.argmax(t)) for t in td_k],
        "td_no_icl": td_curve(hidden_no, concepts),
        "r2_td_accuracy_over_k": r_k ** 2 if np.isfinite(r_k) else None, "r_td_accuracy_over_k": r_k,
        "r2_td_accuracy_over_conditions": r_c ** 2 if np.isfinite(r_c) else None,
        "r_td_accuracy_over_conditions": r_c,
        "r2_td_digit_accuracy_over_k": r_d ** 2 if np.isfinite(r_d) else None,
        "rsa_icl": rsa_curve(hidden[:, demos == max(ks)], concepts[demos == max(ks)]),
    }


def sentiment_checks(hidden, hidden_no, labels, demos, max_k, pred2, pred_full, ids, directions,
                     gain, eps):
    ks = sorted(set(demos.tolist()))
    top = labels[demos == max_k]
    return {
        "n_by_k": [int(np.sum(demos == k)) for k in ks], "ks": ks, "label_token_ids": ids,
        "accuracy_by_k": [float(np.mean(pred2[demos == k] == labels[demos == k])) for k in ks],
        "accuracy_full_vocab_by_k": [float(np.mean(pred_full[demos == k] ==
                                                   np.array(ids)[labels[demos == k]])) for k in ks],
        "label_token_top1_by_k": [float(np.mean(np.isin(pred_full[demos == k], ids))) for k in ks],
        "separability_ridge_icl": ridge_classifier_split(hidden, top),
        "separability_ridge_no_icl": ridge_classifier_split(hidden_no, top),
        "output_alignment_icl": output_alignment(hidden, top, directions, gain, eps),
        "output_alignment_no_icl": output_alignment(hidden_no, top, directions, gain, eps),
    }


def regression_checks(hidden, hidden_no, concepts, slopes, exact):
    return {
        "n": int(len(concepts)), "accuracy": float(exact.mean()),
        "accuracy_by_slope": [float(exact[concepts == c].mean()) for c in sorted(set(concepts))],
        "rsa_icl": rsa_curve(hidden, concepts), "rsa_no_icl": rsa_curve(hidden_no, concepts),
        "ridge_r2_icl": ridge_cv(hidden, slopes), "ridge_r2_no_icl": ridge_cv(hidden_no, slopes),
        "td_icl": td_curve(hidden, concepts), "td_no_icl": td_curve(hidden_no, concepts),
    }


# ---------------------------------------------------------------------------------------------
def attention_ratio(maps, relevant, irrelevant):
    """Attention of the last position on the relevant keys versus the irrelevant ones, per
    (layer, head): per-token means of each set (METRICS.md 5), summed over the prompts before
    the division (a ratio of means: a head that gives one prompt's irrelevant keys almost no
    attention cannot dominate), and the median over prompts of the per-prompt ratios. Prompts
    with an empty set are skipped."""
    rel_m, irr_m, per = [], [], []
    for a, rel, irr in zip(maps, relevant, irrelevant):
        if len(rel) == 0 or len(irr) == 0:
            continue
        row = a[:, :, -1, :].astype(np.float64)                      # [L, H, T]
        rm, im = row[:, :, rel].mean(-1), row[:, :, irr].mean(-1)
        rel_m.append(rm), irr_m.append(im)
        with np.errstate(divide="ignore", invalid="ignore"):
            per.append(rm / im)
    r = np.sum(rel_m, 0) / np.sum(irr_m, 0)
    med = np.median(per, 0)
    best = np.unravel_index(np.argmax(r), r.shape)
    return {"prompts": len(per), "ratio": r, "median_ratio": med,
            "mean_over_heads": r.mean(1), "max_over_heads": r.max(1),
            "median_over_heads": np.median(r, 1),
            "layer_ratio": np.sum(rel_m, 0).sum(1) / np.sum(irr_m, 0).sum(1),
            "best_head": [int(best[0]), int(best[1])], "best_ratio": float(r.max()),
            "fraction_heads_above_1": float(np.mean(r > 1))}


def head_scores(maps, label_pos, label_cls, qlabels, fraction=0.1):
    """PTH (mean attention to the previous token over positions 1..T-1), IH (attention of the
    last position summed over the demonstration label positions), top heads, label attention and
    the majority / recency statistics of the top IH heads."""
    L, H = maps[0].shape[:2]
    pth = np.zeros((L, H))
    ih = np.zeros((L, H))
    for a, lp in zip(maps, label_pos):
        t = a.shape[-1]
        pth += a[:, :, np.arange(1, t), np.arange(0, t - 1)].mean(-1)
        ih += a[:, :, -1, lp].sum(-1)
    pth /= len(maps)
    ih /= len(maps)
    ntop = max(1, int(round(fraction * L * H)))
    top_pth = np.argsort(-pth.ravel(), kind="stable")[:ntop]
    top_ih = np.argsort(-ih.ravel(), kind="stable")[:ntop]
    # label attention of the top IH heads: per prompt, share of the label mass on class 0, and
    # attention by demonstration index
    heads = [divmod(int(i), H) for i in top_ih]
    share_att, share_demo, by_index, on_query_class = [], [], [], []
    for a, lp, lc, q in zip(maps, label_pos, label_cls, qlabels):
        lc = np.asarray(lc)
        m = np.mean([a[l, h, -1, lp] for l, h in heads], axis=0)   # [k]
        share_att.append(m[lc == 0].sum() / m.sum())
        share_demo.append(np.mean(lc == 0))
        by_index.append(m / m.sum())
        on_query_class.append(m[lc == q].sum() / m.sum() if np.any(lc == q) else np.nan)
    by_index = np.array(by_index).mean(0)
    idx = np.arange(1, len(by_index) + 1)
    sa, sd = np.array(share_att), np.array(share_demo)
    # Majority-label bias: the majority class's share of the label attention minus its share of
    # the demonstrations (0 when attention is spread evenly over the label tokens), over the
    # prompts with a unique majority; and the slope of the attention share on the demonstration
    # share (1 = proportional, > 1 = the majority is amplified).
    unique = sd != 0.5
    maj_att = np.where(sd > 0.5, sa, 1 - sa)[unique]
    maj_demo = np.where(sd > 0.5, sd, 1 - sd)[unique]
    return {
        "pth": pth, "ih": ih,
        "top_pth": [list(divmod(int(i), H)) for i in top_pth],
        "top_ih": [list(divmod(int(i), H)) for i in top_ih],
        "top_ih_layers_histogram": np.bincount([l for l, _ in heads], minlength=L),
        "top_pth_layers_histogram": np.bincount([int(i) // H for i in top_pth], minlength=L),
        "majority_excess": float(np.mean(maj_att - maj_demo)) if unique.any() else None,
        "majority_prompts": int(unique.sum()),
        "majority_slope": float(np.polyfit(sd, sa, 1)[0]) if sd.std() > 0 else None,
        "label_mass_by_demo_index": by_index,
        "recency_corr": pearson(idx.astype(float), by_index),
        "mass_on_query_class": float(np.nanmean(on_query_class)),
        "query_class_share_of_demos": float(np.mean(
            [np.mean(np.asarray(lc) == q) for lc, q in zip(label_cls, qlabels)])),
    }


def logit_minus(model, results, maps, label_pos, label_cls, h_last, directions):
    """P4 logit-minus per head at the label positions: for head (l, h) and label position p,
    u = A_{T,p} W_O^h v_p, M = (E_0 - E_1) . (gamma * u) / sqrt(mean(h_L^T ^ 2) + 1e-6). Score of
    a head: mean over prompts of (mean M at class-0 label positions - mean M at class-1 ones)."""
    c = model.config
    w = (directions[0] - directions[1]).astype(np.float64) * model.final_norm
    r = np.zeros((c.layers, c.heads, c.head_dim))
    for l in range(c.layers):
        wo = model.blocks[l]["wo"].astype(np.float64)
        for h in range(c.heads):
            r[l, h] = w @ wo[:, h * c.head_dim:(h + 1) * c.head_dim]
    diff, m0s, m1s = [], [], []
    for res, a, lp, lc, hl in zip(results, maps, label_pos, label_cls, h_last):
        lc = np.asarray(lc)
        if not (np.any(lc == 0) and np.any(lc == 1)):
            continue
        scale = 1.0 / np.sqrt(np.mean(hl.astype(np.float64) ** 2) + 1e-6)
        vm = np.einsum("lhkd,lhd->lhk", res["values"].astype(np.float64), r)   # [L, H, k]
        m = a[:, :, -1, lp] * vm * scale
        m0, m1 = m[:, :, lc == 0].mean(-1), m[:, :, lc == 1].mean(-1)
        m0s.append(m0), m1s.append(m1), diff.append(m0 - m1)
    diff = np.mean(diff, axis=0)
    order = np.argsort(-diff.ravel(), kind="stable")[:10]
    m0, m1 = np.mean(m0s, 0), np.mean(m1s, 0)
    return {
        "score": diff, "prompts": len(m0s),
        "top_heads": [[int(i) // c.heads, int(i) % c.heads, float(diff.ravel()[i]),
                       float(m0.ravel()[i]), float(m1.ravel()[i])] for i in order],
        "top10_share_of_positive": float(np.sort(np.clip(diff.ravel(), 0, None))[::-1][:10].sum()
                                         / max(1e-12, np.clip(diff.ravel(), 0, None).sum())),
        "fraction_heads_positive": float(np.mean(diff > 0)),
    }


def prediction_bias(demo_classes, labels, pred):
    """Majority-label and recency bias of the predictions (P4), over prompts with at least one
    demonstration: how often the prediction is the demonstrations' majority class (prompts with
    a unique majority) or the last demonstration's class, against how often the right answer
    is (the rate an unbiased perfect classifier would show)."""
    maj_pred, maj_true, last_pred, last_true = [], [], [], []
    for d, y, p in zip(demo_classes, labels, pred):
        if not d:
            continue
        counts = np.bincount(d, minlength=2)
        if counts[0] != counts[1]:
            m = int(np.argmax(counts))
            maj_pred.append(p == m)
            maj_true.append(y == m)
        last_pred.append(p == d[-1])
        last_true.append(y == d[-1])
    return {"majority_prompts": len(maj_pred),
            "prediction_is_majority": float(np.mean(maj_pred)),
            "answer_is_majority": float(np.mean(maj_true)),
            "prediction_is_last": float(np.mean(last_pred)),
            "answer_is_last": float(np.mean(last_true))}
