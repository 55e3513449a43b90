#!/usr/bin/env python3
"""Benchmark: COEmuNet training samples/s and inference ms/sample, synobs (oneDNN backend) against
the same model in PyTorch (validation/coemunet_golden.py's COEmuNet, its default CPU backends) on
the same machine and thread count, in one run. Prints the ratios (synobs / PyTorch for samples/s,
PyTorch / synobs for inference time: above 1 means synobs is faster).

usage: /usr/bin/python3 validation/bench_coemunet.py --bench build/validation/bench_coemunet \
           [--threads 2] [--cases 32x8,32x32,64x8] [--steps 5] [--repeats 3]
"""
import argparse
import os
import platform
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coemunet_golden as cg  # noqa: E402


def torch_case(grid, batch, steps):
    torch.manual_seed(1)
    m = cg.COEmuNet(grid, 7)
    x, y = torch.randn(batch, 3, grid, grid, grid), torch.rand(batch, 1, 7, grid, grid)
    opt = torch.optim.Adam(m.parameters(), lr=1e-4)
    m.train()
    t = 0.0
    for s in range(-1, steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss, _, _ = cg.loss_torch(m(x), y)
        loss.backward()
        opt.step()
        if s >= 0:
            t += time.perf_counter() - t0
    m.eval()
    ti = 0.0
    with torch.no_grad():
        for s in range(-1, steps):
            t0 = time.perf_counter()
            m(x)
            if s >= 0:
                ti += time.perf_counter() - t0
    return steps * batch / t, 1e3 * ti / (steps * batch)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--cases", default="32x8,32x32")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs of each side, alternating; the best of each is printed (this VM is shared and noisy)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; threads {a.threads}; "
          f"torch {torch.__version__} (mkldnn {torch.backends.mkldnn.is_available()})")
    print(f"{'grid':>4} {'batch':>5} {'synobs train/s':>15} {'torch train/s':>14} {'ratio':>6} "
          f"{'synobs ms/inf':>14} {'torch ms/inf':>13} {'ratio':>6}")
    for case in a.cases.split(","):
        grid, batch = (int(v) for v in case.split("x"))
        s_train = t_train = 0.0
        s_inf = t_inf = float("inf")
        for _ in range(a.repeats):
            out = subprocess.run([a.bench, str(grid), str(batch), str(a.steps)], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            s_train = max(s_train, float(out[out.index("train_samples_per_s") + 1]))
            s_inf = min(s_inf, float(out[out.index("infer_ms_per_sample") + 1]))
            tt, ti = torch_case(grid, batch, a.steps)
            t_train, t_inf = max(t_train, tt), min(t_inf, ti)
        print(f"{grid:>4} {batch:>5} {s_train:>15.2f} {t_train:>14.2f} {s_train / t_train:>6.2f} "
              f"{s_inf:>14.2f} {t_inf:>13.2f} {t_inf / s_inf:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
