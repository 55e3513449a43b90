#!/usr/bin/python3
"""Golden data for the 2-D reference ops (src/nn/ops2d_ref.c) from an independent implementation.

PyTorch 1.13 (torch.nn.functional), computed in float64, in PyTorch's NCHW / OIHW conventions:
the Keras layouts (NHWC activations, HWIO kernels, [in, out] dense) are converted here, and
asymmetric or TF-SAME padding is an explicit F.pad. Average pooling excludes padded cells
(count_include_pad=False where the padding is symmetric; a padded ones-mask divides otherwise).

Writes `case<k>` groups (inputs x0.., weights w, b, BN gamma/beta/mean/var, output y, all
float32 except y in float64) with attributes `op` and `p` (int parameters, see PARAMS) and the
root attributes `ncases`, `format_version`, `torch_version`. Without torch it prints why and
exits 0 without writing (the C test then skips that part).

Usage: make_nn2d_fixture.py OUT.h5
"""
import sys

PARAMS = "n h w c kh kw sh sw top bottom left right groups cout act"  # attribute p, in this order

try:
    import numpy as np
    import h5py
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"make_nn2d_fixture: {e}: no fixture written (the C test skips the torch comparison)")
    sys.exit(0)

ACT = {"none": 0, "relu": 1, "relu6": 2}


def act(y, a):
    if a == "relu":
        return F.relu(y)
    if a == "relu6":
        return torch.clamp(y, 0.0, 6.0)
    return y


