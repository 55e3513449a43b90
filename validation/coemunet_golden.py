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
  output_eval_float64                (float32 runs) the same eval-mode forward in double on the same
                                     stepped weights: PyTorch's own float32 error on it, for verify-golden
  metrics/*                          image pairs and MaxRel, ZNCC, SSIM from numpy / scikit-image
Run it with Debian's /usr/bin/python3; then `synobs verify-golden FILE -P verify_golden.exact=FILE64`
compares synobs with it, FILE64 being the --precision float64 file of the same seed (the arbiter).
--precision float64 first refuses a seed whose gradients float32 rounding can flip at a ReLU (relu_kinks):
such a case has no answer to arbitrate at 1e-4. --fpmath bf16 runs float32 the way bfloat16 dot-product
hardware does (see BF16Operands): a PyTorch float32 whose rounding is that of another CPU, to show that
the check does not depend on it.
"""
import argparse
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

LAMBDA = 0.8
I_MIN, I_MAX = -40.0, -27.064306259155273   # spec coemunet.md §6.3


BF16_OPERANDS = False   # --fpmath bf16


class BF16Operand(torch.autograd.Function):
    """Forward: the operand rounded to bfloat16 (held in float32). Backward: the gradient unchanged."""

    @staticmethod
    def forward(ctx, t):
        return t.bfloat16().float()

    @staticmethod
    def backward(ctx, g):
        return g


class BF16Gradient(torch.autograd.Function):
    """Forward: unchanged. Backward: the incoming gradient rounded to bfloat16."""

    @staticmethod
    def forward(ctx, t):
        return t.clone()

    @staticmethod
    def backward(ctx, g):
        return g.bfloat16().float()


class BF16Operands:
    """--fpmath bf16: every product of a convolution or fully connected layer takes bfloat16 operands and
    sums in float32, forward (input, weight) and backward (output gradient, weight or input), as oneDNN's
    BF16 math mode does on AVX512-BF16 or AMX hardware. torch 1.13.1 has no switch that does this to its
    float32 CPU kernels (ONEDNN_DEFAULT_FPMATH_MODE=BF16 leaves its f32 convolutions unchanged even with
    mkldnn on, and set_float32_matmul_precision('medium') changes nothing on the CPU: both checked), so it
    is done here, the same on every CPU."""

    def forward(self, x):
        if not BF16_OPERANDS:
            return super().forward(x)
        w = BF16Operand.apply(self.weight)
        x = BF16Operand.apply(x)
        y = self._conv_forward(x, w, self.bias) if isinstance(self, nn.Conv3d) else \
            nn.functional.linear(x, w, self.bias)
        return BF16Gradient.apply(y)


class Conv3d(BF16Operands, nn.Conv3d):
    pass


class Linear(BF16Operands, nn.Linear):
    pass


KINKS = None   # relu_kinks(): {'record': {site: ReLU input}} or {'flip': {site: units whose gradient is flipped}}


class FlippedReLU(torch.autograd.Function):
    """ReLU whose gradient is passed where it would be stopped, and stopped where it would be passed, at
    the units of `flip`: what a float32 code does there if its rounding puts them across the kink."""

    @staticmethod
    def forward(ctx, x, flip):
        ctx.save_for_backward((x > 0) ^ flip)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0], None


def relu(x, site):
    """torch.relu, or under relu_kinks() its input recorded or its gradient flipped at `site`."""
    if KINKS is None:
        return torch.relu(x)
    if "record" in KINKS:
        KINKS["record"][site] = x.detach().double()
        return torch.relu(x)
    return FlippedReLU.apply(x, KINKS["flip"][site])


class CB(nn.Module):
    """Conv3d → BatchNorm3d → ReLU."""

    def __init__(self, ci, co, k, s, p):
        super().__init__()
        self.conv = Conv3d(ci, co, k, s, p)
        self.bn = nn.BatchNorm3d(co)

    def forward(self, x):
        return relu(self.bn(self.conv(x)), self.site)


class Unit(nn.Module):
    """Residual unit: F(x) + x, or F(x) + BN(Conv1³ stride 2 (x)) for a projection unit."""

    def __init__(self, ci, co, projection):
        super().__init__()
        self.a = CB(ci, co, 3, 2 if projection else 1, 1)
        self.b = CB(co, co, 3, 1, 1)
        self.projection = projection
        if projection:
            self.proj = Conv3d(ci, co, 1, 2, 0)
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
        self.to_lat = Linear(3 * 32 * cells ** 3, 4096)
        self.to_dec = Linear(4096, 64 * channels * g8 * g8)
        dec, c = [], 64
        for _ in range(3):
            for j in range(3):
                dec.append(CB(c if j == 0 else c // 2, c // 2, (1, 3, 3), 1, (0, 1, 1)))
            c //= 2
        self.dec = nn.ModuleList(dec)
        self.out = Conv3d(8, 1, (1, 3, 3), 1, (0, 1, 1))
        for name, m in self.named_modules():
            m.site = name   # each ReLU's name, for relu_kinks()

    def forward(self, x):
        b = x.shape[0]
        hs = [enc(x[:, e:e + 1]).flatten(1) for e, enc in enumerate((self.enc0, self.enc1, self.enc2))]
        z = self.to_lat(torch.cat(hs, 1))
        g8 = self.grid // 8
        z = relu(self.to_dec(z), "to_dec").view(b, 64, self.channels, g8, g8)
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


KINK_SIGMAS = 4        # a unit is near its kink within this many float32 rounding errors of it (the test's
                       # seed, 11, has its nearest unit that matters at 6.8: room for another CPU's rounding)
KINK_TOLERANCE = 1e-5  # largest gradient change that flipping them may cause: a tenth of the test's 1e-4


def relu_kinks(a):
    """Whether the first step's gradients are a function of the case, not of float32 rounding.

    ReLU's gradient jumps where its input crosses 0. A float32 code computes every ReLU input with some
    error, so at a unit within that error of 0 it may take the other side, and pass the gradient there
    where the exact answer stops it (or the reverse), into every weight upstream: with batch 2 one unit
    of the decoder or of to_dec moves whole gradient tensors by 1e-2. Seed 1234 has a unit after to_dec
    at -9.7e-7: PyTorch on OpenBLAS 0.3.21's Cooperlake kernels (which a Zen 4 with AVX-512 BF16 gets)
    rounds it to +8.2e-8, and every encoder gradient moves 1.4e-2. Seed 2 has one after dec.0's
    BatchNorm at 1.2e-7 that synobs' oneDNN rounds across with its SSE4.1 kernels (ONEDNN_MAX_CPU_ISA=SSE41).
    Such a case has no answer to arbitrate at 1e-4.

    Here: the ReLU inputs of the first forward in double and in PyTorch's float32; at each ReLU, sigma,
    the rms deviation of float32 among the units near 0 (below 5% of the median magnitude: far from 0 the
    deviation grows with the value); the units whose exact input is within KINK_SIGMAS sigma of 0; and
    the exact gradients again with all of those flipped. Returns (units, largest relative change of a
    gradient tensor, measured as verify-golden measures gradients)."""
    def run(double, kinks):
        global KINKS
        KINKS = kinks
        model, x, y = seeded_case(a)
        if double:
            model, x, y = model.double(), x.double(), y.double()
        model.train()
        loss = loss_torch(model(x), y)[0]
        KINKS = None
        if double:
            loss.backward()
            return [p.grad for p in model.parameters()]

    pre32, pre64 = {}, {}
    run(False, {"record": pre32})
    exact = run(True, {"record": pre64})
    near = {}
    for site, p in pre64.items():
        dev = pre32[site] - p
        small = p.abs() < 0.05 * p.abs().median()
        sigma = float(dev[small].pow(2).mean().sqrt()) if small.any() else float(dev.pow(2).mean().sqrt())
        near[site] = p.abs() < KINK_SIGMAS * sigma
    units = sum(int(m.sum()) for m in near.values())
    if units == 0:
        return 0, 0.0
    flipped = run(True, {"flip": near})
    scale = (sum(float(g.pow(2).sum()) for g in exact) / len(exact)) ** 0.5
    norm = [float(g.norm()) for g in exact]
    return units, max(float((f - e).norm()) / (n if n >= 1e-6 * scale else scale)
                      for e, f, n in zip(exact, flipped, norm))


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
    ap.add_argument("--seed", type=int, default=11,
                    help="a seed whose gradients float32 rounding cannot flip at a ReLU (see relu_kinks): of 1-22 "
                         "and 1234 only 11 has no unit that matters within 5 rounding errors of its kink (its "
                         "nearest is at 6.8)")
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
    ap.add_argument("--fpmath", choices=("strict", "bf16"), default="strict",
                    help="float32 products: strict (PyTorch's own) or bf16 (bfloat16 operands, float32 sums, as "
                         "some CPUs' reduced-precision math does; a perturbed float32 golden for the test)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.fpmath == "bf16" and a.precision == "float64":
        sys.exit("coemunet_golden.py: --fpmath bf16 applies to --precision float32 only")
    global BF16_OPERANDS
    BF16_OPERANDS = a.fpmath == "bf16"

    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False    # plain ATen kernels: independent of synobs' oneDNN
    if a.precision == "float64":
        # the arbiter's precondition: no float32 rounding can move the exact gradients out of tolerance
        kink_units, kink_change = relu_kinks(a)
        print(f"coemunet_golden.py: seed {a.seed}: {kink_units} ReLU inputs within {KINK_SIGMAS} float32 rounding "
              f"errors of the kink; flipping them moves the exact gradients by up to {kink_change:.2e}")
        if kink_change > KINK_TOLERANCE:
            sys.exit(f"coemunet_golden.py: seed {a.seed}: rounding across ReLU kinks can move the gradients by "
                     f"{kink_change:.2e} (> {KINK_TOLERANCE:g}): choose another seed")
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
                       n_parameters=sum(p.numel() for _, p in params), precision=a.precision, fpmath=a.fpmath)
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
            f.attrs["kink_units"], f.attrs["kink_gradient_change"] = kink_units, kink_change
            print(f"coemunet_golden.py: PyTorch float32 weights after {a.steps} steps are {floor:.3e} "
                  "(relative, whole vector) from this float64 run")
        write_state(f, "buffers_after", buffers)
        model.eval()
        with torch.no_grad():
            f["output_eval"] = model(x).numpy().astype(np.float32)
            if a.precision == "float32":
                # the exact eval output on these same stepped weights: the arbiter for synobs' inference on them
                BF16_OPERANDS = False
                f["output_eval_float64"] = model.double()(x.double()).numpy().astype(np.float32)
        metrics_group(f, np.random.default_rng(a.seed))
    import os
    os.replace(a.out + ".partial", a.out)
    print(f"coemunet_golden.py: wrote {a.out} (G={a.grid}, F={a.channels}, batch {a.batch}, seed {a.seed}, "
          f"{sum(p.numel() for _, p in params)} parameters, loss {first_loss:.6g})")


if __name__ == "__main__":
    main()
