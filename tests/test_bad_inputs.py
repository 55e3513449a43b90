#!/usr/bin/python3
"""Corrupted or mis-shaped inputs to `synobs stats`: each ends in one error line naming the file
and the problem, a non-zero exit at 1 and 2 ranks, and no statistics file (not even *.partial).
Skipped (exit 77) where numpy or h5py are missing."""
import argparse
import glob
import os
import shutil
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"SKIP: test_bad_inputs needs numpy and h5py for /usr/bin/python3 ({e})")
    sys.exit(77)

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what} {detail}")


def stats(args, ranks, data, out, *extra):
    cmd = [args.mpiexec, "-n", str(ranks), "--oversubscribe", args.synobs, "stats", "/dev/null", "--quiet",
           "-P", f"stats.input={data}", "-P", f"stats.output={out}", "-P", "stats.chunk_samples=2", *extra]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, errors="replace")


def expect_error(args, what, data, fragments, *extra):
    for ranks in (1, 2):
        out = os.path.join(args.workdir, "stats.h5")
        for p in glob.glob(out + "*"):
            os.remove(p)
        r = stats(args, ranks, data, out, *extra)
        lines = [l for l in r.stderr.splitlines() if l.startswith("synobs: error")]
        check(f"{what} ({ranks} ranks): non-zero exit", r.returncode != 0, r.stderr)
        check(f"{what} ({ranks} ranks): exactly one error line", len(lines) == 1, r.stderr)
        msg = lines[0] if lines else ""
        for frag in fragments:
            check(f"{what} ({ranks} ranks): message names '{frag}'", frag in msg, msg)
        check(f"{what} ({ranks} ranks): no statistics file", not os.path.exists(out) and not os.path.exists(out + ".partial"))
        log = out + ".log.jsonl"
        check(f"{what} ({ranks} ranks): the run log records the error",
              not os.path.exists(log) or '"event": "error"' in open(log).read().splitlines()[-1])
        print(f"  {what} ({ranks} ranks): {msg}")


def reference_file(path, n=4, g=8, f=3, input_shape=None):
    rng = np.random.default_rng(1)
    x = np.exp(rng.normal(3, 1, input_shape or (n, 3, g, g, g))).astype(np.float32)
    y = np.exp(rng.normal(-30, 1, (n, 1, f, g, g))).astype(np.float32)
    with h5py.File(path, "w") as h:
        h["input"] = x
        h["output"] = y
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    w = args.workdir

    # 1. one flipped byte inside a shard's chunk: Fletcher32 catches it, the shard is named
    master = os.path.join(w, "ds", "data.h5")
    subprocess.run([args.mpiexec, "-n", "2", "--oversubscribe", args.synobs, "synth", "/dev/null", "--quiet",
                    "-P", f"synth.output={master}", "-P", "synth.samples=6", "-P", "synth.grid=8"], env=ENV, check=True)
    ok = stats(args, 2, master, os.path.join(w, "good.h5"))
    check("clean dataset reads", ok.returncode == 0, ok.stderr)
    shard = os.path.join(w, "ds", "data.shards", "rank_00001.h5")
    with h5py.File(shard, "r") as h:
        info = h["input"].id.get_chunk_info(2)
    with open(shard, "r+b") as fh:
        fh.seek(info.byte_offset + 123)
        b = fh.read(1)
        fh.seek(info.byte_offset + 123)
        fh.write(bytes([b[0] ^ 0x10]))
    expect_error(args, "flipped byte", master, ["rank_00001.h5", "checksum error", "data.h5"])

    # 2. a dataset of the wrong shape
    bad = os.path.join(w, "shape.h5")
    reference_file(bad, input_shape=(4, 2, 8, 8, 8))
    expect_error(args, "wrong shape", bad, ["shape.h5", "dataset 'input' has shape (4,2,8,8,8), expected (N,3,G,G,G)"])

    # 2b. chunks too large for the per-chunk 32-bit key counters (grid 128: at most 2047 samples)
    big = os.path.join(w, "g128.h5")
    reference_file(big, n=1, g=128, f=1)
    expect_error(args, "chunk too large", big, ["[stats] chunk_samples = 4096", "use at most 2047"],
                 "-P", "stats.chunk_samples=4096")
    os.remove(big)

    # 3. NaN in T: named by file, sample and quantity; 'skip' counts it instead
    nan = os.path.join(w, "nan.h5")
    x, y = reference_file(nan)
    with h5py.File(nan, "r+") as h:
        d = h["input"][...]
        d[3, 1, 2, 5, 7] = np.nan
        h["input"][...] = d
    expect_error(args, "NaN", nan, ["nan.h5", "sample 3", "quantity T", "nan at cell (2, 5, 7)", "nonfinite = skip"])
    r = stats(args, 2, nan, os.path.join(w, "skip.h5"), "-P", "stats.nonfinite=skip")
    check("nonfinite = skip succeeds", r.returncode == 0, r.stderr)
    if r.returncode == 0:
        with h5py.File(os.path.join(w, "skip.h5"), "r") as h:
            check("skip counts the NaN", h["T"].attrs["skipped"] == 1 and h["T"].attrs["count"] == x[:, 1].size - 1)
            t = np.delete(x[:, 1].ravel(), 3 * 512 + 2 * 64 + 5 * 8 + 7).astype(np.float64)
            check("skip leaves it out of the mean", abs(h["T"].attrs["mean"] - t.mean()) <= 1e-12 * t.mean())

    # 4. non-positive temperature has no logarithm
    zero = os.path.join(w, "zero.h5")
    reference_file(zero)
    with h5py.File(zero, "r+") as h:
        d = h["input"][...]
        d[1, 1, 0, 0, 1] = 0.0
        h["input"][...] = d
    expect_error(args, "zero T", zero, ["zero.h5", "sample 1", "quantity T", "not positive"])

    # 5. not HDF5, missing datasets, mismatched grids, nothing matching
    junk = os.path.join(w, "junk.h5")
    with open(junk, "w") as fh:
        fh.write("not hdf5\n")
    expect_error(args, "not HDF5", junk, ["junk.h5", "cannot open as HDF5"])
    empty = os.path.join(w, "empty.h5")
    with h5py.File(empty, "w") as h:
        h["something"] = np.zeros(3)
    expect_error(args, "no datasets", empty, ["empty.h5", "no 'input' and 'output' datasets"])
    a, b = os.path.join(w, "mix_1.h5"), os.path.join(w, "mix_2.h5")
    reference_file(a, g=8)
    reference_file(b, g=4)
    expect_error(args, "mixed grids", os.path.join(w, "mix_*.h5"), ["mix_2.h5", "grid 4", "grid 8"])
    expect_error(args, "no match", os.path.join(w, "none_*.h5"), ["none_*.h5", "no such file"])

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