def same(n_in, k, s):
    out = -(-n_in // s)
    t = max((out - 1) * s + k - n_in, 0)
    return t // 2, t - t // 2


def nchw(x):  # NHWC numpy -> NCHW torch float64
    return torch.from_numpy(x.astype(np.float64)).permute(0, 3, 1, 2)


def nhwc(y):
    return y.permute(0, 2, 3, 1).contiguous().numpy()


def main(out):
    rng = np.random.default_rng(20260417)
    cases = []

    def conv(n, h, w, c, kh, kw, sh, sw, pad, groups, cout, a, bias=True, bn=False):
        top, bottom, left, right = pad
        x = rng.standard_normal((n, h, w, c)).astype(np.float32)
        wt = (rng.standard_normal((kh, kw, c // groups, cout)) / np.sqrt(kh * kw * c / groups)).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32) if bias else None
        xt = F.pad(nchw(x), (left, right, top, bottom))
        wtt = torch.from_numpy(wt.astype(np.float64)).permute(3, 2, 0, 1)
        y = F.conv2d(xt, wtt, None if b is None else torch.from_numpy(b.astype(np.float64)), stride=(sh, sw), groups=groups)
        d = {"x0": x, "w": wt}
        if b is not None:
            d["b"] = b
        if bn:
            g = rng.uniform(0.5, 1.5, cout).astype(np.float32)
            be = (0.1 * rng.standard_normal(cout)).astype(np.float32)
            mu = (0.1 * rng.standard_normal(cout)).astype(np.float32)
            var = rng.uniform(0.5, 1.5, cout).astype(np.float32)
            t = lambda v: torch.from_numpy(v.astype(np.float64))
            y = F.batch_norm(y, t(mu), t(var), t(g), t(be), training=False, eps=1e-3)
            d.update(gamma=g, beta=be, mean=mu, var=var)
        d["y"] = nhwc(act(y, a))
        p = [n, h, w, c, kh, kw, sh, sw, top, bottom, left, right, groups, cout, ACT[a]]
        cases.append(("conv_bn" if bn else "conv", p, d))

    def same4(h, w, kh, kw, sh, sw):
        return same(h, kh, sh) + same(w, kw, sw)

    conv(2, 9, 7, 5, 3, 3, 1, 1, same4(9, 7, 3, 3, 1, 1), 1, 6, "relu6")
    conv(2, 8, 10, 4, 3, 3, 2, 2, same4(8, 10, 3, 3, 2, 2), 1, 5, "none")        # TF SAME, odd pixel bottom/right
    conv(1, 11, 9, 3, 3, 3, 2, 2, same4(11, 9, 3, 3, 2, 2), 1, 8, "relu")        # odd sizes, stride 2
    conv(2, 9, 8, 12, 3, 3, 2, 2, (0, 1, 0, 1), 12, 12, "relu6", bias=False)    # depthwise after ZeroPadding2D
    conv(1, 7, 6, 4, 3, 3, 1, 1, same4(7, 6, 3, 3, 1, 1), 4, 8, "none")           # depthwise, multiplier 2
    conv(2, 10, 11, 8, 3, 5, 1, 2, (2, 0, 1, 3), 2, 6, "relu")                     # groups 2, asymmetric
    conv(2, 5, 6, 16, 1, 1, 1, 1, (0, 0, 0, 0), 1, 24, "none", bias=False)        # 1x1
    conv(1, 13, 12, 3, 5, 5, 3, 3, (0, 0, 0, 0), 1, 7, "relu6")                    # valid, stride 3
    conv(2, 9, 9, 6, 3, 3, 2, 2, same4(9, 9, 3, 3, 2, 2), 1, 10, "relu6", bias=False, bn=True)
    conv(2, 8, 7, 6, 3, 3, 1, 1, same4(8, 7, 3, 3, 1, 1), 6, 6, "none", bias=False, bn=True)

    def pool(kind, n, h, w, c, kh, kw, sh, sw, pad):
        top, bottom, left, right = pad
        x = rng.standard_normal((n, h, w, c)).astype(np.float32)
        xt = nchw(x)
        if kind == "maxpool":
            y = F.max_pool2d(F.pad(xt, (left, right, top, bottom), value=-np.inf), (kh, kw), (sh, sw))
        elif top == bottom and left == right:
            y = F.avg_pool2d(xt, (kh, kw), (sh, sw), padding=(top, left), count_include_pad=False)
        else:
            s = F.avg_pool2d(F.pad(xt, (left, right, top, bottom)), (kh, kw), (sh, sw))
            cnt = F.avg_pool2d(F.pad(torch.ones_like(xt), (left, right, top, bottom)), (kh, kw), (sh, sw))
            y = s / cnt
        p = [n, h, w, c, kh, kw, sh, sw, top, bottom, left, right, 1, c, 0]
        cases.append((kind, p, {"x0": x, "y": nhwc(y)}))

    pool("maxpool", 2, 9, 8, 5, 3, 3, 2, 2, same4(9, 8, 3, 3, 2, 2))
    pool("maxpool", 1, 8, 6, 3, 2, 2, 2, 2, (0, 0, 0, 0))
    pool("avgpool", 2, 7, 6, 4, 3, 3, 1, 1, same4(7, 6, 3, 3, 1, 1))          # symmetric: count_include_pad=False
    pool("avgpool", 2, 8, 9, 3, 3, 3, 2, 2, same4(8, 9, 3, 3, 2, 2))          # asymmetric TF SAME
    pool("avgpool", 1, 14, 14, 6, 7, 7, 7, 7, (0, 0, 0, 0))                      # 'valid', InceptionV3's 8x8 kind

    x = rng.standard_normal((3, 5, 4, 7)).astype(np.float32)
    cases.append(("gap", [3, 5, 4, 7] + [0] * 11, {"x0": x, "y": nchw(x).mean(dim=(2, 3)).numpy()}))
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    pad = (2, 1, 0, 3)
    cases.append(("zero_pad", [2, 5, 4, 3, 0, 0, 0, 0, *pad, 1, 3, 0],
                  {"x0": x, "y": nhwc(F.pad(nchw(x), (pad[2], pad[3], pad[0], pad[1])))}))
    a = (4 * rng.standard_normal((2, 3, 4, 5))).astype(np.float32)  # x4: some sums above 6
    b = (4 * rng.standard_normal((2, 3, 4, 5))).astype(np.float32)
    y = act(torch.from_numpy(a.astype(np.float64)) + torch.from_numpy(b.astype(np.float64)), "relu6")
    cases.append(("add", [2, 3, 4, 5] + [0] * 10 + [ACT["relu6"]], {"x0": a, "x1": b, "y": y.numpy()}))
    xs = [rng.standard_normal((2, 3, 4, c)).astype(np.float32) for c in (2, 5, 3)]
    cases.append(("concat", [2, 3, 4, 10] + [0] * 11,
                  {"x0": xs[0], "x1": xs[1], "x2": xs[2], "y": nhwc(torch.cat([nchw(v) for v in xs], dim=1))}))
    x = rng.standard_normal((3, 2, 2, 5)).astype(np.float32)
    w = (rng.standard_normal((20, 7)) / np.sqrt(20)).astype(np.float32)
    bb = rng.standard_normal(7).astype(np.float32)
    y = F.linear(torch.from_numpy(x.reshape(3, 20).astype(np.float64)), torch.from_numpy(w.T.astype(np.float64)),
                 torch.from_numpy(bb.astype(np.float64)))
    cases.append(("dense", [3, 2, 2, 5] + [0] * 9 + [7, ACT["relu"]], {"x0": x, "w": w, "b": bb, "y": F.relu(y).numpy()}))
    x = (3 * rng.standard_normal((4, 9))).astype(np.float32)
    cases.append(("softmax", [4, 1, 1, 9] + [0] * 11,
                  {"x0": x, "y": F.softmax(torch.from_numpy(x.astype(np.float64)), dim=1).numpy()}))

    with h5py.File(out, "w") as f:
        f.attrs["format_version"] = 1
        f.attrs["torch_version"] = np.bytes_(str(torch.__version__))
        f.attrs["params"] = np.bytes_(PARAMS)
        f.attrs["ncases"] = len(cases)
        for k, (op, p, d) in enumerate(cases):
            g = f.create_group(f"case{k}")
            g.attrs["op"] = np.bytes_(op)
            g.attrs["p"] = np.array(p, dtype=np.int32)
            for name, v in d.items():
                g.create_dataset(name, data=np.ascontiguousarray(v, dtype=np.float64 if name == "y" else np.float32))
    print(f"make_nn2d_fixture: {len(cases)} cases, torch {torch.__version__} -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
