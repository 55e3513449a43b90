#!/usr/bin/env python3
"""synobs generate and solve end to end, read back with h5py:
- generate writes the same data at 1 and 2 ranks; no model has views in two splits;
- synobs stats reads what generate wrote;
- synobs solve on one stored sample gives the stored |I| (the pair is consistent);
- solve's bad inputs end in one line naming the file, the place and the problem."""
import argparse, os, shutil, subprocess, sys

try:
    import h5py, numpy as np
except ImportError as e:
    print(f"SKIP: {e} (needs python3-h5py and python3-numpy)")
    sys.exit(77)

ap = argparse.ArgumentParser()
ap.add_argument("--synobs", required=True)
ap.add_argument("--mpiexec", default="mpiexec")
ap.add_argument("--workdir", required=True)
a = ap.parse_args()
a.synobs = os.path.abspath(a.synobs)
shutil.rmtree(a.workdir, ignore_errors=True)
os.makedirs(a.workdir)
os.chdir(a.workdir)
fails = []


def run(np_, *args):
    cmd = [a.mpiexec, "-n", str(np_), "--oversubscribe", a.synobs, *args, "--quiet"]
    return subprocess.run(cmd, capture_output=True, text=True)


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))
    if not ok:
        fails.append(name)


with open("g.par", "w") as f:
    f.write("[generate]\nmodels = 5\nviews = 3\ngrid = 16\nseed = 11\nsplit_validation = 0.3\nsplit_test = 0.3\n")
for np_ in (1, 2):
    r = run(np_, "generate", "g.par", "-P", f"generate.output=g{np_}/d.h5")
    check(f"generate at {np_} rank(s) exits 0", r.returncode == 0, r.stderr)
f1, f2 = h5py.File("g1/d.h5"), h5py.File("g2/d.h5")
for k in ("input", "output", "model_id", "view_id", "split", "view_direction", "dx", "model_parameters"):
    check(f"{k} identical at 1 and 2 ranks", np.array_equal(f1[k][()], f2[k][()]))
check("shapes (15,3,16,16,16) and (15,1,7,16,16)",
      f1["input"].shape == (15, 3, 16, 16, 16) and f1["output"].shape == (15, 1, 7, 16, 16))
mid, split = f1["model_id"][()], f1["split"][()]
check("no model's views in two splits", all(len(set(split[mid == m])) == 1 for m in set(mid)))
check("views of a model are contiguous, model-major", list(mid) == [m for m in range(5) for _ in range(3)])
out = f1["output"][()]
check("images finite and >= 0 (|I|)", np.all(np.isfinite(out)) and out.min() >= 0 and out.max() > 0)

r = run(2, "stats", "/dev/null", "-P", "stats.input=g2/d.h5", "-P", "stats.output=stats.h5", "-P", "stats.chunk_samples=4")
check("stats reads what generate wrote", r.returncode == 0 and os.path.exists("stats.h5"), r.stderr)

# statistics: left alone when current, computed again when the input was written after them
st_args = ["stats", "/dev/null", "-P", "stats.input=g2/d.h5", "-P", "stats.output=stats.h5", "-P", "stats.chunk_samples=4"]
smtime = os.path.getmtime("stats.h5")
r = subprocess.run([a.mpiexec, "-n", "2", "--oversubscribe", a.synobs, *st_args], capture_output=True, text=True)
check("stats again on the same input: nothing to do, file untouched",
      r.returncode == 0 and "nothing to do" in r.stdout and os.path.getmtime("stats.h5") == smtime, r.stdout + r.stderr)
os.utime("g2/d.h5", (smtime + 10, smtime + 10))
r = run(2, *st_args)
check("stats again after the input changed: computed again", r.returncode == 0 and os.path.getmtime("stats.h5") != smtime,
      r.stderr)

# a campaign run again must neither make a finished dataset again nor overwrite one made otherwise
mtime = os.path.getmtime("g1/d.h5")
r = subprocess.run([a.mpiexec, "-n", "2", "--oversubscribe", a.synobs, "generate", "g.par", "-P", "generate.output=g1/d.h5",
                    "-P", "generate.threads=2"], capture_output=True, text=True)
check("generate again, same parameters (other ranks and threads): nothing to do, file untouched",
      r.returncode == 0 and "nothing to do" in r.stdout and os.path.getmtime("g1/d.h5") == mtime, r.stdout + r.stderr)
r = run(2, "generate", "g.par", "-P", "generate.output=g1/d.h5", "-P", "generate.models=6")
lines = [l for l in r.stderr.splitlines() if "error" in l]
check("generate over a dataset made with other parameters: fails naming the file and the difference, file untouched",
      r.returncode != 0 and len(set(lines)) == 1 and "g1/d.h5 exists" in lines[0] and "'models = 5'" in lines[0]
      and os.path.getmtime("g1/d.h5") == mtime, r.stderr)

# solve sample 4 from the stored float32 input and compare with the stored |I|
s = 4
with h5py.File("model.h5", "w") as m:
    x = f1["input"][s].astype(np.float64)
    for c, name in enumerate(("v_z", "T", "n_CO")):
        m[name] = x[c]
    nu0, dv, c = 230.538e9, 300.0, 299792458.0
    m["frequencies"] = nu0 * (1 + (np.arange(7) - 3) * dv / c)
    m.attrs["dx"] = f1["dx"][s]
    m.attrs["v_turb"] = f1["model_parameters"][s][13]
    m.attrs["boundary"] = np.bytes_("zero")
r = run(2, "solve", "/dev/null", "-P", "solve.input=model.h5", "-P", "solve.output=solved.h5")
check("solve exits 0", r.returncode == 0, r.stderr)
if r.returncode == 0:
    I = np.abs(h5py.File("solved.h5")["I"][()]).transpose(2, 0, 1).astype(np.float32)
    want = out[s, 0]
    big = want > 1e-3 * want.max()
    err = np.max(np.abs(I[big] - want[big]) / want[big])
    check(f"solve reproduces the generated image (max rel {err:.1e} <= 1e-6)", err <= 1e-6)


def bad(name, mutate, fragment, extra=()):
    shutil.copy("model.h5", "bad.h5")
    with h5py.File("bad.h5", "a") as m:
        mutate(m)
    for np_ in (1, 2):
        r = run(np_, "solve", "/dev/null", "-P", "solve.input=bad.h5", "-P", "solve.output=bad_out.h5", *extra)
        lines = [l for l in r.stderr.splitlines() if l.startswith("synobs")]  # mpiexec adds its own
        ok = r.returncode != 0 and len(lines) == 1 and fragment in lines[0] and not os.path.exists("bad_out.h5")
        check(f"solve {name} at {np_} rank(s): one line naming '{fragment}'", ok, r.stderr)


bad("missing T", lambda m: m.__delitem__("T"), "bad.h5: group '/' has no dataset 'T'")
def zero_T(m):
    t = m["T"][()]
    t[3, 4, 5] = 0
    m["T"][...] = t
bad("T = 0", zero_T, "cell [3][4][5]: T must be finite and > 0 K")
def wrong_shape(m):
    del m["n_CO"]
    m["n_CO"] = np.ones((16, 16, 8))
bad("wrong shape", wrong_shape, "'/n_CO' has shape (16,16,8)")
bad("no boundary", lambda m: m.attrs.__delitem__("boundary"), "needs the string attribute boundary")
bad("transition out of range", lambda m: None, "transition 99 is not in the LAMDA file", ("-P", "solve.transition=99"))

print(f"{len(fails)} failed")
sys.exit(1 if fails else 0)
