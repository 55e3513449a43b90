#!/usr/bin/python3
"""Mistakes found before any work, at 1 and 2 ranks, each ending in one line that names the file
and line (or the key) and the problem, with nothing written:

1. campaigns: a mistake in a later stage (global_batch not a multiple of micro_batch, a
   single-frequency model on a 7-channel dataset, a missing init_from model, a stage that does not
   exist, a missing required key, a missing input, a batch that does not divide over the ranks) stops the campaign before
   `generate` writes anything; an input made by an earlier stage counts as present;
2. `stats` on a missing or broken input leaves no output directory and no log;
3. `generate` with a million views per model runs in bounded memory (under 1 GB, where all views at
   once asked for 56 GB), and a grid whose model cannot
   fit in this node's memory is refused before work, in the user's terms;
4. a parameter value of 5,000 or 70,000 characters: refused naming file:line at 1 and 2 ranks; one of
   4,000 works at 2 ranks (rank 1 sees every key);
5. two trainings into one output_dir: the second is refused while the first runs, naming the lock;
   after the first is killed (kill -9) a third starts at once;
6. HDF5's multi-line messages (a directory given as a dataset) print as one line.
Skipped (77) where h5py is missing."""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

from launcher import one_error_line

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
FAILED = []
A = None


def check(ok, what, detail=""):
    print(("PASS: " if ok else "FAIL: ") + what + ("" if ok or not detail else f"\n  {detail}"), flush=True)
    if not ok:
        FAILED.append(what)


def run(ranks, args, cwd, timeout=300):
    cmd = [A.synobs] + args
    if ranks > 1:
        cmd = [A.mpiexec, "-n", str(ranks), "--oversubscribe"] + cmd
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, errors="replace", timeout=timeout)


def expect_error(what, r, fragments, nothing_in=None):
    msg = one_error_line(r.stderr)
    check(r.returncode == 1 and msg is not None, f"{what}: exit 1 and one error line", r.stderr[-1500:])
    for f in fragments:
        check(msg is not None and f in msg, f"{what}: names '{f}'", msg or r.stderr[-800:])
    if nothing_in:
        left = sorted(os.listdir(nothing_in)) if os.path.isdir(nothing_in) else []
        check(not left, f"{what}: nothing written", str(left))
    print(f"  {what}: {msg}", flush=True)


CAMPAIGN = """[campaign]
stages = generate, stats, train, evaluate

[generate]
output = out/rt.h5
models = 4
views = 1
grid = 16

[stats]
input = out/rt.h5
output = out/stats.h5

[train]
dataset = out/rt.h5
stats = out/stats.h5
output_dir = out/train
global_batch = 4
micro_batch = 2
epochs = 1

[evaluate]
model = out/train/model.h5
dataset = out/rt.h5
output = out/evaluate.h5
"""


