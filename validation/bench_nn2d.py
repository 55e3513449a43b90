#!/usr/bin/python3
"""MobileNetV2 to out_relu (the 7x7x1280 trunk) at 224x224, batch B: synobs' oneDNN backend
(build/validation/bench_nn2d) against PyTorch's torchvision mobilenet_v2(weights=None).features,
eval mode, no_grad, float32, on the same machine and the same thread count.

torchvision is used when importable; Debian 12's python3-torch 1.13 here has no torchvision, so
then the same network is built from torchvision 0.14's definition (models/mobilenetv2.py:
Conv2dNormActivation = conv (no bias) + BN + ReLU6, InvertedResidual, inverted_residual_setting),
which runs the same PyTorch (mkldnn) kernels. Padding differs (PyTorch symmetric 1, Keras
ZeroPadding2D/TF SAME), which does not change the work.

usage: bench_nn2d.py WEIGHTS.h5 [--batch 32] [--iters 5] [--threads 2] [--bench build/validation/bench_nn2d]
"""
import argparse
import os
import subprocess
import time

import torch
from torch import nn


def mobilenet_v2_features():
    try:
        import torchvision
        return torchvision.models.mobilenet_v2(weights=None).features, f"torchvision {torchvision.__version__}"
    except ImportError:
        pass

    def cbr(i, o, k=3, s=1, g=1):
        return nn.Sequential(nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False), nn.BatchNorm2d(o), nn.ReLU6(inplace=True))

    class InvertedResidual(nn.Module):
        def __init__(self, i, o, s, t):
            super().__init__()
            h = i * t
            layers = [] if t == 1 else [cbr(i, h, 1)]
            layers += [cbr(h, h, 3, s, h), nn.Conv2d(h, o, 1, 1, 0, bias=False), nn.BatchNorm2d(o)]
            self.conv = nn.Sequential(*layers)
            self.res = s == 1 and i == o

        def forward(self, x):
            return x + self.conv(x) if self.res else self.conv(x)

    feats, c = [cbr(3, 32, 3, 2)], 32
    for t, o, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]:
        for r in range(n):
            feats.append(InvertedResidual(c, o, s if r == 0 else 1, t))
            c = o
    feats.append(cbr(c, 1280, 1))
    return nn.Sequential(*feats), "torchvision 0.14 mobilenet_v2 definition (torchvision not installed)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bench", default="build/validation/bench_nn2d")
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    out = subprocess.run([a.bench, a.weights, str(a.batch), str(a.iters)], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    print(out)
    torch.set_num_threads(a.threads)
    model, what = mobilenet_v2_features()
    model.eval()
    for fmt in (torch.contiguous_format, torch.channels_last):
        m = model.to(memory_format=fmt)
        x = torch.rand(a.batch, 3, 224, 224).contiguous(memory_format=fmt)
        with torch.no_grad():
            m(x)
            ts = []
            for _ in range(a.iters):
                t = time.perf_counter()
                y = m(x)
                ts.append(time.perf_counter() - t)
        assert tuple(y.shape) == (a.batch, 1280, 7, 7)
        best = min(ts)
        layout = "NCHW" if fmt == torch.contiguous_format else "channels_last"
        print(f"torch {torch.__version__} ({what}) {layout} mobilenet_v2 features batch {a.batch} threads {a.threads} "
              f"s_per_batch_best {best:.4f} s_per_batch_mean {sum(ts) / len(ts):.4f} images_per_s {a.batch / best:.1f}")

if __name__ == "__main__":
    main()
