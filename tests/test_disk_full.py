#!/usr/bin/python3
"""A full disk, at 1 and 2 ranks, for `synth`, `generate` and a training checkpoint: every run ends
with exit status 1 and one line (`synobs: error: FILE: cannot write it: No space left on device ...`),
no signal, nothing partial left (no *.partial, no master, no shard of the failed dataset), and the
checkpoints written before the failure intact (the same bytes).

The disk is a small tmpfs mounted for the test, so it needs root (or CAP_SYS_ADMIN): elsewhere the
test reports itself skipped (77), saying why."""
import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

from launcher import own_lines

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
FAILED = []


def check(ok, what, detail=""):
    print(("PASS: " if ok else "FAIL: ") + what + ("" if ok or not detail else f"\n  {detail}"), flush=True)
    if not ok:
        FAILED.append(what)


def run(a, ranks, args, cwd):
    cmd = [a.synobs] + args + ["--quiet"]
    if ranks > 1:  # one rank runs as a singleton, as a user's `synobs ...` would
        cmd = [a.mpiexec, "-n", str(ranks), "--oversubscribe"] + cmd
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, errors="replace", timeout=600)


def mount(size):
    d = tempfile.mkdtemp(prefix="synobs-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", d], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        return None, r.stderr.strip()
    return d, ""


def umount(d):
    subprocess.run(["umount", d], check=False)
    os.rmdir(d)


def expect_disk_full(what, r, disk, leftovers):
    lines = own_lines(r.stderr)
    msg = lines[0] if lines else ""
    check(r.returncode == 1, f"{what}: exit status 1 (got {r.returncode})", r.stderr[-1500:])
    check(len(lines) == 1 and msg.startswith("synobs: error:"), f"{what}: exactly one line", r.stderr[-1500:])
    check(disk in msg and "No space left on device" in msg, f"{what}: the line names the file and the full disk", msg)
    partial = glob.glob(os.path.join(disk, "**", "*.partial"), recursive=True)
    check(not partial, f"{what}: no *.partial left", str(partial))
    left = [p for p in leftovers if os.path.exists(p)]
    check(not left, f"{what}: nothing of the failed output left", str(left))
    print(f"  {what}: {msg}", flush=True)


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIPPED: the disk-full test mounts a small tmpfs, which needs root")
        return 77
    probe, why = mount("1m")
    if probe is None:
        print(f"SKIPPED: cannot mount a tmpfs here ({why})")
        return 77
    umount(probe)
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)

    for ranks in (1, 2):
        # datasets larger than the disk: 24 samples of grid 16 (about 2.3 MB) on 1 MB
        for stage, args in (("synth", ["-P", "synth.samples=24", "-P", "synth.grid=16"]),
                            ("generate", ["-P", "generate.models=12", "-P", "generate.views=2", "-P", "generate.grid=16"])):
            disk, _ = mount("1m")
            try:
                master = os.path.join(disk, "data", "d.h5")
                r = run(a, ranks, [stage, "/dev/null", "-P", f"{stage}.output={master}"] + args, a.workdir)
                expect_disk_full(f"{stage} at {ranks} rank(s)", r, disk,
                                 [master] + glob.glob(os.path.join(disk, "data", "d.shards", "*.h5")))
            finally:
                umount(disk)

        # training: a checkpoint and the model fit, the next checkpoint does not (single-frequency
        # COEmuNet at G = 32: 100 MB a file, on 256 MB)
        work = os.path.join(a.workdir, f"train{ranks}")
        os.makedirs(work)
        ok = run(a, 1, ["synth", "/dev/null", "-P", "synth.output=d/d.h5", "-P", "synth.samples=16", "-P", "synth.grid=32",
                        "-P", "synth.channels=1"], work)
        ok2 = run(a, 1, ["stats", "/dev/null", "-P", "stats.input=d/d.h5", "-P", "stats.output=d/s.h5"], work)
        check(ok.returncode == 0 and ok2.returncode == 0, f"training data at {ranks} rank(s)", ok.stderr + ok2.stderr)
        disk, _ = mount("256m")
        try:
            out = os.path.join(disk, "run")
            train = ["train", "/dev/null", "-P", "train.dataset=d/d.h5", "-P", "train.stats=d/s.h5", "-P",
                     f"train.output_dir={out}", "-P", "train.model=single_frequency", "-P", "train.global_batch=4", "-P",
                     "train.micro_batch=2", "-P", "train.chunk_samples=4", "-P", "train.checkpoint_every=1", "-P",
                     "train.validate=false", "-P", "train.keep_checkpoints=5", "-P", "train.threads=1"]
            r = run(a, ranks, train + ["-P", "train.max_steps=1"], work)
            first = os.path.join(out, "checkpoint_00000001.h5")
            check(r.returncode == 0 and os.path.exists(first), f"train at {ranks} rank(s): one step and a checkpoint fit",
                  r.stderr[-1500:])
            before = {p: md5(p) for p in (first, os.path.join(out, "model.h5")) if os.path.exists(p)}
            r = run(a, ranks, train + ["-P", "train.max_steps=3"], work)
            expect_disk_full(f"train checkpoint at {ranks} rank(s)", r, disk,
                             [os.path.join(out, "checkpoint_00000002.h5")])
            after = {p: md5(p) if os.path.exists(p) else None for p in before}
            check(before == after and len(before) == 2, f"train at {ranks} rank(s): the earlier checkpoint and model "
                  "are intact (same bytes)", f"{before} -> {after}")
        finally:
            umount(disk)

    print(f"{len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
