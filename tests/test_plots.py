#!/usr/bin/python3
"""validation/plot_results.py on synobs's model and evaluation files, and validation/plot_catalogue.py
on its catalogue and observation files: every figure is written as a real PNG, and a missing input
ends in a non-zero exit with one line naming the file and the dataset.

Without --model/--evaluate it synthesises both files with h5py in synobs's formats (a decreasing loss
over S=40 steps and E=5 epochs, one epoch without validation; N=50 samples, K=3 panels of G=32 at
F=7 channels with velocities, and a second case at F=1 with validation off throughout). With
--model/--evaluate it runs on those real files instead. The missing-dataset checks run on a copy of
each input with one dataset deleted.

plot_catalogue.py: without --catalogue/--observation it synthesises, with h5py, a continuum catalogue
(N_snap=3 snapshots of two systems, 8 views of 32x32 px, one snapshot with d < p so los_exact = 0, one
star outside the field) and a moment-1 catalogue with NaN (blanked) pixels whose /images is a VDS
master over two shard files, and, with astropy, a 32x32 observation FITS with the TRUTH_IMAGE and TRUTH
extensions (skipped, saying why, where astropy is missing). It runs `views`, `history` and
`observation` on them, and checks that a snapshot index out of range, an unknown system, a log
stretch of a moment-1 map and a FITS without DISTANCE each exit non-zero with one line (no traceback)
naming the file. With --catalogue/--observation it runs on those real files instead.

plot_match.py: always on synthesised files in `synobs catalogue`'s and `synobs match`'s layouts (a
catalogue of N_snap=6 snapshots x K=8 observers of 16x16 px, a results file with 2 groups, their -2
sigma selections and 3 parameter estimates, truth on t1 only and `sample_group` on two of them, and,
with astropy, a 16x16 observation FITS with a TRUTH table). It runs `best` (with and without the
observation), `zhist` and `estimates`, and checks that a group not in the file exits non-zero with
one line naming the file and the group.

Prints PASS/FAIL lines; exit 0 only when all pass. Skipped (exit 77, saying why) where numpy, h5py or
matplotlib are missing.

usage: /usr/bin/python3 tests/test_plots.py --workdir DIR [--model MODEL.h5] [--evaluate EVAL.h5]
                                            [--catalogue CATALOGUE.h5] [--observation OBS.fits]
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
CATALOGUE_SCRIPT = os.path.join(HERE, "..", "validation", "plot_catalogue.py")
MATCH_SCRIPT = os.path.join(HERE, "..", "validation", "plot_match.py")
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


# ------------------------------------------------------------------ catalogue and observation
CAT_N, CAT_V, CAT_HW, CAT_AU = 3, 8, 32, 10.0     # snapshots, views, image pixels, AU per pixel
CAT_P = 143.0                                     # target projected separation [AU]
CAT_SYSTEMS = ["B1", "B2"]
CAT_SYSTEM_ID = [0, 0, 1]
META_UNITS = {"t1": "kyr", "t2": "kyr", "M1": "Msun", "M2": "Msun", "Mdot1": "Msun/yr", "Mdot2": "Msun/yr",
              "L1": "Lsun", "L2": "Lsun", "dsize1": "AU", "dsize2": "AU", "Md1": "Msun", "Md2": "Msun",
              "Mgas100": "Msun", "sep": "AU", "phase": "1"}


def catalogue_geometry():
    """(sep, phi, los_exact, projected separation, star1_px, star2_px) of the fixture: the primary
    exactly above the secondary about the image centre; snapshot 2 has d < p (los_exact = 0, p = d);
    in snapshot 1, view 8, the secondary lies below the field."""
    sep = np.array([180.0, 210.0, 120.0])
    phi = np.tile(np.arange(CAT_V) * np.pi / 4, (CAT_N, 1))
    exact = np.ones((CAT_N, CAT_V), dtype=np.int64)
    exact[2] = 0
    proj = np.where(exact == 1, CAT_P, sep[:, None])
    c = 0.5 * (CAT_HW - 1)
    half = 0.5 * proj / CAT_AU
    star1 = np.stack([c - half, np.full_like(half, c)], axis=-1)
    star2 = np.stack([c + half, np.full_like(half, c)], axis=-1)
    star2[1, 7, 0] = CAT_HW + 6.0
    return sep, phi, exact, proj, star1, star2


def catalogue_images(rng, star1, star2, signed):
    """Two Gaussian sources at the stars on a random positive floor (continuum), or a rotation-like
    signed velocity field blanked (NaN) outside a radius and at random pixels (moment 1)."""
    r, c = np.mgrid[0:CAT_HW, 0:CAT_HW].astype(np.float64)
    out = np.empty((CAT_N, CAT_V, CAT_HW, CAT_HW), dtype=np.float32)
    for i in range(CAT_N):
        for k in range(CAT_V):
            (r1, c1), (r2, c2) = star1[i, k], star2[i, k]
            if signed:
                ang = 0.3 * k
                v = 3.0 * ((c - 15.5) * np.cos(ang) + (r - 15.5) * np.sin(ang)) / 8.0
                v = v * np.exp(-((r - 15.5) ** 2 + (c - 15.5) ** 2) / 300.0) + rng.normal(0, 0.1, v.shape)
                v[(r - 15.5) ** 2 + (c - 15.5) ** 2 > 14.0 ** 2] = np.nan
                v[rng.random(v.shape) < 0.05] = np.nan
                out[i, k] = v
            else:
                img = (1e-3 * np.exp(-((r - r1) ** 2 + (c - c1) ** 2) / 3.0)
                       + 4e-4 * np.exp(-((r - r2) ** 2 + (c - c2) ** 2) / 2.0)
                       + 2e-5 * np.exp(-((r - 15.5) ** 2 + (c - 15.5) ** 2) / 80.0))
                out[i, k] = img + rng.uniform(1e-9, 1e-7, img.shape)
    return out


def write_catalogue(path, rng, moment1=False):
    """A catalogue file in `synobs catalogue`'s layout. moment1: signed images with NaN pixels, and
    /images a VDS master over two shard files (path.shard0.h5, path.shard1.h5, relative paths)."""
    sep, phi, exact, proj, star1, star2 = catalogue_geometry()
    images = catalogue_images(rng, star1, star2, signed=moment1)
    t1 = np.array([50.0, 50.1, 80.0])
    m1 = np.array([0.60, 0.61, 1.8])
    with h5py.File(path, "w") as f:
        shape = (CAT_N, CAT_V, CAT_HW, CAT_HW)
        if moment1:
            layout = h5py.VirtualLayout(shape=shape, dtype="f4")
            cuts = [(0, 2), (2, CAT_N)]
            for j, (a, b) in enumerate(cuts):
                spath = f"{path}.shard{j}.h5"
                with h5py.File(spath, "w") as s:
                    s["images"] = images[a:b]
                layout[a:b] = h5py.VirtualSource(os.path.basename(spath), "images", shape=(b - a,) + shape[1:])
            d = f.create_virtual_dataset("images", layout, fillvalue=np.nan)
            d.attrs["units"] = "km/s"
            d.attrs["observable"] = "moment1"
        else:
            d = f.create_dataset("images", data=images, chunks=(1, 1, CAT_HW, CAT_HW))
            d.attrs["units"] = "Jy/pixel"
            d.attrs["observable"] = "continuum"
        d.attrs["pixel_scale_au"] = CAT_AU
        d.attrs["beam_fwhm_au"] = 0.0 if not moment1 else 30.0
        d.attrs["distance_pc"] = 230.0
        meta = {"t1": t1, "t2": t1 - 3.0, "M1": m1, "M2": 0.4 * m1, "Mdot1": np.array([2e-6, 2.1e-6, 8e-7]),
                "Mdot2": np.array([9e-7, 1.2e-6, 5e-7]), "L1": np.array([9.0, 9.5, 11.0]),
                "L2": np.array([1.3, 1.9, 2.0]), "dsize1": np.array([35.0, 36.0, 20.0]),
                "dsize2": np.array([0.0, 12.0, 15.0]), "Md1": 0.1 * m1, "Md2": 0.04 * m1,
                "Mgas100": np.array([0.05, 0.051, 0.02]), "sep": sep, "phase": np.array([0.2, 0.9, 0.5])}
        for k, v in meta.items():
            f[f"meta/{k}"] = v
            f[f"meta/{k}"].attrs["units"] = META_UNITS[k]
        for k in ("J1", "J2", "r1_au", "r2_au"):
            v = rng.normal(size=(CAT_N, 3))
            f[f"meta/{k}"] = v / np.linalg.norm(v, axis=1, keepdims=True) if k[0] == "J" else 50 * v
            f[f"meta/{k}"].attrs["units"] = "1" if k[0] == "J" else "AU"
        f["meta/system_id"] = np.array(CAT_SYSTEM_ID, dtype=np.int64)
        f["meta/snapshot"] = np.array([470, 471, 770], dtype=np.int64)
        for k in ("system_id", "snapshot"):
            f[f"meta/{k}"].attrs["units"] = "1"
        f.create_dataset("systems/names", data=CAT_SYSTEMS, dtype=h5py.string_dtype())
        if not moment1:  # the moment-1 file stands for one without profiles (a converted layout-A catalogue)
            edges = np.geomspace(5.0, 500.0, 51)
            f["meta/shell_edges_au"] = edges
            r = np.sqrt(edges[:-1] * edges[1:])
            for i in (1, 2):
                f[f"meta/vprof{i}"] = -np.sqrt(1800.0 / r) * np.ones((CAT_N, 1))
                f[f"meta/Lprof{i}"] = np.sqrt(900.0 * r)[None, :, None] * f[f"meta/J{i}"][()][:, None, :]
                f[f"meta/vprof{i}"].attrs["units"] = "km/s"
                f[f"meta/Lprof{i}"].attrs["units"] = "AU km/s"
        n = rng.normal(size=(CAT_N, CAT_V, 3))
        f["los/n"] = n / np.linalg.norm(n, axis=-1, keepdims=True)
        f["los/u"] = f["los/n"][()][..., ::-1]
        f["los/phi"] = phi
        f["los/los_exact"] = exact
        f["los/projected_separation_au"] = proj
        f["los/star1_px"] = star1
        f["los/star2_px"] = star2


def write_observation(path, rng, distance=230.0):
    """A 32x32 `synobs observe` file: primary HDU the noisy image (Jy/beam), TRUTH_IMAGE the noiseless
    one, TRUTH a one-row table of the true metadata with TUNIT units."""
    from astropy.io import fits
    r, c = np.mgrid[0:CAT_HW, 0:CAT_HW].astype(np.float64)
    truth = (2e-3 * np.exp(-((r - 8.5) ** 2 + (c - 15.5) ** 2) / 6.0)
             + 8e-4 * np.exp(-((r - 22.5) ** 2 + (c - 15.5) ** 2) / 5.0))
    noise = 5e-5
    obs = truth + rng.normal(0.0, noise, truth.shape)
    deg = CAT_AU / distance / 3600.0          # 10 AU per pixel at 230 pc, in degrees
    hdu = fits.PrimaryHDU(obs[::-1].astype(np.float32))   # FITS stores the bottom row first
    h = hdu.header
    h["CTYPE1"], h["CTYPE2"] = "RA---SIN", "DEC--SIN"
    h["CRPIX1"], h["CRPIX2"] = 16.5, 16.5
    h["CRVAL1"], h["CRVAL2"] = 52.2937, 31.2254
    h["CDELT1"], h["CDELT2"] = -deg, deg
    h["BUNIT"] = "Jy/beam"
    h["BMAJ"], h["BMIN"], h["BPA"] = 3.0 * deg, 2.0 * deg, 30.0
    h["RESTFRQ"] = 2.3e11
    h["DISTANCE"] = distance
    h["OBJECT"] = "B1 synthetic"
    h["NOISE"] = noise
    timg = fits.ImageHDU(truth[::-1].astype(np.float32), name="TRUTH_IMAGE")
    cols = [fits.Column(name=k, format="D", unit=u, array=[v]) for k, u, v in (
        ("t1", "kyr", 50.05), ("t2", "kyr", 47.05), ("M1", "Msun", 0.605), ("M2", "Msun", 0.242),
        ("Mdot1", "Msun/yr", 2.05e-6), ("Mdot2", "Msun/yr", 1.0e-6), ("L1", "Lsun", 9.2), ("L2", "Lsun", 1.6),
        ("dsize1", "AU", 35.5), ("dsize2", "AU", 6.0), ("Md1", "Msun", 0.06), ("Md2", "Msun", 0.024),
        ("Mgas100", "Msun", 0.0505), ("sep", "AU", 195.0), ("phase", "", 0.55), ("phi", "rad", np.pi / 2))]
    cols.append(fits.Column(name="J1", format="3D", unit="", array=np.array([[0.1, 0.2, 0.97]])))
    cols.append(fits.Column(name="system", format="K", array=np.array([0], dtype=np.int64)))
    cols.append(fits.Column(name="observer", format="K", array=np.array([3], dtype=np.int64)))
    ttab = fits.BinTableHDU.from_columns(cols, name="TRUTH")
    fits.HDUList([hdu, timg, ttab]).writeto(path, overwrite=True)


def run_catalogue(*args, cwd=None, script=CATALOGUE_SCRIPT):
    return subprocess.run([PYTHON, script, *args], capture_output=True, text=True,
                          errors="replace", cwd=cwd)


def expect_png(case, args, out, cwd=None, script=CATALOGUE_SCRIPT):
    """Run plot_catalogue.py (or `script`); it exits 0, prints the path `out` and writes a non-empty
    PNG there."""
    r = run_catalogue(*args, cwd=cwd, script=script)
    check(f"{case}: exit 0", r.returncode == 0,
          "" if r.returncode == 0 else f"rc {r.returncode}: {r.stderr.strip()[-600:]}")
    printed = r.stdout.split()
    where = os.path.join(cwd, out) if cwd else out
    check(f"{case}: prints the path written", printed == [out], f"printed {printed}")
    ok, why = png_ok(where)
    check(f"{case}: {os.path.basename(out)}", ok, why)


def expect_one_line_error(case, args, must_contain, out=None, script=CATALOGUE_SCRIPT):
    r = run_catalogue(*args, script=script)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    check(f"{case}: exits non-zero", r.returncode != 0, f"rc {r.returncode}")
    check(f"{case}: one line naming {', '.join(repr(m) for m in must_contain)}, no traceback",
          len(lines) == 1 and all(m in lines[0] for m in must_contain) and "Traceback" not in r.stderr,
          f"stderr {lines[-3:]}")
    if out is not None:
        check(f"{case}: writes no figure", not os.path.exists(out))


def catalogue_checks(workdir, catalogue=None, observation=None):
    out = os.path.join(workdir, "catalogue_png")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rng = np.random.default_rng(20240612)
    if catalogue is None and observation is None:
        cont = os.path.join(workdir, "catalogue_continuum.h5")
        mom1 = os.path.join(workdir, "catalogue_moment1.h5")
        write_catalogue(cont, rng)
        write_catalogue(mom1, rng, moment1=True)
        expect_png("views, continuum, log", ["views", cont, "--snapshot", "1", "--out",
                                             os.path.join(out, "views_continuum_1.png")],
                   os.path.join(out, "views_continuum_1.png"))
        expect_png("views, continuum, linear, d < p", ["views", cont, "--snapshot", "2", "--stretch", "linear",
                                                       "--out", os.path.join(out, "views_continuum_2_linear.png")],
                   os.path.join(out, "views_continuum_2_linear.png"))
        # run from another folder: the VDS shards are found relative to the master file
        expect_png("views, moment 1 with NaN, VDS master", ["views", mom1, "--snapshot", "0", "--out",
                                                            os.path.join(out, "views_moment1_0.png")],
                   os.path.join(out, "views_moment1_0.png"), cwd=HERE)
        expect_png("history by name", ["history", cont, "--system", "B1", "--out",
                                       os.path.join(out, "history_B1.png")], os.path.join(out, "history_B1.png"))
        expect_png("history by id, default --out", ["history", cont, "--system", "1"], "history_B2.png", cwd=out)
        expect_png("profiles", ["profiles", cont, "--snapshot", "2", "--out", os.path.join(out, "profiles_2.png")],
                   os.path.join(out, "profiles_2.png"))
        bad = os.path.join(out, "views_bad.png")
        expect_one_line_error("profiles, snapshot out of range", ["profiles", cont, "--snapshot", "3", "--out", bad],
                              [cont, "snapshot 3"], bad)
        expect_one_line_error("profiles of a file without them", ["profiles", mom1, "--snapshot", "0", "--out", bad],
                              [mom1, "meta/shell_edges_au"], bad)
        expect_one_line_error("views, snapshot out of range", ["views", cont, "--snapshot", "5", "--out", bad],
                              [cont, "snapshot 5"], bad)
        expect_one_line_error("views, negative snapshot", ["views", cont, "--snapshot", "-1", "--out", bad],
                              [cont, "snapshot -1"], bad)
        expect_one_line_error("views, log stretch of a moment-1 map",
                              ["views", mom1, "--snapshot", "0", "--stretch", "log", "--out", bad], [mom1, "log"], bad)
        expect_one_line_error("history, unknown system", ["history", cont, "--system", "B9", "--out", bad],
                              [cont, "B9"], bad)
        expect_one_line_error("views, missing file", ["views", cont + ".nope", "--snapshot", "0", "--out", bad],
                              [cont + ".nope"], bad)
        try:
            import astropy  # noqa: F401
        except ImportError as e:
            print(f"SKIPPED: the observation checks of plot_catalogue.py need astropy ({e})", flush=True)
            return
        from astropy.io import fits
        obs = os.path.join(workdir, "observation.fits")
        write_observation(obs, rng)
        expect_png("observation with --catalogue", ["observation", obs, "--catalogue", cont, "--out",
                                                    os.path.join(out, "observation.png")],
                   os.path.join(out, "observation.png"))
        expect_png("observation, linear, no catalogue", ["observation", obs, "--stretch", "linear", "--out",
                                                         os.path.join(out, "observation_linear.png")],
                   os.path.join(out, "observation_linear.png"))
        nodist = os.path.join(workdir, "observation_no_distance.fits")
        with fits.open(obs) as h:
            del h[0].header["DISTANCE"]
            h.writeto(nodist, overwrite=True)
        expect_one_line_error("observation without DISTANCE", ["observation", nodist, "--out", bad],
                              [nodist, "DISTANCE"], bad)
        return
    if catalogue:
        with h5py.File(catalogue, "r") as f:
            n = f["images"].shape[0]
            sid = int(f["meta/system_id"][0])
        expect_png("real catalogue: views", ["views", catalogue, "--snapshot", "0", "--out",
                                             os.path.join(out, "views_0.png")], os.path.join(out, "views_0.png"))
        expect_png("real catalogue: history", ["history", catalogue, "--system", str(sid), "--out",
                                               os.path.join(out, "history.png")], os.path.join(out, "history.png"))
        expect_png("real catalogue: profiles", ["profiles", catalogue, "--snapshot", "0", "--out",
                                                os.path.join(out, "profiles_0.png")], os.path.join(out, "profiles_0.png"))
        bad = os.path.join(out, "views_bad.png")
        expect_one_line_error("real catalogue: snapshot out of range",
                              ["views", catalogue, "--snapshot", str(n), "--out", bad],
                              [catalogue, f"snapshot {n}"], bad)
    if observation:
        args = ["observation", observation, "--out", os.path.join(out, "observation.png")]
        expect_png("real observation", args + (["--catalogue", catalogue] if catalogue else []),
                   os.path.join(out, "observation.png"))


# --------------------------------------------------------------------- matching (plot_match.py)
M_SNAP, M_K, M_HW, M_AU = 6, 8, 16, 20.0          # snapshots, observers, image pixels, AU per pixel
M_GROUPS = ["/mobilenet_v2/block_16_project/gap/euclidean", "/mobilenet_v2/block_16_project/gap/cosine"]
M_PARAMS = ["t1", "M1", "dsize1"]                 # truth known for t1 only
M_TRUTH = {"t1": 51.0, "M1": 0.63, "M2": 0.25, "Mtot": 0.88, "sep": 190.0, "dsize1": 30.0}


def write_match_catalogue(path, rng):
    """`synobs catalogue`'s layout at N_snap = 6, K = 8, 16x16: two Gaussian stars on a floor, the
    pair's orientation turning with the observer; dsize1 = 0 in two snapshots."""
    r, c = np.mgrid[0:M_HW, 0:M_HW].astype(np.float64)
    images = np.empty((M_SNAP, M_K, M_HW, M_HW), dtype=np.float32)
    for s in range(M_SNAP):
        for k in range(M_K):
            a = k * np.pi / 4 + 0.3 * s
            dr, dc = 3.5 * np.sin(a), 3.5 * np.cos(a)
            images[s, k] = (1e-3 * np.exp(-((r - 7.5 - dr) ** 2 + (c - 7.5 - dc) ** 2) / 2.5)
                            + (2 + s) * 1e-4 * np.exp(-((r - 7.5 + dr) ** 2 + (c - 7.5 + dc) ** 2) / 2.0)
                            + rng.uniform(1e-9, 1e-7, (M_HW, M_HW)))
    t1 = np.array([30.0, 40.0, 50.0, 52.0, 60.0, 75.0])
    m1 = np.array([0.45, 0.52, 0.60, 0.62, 0.70, 0.85])
    m2 = 0.4 * m1
    meta = {"t1": (t1, "kyr"), "M1": (m1, "Msun"), "M2": (m2, "Msun"), "Mtot": (m1 + m2, "Msun"),
            "sep": (np.array([240.0, 220.0, 200.0, 195.0, 180.0, 150.0]), "AU"),
            "dsize1": (np.array([0.0, 22.0, 31.0, 0.0, 35.0, 40.0]), "AU")}
    with h5py.File(path, "w") as f:
        d = f.create_dataset("images", data=images)
        d.attrs["units"] = "Jy/pixel"
        d.attrs["pixel_scale_au"] = M_AU
        d.attrs["observable"] = "continuum"
        for k, (v, u) in meta.items():
            f[f"meta/{k}"] = v
            f[f"meta/{k}"].attrs["units"] = u
        f["meta/system_id"] = np.array([0, 0, 0, 1, 1, 1], dtype=np.int64)
        f["meta/snapshot"] = np.array([300, 400, 500, 520, 600, 750], dtype=np.int64)
        f["systems/names"] = np.array([b"B1", b"B2"], dtype="S8")       # fixed-length strings
        f["los/phi"] = np.tile(np.arange(M_K) * np.pi / 4, (M_SNAP, 1))
    return images, meta


