#!/usr/bin/python3
"""validation/plot_results.py on synobs's model and evaluation files: every figure is written as a
real PNG, and a missing input ends in a non-zero exit with one line naming the file and the dataset.

Without --model/--evaluate it synthesises both files with h5py in synobs's formats (a decreasing loss
over S=40 steps and E=5 epochs, one epoch without validation; N=50 samples, K=3 panels of G=32 at
F=7 channels with velocities, and a second case at F=1 with validation off throughout). With
--model/--evaluate it runs on those real files instead. The missing-dataset checks run on a copy of
each input with one dataset deleted. Prints PASS/FAIL lines; exit 0 only when all pass. Skipped
(exit 77, saying why) where numpy, h5py or matplotlib are missing.

usage: /usr/bin/python3 tests/test_plots.py --workdir DIR [--model MODEL.h5] [--evaluate EVAL.h5]
"""
import argparse
import os
import shutil
import subprocess
import sys

try:
    import h5py
    import matplotlib  # noqa: F401
    import numpy as np
except ImportError as e:
    print(f"SKIPPED: test_plots needs numpy, h5py and matplotlib ({e})")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "validation", "plot_results.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_PNG_BYTES = 5000
MODEL_PNGS = ["training_history.png"]
EVAL_PNGS = ["maxrel_cdf.png", "metric_histograms.png", "panels.png"]
results = []


def check(what, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}: {what}" + (f" ({detail})" if detail else ""), flush=True)


# ------------------------------------------------------------------------------------ synthesis
def write_model(path, rng, steps=40, epochs=5, nan_epochs=(1,), val_off=False):
    spe = steps // epochs
    s = np.arange(1, steps + 1)
    loss = (0.5 * np.exp(-s / 12.0) + 0.04) * np.exp(rng.normal(0.0, 0.15, steps))
    lr = 1e-3 * 0.5 * (1 + np.cos(np.pi * (s - 1) / steps))
    etrain = loss.reshape(epochs, spe).mean(axis=1)
    e = np.arange(1, epochs + 1)
    val = {"val_loss": etrain * 1.15, "val_maxrel_median": 40.0 * np.exp(-e / 2.5) + 5.0,
           "val_zncc": 1.0 - 0.2 * np.exp(-e / 2.0), "val_ssim": 0.95 - 0.4 * np.exp(-e / 2.0)}
    with h5py.File(path, "w") as f:
        f.attrs["step"] = np.int64(steps)
        f.attrs["epoch"] = np.int64(epochs)
        f.attrs["steps_per_epoch"] = np.int64(spe)
        f.attrs["parameters"] = "train.epochs = 5\ntrain.batch = 8\ntrain.lr = 1e-3\n"
        g = f.create_group("history")
        g["loss"] = loss
        g["mse"] = 0.8 * loss
        g["freq"] = 0.2 * loss
        g["lr"] = lr
        g["epoch_train_loss"] = etrain
        for k, v in val.items():
            v = v.astype(np.float64)
            if val_off:
                v[:] = np.nan
            else:
                v[list(nan_epochs)] = np.nan
            g[k] = v


def line_cube(rng, nf, grid, velocity):
    """A rotating disc seen in a line: a Gaussian profile in velocity, brightest at the centre."""
    x = np.linspace(-1, 1, grid)
    xx, yy = np.meshgrid(x, x, indexing="ij")      # image axes [x][y]
    r2 = xx ** 2 + yy ** 2
    vlos = 3000.0 * xx * np.exp(-r2) * rng.uniform(0.7, 1.3)
    peak = 1e-12 * np.exp(-r2 / 0.3) + 1e-17
    sigma = 1500.0
    return np.stack([peak * np.exp(-0.5 * ((v - vlos) / sigma) ** 2) + 1e-19 for v in velocity])


def maxrel(t, p):
    den = t.max(axis=0)
    return 100.0 * float(np.max(np.abs(p - t) / den))


def write_evaluation(path, rng, nf, n=50, k=3, grid=32, with_velocity=True):
    velocity = np.linspace(-4500.0, 4500.0, nf) if nf > 1 else np.array([0.0])
    mr = np.exp(rng.normal(np.log(12.0), 0.6, n))
    zncc = 1.0 - np.exp(rng.normal(np.log(0.02), 0.8, n))
    ssim = np.clip(0.9 - np.abs(rng.normal(0.0, 0.07, n)), -1, 1)
    order = np.sort(mr)
    psamples = np.sort(rng.choice(n, k, replace=False))
    targets, preds, pmr = [], [], []
    for _ in range(k):
        t = line_cube(rng, nf, grid, velocity)
        p = t * np.exp(rng.normal(0.0, 0.05, t.shape))
        targets.append(t)
        preds.append(p)
        pmr.append(maxrel(t, p))
    with h5py.File(path, "w") as f:
        for name, v in (("median_maxrel", np.median(mr)), ("mean_maxrel", mr.mean()),
                        ("median_zncc", np.median(zncc)), ("mean_zncc", zncc.mean()),
                        ("median_ssim", np.median(ssim)), ("mean_ssim", ssim.mean())):
            f.attrs[name] = np.float64(v)
        for t in (10, 20, 30):
            f.attrs[f"frac_maxrel_below_{t}"] = np.float64(np.mean(mr < t))
        f.attrs["n_samples"] = np.int64(n)
        f["sample"] = np.arange(n, dtype=np.int64)
        f["maxrel"] = mr
        f["zncc"] = zncc
        f["ssim"] = ssim
        f["cdf/maxrel"] = order
        f["cdf/fraction"] = np.arange(1, n + 1, dtype=np.float64) / n
        f["panels/sample"] = psamples.astype(np.int64)
        f["panels/target"] = np.array(targets, dtype=np.float32)
        f["panels/prediction"] = np.array(preds, dtype=np.float32)
        f["panels/maxrel"] = np.array(pmr)
        if with_velocity:
            f["panels/velocity"] = velocity


