#!/usr/bin/env python3
"""synobs catalogue and observe end to end (catalogue.md 4-5): the catalogue's data are the same
bytes at 1 and 2 ranks, a finished catalogue is left alone, one made with other parameters is
refused naming the parameter, bad systems end in one line, and observe writes a FITS file that
astropy reads with its truth (metadata and noiseless image)."""
import argparse, os, shutil, subprocess, sys

import h5py
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--synobs", required=True)
ap.add_argument("--mpiexec", required=True)
ap.add_argument("--workdir", required=True)
a = ap.parse_args()
shutil.rmtree(a.workdir, ignore_errors=True)
os.makedirs(a.workdir)
fails = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails.append(what)


def run(np_, stage, par, extra=()):
    cmd = [a.mpiexec, "-n", str(np_), "--oversubscribe", a.synobs, stage, par, *extra]
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", cwd=a.workdir)


def par(name, body):
    p = os.path.join(a.workdir, name)
    open(p, "w").write(body)
    return p


small = """[catalogue]
output = {out}
systems = B1,random:1
cadence = 50000
image_pixels = 12
pixel_au = 60
refine_depth = 6
threads = 1
"""
for n in (1, 2):
    r = run(n, "catalogue", par(f"c{n}.par", small.format(out=f"r{n}/cat.h5")))
    check(r.returncode == 0, f"catalogue at {n} rank(s) exits 0" + ("" if r.returncode == 0 else ": " + r.stderr[-400:]))

def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda k, o: out.__setitem__(k, o[()].tobytes()) if isinstance(o, h5py.Dataset) else None)
        attrs = dict(f["images"].attrs)
    return out, attrs

d1, at1 = datasets(os.path.join(a.workdir, "r1/cat.h5"))
d2, at2 = datasets(os.path.join(a.workdir, "r2/cat.h5"))
check(sorted(d1) == sorted(d2), "same datasets at 1 and 2 ranks")
check(all(d1[k] == d2.get(k) for k in d1), "identical bytes in every dataset at 1 and 2 ranks")
with h5py.File(os.path.join(a.workdir, "r1/cat.h5"), "r") as f:
    img, t1, sid = f["images"][()], f["meta/t1"][()], f["meta/system_id"][()]
    check(img.shape[1:] == (8, 12, 12) and img.dtype == np.float32, f"images (N, 8, 12, 12) float32: {img.shape}")
    check(np.all(np.isfinite(img)) and img.max() > 0, "images finite and positive somewhere")
    check(f["images"].attrs["units"] in (b"Jy/pixel", "Jy/pixel"), "units Jy/pixel")
    m1 = f["meta/M1"][()][sid == 0]
    check(abs(m1[-1] - 1.07) < 1e-9, f"B1's last snapshot has the final mass 1.07 Msun: {m1[-1]!r}")
    check(np.all(np.diff(t1[sid == 0]) > 0), "snapshots in time order")
    s1, s2 = f["los/star1_px"][()], f["los/star2_px"][()]
    ex = f["los/los_exact"][()] == 1
    check(np.all(s1[..., 0] < s2[..., 0]), "the primary above the secondary in every image")
    sep = np.abs(s2[..., 0] - s1[..., 0]) * 60.0
    check(np.allclose(sep[ex], 143.0, rtol=1e-9), "projected separation 143 AU where los_exact")

r = run(1, "catalogue", par("c1.par", small.format(out="r1/cat.h5")))
check(r.returncode == 0 and "nothing to do" in r.stdout + r.stderr, "a finished catalogue is left alone")
r = run(1, "catalogue", par("c1b.par", small.format(out="r1/cat.h5").replace("cadence = 50000", "cadence = 40000")))
lines = [l for l in r.stderr.splitlines() if l.strip()]
check(r.returncode != 0 and any("cadence" in l for l in lines), "other parameters refused naming the parameter: " + (lines[-1] if lines else ""))
r = run(2, "catalogue", par("bad.par", small.format(out="bad/cat.h5").replace("B1,random:1", "B7")))
lines = [l for l in r.stderr.splitlines() if "error" in l.lower()]
check(r.returncode != 0 and len(lines) == 1 and "bad.par" in lines[0] and "B7" in lines[0], "unknown preset: one line naming file and line: " + (lines[0] if lines else r.stderr[-200:]))
check(not os.path.exists(os.path.join(a.workdir, "bad")) or not os.listdir(os.path.join(a.workdir, "bad")), "nothing written for a refused run")