def scott_kde(x, points=128):
    """spec 7: Gaussian KDE, Scott's h = n^(-1/5) * std(ddof=1), on [min - 3h, max + 3h]; (grid, pdf,
    mode, median, p16, p84), or None when n < 2 or std = 0."""
    if x.size < 2 or np.std(x, ddof=1) == 0:
        return None
    h = x.size ** -0.2 * np.std(x, ddof=1)
    g = np.linspace(x.min() - 3 * h, x.max() + 3 * h, points)
    p = np.exp(-0.5 * ((g[:, None] - x[None, :]) / h) ** 2).sum(axis=1) / (x.size * h * np.sqrt(2 * np.pi))
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(g))])
    cdf /= cdf[-1]
    q = [float(np.interp(v, cdf, g)) for v in (0.5, 0.16, 0.84)]
    return g, p, float(g[np.argmax(p)]), q[0], q[1], q[2]


def write_match_results(path, rng, meta, catalogue, observation):
    """`synobs match`'s results layout: per group distance, order (stable), selected (z < -2 in rank
    order), z and mean/std/threshold/select_sigma; /estimate/<p> with kde_x, kde_y, sample and the
    summaries, truth on t1 only (NaN elsewhere); sample_group and the root `groups` for t1 and M1
    (dsize1 without, to draw the unstacked histogram)."""
    n = M_SNAP * M_K
    snap_of = np.arange(n) // M_K
    pooled, pooled_group = [], []
    with h5py.File(path, "w") as f:
        f.attrs["features"] = "features.h5"
        f.attrs["catalogue"] = catalogue
        f.attrs["observation"] = observation
        f.attrs["distances"] = "euclidean,cosine"
        f.attrs["parameters"] = ",".join(M_PARAMS)
        f.attrs["groups"] = ",".join(M_GROUPS)
        for j, gp in enumerate(M_GROUPS):
            d = rng.gamma(6.0, 1.0, n) + 5.0
            near = rng.choice(np.flatnonzero((snap_of >= 1) & (snap_of <= 4)), 6 + j, replace=False)
            d[near] = rng.uniform(0.2, 1.5, near.size)       # a tail of close analogues
            if gp.endswith("cosine"):
                d = d / d.max()
            order = np.argsort(d, kind="stable")
            mu, sd = d.mean(), d.std()
            z = (d - mu) / sd
            selected = order[z[order] < -2.0]
            g = f.create_group(gp)
            g["distance"] = d
            g["order"] = order.astype(np.int64)
            g["selected"] = selected.astype(np.int64)
            g["z"] = z
            g.attrs["mean"], g.attrs["std"] = mu, sd
            g.attrs["threshold"] = mu - 2.0 * sd
            g.attrs["select_sigma"] = 2.0
            pooled.append(selected)
            pooled_group.append(np.full(selected.size, j, dtype=np.int64))
        sel = np.concatenate(pooled)
        sgroup = np.concatenate(pooled_group)
        for p in M_PARAMS:
            x = meta[p][0][snap_of[sel]]
            zero_fraction = float(np.mean(x == 0)) if x.size else 0.0
            kx = x[x != 0] if p.startswith("dsize") else x
            k = scott_kde(kx)
            e = f.create_group(f"estimate/{p}")
            e["sample"] = x
            if p != "dsize1":
                e["sample_group"] = sgroup
            e["kde_x"] = k[0] if k else np.zeros(0)
            e["kde_y"] = k[1] if k else np.zeros(0)
            for name, v in zip(("mode", "median", "p16", "p84"), k[2:] if k else [np.nan] * 4):
                e.attrs[name] = v
            e.attrs["n"] = np.int64(x.size)
            e.attrs["zero_fraction"] = zero_fraction
            e.attrs["units"] = meta[p][1]
            e.attrs["truth"] = M_TRUTH[p] if p == "t1" else np.nan
    return sel.size


