#!/usr/bin/python3
"""synobs stats against numpy, on the same files, at several rank counts.

Writes two datasets: (a) three files in the COEmuNet reference layout written by h5py here
(contiguous float32, `input` (N,3,G,G,G), `output` (N,1,F,G,G)), with ties and exact zeros,
named so that natural order differs from lexical order; (b) a synobs `synth` master file with
its shards (written at 2 ranks). For each and each rank count, runs `synobs stats` and checks
every figure of every quantity against numpy (float64):
  count, min, max, exact median (lower middle)    exactly
  mean, variance (ddof 0)                          relative 1e-12 (numpy) and 1e-12 against math.fsum
  median of chunk medians                          exactly (chunks of chunk_samples global samples)
and that all rank counts give bitwise the same file contents.
Exit 0 when everything holds; prints every figure.
"""
import argparse
import math
import os
import subprocess
import sys

import h5py
import numpy as np

NAMES = ["v_z", "T", "n_CO", "I", "log_T", "log_n_CO", "log_I"]


def write_reference_files(d, rng, grid=12, nfreq=7, counts=(7, 5, 6)):
    paths = []
    for i, n in zip((1, 2, 10), counts):
        p = os.path.join(d, f"train_{i}.hdf5")
        x = np.empty((n, 3, grid, grid, grid), np.float32)
        x[:, 0] = rng.normal(7.0, 6400.0, x[:, 0].shape)
        x[:, 1] = np.exp(rng.normal(4.0, 1.0, x[:, 1].shape))
        x[:, 2] = np.exp(rng.normal(20.0, 3.0, x[:, 2].shape))
        x[:, 1, :, :, :4] = np.round(x[:, 1, :, :, :4], 0)       # ties
        x[:, 0, :2] = 250.0                                       # many ties on v_z
        y = np.exp(rng.normal(-30.0, 3.0, (n, 1, nfreq, grid, grid))).astype(np.float32)
        y[:, :, :, :3, :] = 0.0                                   # exact zeros, replaced before the log
        with h5py.File(p, "w") as f:
            f["input"] = x
            f["output"] = y
        paths.append(p)
    return paths


def load_all(paths_in_order):
    xs, ys = [], []
    for p in paths_in_order:
        with h5py.File(p, "r") as f:
            xs.append(f["input"][...])
            ys.append(f["output"][...])
    return np.concatenate(xs), np.concatenate(ys)


def lower_median(a):
    a = np.sort(a, kind="stable")
    return a[(a.size - 1) // 2]


def reference(x, y, chunk):
    """numpy statistics of every quantity, per the issue's definitions."""
    n = x.shape[0]
    pos = np.where(y > 0, y, np.inf).reshape(n, -1).min(axis=1)
    yplus = np.where(y == 0, pos.reshape(n, 1, 1, 1, 1).astype(np.float32), y)
    base = {"v_z": x[:, 0], "T": x[:, 1], "n_CO": x[:, 2], "I": y,
            "log_T": x[:, 1], "log_n_CO": x[:, 2], "log_I": yplus}
    out = {}
    for name in NAMES:
        b = base[name]
        vals = b.reshape(-1).astype(np.float64)
        lg = name.startswith("log_")
        v = np.log(vals) if lg else vals
        meds = [lower_median(b[c:c + chunk].reshape(-1)) for c in range(0, n, chunk)]
        mom = lower_median(np.array(meds, np.float32))
        f = (lambda t: math.log(float(t))) if lg else float
        out[name] = dict(count=v.size, mean=np.mean(v), variance=np.var(v), min=f(vals.min()), max=f(vals.max()),
                         median=f(lower_median(b.reshape(-1))), median_of_medians=f(mom),
                         mean_fsum=math.fsum(v) / v.size)
    return out


def run_stats(args, ranks, data, out, chunk):
    cmd = [args.mpiexec, "-n", str(ranks), "--oversubscribe", args.synobs, "stats", "/dev/null",
           "-P", f"stats.input={data}", "-P", f"stats.output={out}", "-P", f"stats.chunk_samples={chunk}", "--quiet"]
    # the stats section lives in no file here: an empty parameter file plus -P overrides
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        raise SystemExit(f"FAIL: {' '.join(cmd)} exited {r.returncode}")
    got = {}
    with h5py.File(out, "r") as f:
        for name in NAMES:
            got[name] = {k: f[name].attrs[k] for k in f[name].attrs}
    return got


def compare(tag, got, ref, rtol):
    fails = 0
    for name in NAMES:
        g, r = got[name], ref[name]
        checks = [("count", int(g["count"]) == r["count"], g["count"], r["count"], 0.0)]
        for k in ("min", "max", "median", "median_of_medians"):
            checks.append((k, float(g[k]) == r[k], g[k], r[k], 0.0))
        for k, refk in (("mean", "mean"), ("variance", "variance"), ("mean", "mean_fsum")):
            e = abs(float(g[k]) - r[refk]) / abs(r[refk]) if r[refk] != 0 else abs(float(g[k]))
            checks.append((f"{k} vs {'numpy' if refk != 'mean_fsum' else 'fsum'}", e <= rtol, g[k], r[refk], e))
        for k, ok, a, b, e in checks:
            print(f"  {tag:28s} {name:9s} {k:18s} synobs {float(a): .17g}  reference {float(b): .17g}  rel.err {e:.2e}  {'ok' if ok else 'FAIL'}")
            fails += not ok
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--rtol", type=float, default=1e-12)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = np.random.default_rng(20261122)
    fails = 0

    paths = write_reference_files(args.workdir, rng)
    x, y = load_all(paths)          # train_1, train_2, train_10: natural order
    datasets = [("reference layout (3 files)", os.path.join(args.workdir, "train_*.hdf5"), x, y, 4)]

    master = os.path.join(args.workdir, "synth", "data.h5")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    subprocess.run([args.mpiexec, "-n", "2", "--oversubscribe", args.synobs, "synth", "/dev/null", "-P",
                    f"synth.output={master}", "-P", "synth.samples=23", "-P", "synth.grid=16", "--quiet"],
                   env=env, check=True)
    sx, sy = load_all([master])     # h5py reads the VDS master
    datasets.append(("synobs master (VDS, 2 shards)", master, sx, sy, 5))

    for label, spec, xx, yy, chunk in datasets:
        ref = reference(xx, yy, chunk)
        results = []
        for nr in [int(r) for r in args.ranks.split(",")]:
            out = os.path.join(args.workdir, f"stats_{len(results)}_{nr}.h5")
            got = run_stats(args, nr, spec, out, chunk)
            fails += compare(f"{label}, {nr} rank(s)", got, ref, args.rtol)
            results.append((nr, got))
        for nr, got in results[1:]:
            same = all(float(got[q][k]) == float(results[0][1][q][k]) for q in NAMES for k in got[q])
            print(f"  {label}: {nr} ranks bitwise equal to {results[0][0]} rank(s): {'ok' if same else 'FAIL'}")
            fails += not same
    print(f"stats_vs_numpy: {'PASS' if fails == 0 else 'FAIL'} ({fails} failed figure(s))")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