# ---------------------------------------------------------------------------------------- checks
def run_script(*args):
    return subprocess.run([PYTHON, SCRIPT, *args], capture_output=True, text=True, errors="replace")


def png_ok(path):
    if not os.path.isfile(path):
        return False, "missing"
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != PNG_SIGNATURE:
        return False, "no PNG signature"
    if head[12:16] != b"IHDR":
        return False, "no IHDR chunk"
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if size < MIN_PNG_BYTES:
        return False, f"{size} bytes, under {MIN_PNG_BYTES}"
    return True, f"{w}x{h}, {size} bytes"


def expect_figures(case, out, model, evaluate, *extra):
    args = ["--out", out, *extra]
    if model:
        args += ["--model", model]
    if evaluate:
        args += ["--evaluate", evaluate]
    r = run_script(*args)
    check(f"{case}: exit 0", r.returncode == 0,
          "" if r.returncode == 0 else f"rc {r.returncode}: {r.stderr.strip()[-500:]}")
    expected = (MODEL_PNGS if model else []) + (EVAL_PNGS if evaluate else [])
    printed = [os.path.basename(line) for line in r.stdout.split()]
    check(f"{case}: prints the paths written", sorted(printed) == sorted(expected), f"printed {printed}")
    for name in expected:
        ok, why = png_ok(os.path.join(out, name))
        check(f"{case}: {name}", ok, why)


def expect_missing(case, src, dataset, flag, workdir):
    broken = os.path.join(workdir, f"missing_{dataset.replace('/', '_')}.h5")
    shutil.copyfile(src, broken)
    with h5py.File(broken, "r+") as f:
        del f[dataset]
    out = os.path.join(workdir, "out_missing")
    r = run_script("--out", out, flag, broken)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    check(f"{case}: missing '{dataset}' exits non-zero", r.returncode != 0, f"rc {r.returncode}")
    check(f"{case}: missing '{dataset}' gives one line naming file and dataset",
          len(lines) == 1 and dataset in lines[0] and broken in lines[0], f"stderr {lines}")
    check(f"{case}: missing '{dataset}' writes no figure",
          not os.path.isdir(out) or not os.listdir(out), f"{os.listdir(out) if os.path.isdir(out) else ''}")
    shutil.rmtree(out, ignore_errors=True)
    os.remove(broken)


def expect_missing_file(workdir):
    ghost = os.path.join(workdir, "no_such_eval.h5")
    r = run_script("--out", os.path.join(workdir, "out_ghost"), "--evaluate", ghost)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    check("missing file exits non-zero with one line naming it",
          r.returncode != 0 and len(lines) == 1 and ghost in lines[0], f"rc {r.returncode}, stderr {lines}")
    r = run_script("--out", os.path.join(workdir, "out_none"))
    check("no input at all exits non-zero", r.returncode != 0, f"rc {r.returncode}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--model", help="a real synobs model or checkpoint (HDF5)")
    ap.add_argument("--evaluate", help="a real `synobs evaluate` output (HDF5)")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    if a.model or a.evaluate:
        expect_figures("real files", os.path.join(a.workdir, "real"), a.model, a.evaluate)
        if a.model:
            expect_missing("real model", a.model, "history/val_ssim", "--model", a.workdir)
        if a.evaluate:
            expect_missing("real evaluation", a.evaluate, "panels/target", "--evaluate", a.workdir)
    else:
        rng = np.random.default_rng(20240611)
        model = os.path.join(a.workdir, "model.h5")
        model_off = os.path.join(a.workdir, "model_val_off.h5")
        eval7 = os.path.join(a.workdir, "eval_f7.h5")
        eval1 = os.path.join(a.workdir, "eval_f1.h5")
        write_model(model, rng)
        write_model(model_off, rng, val_off=True)
        write_evaluation(eval7, rng, nf=7)
        write_evaluation(eval1, rng, nf=1, with_velocity=False)
        expect_figures("F=7, one epoch without validation", os.path.join(a.workdir, "f7"), model, eval7)
        expect_figures("F=1, validation off", os.path.join(a.workdir, "f1"), model_off, eval1, "--samples", "2")
        expect_missing("model", model, "history/val_ssim", "--model", a.workdir)
        expect_missing("evaluation", eval7, "panels/target", "--evaluate", a.workdir)
        expect_missing("evaluation", eval7, "cdf/fraction", "--evaluate", a.workdir)
        expect_missing_file(a.workdir)
    bad = results.count(False)
    print(f"{'PASS' if not bad else 'FAIL'}: test_plots, {len(results) - bad} of {len(results)} checks passed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
