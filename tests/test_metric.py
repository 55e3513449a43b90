#!/usr/bin/env python3
"""synobs metric (issue 18) end to end on synthetic cached features: 1 and 2 ranks give
bit-identical weights, Adam moments and loss history; a run killed with SIGKILL and started again
ends bit-identical to an uninterrupted one; a batch that does not divide over the ranks is refused;
the model ranks in `synobs match` with [match] embedding."""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = None


def run(ranks, par, check=True, extra=()):
    cmd = ([ARGS.mpiexec, "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []) + [ARGS.synobs, "metric", par] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} -> {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def write_par(path, out, **kw):
    opts = dict(features="f.h5", catalogue="c.h5", output_dir=out, epochs=2, triplets_per_epoch=300, log_every=1000)
    opts.update(kw)
    with open(path, "w") as f:
        f.write("[metric]\n" + "".join(f"{k} = {v}\n" for k, v in opts.items()))


def model(path):
    with h5py.File(path, "r") as f:
        d = {k: f["params/" + k][...] for k in f["params"]}
        d.update({"hist_" + k: f["history/" + k][...] for k in f["history"]})
        d["step"] = f.attrs["step"]
    return d


def same(a, b, what):
    for k in a:
        if a[k].tobytes() != np.asarray(b[k]).tobytes():
            sys.exit(f"FAIL: {what}: {k} differs (max |diff| {np.max(np.abs(a[k] - b[k]))})")
    print(f"ok: {what}: {len(a)} arrays bit-identical")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--workdir", required=True)
    ARGS = ap.parse_args()
    shutil.rmtree(ARGS.workdir, ignore_errors=True)
    os.makedirs(ARGS.workdir)
    os.chdir(ARGS.workdir)
    gen = [sys.executable, os.path.join(HERE, "..", "validation", "make_synthetic_features.py")]
    subprocess.run(gen + ["--features", "f.h5", "--catalogue", "c.h5", "--snapshots", "200", "--channels", "48"], check=True)

    # 1 and 2 ranks: 2 epochs of 300 triplets (4 full batches and a final one of 44)
    write_par("r1.par", "r1")
    write_par("r2.par", "r2")
    run(1, "r1.par")
    run(2, "r2.par")
    same(model("r1/model.h5"), model("r2/model.h5"), "1 vs 2 ranks, model")
    with h5py.File("r1/checkpoint_00000010.h5") as a, h5py.File("r2/checkpoint_00000010.h5") as b:
        for k in ("exp_avg", "exp_avg_sq"):
            assert a["adam/" + k][...].tobytes() == b["adam/" + k][...].tobytes(), k
    print("ok: 1 vs 2 ranks, Adam moments bit-identical")

    # [match] embedding: the set ranked in the trained embedding, distances as numpy computes them
    with open("m.par", "w") as f:
        f.write("[match]\nfeatures = f.h5\ncatalogue = c.h5\noutput = res.h5\nembedding = r1/model.h5\ndistances = euclidean\n")
    p = subprocess.run([ARGS.synobs, "match", "m.par"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: match with embedding: {p.stderr[-2000:]}")
    m = model("r1/model.h5")
    with h5py.File("f.h5") as f:
        X = f["features/mobilenet_v2/out_relu/gap"][...].astype(np.float64)
        u = f["observation/mobilenet_v2/out_relu/gap"][...].astype(np.float64)
    def emb(x):
        h = np.maximum(0, x @ m["W1"] + m["b1"])
        h = np.maximum(0, h @ m["W2"] + m["b2"])
        return h @ m["W3"] + m["b3"]
    d_ref = np.linalg.norm(emb(X) - emb(u[None]), axis=1)
    with h5py.File("res.h5") as f:
        d = f["mobilenet_v2/out_relu/gap+mlp/euclidean/distance"][...]
        assert "mobilenet_v2/out_relu/gap/euclidean" in f
    err = np.max(np.abs(d - d_ref) / (1e-6 + np.abs(d_ref)))
    assert err < 1e-4, err
    print(f"ok: match ranks in the embedding (max rel. distance difference to numpy {err:.1e})")

    # refusal: 64 does not divide over 3 ranks
    write_par("r3.par", "r3")
    p = run(3, "r3.par", check=False)
    if p.returncode == 0 or "allow_uneven_batch" not in p.stdout + p.stderr:
        sys.exit(f"FAIL: 3 ranks with batch 64 were not refused: {p.returncode}\n{p.stderr[-2000:]}")
    print("ok: batch 64 over 3 ranks refused")

    # SIGKILL and resume: a bigger run so that it can be caught between checkpoints
    subprocess.run(gen + ["--features", "g.h5", "--catalogue", "d.h5", "--snapshots", "400", "--channels", "256"], check=True)
    big = dict(features="g.h5", catalogue="d.h5", epochs=3, triplets_per_epoch=2000, checkpoint_every=3, keep_checkpoints=2)
    write_par("full.par", "full", **big)
    write_par("kill.par", "kill", **big)
    run(1, "full.par")
    killed = False
    for attempt in range(3):
        shutil.rmtree("kill", ignore_errors=True)
        proc = subprocess.Popen([ARGS.synobs, "metric", "kill.par"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while proc.poll() is None and time.time() - t0 < 120:
            if os.path.isdir("kill") and any(n.startswith("checkpoint_") and n.endswith(".h5") and int(n[11:19]) >= 6
                                             for n in os.listdir("kill")):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        proc.wait()
        if proc.returncode == -signal.SIGKILL and not os.path.exists("kill/model.h5"):
            killed = True
            break
    if not killed:
        sys.exit("FAIL: could not kill the run between checkpoints")
    left = sorted(n for n in os.listdir("kill") if n.startswith("checkpoint_"))
    print(f"ok: killed with SIGKILL; left {left}")
    run(1, "kill.par")
    log = open("kill/metric.log.jsonl").read()
    assert '"resumed_from": "kill/checkpoint_' in log, "the second run did not resume"
    same(model("full/model.h5"), model("kill/model.h5"), "killed and resumed vs uninterrupted")
    print("PASS")


if __name__ == "__main__":
    main()
