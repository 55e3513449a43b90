#!/usr/bin/env python3
"""Golden data for synobs' COEmuNet, from an independent implementation (PyTorch + numpy + scikit-image).

Builds the paper's COEmuNet (spec coemunet.md §2) in PyTorch with the state_dict names synobs
uses, and writes to one HDF5 file:
  input, target                      a seeded batch (B, 3, G, G, G) and (B, 1, F, G, G)
  params_initial/*, buffers_initial/* PyTorch's default initialisation under --seed
  output, loss, loss_mse, loss_freq  training-mode forward and the loss (λ = 0.8)
  loss_numpy                         the same loss from numpy.fft in float64
  grads/*                            every parameter's gradient
  params_step1/*                     after the first Adam step (Adam on grads/* alone)
  params_after/*, buffers_after/*    after --steps Adam steps (each a new forward/backward)
  output_eval                        eval-mode forward with the stepped model
  metrics/*                          image pairs and MaxRel, ZNCC, SSIM from numpy / scikit-image
Run it with Debian's /usr/bin/python3; then `synobs verify-golden FILE` compares synobs with it.
"""
import argparse
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

LAMBDA = 0.8
I_MIN, I_MAX = -40.0, -27.064306259155273   # spec coemunet.md §6.3


class CB(nn.Module):
    """Conv3d → BatchNorm3d → ReLU."""

    def __init__(self, ci, co, k, s, p):
        super().__init__()
        self.conv = nn.Conv3d(ci, co, k, s, p)
        self.bn = nn.BatchNorm3d(co)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Unit(nn.Module):
    """Residual unit: F(x) + x, or F(x) + BN(Conv1³ stride 2 (x)) for a projection unit."""

    def __init__(self, ci, co, projection):
        super().__init__()
        self.a = CB(ci, co, 3, 2 if projection else 1, 1)
        self.b = CB(co, co, 3, 1, 1)
        self.projection = projection
        if projection:
            self.proj = nn.Conv3d(ci, co, 1, 2, 0)
            self.proj_bn = nn.BatchNorm3d(co)

    def forward(self, x):
        f = self.b(self.a(x))
        return f + (self.proj_bn(self.proj(x)) if self.projection else x)