def write_match_observation(path, rng):
    """A 16x16 observation: primary HDU the image stored bottom row first, TRUTH a one-row table."""
    from astropy.io import fits
    r, c = np.mgrid[0:M_HW, 0:M_HW].astype(np.float64)
    img = (1e-3 * np.exp(-((r - 4.5) ** 2 + (c - 7.5) ** 2) / 2.5)
           + 4e-4 * np.exp(-((r - 10.5) ** 2 + (c - 7.5) ** 2) / 2.0) + rng.normal(0, 1e-5, (M_HW, M_HW)))
    hdu = fits.PrimaryHDU(img[::-1].astype(np.float32))
    deg = M_AU / 230.0 / 3600.0
    hdu.header["CDELT1"], hdu.header["CDELT2"] = -deg, deg
    hdu.header["DISTANCE"] = 230.0
    hdu.header["BUNIT"] = "Jy/pixel"
    hdu.header["NOISE"] = 1e-5
    units_of = {"t1": "kyr", "M1": "Msun", "M2": "Msun", "Mtot": "Msun", "sep": "AU", "dsize1": "AU"}
    cols = [fits.Column(name=k, format="D", unit=units_of[k], array=[v]) for k, v in M_TRUTH.items()]
    fits.HDUList([hdu, fits.BinTableHDU.from_columns(cols, name="TRUTH")]).writeto(path, overwrite=True)


