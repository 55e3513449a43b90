#!/usr/bin/env python3
"""The retrieval benchmark of issue 18: how well the -2 sigma analogues of an image recover its
system's parameters, for random subsets (the floor), frozen-CNN distances and the trained triplet
MLP embedding.

One command (from an empty working directory):
    retrieval_benchmark.py --synobs BUILD/synobs --par validation/retrieval_issue18.par --weights W.h5

1. `synobs catalogue` ([catalogue] of the parameter file: systems = random:N) and `synobs features`.
2. Systems are split by id: a fraction --holdout is held out; the searched set is every image of
   the other systems (no snapshot of a query's system is in it).
3. `synobs metric` trains the MLP on the searched systems' training projections (k in 1,3,5,7) only
   (a features file and a stand-in catalogue cut to those systems).
4. Queries: the test projections (k in 2,4,6,8) of the held-out systems. For each query, each
   ranking and each parameter (M1, M2, Mtot, sep, dsize1, t1): the selection z < -2 (ddof 0) over
   the searched test projections, the KDE (Scott, 512 points over [min-3h, max+3h]; dsize zeros
   left out) median and 16/84 percentiles, against the truth. Random: a random subset of the size
   of the frozen euclidean selection.
5. The table: median |log10(estimate/truth)| and the fraction of truths in [p16, p84], per
   parameter and ranking, and whether the ranking beats the random floor; written as markdown.
"""
import argparse
import configparser
import datetime
import os
import platform
import subprocess
import sys
import time

import h5py
import numpy as np
from scipy.stats import gaussian_kde

PARS = ["M1", "M2", "Mtot", "sep", "dsize1", "t1"]
SET = "mobilenet_v2/out_relu/gap"


def sh(cmd):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return time.time() - t


def section(cp, name, extra=None):
    lines = [f"[{name}]"] + [f"{k} = {v}" for k, v in cp[name].items()]
    lines += [f"{k} = {v}" for k, v in (extra or {}).items()]
    return "\n".join(lines) + "\n"


def kde_stats(x, points=512):
    x = np.asarray(x, float)
    if len(x) < 2 or np.std(x, ddof=1) <= 1e-12 * max(np.abs(x).max(), 1e-300):
        return None  # a point mass (one system's snapshots at one time): no KDE, as synobs match
    try:
        k = gaussian_kde(x)
    except np.linalg.LinAlgError:
        return None
    h = k.factor * np.std(x, ddof=1)
    g = np.linspace(x.min() - 3 * h, x.max() + 3 * h, points)
    p = k(g)
    c = np.cumsum(p)
    c /= c[-1]
    return tuple(np.interp(q, c, g) for q in (0.5, 0.16, 0.84))


def select(d):
    z = (d - d.mean()) / d.std()
    return np.nonzero(z < -2)[0] if d.std() > 0 else np.array([], int)