class Branch(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = CB(1, 4, 3, 1, 0)
        units = []
        cin = 4
        for width in (8, 16, 32):
            for u in range(3):
                units.append(Unit(cin, width, u == 0))
                cin = width
        self.u = nn.ModuleList(units)

    def forward(self, x):
        h = nn.functional.max_pool3d(self.stem(x), 2)
        for unit in self.u:
            h = unit(h)
        return h


class COEmuNet(nn.Module):
    def __init__(self, grid, channels):
        super().__init__()
        self.grid, self.channels = grid, channels
        self.enc0, self.enc1, self.enc2 = Branch(), Branch(), Branch()
        cells = (grid - 2) // 2
        for _ in range(3):
            cells = (cells + 1) // 2
        g8 = grid // 8
        self.to_lat = nn.Linear(3 * 32 * cells ** 3, 4096)
        self.to_dec = nn.Linear(4096, 64 * channels * g8 * g8)
        dec, c = [], 64
        for _ in range(3):
            for j in range(3):
                dec.append(CB(c if j == 0 else c // 2, c // 2, (1, 3, 3), 1, (0, 1, 1)))
            c //= 2
        self.dec = nn.ModuleList(dec)
        self.out = nn.Conv3d(8, 1, (1, 3, 3), 1, (0, 1, 1))

    def forward(self, x):
        b = x.shape[0]
        hs = [enc(x[:, e:e + 1]).flatten(1) for e, enc in enumerate((self.enc0, self.enc1, self.enc2))]
        z = self.to_lat(torch.cat(hs, 1))
        g8 = self.grid // 8
        z = torch.relu(self.to_dec(z)).view(b, 64, self.channels, g8, g8)
        for i, cb in enumerate(self.dec):
            z = cb(z)
            if i % 3 == 2:
                z = nn.functional.interpolate(z, scale_factor=(1, 2, 2), mode="nearest")
        return torch.tanh(self.out(z))


def loss_torch(p, t):
    """λ·MSE + (1 − λ)·mean|FFT2(t) − FFT2(p)| in float32, as the reference code."""
    mse = torch.mean((p - t) ** 2)
    freq = torch.mean(torch.abs(torch.fft.fft2(t) - torch.fft.fft2(p)))
    return LAMBDA * mse + (1 - LAMBDA) * freq, mse, freq


def loss_numpy(p, t):
    p, t = p.astype(np.float64), t.astype(np.float64)
    mse = np.mean((p - t) ** 2)
    freq = np.mean(np.abs(np.fft.fft2(t, axes=(-2, -1)) - np.fft.fft2(p, axes=(-2, -1))))
    return LAMBDA * mse + (1 - LAMBDA) * freq


def maxrel_numpy(p, t):
    """Median over samples of 100·mean |I_t − I_p| / max over channels of I_t (spec §8.1)."""
    ip, it = np.exp(p * (I_MAX - I_MIN) + I_MIN), np.exp(t * (I_MAX - I_MIN) + I_MIN)
    rel = np.abs(it - ip) / it.max(axis=1, keepdims=True)
    return np.median(100.0 * rel.mean(axis=(1, 2, 3)))


def zncc_numpy(p, t):
    pc = p - p.mean(axis=(2, 3), keepdims=True)
    tc = t - t.mean(axis=(2, 3), keepdims=True)
    den = np.sqrt((pc ** 2).sum(axis=(2, 3)) * (tc ** 2).sum(axis=(2, 3)))
    z = np.where(den > 0, (pc * tc).sum(axis=(2, 3)) / np.where(den > 0, den, 1), 0.0)
    return z.mean(axis=0).mean()


def ssim_maps_numpy(p, t, data_range):
    """torchmetrics' SSIM map (11×11 Gaussian σ 1.5, reflect padding by 5, valid filter), per image."""
    i = np.arange(11) - 5.0
    w = np.exp(-i ** 2 / (2 * 1.5 ** 2))
    w /= w.sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def filt(a):
        a = np.pad(a, 5, mode="reflect")
        a = np.apply_along_axis(lambda r: np.convolve(r, w, mode="valid"), 0, a)
        return np.apply_along_axis(lambda r: np.convolve(r, w, mode="valid"), 1, a)

    mp, mt = filt(p), filt(t)
    vp = np.maximum(filt(p * p) - mp ** 2, 0)
    vt = np.maximum(filt(t * t) - mt ** 2, 0)
    cpt = filt(p * t) - mp * mt
    return (2 * mp * mt + c1) * (2 * cpt + c2) / ((mp ** 2 + mt ** 2 + c1) * (vp + vt + c2))


def metrics_group(f, rng):
    """Image pairs shaped like normalised COEmuNet outputs, and their metrics."""
    from skimage.metrics import structural_similarity
    n, ch, g = 5, 7, 64
    t = np.clip(0.6 + 0.25 * rng.standard_normal((n, ch, g, g)), 0, 1)
    t = np.cumsum(np.cumsum(t, axis=2), axis=3)
    t = (t - t.min()) / (t.max() - t.min())
    p = np.clip(t + 0.02 * rng.standard_normal(t.shape), 0, 1)
    p[2, 3] = p[2, 3].mean()          # a constant image: its ZNCC is 0 by definition
    p, t = p.astype(np.float32), t.astype(np.float32)
    m = f.create_group("metrics")
    m["prediction"], m["target"] = p, t
    m.attrs["maxrel_median_percent"] = maxrel_numpy(p.astype(np.float64), t.astype(np.float64))
    m.attrs["zncc"] = zncc_numpy(p.astype(np.float64), t.astype(np.float64))
    ssim_channels, sk_maps, our_maps = [], [], []
    for c in range(ch):
        rng_c = float(t[:, c].max() - t[:, c].min())
        maps = [ssim_maps_numpy(p[b, c].astype(np.float64), t[b, c].astype(np.float64), rng_c) for b in range(n)]
        ssim_channels.append(np.mean([mp.mean() for mp in maps]))
        if c == 0:
            for b in range(n):
                _, sk = structural_similarity(t[b, c].astype(np.float64), p[b, c].astype(np.float64), full=True,
                                              gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                              data_range=rng_c)
                sk_maps.append(sk)
                our_maps.append(maps[b])
    m.attrs["ssim"] = float(np.mean(ssim_channels))
    m["ssim_map_skimage_channel0"] = np.array(sk_maps)          # interior [5:-5, 5:-5] is comparable
    interior = (slice(None), slice(5, -5), slice(5, -5))
    dev = np.abs(np.array(our_maps)[interior] - np.array(sk_maps)[interior]).max()
    m.attrs["numpy_vs_skimage_interior_max_abs"] = dev
    if dev > 1e-9:
        sys.exit(f"coemunet_golden.py: the numpy SSIM map differs from scikit-image's by {dev:.3g}")


def write_state(f, group, tensors):
    g = f.create_group(group)
    for name, t in tensors:
        g[name] = t.detach().numpy().astype(np.float32)


def seeded_case(a):
    """The model with PyTorch's default initialisation and the batch, drawn in float32 from --seed."""
    torch.manual_seed(a.seed)
    model = COEmuNet(a.grid, a.channels)
    x = torch.randn(a.batch, 3, a.grid, a.grid, a.grid)
    y = torch.rand(a.batch, 1, a.channels, a.grid, a.grid)
    return model, x, y


def float32_params_after(a):
    """PyTorch's own float32 run of the same steps: its weights after them, as one vector."""
    model, x, y = seeded_case(a)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=a.eps, weight_decay=a.weight_decay)
    model.train()
    for _ in range(a.steps):
        opt.zero_grad()
        loss_torch(model(x), y)[0].backward()
        opt.step()
    return torch.cat([p.detach().double().flatten() for p in model.parameters()])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--grid", type=int, default=32)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--channels", type=int, default=7)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate (the paper's fine-tuning rate)")
    ap.add_argument("--weight-decay", type=float, default=1e-2,
                    help="L2 weight decay of Adam; non-zero so that the conv biases ahead of BatchNorm, whose "
                         "gradient is zero up to rounding, move by a well-defined amount")
    ap.add_argument("--eps", type=float, default=1e-8,
                    help="Adam's epsilon (PyTorch's default)")
    ap.add_argument("--precision", choices=("float32", "float64"), default="float32",
                    help="arithmetic of the PyTorch run. float64: the same float32 weights and batch, every "
                         "operation in double, results stored rounded to float32; a reference for the exact "
                         "answer, against which PyTorch's own float32 run can be measured too")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False    # plain ATen kernels: independent of synobs' oneDNN
    model, x, y = seeded_case(a)
    params = list(model.named_parameters())
    if a.precision == "float64":
        # drawn in float32 above, so the double run starts from exactly the values synobs reads
        model, x, y = model.double(), x.double(), y.double()
    buffers = [(n, b) for n, b in model.named_buffers() if "running" in n]

    with h5py.File(a.out + ".partial", "w") as f:
        f.attrs.update(grid=a.grid, channels=a.channels, batch=a.batch, seed=a.seed, steps=a.steps, lr=a.lr,
                       beta1=0.9, beta2=0.999, eps=a.eps, weight_decay=a.weight_decay, loss_lambda=LAMBDA,
                       torch_version=str(torch.__version__), numpy_version=str(np.__version__),
                       n_parameters=sum(p.numel() for _, p in params), precision=a.precision)
        f["input"], f["target"] = x.numpy().astype(np.float32), y.numpy().astype(np.float32)
        write_state(f, "params_initial", params)
        write_state(f, "buffers_initial", buffers)

        opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=a.eps,
                               weight_decay=a.weight_decay)
        model.train()
        for step in range(a.steps):
            opt.zero_grad()
            out = model(x)
            loss, mse, freq = loss_torch(out, y)
            loss.backward()
            if step == 0:
                f["output"] = out.detach().numpy().astype(np.float32)
                first_loss = loss.item()
                f["loss"], f["loss_mse"], f["loss_freq"] = first_loss, mse.item(), freq.item()
                f["loss_numpy"] = loss_numpy(out.detach().numpy(), y.numpy())
                write_state(f, "grads", [(n, p.grad) for n, p in params])
            opt.step()
            if step == 0:
                write_state(f, "params_step1", params)
        write_state(f, "params_after", params)
        if a.precision == "float64":
            # the floor no float32 run can be expected to beat on these weights: PyTorch's own
            w64 = torch.cat([p.detach().double().flatten() for _, p in params])
            floor = float((float32_params_after(a) - w64).norm() / w64.norm())
            f.attrs["float32_params_after_relerr"] = floor
            print(f"coemunet_golden.py: PyTorch float32 weights after {a.steps} steps are {floor:.3e} "
                  "(relative, whole vector) from this float64 run")
        write_state(f, "buffers_after", buffers)
        model.eval()
        with torch.no_grad():
            f["output_eval"] = model(x).numpy().astype(np.float32)
        metrics_group(f, np.random.default_rng(a.seed))
    import os
    os.replace(a.out + ".partial", a.out)
    print(f"coemunet_golden.py: wrote {a.out} (G={a.grid}, F={a.channels}, batch {a.batch}, seed {a.seed}, "
          f"{sum(p.numel() for _, p in params)} parameters, loss {first_loss:.6g})")


if __name__ == "__main__":
    main()