def match_checks(workdir):
    out = os.path.join(workdir, "match_png")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rng = np.random.default_rng(20240613)
    cat = os.path.join(workdir, "match_catalogue.h5")
    res = os.path.join(workdir, "match_results.h5")
    _, meta = write_match_catalogue(cat, rng)
    try:
        import astropy  # noqa: F401
        obs = os.path.join(workdir, "match_observation.fits")
        write_match_observation(obs, rng)
    except ImportError as e:
        print(f"SKIPPED: the --observation check of plot_match.py needs astropy ({e})", flush=True)
        obs = None
    nsel = write_match_results(res, rng, meta, cat, obs or "")
    check("match fixture: the pooled -2 sigma selection is not empty", nsel > 0, f"{nsel} selected")
    m = dict(script=MATCH_SCRIPT)
    if obs:
        expect_png("match best, with the observation, default group",
                   ["best", res, "--catalogue", cat, "--observation", obs, "--out", os.path.join(out, "best.png")],
                   os.path.join(out, "best.png"), **m)
    expect_png("match best, second group, n 5, no observation",
               ["best", res, "--catalogue", cat, "--group", M_GROUPS[1], "--n", "5", "--out",
                os.path.join(out, "best_cosine.png")], os.path.join(out, "best_cosine.png"), **m)
    expect_png("match zhist", ["zhist", res, "--out", os.path.join(out, "zhist.png")],
               os.path.join(out, "zhist.png"), **m)
    expect_png("match estimates", ["estimates", res, "--out", os.path.join(out, "estimates.png")],
               os.path.join(out, "estimates.png"), **m)
    bad = os.path.join(out, "best_bad.png")
    ghost = "/mobilenet_v2/block_16_project/gap/nosuch"
    expect_one_line_error("match best, a group not in the file",
                          ["best", res, "--catalogue", cat, "--group", ghost, "--out", bad], [res, ghost], bad, **m)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--model", help="a real synobs model or checkpoint (HDF5)")
    ap.add_argument("--evaluate", help="a real `synobs evaluate` output (HDF5)")
    ap.add_argument("--catalogue", help="a real `synobs catalogue` output (HDF5)")
    ap.add_argument("--observation", help="a real `synobs observe` output (FITS)")
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
    catalogue_checks(a.workdir, a.catalogue, a.observation)
    match_checks(a.workdir)
    bad = results.count(False)
    print(f"{'PASS' if not bad else 'FAIL'}: test_plots, {len(results) - bad} of {len(results)} checks passed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
