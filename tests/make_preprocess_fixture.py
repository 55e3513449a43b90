#!/usr/bin/env python3
"""Fixtures for tests/test_preprocess2d.c (spec analogues.md §3): Pillow's BICUBIC resize of mode-F
images and numpy's intensity stretch, written as raw little-endian arrays plus a manifest.

  resize.txt   one line per case: name H W h w  (input (H, W) float32 -> output (h, w) float32)
               files rs_<name>.in.f32 and rs_<name>.out.f32 (row-major)
  stretch.txt  one line per case: name kind n floor  (kind 0 = log_minmax, 1 = linear_minmax)
               files st_<name>.in.f32 (float32) and st_<name>.out.f64 (float64, numpy's result)

The oracle is Image.fromarray(a.astype(np.float32), mode='F').resize((w, h), Image.BICUBIC).
"""
import argparse
import os
import sys

import numpy as np

try:
    from PIL import Image
except ImportError as e:  # the C test checks for PIL first and skips; this is a second guard
    print(f"PIL unavailable: {e}", file=sys.stderr)
    sys.exit(77)

BICUBIC = getattr(Image, "Resampling", Image).BICUBIC


def smooth(rng, H, W):
    """A few Gaussian blobs on a faint gradient: positive, wide dynamic range."""
    r, c = np.mgrid[0:H, 0:W].astype(np.float64)
    img = 1e-3 * (1 + r / H + c / W)
    for _ in range(4):
        r0, c0 = rng.uniform(0, H), rng.uniform(0, W)
        s = rng.uniform(0.05, 0.3) * max(H, W)
        img += rng.uniform(0.2, 5.0) * np.exp(-((r - r0) ** 2 + (c - c0) ** 2) / (2 * s * s))
    return img.astype(np.float32)


def random(rng, H, W):
    """Independent values in a wide range, signs included, so rounding is exercised."""
    return (rng.standard_normal((H, W)) * np.exp(rng.uniform(-3, 3, (H, W)))).astype(np.float32)


def log_minmax(x, floor):
    x = x.astype(np.float64)
    mx = x.max()
    pos = x[x > 0]
    if mx <= 0 or pos.size == 0:
        return np.zeros_like(x)
    lo = max(pos.min(), floor * mx)
    if not mx > lo:
        return np.zeros_like(x)
    out = np.zeros_like(x)
    m = x > lo
    out[m] = np.log10(x[m] / lo) / np.log10(mx / lo)
    return out


def linear_minmax(x):
    x = x.astype(np.float64)
    r = x.max() - x.min()
    return (x - x.min()) / r if r > 0 else np.zeros_like(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20240517)

    shapes = [((800, 800), (224, 224)), ((100, 130), (224, 224)), ((130, 100), (224, 224)),
              ((300, 200), (224, 224)), ((200, 300), (224, 224)), ((224, 224), (224, 224)),
              ((50, 50), (224, 224)), ((224, 300), (224, 224)), ((300, 224), (224, 224)),
              ((37, 501), (224, 224)), ((224, 224), (97, 313))]
    with open(os.path.join(args.out, "resize.txt"), "w") as man:
        for (H, W), (h, w) in shapes:
            for kind, gen in (("random", random), ("smooth", smooth)):
                name = f"{kind}_{H}x{W}_to_{h}x{w}"
                a = gen(rng, H, W)
                b = np.asarray(Image.fromarray(a, mode="F").resize((w, h), BICUBIC), dtype=np.float32)
                assert b.shape == (h, w)
                a.astype("<f4").tofile(os.path.join(args.out, f"rs_{name}.in.f32"))
                b.astype("<f4").tofile(os.path.join(args.out, f"rs_{name}.out.f32"))
                man.write(f"{name} {H} {W} {h} {w}\n")

    cases = []
    x = smooth(rng, 120, 90)
    cases.append(("log_smooth", 0, 1e-6, x))
    y = random(rng, 64, 64)  # negatives and zeros: mapped to 0
    y[::7, ::5] = 0
    cases.append(("log_signed", 0, 1e-6, y))
    z = np.exp(rng.uniform(-40, 0, (50, 70))).astype(np.float32)  # floor·I_max bites
    cases.append(("log_floor", 0, 1e-6, z))
    cases.append(("log_floor_1e-3", 0, 1e-3, z))
    cases.append(("linear_signed", 1, 1e-6, y))
    cases.append(("log_constant", 0, 1e-6, np.full((10, 10), 3.5, np.float32)))
    cases.append(("linear_constant", 1, 1e-6, np.full((10, 10), -2.0, np.float32)))
    cases.append(("log_nonpositive", 0, 1e-6, -np.abs(y)))
    with open(os.path.join(args.out, "stretch.txt"), "w") as man:
        for name, kind, floor, a in cases:
            a = a.astype(np.float32)
            ref = log_minmax(a, floor) if kind == 0 else linear_minmax(a)
            a.ravel().astype("<f4").tofile(os.path.join(args.out, f"st_{name}.in.f32"))
            ref.ravel().astype("<f8").tofile(os.path.join(args.out, f"st_{name}.out.f64"))
            man.write(f"{name} {kind} {a.size} {floor!r}\n")


if __name__ == "__main__":
    main()