def embed(m, x):
    h = np.maximum(0, x @ m["W1"] + m["b1"])
    h = np.maximum(0, h @ m["W2"] + m["b2"])
    return h @ m["W3"] + m["b3"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--par", required=True)
    ap.add_argument("--weights", required=True, help="MobileNetV2 weights (weights/mobilenet_v2_nsfwjs.h5)")
    ap.add_argument("--holdout", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--out", default="retrieval_issue18.md")
    a = ap.parse_args()
    cp = configparser.ConfigParser(inline_comment_prefixes=("#",))
    cp.optionxform = str
    cp.read(a.par)
    times = {}
    if not os.path.exists("cat.h5"):
        open("c.par", "w").write(section(cp, "catalogue"))
        times["catalogue"] = sh([a.synobs, "catalogue", "c.par"])
    if not os.path.exists("features.h5"):
        open("f.par", "w").write(section(cp, "features", {"weights": a.weights}))
        times["features"] = sh([a.synobs, "features", "f.par"])
    with h5py.File("cat.h5") as c:
        ns, K = c["images"].shape[:2]
        meta = {k: c["meta/" + k][...] for k in c["meta"] if c["meta/" + k].ndim == 1}
    sysid = meta["system_id"].astype(int)
    with h5py.File("features.h5") as f:
        X = f["features/" + SET][...].astype(np.float64)
    rng = np.random.default_rng(a.seed)
    systems = np.unique(sysid)
    held = rng.choice(systems, max(1, int(round(a.holdout * len(systems)))), replace=False)
    snap_held = np.isin(sysid, held)
    img = np.arange(ns * K)
    k1 = img % K + 1
    test_k = (k1 % 2) == 0
    search = np.nonzero(~snap_held[img // K] & test_k)[0]
    queries = np.nonzero(snap_held[img // K] & test_k)[0]
    # the MLP, trained on the searched systems' training projections only
    keep = np.nonzero(~snap_held)[0]
    with h5py.File("features_search.h5", "w") as f:
        rows = (keep[:, None] * K + np.arange(K)[None]).ravel()
        d = f.create_dataset("features/" + SET, data=X[rows].astype(np.float32))
        d.attrs["complete"] = 1.0
    with h5py.File("cat_search.h5", "w") as f:
        f.create_dataset("images", shape=(len(keep), K, 1, 1), dtype="f4")
        for k, v in meta.items():
            f.create_dataset("meta/" + k, data=v[keep])
    open("m.par", "w").write(section(cp, "metric"))
    times["metric"] = sh([a.synobs, "metric", "m.par"])
    with h5py.File(os.path.join(cp["metric"]["output_dir"], "model.h5")) as f:
        m = {k: f["params/" + k][...].astype(np.float64) for k in f["params"]}
    E = embed(m, X)
    truth = {p: meta[p][img // K] for p in PARS}
    rankings = ["random", "frozen euclidean", "frozen cosine", "frozen cityblock", "MLP euclidean"]
    res = {r: {p: [] for p in PARS} for r in rankings}
    nsel = {r: [] for r in rankings}
    Xs, Es = X[search], E[search]
    for q in queries:
        d = {"frozen euclidean": np.linalg.norm(Xs - X[q], axis=1),
             "frozen cosine": 1 - Xs @ X[q] / (np.linalg.norm(Xs, axis=1) * np.linalg.norm(X[q]) + 1e-300),
             "frozen cityblock": np.abs(Xs - X[q]).sum(1),
             "MLP euclidean": np.linalg.norm(Es - E[q], axis=1)}
        sel = {r: select(v) for r, v in d.items()}
        sel["random"] = rng.choice(len(search), len(sel["frozen euclidean"]), replace=False)
        for r in rankings:
            nsel[r].append(len(sel[r]))
            for p in PARS:
                t = truth[p][q]
                v = truth[p][search[sel[r]]]
                if p.startswith("dsize"):
                    v = v[v != 0]
                s = kde_stats(v)
                if s is None or t <= 0 or s[0] <= 0:
                    continue
                res[r][p].append((abs(np.log10(s[0] / t)), s[1] <= t <= s[2]))
    lines = [f"| parameter | ranking | queries with a KDE | median abs log10(est/truth) | fraction of truths in 16-84% | beats random |",
             "|---|---|---|---|---|---|"]
    for p in PARS:
        floor = np.median([e for e, _ in res["random"][p]]) if res["random"][p] else np.nan
        for r in rankings:
            v = res[r][p]
            if not v:
                lines.append(f"| {p} | {r} | 0 | - | - | - |")
                continue
            med = np.median([e for e, _ in v])
            cov = np.mean([c for _, c in v])
            beat = "-" if r == "random" else ("yes" if med < floor else "no")
            lines.append(f"| {p} | {r} | {len(v)} | {med:.3f} | {cov:.2f} | {beat} |")
    sizes = ", ".join(f"{r}: {np.median(nsel[r]):.0f}" for r in rankings)
    report = [f"# Retrieval benchmark (issue 18)", "",
              f"Command: `{' '.join(sys.argv)}`  ", f"Date: {datetime.datetime.now().isoformat(timespec='seconds')}; "
              f"machine: {platform.node()} ({os.cpu_count()} CPUs)  ",
              f"Catalogue: {ns} snapshots x {K} observers of {len(systems)} systems; {len(held)} systems held out; "
              f"{len(search)} searched images (test projections of the other systems), {len(queries)} queries.  ",
              f"Median selection sizes: {sizes}.  ", f"Stage times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()), "",
              *lines, ""]
    open(a.out, "w").write("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