def campaign(name, change, fragments, ranks):
    d = os.path.join(A.workdir, f"{name}_{ranks}")
    os.makedirs(d)
    text = CAMPAIGN
    for old, new in change:
        assert old in text, old
        text = text.replace(old, new)
    with open(os.path.join(d, "c.par"), "w") as f:
        f.write(text)
    r = run(ranks, ["campaign", "c.par", "--quiet"], d)
    expect_error(f"campaign, {name} ({ranks} rank(s))", r, fragments)
    check(not os.path.exists(os.path.join(d, "out")), f"campaign, {name} ({ranks} rank(s)): generate wrote nothing",
          str(os.listdir(d)))


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--workdir", required=True)
    A = ap.parse_args()
    try:
        import h5py  # noqa: F401
    except ImportError as e:
        print(f"SKIPPED: test_before_work needs h5py for /usr/bin/python3 ({e})")
        return 77
    shutil.rmtree(A.workdir, ignore_errors=True)
    os.makedirs(A.workdir)
    w = A.workdir

    # 1. campaigns
    for ranks in (1, 2):
        campaign("global_batch", [("global_batch = 4", "global_batch = 5")],
                 ["c.par:18:", "global_batch = 5 is not a multiple of micro_batch = 2"], ranks)
        campaign("single_frequency", [("epochs = 1", "epochs = 1\nmodel = single_frequency")],
                 ["c.par:21:", "single_frequency needs one frequency channel", "has 7"], ranks)
        campaign("init_from", [("epochs = 1", "epochs = 1\ninit_from = pretrained/model.h5")],
                 ["c.par:21:", "[train] init_from", "pretrained/model.h5"], ranks)
        campaign("no stage", [("stages = generate, stats, train, evaluate", "stages = generate, stats, trian")],
                 ["c.par:2:", "'trian' is not a stage"], ranks)
        campaign("missing key", [("stats = out/stats.h5\n", "")], ["c.par:14:", "missing required key 'stats' in [train]"],
                 ranks)
        campaign("missing input", [("input = out/rt.h5", "input = out/other.h5")],
                 ["c.par:11:", "[stats] input", "out/other.h5: no such file"], ranks)
    campaign("rank count", [("global_batch = 4", "global_batch = 6")], ["c.par:18:", "do not divide over 2 ranks"], 2)
    # the same campaign, correct, passes every check (inputs made by earlier stages count as present)
    d = os.path.join(w, "campaign_ok")
    os.makedirs(d)
    with open(os.path.join(d, "c.par"), "w") as f:
        f.write(CAMPAIGN)
    r = run(2, ["campaign", "c.par", "--quiet", "--check"], d)
    check(r.returncode == 0 and not os.path.exists(os.path.join(d, "out")),
          "campaign --check: a correct campaign passes every check and runs nothing", r.stderr[-1500:])

    # 2. stats: a missing or broken input leaves no directory and no log
    for ranks in (1, 2):
        out = os.path.join(w, f"stats_out_{ranks}")
        r = run(ranks, ["stats", "/dev/null", "--quiet", "-P", "stats.input=missing.h5", "-P",
                        f"stats.output={out}/s.h5"], w)
        expect_error(f"stats on a missing input ({ranks} rank(s))", r, ["missing.h5: no such file"])
        check(not os.path.exists(out), f"stats on a missing input ({ranks} rank(s)): no output directory")
        junk = os.path.join(w, "junk.h5")
        with open(junk, "w") as f:
            f.write("not hdf5\n")
        r = run(ranks, ["stats", "/dev/null", "--quiet", "-P", f"stats.input={junk}", "-P", f"stats.output={out}/s.h5"], w)
        expect_error(f"stats on a broken input ({ranks} rank(s))", r, ["junk.h5", "cannot open as HDF5"])
        check(not os.path.exists(out), f"stats on a broken input ({ranks} rank(s)): no output directory")

    # 3. generate: a million views in bounded memory; an impossible grid refused before work
    d = os.path.join(w, "views")
    r = subprocess.Popen([A.synobs, "generate", "/dev/null", "--quiet", "-P", "generate.output=g/d.h5", "-P",
                          "generate.models=1", "-P", "generate.views=1000000", "-P", "generate.grid=16"],
                         cwd=w, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    for _ in range(30):  # 3 s of work: the views of one model are written block by block
        time.sleep(0.1)
        try:
            with open(f"/proc/{r.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]) // 1024)
        except FileNotFoundError:
            break
    alive = r.poll() is None
    r.kill()
    r.wait()
    # all views at once, as before, asked for 56 GB at grid 16 (refused on a 24 GB node: the run ended with
    # an allocation error naming a key generate does not have); a block of views is at most 256 MB
    check(alive and peak < 1024, f"generate with views = 1e6 works in bounded memory (resident {peak} MB after 3 s)",
          r.stderr.read()[-800:] if not alive else "")
    del d
    for ranks in (1, 2):
        r = run(ranks, ["generate", "/dev/null", "--quiet", "-P", "generate.output=big/d.h5", "-P", "generate.models=1",
                        "-P", "generate.grid=512"], w)
        expect_error(f"generate at grid 512 ({ranks} rank(s))", r,
                     ["-P generate.grid=512: [generate] grid = 512 (7 channels)", "GB of memory on one rank"])
        check(not os.path.exists(os.path.join(w, "big")), f"generate at grid 512 ({ranks} rank(s)): nothing written")

    # 4. long values: refused naming file:line, or they work at 2 ranks
    for n in (5000, 70000):
        with open(os.path.join(w, "long.par"), "w") as f:
            f.write(f"[stats]\ninput = {'x' * n}\noutput = o.h5\n")
        for ranks in (1, 2):
            r = run(ranks, ["stats", "long.par", "--quiet"], w)
            expect_error(f"a {n}-character value ({ranks} rank(s))", r, ["long.par:2: [stats] input: a value of"])
    os.makedirs(os.path.join(w, "l" * 200, "m" * 200), exist_ok=True)
    long_dir = os.path.join("l" * 200, "m" * 200) + "/" + "n" * 200 + "/" + "o" * 200
    long_out = "/".join([long_dir] * 4) + "/s.h5"  # about 3,200 characters
    with open(os.path.join(w, "long_ok.par"), "w") as f:
        f.write(f"[synth]\noutput = {long_out[:200]}/d.h5\nsamples = 4\ngrid = 4\n\n"
                f"[stats]\ninput = {long_out[:200]}/d.h5\noutput = {long_out}\nchunk_samples = 2\n")
    r = run(2, ["synth", "long_ok.par", "--quiet"], w)
    r2 = run(2, ["stats", "long_ok.par", "--quiet"], w)
    check(r.returncode == 0 and r2.returncode == 0 and os.path.exists(os.path.join(w, long_out)),
          f"a {len(long_out)}-character output path works at 2 ranks", r.stderr[-800:] + r2.stderr[-800:])

    # 5. one training per output directory; a dead holder's lock is gone
    r = run(1, ["synth", "/dev/null", "--quiet", "-P", "synth.output=t/d.h5", "-P", "synth.samples=8", "-P",
                "synth.grid=32", "-P", "synth.channels=1"], w)
    r2 = run(1, ["stats", "/dev/null", "--quiet", "-P", "stats.input=t/d.h5", "-P", "stats.output=t/s.h5"], w)
    check(r.returncode == 0 and r2.returncode == 0, "training data", r.stderr + r2.stderr)
    train = [A.synobs, "train", "/dev/null", "--quiet", "-P", "train.dataset=t/d.h5", "-P", "train.stats=t/s.h5", "-P",
             "train.output_dir=t/run", "-P", "train.model=single_frequency", "-P", "train.global_batch=4", "-P",
             "train.micro_batch=2", "-P", "train.chunk_samples=2", "-P", "train.validate=false", "-P", "train.threads=1",
             "-P", "train.epochs=100000"]
    first = subprocess.Popen(train, cwd=w, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(600):  # the log is opened once the lock is held
        if os.path.exists(os.path.join(w, "t", "run", "train.log.jsonl")) or first.poll() is not None:
            break
        time.sleep(0.1)
    check(first.poll() is None, "the first training runs", "" if first.poll() is None else first.stderr.read()[-800:])
    for ranks in (1, 2):
        r = run(ranks, train[1:], w)
        expect_error(f"a second training into the same output_dir ({ranks} rank(s))", r,
                     ["t/run/train.lock", "in use by another job", f"pid {first.pid}"])
    check(first.poll() is None, "the first training goes on")
    first.send_signal(signal.SIGKILL)
    first.wait()
    third = subprocess.Popen(train, cwd=w, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    check(third.poll() is None, "after kill -9 of the holder, a new training starts (the kernel released the lock)",
          third.stderr.read() if third.poll() is not None else "")
    third.kill()
    third.wait()

    # 6. HDF5's messages carry newlines: still one line
    os.makedirs(os.path.join(w, "a_directory"), exist_ok=True)
    for ranks in (1, 2):
        r = run(ranks, ["stats", "/dev/null", "--quiet", "-P", "stats.input=a_directory", "-P", "stats.output=o/s.h5"], w)
        expect_error(f"a directory as the dataset ({ranks} rank(s))", r, ["a_directory", "Is a directory"])

    print(f"{len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