r = run(2, "catalogue", par("far.par", small.format(out="far/cat.h5").replace("B1,random:1", "B1") + "projected_separation_au = 5000\n"))
lines = [l for l in r.stderr.splitlines() if "error" in l.lower()]
check(r.returncode != 0 and len(lines) == 1 and "far.par:9" in lines[0] and "unreachable" in lines[0],
      "unreachable separation: one line naming file and line: " + (lines[0] if lines else r.stderr[-200:]))

obs = par("o.par", """[observe]
catalogue = r1/cat.h5
output = obs/obs.fits
system = random:7
noise = 1e-6
""")
r = run(1, "observe", obs)
check(r.returncode == 0, "observe exits 0" + ("" if r.returncode == 0 else ": " + r.stderr[-300:]))
try:
    from astropy.io import fits
    with fits.open(os.path.join(a.workdir, "obs/obs.fits")) as h:
        data, hd = h[0].data, h[0].header
        truth = h["TRUTH"].data
        ti = h["TRUTH_IMAGE"].data
        check(data.shape == (12, 12) and hd["BUNIT"] == "Jy/pixel" and hd["CTYPE1"] == "RA---SIN", "FITS image and header")
        check(abs(hd["DISTANCE"] - 230) < 1e-9 and "RESTFRQ" in hd, "DISTANCE and RESTFRQ")
        resid = (data - ti).ravel()
        check(abs(resid.std() - 1e-6) < 4e-7, f"noise of the requested sigma: {resid.std():.3e}")
        check(truth["M1"][0] > 0 and truth["sep"][0] > 0 and truth.columns["M1"].unit == "Msun", "TRUTH table with units")
except ImportError:
    print("skip astropy checks: python3-astropy is not installed")
# an external layout-A catalogue (analogues.md 2.4) converted, with the unit map of the parameter file
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_layout_a.py")
ext = """[catalogue]
output = {out}
external = {glob}
external_mass_unit = 3000
external_accretion_unit = 3.15576e7
"""
subprocess.run([sys.executable, src, "--out", os.path.join(a.workdir, "lay"), "--n", "5", "--size", "16"], check=True)
for n in (1, 2):
    r = run(n, "catalogue", par(f"e{n}.par", ext.format(out=f"e{n}/cat.h5", glob="lay/snap_*.h5")))
    check(r.returncode == 0, f"layout-A conversion at {n} rank(s)" + ("" if r.returncode == 0 else ": " + r.stderr[-300:]))
with h5py.File(os.path.join(a.workdir, "e1/cat.h5"), "r") as f, h5py.File(os.path.join(a.workdir, "lay/snap_00003.h5"), "r") as g:
    check(f["images"].shape == (5, 8, 16, 16), f"converted images (5, 8, 16, 16): {f['images'].shape}")
    same = all(np.array_equal(f["images"][3, k], g[f"intensity_projection_{k + 1}"][()].astype(np.float32)) for k in range(8))
    check(same, "file 3's projections 1..8 in images[3, 0..7], bit for bit")
    check(abs(f["meta/M1"][3] - 3000 * float(g["mass"][()])) < 1e-12 * f["meta/M1"][3], "mass x the unit map (3000 Msun per code unit)")
    check(abs(f["meta/Mdot1"][3] - 3.15576e7 * float(g["accretion_rate"][()])) < 1e-9 * f["meta/Mdot1"][3], "accretion rate x 3.15576e7")
d1, _ = datasets(os.path.join(a.workdir, "e1/cat.h5"))
d2, _ = datasets(os.path.join(a.workdir, "e2/cat.h5"))
check(all(d1[k] == d2.get(k) for k in d1), "conversion: identical bytes at 1 and 2 ranks")
subprocess.run([sys.executable, src, "--out", os.path.join(a.workdir, "laybad"), "--n", "4", "--size", "16", "--missing-projection", "5"], check=True)
r = run(2, "catalogue", par("eb.par", ext.format(out="eb/cat.h5", glob="laybad/snap_*.h5")))
lines = [l for l in r.stderr.splitlines() if "error" in l.lower()]
check(r.returncode != 0 and len(lines) == 1 and "intensity_projection_5" in lines[0] and "snap_00003.h5" in lines[0],
      "missing projection: one line naming the file and the dataset: " + (lines[0] if lines else r.stderr[-300:]))
left = [os.path.join(dp, x) for dp, _, fs in os.walk(os.path.join(a.workdir, "eb")) for x in fs] if os.path.exists(os.path.join(a.workdir, "eb")) else []
check(not left, f"nothing left of the failed conversion: {left}")

print(f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
