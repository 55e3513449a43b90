#!/usr/bin/python3
"""Reference InceptionV3 features for tests/test_inception_v3.c from an independent implementation.

The graph is not written out here: it is walked from the Keras topology JSON stored in the
converted weight file (root attribute `model_config`, the nsfwjs@4.4.0 model.json's), layer by
layer along `inbound_nodes`, with PyTorch 1.13 torch.nn.functional ops in float64 and NCHW:
Conv2D (kernel HWIO -> OIHW, TF SAME as an explicit F.pad, the odd pixel bottom/right),
BatchNormalization (the stored beta, moving mean and variance; gamma when `scale`), Activation
relu, MaxPooling2D (valid), AveragePooling2D (`same`: count_include_pad=False after an explicit
F.pad is wrong for the asymmetric case, so padded cells are excluded by dividing by the pooled
ones-mask), Concatenate (channels). The trunk is run to mixed10; the head is not needed.

Writes OUT.h5: /images float32 (2, 299, 299, 3) in [0, 1] (`rand_u01_seed0`: numpy
default_rng(0).random; `ramp`: a smooth ramp, one direction per channel), /gap/<layer> float64
(2, C) for every layer in TAPS, attributes format_version, torch_version, weights_sha256.
Without torch, h5py or the weights file it prints why and exits 0 without writing (the C test
then skips).

Usage: make_inception_v3_fixture.py WEIGHTS.h5 OUT.h5
"""
import hashlib
import json
import os
import sys

TAPS = ["conv2d_1", "batch_normalization_5", "max_pooling2d_2", "mixed0", "average_pooling2d_4", "mixed3",
        "activation_40", "mixed5", "mixed8", "mixed9_1", "concatenate_2", "mixed10"]

try:
    import numpy as np
    import h5py
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"make_inception_v3_fixture: {e}: no fixture written (the C test skips)")
    sys.exit(0)


def same_pad(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def tf_pad(x, kh, kw, sh, sw, padding):
    if padding == "valid":
        return x
    t, b = same_pad(x.shape[2], kh, sh)
    l, r = same_pad(x.shape[3], kw, sw)
    return F.pad(x, (l, r, t, b))


def weights_of(f, name):
    g = f[name]
    out = {}
    for wn in g.attrs["weight_names"]:
        wn = wn.decode() if isinstance(wn, bytes) else wn
        out[wn.split("/")[-1].split(":")[0]] = torch.from_numpy(np.asarray(g[wn], dtype=np.float64))
    return out


def run(f, cfg, x):
    """x (N, H, W, 3) float64 -> {layer name: NCHW tensor} for every layer up to mixed10."""
    layers = cfg["config"]["layers"]
    vals = {}
    pending = list(layers)
    while pending:
        rest = []
        for L in pending:
            name, cls, c = L["name"], L["class_name"], L["config"]
            ins = [n[0] for n in L["inbound_nodes"][0]] if L["inbound_nodes"] else []
            if any(i not in vals for i in ins):
                rest.append(L)
                continue
            if cls == "InputLayer":
                vals[name] = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
                continue
            a = vals[ins[0]] if ins else None
            if cls == "Conv2D":
                w = weights_of(f, name)
                kh, kw = c["kernel_size"]
                sh, sw = c["strides"]
                assert c["dilation_rate"] in ([1, 1], (1, 1)) and c["activation"] == "linear", name
                y = F.conv2d(tf_pad(a, kh, kw, sh, sw, c["padding"]), w["kernel"].permute(3, 2, 0, 1), stride=(sh, sw))
                if c["use_bias"]:
                    y = y + w["bias"].view(1, -1, 1, 1)
            elif cls == "BatchNormalization":
                w = weights_of(f, name)
                y = F.batch_norm(a, w["moving_mean"], w["moving_variance"], w.get("gamma") if c["scale"] else None,
                                 w["beta"] if c["center"] else None, training=False, eps=c["epsilon"])
            elif cls == "Activation":
                assert c["activation"] == "relu", name
                y = F.relu(a)
            elif cls in ("MaxPooling2D", "AveragePooling2D"):
                kh, kw = c["pool_size"]
                sh, sw = c["strides"]
                if cls == "MaxPooling2D":
                    p = tf_pad(a, kh, kw, sh, sw, c["padding"]) if c["padding"] == "valid" else None
                    assert p is not None, "same max pooling is not in InceptionV3"
                    y = F.max_pool2d(p, (kh, kw), (sh, sw))
                else:
                    s = F.avg_pool2d(tf_pad(a, kh, kw, sh, sw, c["padding"]), (kh, kw), (sh, sw), divisor_override=1)
                    ones = torch.ones_like(a[:1, :1])
                    cnt = F.avg_pool2d(tf_pad(ones, kh, kw, sh, sw, c["padding"]), (kh, kw), (sh, sw), divisor_override=1)
                    y = s / cnt
            elif cls == "Concatenate":
                assert c["axis"] in (3, -1), name
                y = torch.cat([vals[i] for i in ins], dim=1)
            else:
                continue  # the head (Flatten, Dense, Dropout): not needed
            vals[name] = y
        if len(rest) == len(pending):
            break
        pending = rest
    return vals


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_inception_v3_fixture.py WEIGHTS.h5 OUT.h5")
    wpath, out = sys.argv[1], sys.argv[2]
    if not os.path.exists(wpath):
        print(f"make_inception_v3_fixture: no weights file {wpath}: no fixture written (the C test skips)")
        return
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    rng = np.random.default_rng(0)
    n = 299
    img = np.empty((2, n, n, 3), dtype=np.float32)
    img[0] = rng.random((n, n, 3), dtype=np.float32)
    i, j = np.meshgrid(np.arange(n) / (n - 1), np.arange(n) / (n - 1), indexing="ij")
    img[1, :, :, 0], img[1, :, :, 1], img[1, :, :, 2] = i, j, 0.5 * (i + (1 - j))
    with h5py.File(wpath, "r") as f:
        cfg = json.loads(f.attrs["model_config"])
        vals = run(f, cfg, img.astype(np.float64))
    with open(wpath, "rb") as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    with h5py.File(out + ".tmp", "w") as g:
        g.create_dataset("images", data=img)
        for t in TAPS:
            g.create_dataset(f"gap/{t}", data=vals[t].mean(dim=(2, 3)).numpy())
        g.attrs["format_version"] = 1
        g.attrs["torch_version"] = str(torch.__version__).encode()
        g.attrs["weights_sha256"] = sha.encode()
    os.replace(out + ".tmp", out)
    print(f"make_inception_v3_fixture: {out}: 2 images, GAP at {len(TAPS)} layers "
          f"(mixed5 {tuple(vals['mixed5'].shape)}, mixed10 {tuple(vals['mixed10'].shape)})")


if __name__ == "__main__":
    main()
