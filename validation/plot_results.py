#!/usr/bin/python3
"""Figures of synobs's training and evaluation results, in the style of the COEmuNet paper (Figs 2-7).

Why: the numbers synobs prints (loss, median MaxRel, ZNCC, SSIM) say whether a model is good; these
figures say where it is not -- a loss that stalls or diverges, a long tail of MaxRel, channels or
pixels where the prediction departs from the line -- and compare directly with the paper's figures.

usage: /usr/bin/python3 validation/plot_results.py [--model MODEL.h5] [--evaluate EVAL.h5] --out DIR
                                                   [--samples N]
  --model MODEL.h5    a training checkpoint or the final model (group history/)  -> training_history.png
  --evaluate EVAL.h5  the output of `synobs evaluate`                           -> maxrel_cdf.png,
                                                                                  metric_histograms.png,
                                                                                  panels.png
  --samples N         panel samples drawn in panels.png (default all K stored, at most 6)

At least one input is required. DIR is created if missing; each PNG written is printed, one path a
line. Every input is read and checked before anything is drawn: a missing or unreadable file, or a
missing or mis-shaped dataset or attribute, ends the run with exit 1 and one line on stderr naming
the file and the dataset, and no figure is written.
"""
import argparse
import os
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

PROG = "plot_results.py"
MAX_PANEL_SAMPLES = 6
MAX_CHANNELS = 7            # all channels drawn up to this many, else this many evenly spaced
MAXREL_MARKS = (10, 20, 30)  # [%]
DPI = 110
INTENSITY_UNIT = r"I [W m$^{-2}$ Hz$^{-1}$ sr$^{-1}$]"


class InputError(Exception):
    """A missing or unusable input; its text is the one-line message (file and dataset)."""


# ----------------------------------------------------------------------------------------- reading
def open_h5(path):
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: cannot open as HDF5 ({' '.join(str(e).split())})") from None


def dataset(f, name, ndim=None, length=None, rows=None):
    """Dataset `name` of file f as float64 (int64 where integer), checked for rank and length.
    rows: read only the first `rows` entries along axis 0."""
    if name not in f or not isinstance(f[name], h5py.Dataset):
        raise InputError(f"{f.filename}: missing dataset '{name}'")
    d = f[name]
    if ndim is not None and d.ndim != ndim:
        raise InputError(f"{f.filename}: dataset '{name}' has shape {d.shape}, expected {ndim} dimensions")
    if length is not None and d.shape[0] != length:
        raise InputError(f"{f.filename}: dataset '{name}' has {d.shape[0]} entries, expected {length}")
    a = d[:rows] if rows is not None else d[()]
    kind = np.int64 if np.issubdtype(d.dtype, np.integer) else np.float64
    return np.asarray(a, dtype=kind)


def attribute(f, name, kind=float):
    if name not in f.attrs:
        raise InputError(f"{f.filename}: missing attribute '{name}'")
    v = np.asarray(f.attrs[name]).reshape(-1)
    if v.size != 1:
        raise InputError(f"{f.filename}: attribute '{name}' is not a scalar")
    try:
        return kind(v[0])
    except (TypeError, ValueError):
        raise InputError(f"{f.filename}: attribute '{name}' = {v[0]!r} is not a number") from None


def load_model(path):
    """history/ of a model or checkpoint file."""
    with open_h5(path) as f:
        h = {"path": path, "step": attribute(f, "step", int), "epoch": attribute(f, "epoch", int),
             "spe": attribute(f, "steps_per_epoch", int)}
        if h["spe"] <= 0:
            raise InputError(f"{path}: attribute 'steps_per_epoch' = {h['spe']}, expected a positive count")
        h["loss"] = dataset(f, "history/loss", ndim=1)
        for k in ("mse", "freq", "lr"):
            h[k] = dataset(f, f"history/{k}", ndim=1, length=h["loss"].size)
        h["epoch_train_loss"] = dataset(f, "history/epoch_train_loss", ndim=1)
        for k in ("val_loss", "val_maxrel_median", "val_zncc", "val_ssim"):
            h[k] = dataset(f, f"history/{k}", ndim=1, length=h["epoch_train_loss"].size)
    return h


def load_evaluation(path, samples):
    """Metrics, CDF and the first `samples` panel samples of a `synobs evaluate` file."""
    with open_h5(path) as f:
        e = {"path": path, "n_samples": attribute(f, "n_samples", int)}
        for k in ("median_maxrel", "mean_maxrel", "median_zncc", "mean_zncc", "median_ssim", "mean_ssim"):
            e[k] = attribute(f, k)
        for t in MAXREL_MARKS:
            e[f"frac_{t}"] = attribute(f, f"frac_maxrel_below_{t}")
        e["sample"] = dataset(f, "sample", ndim=1)
        n = e["sample"].size
        for k in ("maxrel", "zncc", "ssim"):
            e[k] = dataset(f, k, ndim=1, length=n)
        e["cdf_maxrel"] = dataset(f, "cdf/maxrel", ndim=1)
        e["cdf_fraction"] = dataset(f, "cdf/fraction", ndim=1, length=e["cdf_maxrel"].size)
        e["panel_sample"] = dataset(f, "panels/sample", ndim=1)
        k_all = e["panel_sample"].size
        e["k_all"] = k_all
        k = k_all if samples is None else min(samples, k_all)
        k = min(k, MAX_PANEL_SAMPLES)
        e["panel_sample"] = e["panel_sample"][:k]
        e["panel_maxrel"] = dataset(f, "panels/maxrel", ndim=1, length=k_all)[:k]
        e["target"] = dataset(f, "panels/target", ndim=4, length=k_all, rows=k)
        e["prediction"] = dataset(f, "panels/prediction", ndim=4, length=k_all, rows=k)
        shape_t, shape_p = f["panels/target"].shape, f["panels/prediction"].shape
        if shape_t != shape_p:
            raise InputError(f"{path}: dataset 'panels/prediction' has shape {shape_p}, "
                             f"'panels/target' {shape_t}")
        e["velocity"] = None
        if "panels/velocity" in f:
            e["velocity"] = dataset(f, "panels/velocity", ndim=1, length=shape_t[1])
    return e


# --------------------------------------------------------------------------------------- helpers
def running_mean(y, w):
    """Trailing mean over w entries, NaN-aware; entry i averages y[max(0,i-w+1) .. i]."""
    ok = np.isfinite(y)
    s = np.concatenate([[0.0], np.cumsum(np.where(ok, y, 0.0))])
    c = np.concatenate([[0], np.cumsum(ok)])
    i = np.arange(1, y.size + 1)
    lo = np.maximum(i - w, 0)
    n = c[i] - c[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (s[i] - s[lo]) / np.maximum(n, 1), np.nan)


def note(ax, text):
    """A panel with nothing to draw: its reason in the middle, no axis ticks."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10,
            color="0.35", wrap=True)


def log_y_if_positive(ax, *series):
    v = np.concatenate([s[np.isfinite(s)] for s in series]) if series else np.array([])
    if v.size and np.all(v > 0):
        ax.set_yscale("log")


def fmt_pct(frac):
    return f"{100.0 * frac:.1f} %"


def save(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(path, flush=True)
    return path


# ------------------------------------------------------------------------------ training history
def epoch_metric(ax, values, title, ylabel, color):
    e = np.arange(1, values.size + 1)
    ok = np.isfinite(values)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if values.size == 0:
        note(ax, "no completed epoch yet")
        return
    if not ok.any():
        note(ax, "skipped: validation was off\n(all epochs NaN)")
        return
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.plot(e[ok], values[ok], "o-", color=color, ms=4)
    best = np.nanargmin(values) if "MaxRel" in title else np.nanargmax(values)
    ax.plot(e[best], values[best], "*", color="k", ms=11, label=f"best: epoch {e[best]}, {values[best]:.4g}")
    if (~ok).any():
        ax.text(0.02, 0.02, f"{(~ok).sum()} of {values.size} epochs without validation (NaN), not drawn",
                transform=ax.transAxes, fontsize=8, color="0.35")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)


def plot_history(h, out):
    s = h["loss"].size
    x = np.arange(1, s + 1) / h["spe"]
    w = int(min(max(s, 1), max(5, s // 50)))
    ep = np.arange(1, h["epoch_train_loss"].size + 1, dtype=float)
    fig, axs = plt.subplots(2, 3, figsize=(16, 9), layout="constrained")

    ax = axs[0, 0]
    ax.set_title("training loss")
    if s:
        ax.plot(x, h["loss"], lw=0.6, alpha=0.4, color="C0", label="per step (global batch)")
        ax.plot(x, running_mean(h["loss"], w), lw=1.8, color="C0", label=f"running mean ({w} steps)")
    ok = np.isfinite(h["epoch_train_loss"])
    if ok.any():
        ax.plot(ep[ok], h["epoch_train_loss"][ok], "s", color="C1", ms=5, label="epoch mean (train)")
    ok = np.isfinite(h["val_loss"])
    if ok.any():
        ax.plot(ep[ok], h["val_loss"][ok], "D-", color="C3", ms=5, label="validation")
    elif h["val_loss"].size:
        ax.text(0.02, 0.02, "validation off: no validation loss", transform=ax.transAxes, fontsize=8,
                color="0.35")
    if not s:
        note(ax, "no training step recorded")
    log_y_if_positive(ax, h["loss"], h["epoch_train_loss"], h["val_loss"])
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both")
    if s or ok.any():
        ax.legend(fontsize=8)

    ax = axs[0, 1]
    ax.set_title("loss terms")
    drawn = []
    for k, c, lab in (("mse", "C2", "MSE"), ("freq", "C4", "frequency loss")):
        y = h[k]
        if np.isfinite(y).any() and np.nanmax(np.abs(y)) > 0:
            ax.plot(x, y, lw=0.6, alpha=0.35, color=c)
            ax.plot(x, running_mean(y, w), lw=1.8, color=c, label=f"{lab} (running mean)")
            drawn.append(y)
        elif s:
            ax.plot([], [], color=c, label=f"{lab}: zero or NaN throughout, not drawn")
    log_y_if_positive(ax, *drawn)
    if not s:
        note(ax, "no training step recorded")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss term")
    ax.grid(alpha=0.3, which="both")
    if s:
        ax.legend(fontsize=8)

    ax = axs[0, 2]
    ax.set_title("learning rate")
    if s:
        ax.plot(x, h["lr"], color="C5")
        log_y_if_positive(ax, h["lr"])
    else:
        note(ax, "no training step recorded")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3, which="both")

    if s:
        for ax in axs[0]:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    epoch_metric(axs[1, 0], h["val_maxrel_median"], "validation median MaxRel", "median MaxRel [%]", "C3")
    epoch_metric(axs[1, 1], h["val_zncc"], "validation ZNCC", "ZNCC", "C0")
    epoch_metric(axs[1, 2], h["val_ssim"], "validation SSIM", "SSIM", "C2")
    title = (f"{os.path.basename(h['path'])}: step {h['step']}, epoch {h['epoch']}, "
             f"{h['spe']} steps/epoch")
    if h["val_loss"].size and not np.isfinite(h["val_loss"]).any():
        title += " -- validation off, its panels skipped"
    fig.suptitle(title)
    return save(fig, out, "training_history.png")


# -------------------------------------------------------------------------------------- MaxRel CDF
def plot_cdf(e, out):
    mr, fr = e["cdf_maxrel"], e["cdf_fraction"]
    ok = np.isfinite(mr) & np.isfinite(fr)
    mr, fr = mr[ok], fr[ok]
    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    if mr.size == 0:
        note(ax, "no finite MaxRel value")
    else:
        ax.step(mr, fr, where="post", color="C0", lw=1.8, label="cumulative fraction")
        pos = mr[mr > 0]
        hi = max(mr.max(), max(MAXREL_MARKS)) * 1.08
        if pos.size and hi / pos.min() > 30:
            ax.set_xscale("log")
            ax.set_xlim(pos.min() / 1.3, hi)
        else:
            ax.set_xlim(min(0.0, mr.min()), hi)
    ax.set_ylim(0, 1.02)
    for t, c in zip(MAXREL_MARKS, ("C2", "C1", "C3")):
        f = e[f"frac_{t}"]
        ax.axvline(t, color=c, ls=":", lw=1.3)
        ax.plot([t], [f], "o", color=c, ms=7)
        ax.annotate(f"{fmt_pct(f)} below {t} %", (t, f), xytext=(6, -14), textcoords="offset points",
                    color=c, fontsize=9, bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))
    med = e["median_maxrel"]
    ax.axvline(med, color="k", ls="--", lw=1.2, label=f"median {med:.2f} %")
    ax.axhline(0.5, color="0.6", lw=0.8)
    ax.set_xlabel("MaxRel [%]")
    ax.set_ylabel("fraction of samples with MaxRel below")
    ax.set_title(f"Cumulative distribution of MaxRel ({os.path.basename(e['path'])}, "
                 f"N = {e['n_samples']})")
    txt = "\n".join([f"median {med:.2f} %, mean {e['mean_maxrel']:.2f} %"] +
                    [f"MaxRel < {t} %: {fmt_pct(e[f'frac_{t}'])}" for t in MAXREL_MARKS])
    ax.text(0.98, 0.04, txt, transform=ax.transAxes, ha="right", va="bottom", fontsize=9,
            bbox=dict(boxstyle="round", fc="white", ec="0.7"))
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left", fontsize=9)
    return save(fig, out, "maxrel_cdf.png")


# ------------------------------------------------------------------------------------ histograms
def histogram(ax, v, name, unit, median, mean, color, log_x=False):
    v = v[np.isfinite(v)]
    ax.set_title(f"{name}: median {median:.4g}{unit}, mean {mean:.4g}{unit}", fontsize=10)
    ax.set_xlabel(f"{name} [%]" if unit else name)
    ax.set_ylabel("samples")
    if v.size == 0:
        note(ax, f"no finite {name} value")
        return
    bins = min(50, max(5, int(np.ceil(np.sqrt(v.size)))))
    if log_x and v.min() > 0 and v.max() / v.min() > 30:
        edges = np.geomspace(v.min(), v.max(), bins + 1)
        ax.set_xscale("log")
    else:
        edges = np.histogram_bin_edges(v, bins=bins)
    ax.hist(v, bins=edges, color=color, alpha=0.75, edgecolor="white", lw=0.5)
    ax.axvline(median, color="k", ls="--", lw=1.2, label="median")
    ax.axvline(mean, color="k", ls=":", lw=1.2, label="mean")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def plot_histograms(e, out):
    fig, axs = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")
    histogram(axs[0], e["maxrel"], "MaxRel", " %", e["median_maxrel"], e["mean_maxrel"], "C3", log_x=True)
    histogram(axs[1], e["zncc"], "ZNCC", "", e["median_zncc"], e["mean_zncc"], "C0")
    histogram(axs[2], e["ssim"], "SSIM", "", e["median_ssim"], e["mean_ssim"], "C2")
    fig.suptitle(f"{os.path.basename(e['path'])}: metrics over N = {e['maxrel'].size} samples")
    return save(fig, out, "metric_histograms.png")


# ---------------------------------------------------------------------------------------- panels
def channels_shown(nf):
    if nf <= MAX_CHANNELS:
        return list(range(nf))
    return sorted(set(int(round(c)) for c in np.linspace(0, nf - 1, MAX_CHANNELS)))


def intensity_norm(t, p):
    v = np.concatenate([t.ravel(), p.ravel()])
    pos = v[np.isfinite(v) & (v > 0)]
    if pos.size == 0:
        fin = v[np.isfinite(v)]
        return Normalize(fin.min(), fin.max()) if fin.size else Normalize(0, 1)
    vmax = pos.max()
    vmin = max(np.percentile(pos, 0.5), vmax * 1e-8)
    if vmin >= vmax:
        vmin = vmax / 10
    return LogNorm(vmin, vmax)


def relative_error(t, p):
    """|p - t| / max_f t per pixel and channel, in percent; NaN where max_f t <= 0."""
    den = t.max(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 100.0 * np.abs(p - t) / np.where(den > 0, den, 1.0), np.nan)


def channel_title(c, vel):
    if vel is None:
        return f"channel {c}"
    return f"ch {c}: {vel[c] / 1e3:+.2f} km/s"


def plot_panels(e, out):
    k = e["target"].shape[0]
    nf = e["target"].shape[1]
    chans = channels_shown(nf)
    nc = len(chans)
    cell = 1.6
    fig = plt.figure(figsize=(nc * cell + 2.6, k * (3 * cell + 0.75)), layout="constrained")
    subs = fig.subfigures(k, 1, squeeze=False)[:, 0]
    cmap_i = matplotlib.colormaps["inferno"].copy()
    cmap_i.set_bad(cmap_i(0.0))
    cmap_e = matplotlib.colormaps["viridis"].copy()
    cmap_e.set_bad("0.8")
    for i, sf in enumerate(subs):
        t = e["target"][i]
        p = e["prediction"][i]
        err = relative_error(t, p)
        norm = intensity_norm(t[chans], p[chans])
        ev = err[chans]
        emax = np.nanmax(ev) if np.isfinite(ev).any() else 1.0
        enorm = Normalize(0.0, emax if emax > 0 else 1.0)
        axs = sf.subplots(3, nc, squeeze=False)
        for j, c in enumerate(chans):
            im_i = axs[0, j].imshow(np.ma.masked_invalid(t[c]).T, origin="lower", cmap=cmap_i, norm=norm)
            axs[1, j].imshow(np.ma.masked_invalid(p[c]).T, origin="lower", cmap=cmap_i, norm=norm)
            im_e = axs[2, j].imshow(np.ma.masked_invalid(err[c]).T, origin="lower", cmap=cmap_e, norm=enorm)
            axs[0, j].set_title(channel_title(c, e["velocity"]), fontsize=8)
            for r in range(3):
                axs[r, j].set_xticks([])
                axs[r, j].set_yticks([])
        for r, lab in enumerate(("target", "prediction", "|p-t| / max$_f$ t")):
            axs[r, 0].set_ylabel(lab, fontsize=9)
        sf.colorbar(im_i, ax=axs[:2, :].ravel().tolist(), label=INTENSITY_UNIT, shrink=0.9, extend="min")
        sf.colorbar(im_e, ax=axs[2, :].tolist(), label="rel. error [%]", shrink=0.9)
        shown = "" if nc == nf else f", {nc} of {nf} channels"
        sf.suptitle(f"sample {e['panel_sample'][i]}: MaxRel = {e['panel_maxrel'][i]:.2f} %{shown}",
                    fontsize=11)
    return save(fig, out, "panels.png")


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Draw synobs training/evaluation figures.")
    ap.add_argument("--model", help="training checkpoint or final model (HDF5, group history/)")
    ap.add_argument("--evaluate", help="output of `synobs evaluate` (HDF5)")
    ap.add_argument("--out", required=True, help="folder for the PNGs (created if missing)")
    ap.add_argument("--samples", type=int, default=None,
                    help=f"panel samples to draw (default all stored, at most {MAX_PANEL_SAMPLES})")
    a = ap.parse_args(argv)
    if not a.model and not a.evaluate:
        ap.error("give --model, --evaluate or both")
    if a.samples is not None and a.samples < 1:
        ap.error("--samples must be at least 1")
    try:
        hist = load_model(a.model) if a.model else None
        ev = load_evaluation(a.evaluate, a.samples) if a.evaluate else None
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    if hist is not None:
        plot_history(hist, a.out)
    if ev is not None:
        plot_cdf(ev, a.out)
        plot_histograms(ev, a.out)
        drawn = ev["target"].shape[0]
        if a.samples is not None and a.samples > drawn:
            print(f"{PROG}: note: --samples {a.samples}: drawing {drawn} ({ev['k_all']} stored, "
                  f"at most {MAX_PANEL_SAMPLES} a figure)", file=sys.stderr)
        if drawn == 0:
            print(f"{PROG}: note: {a.evaluate} holds no panel samples; panels.png not drawn", file=sys.stderr)
        else:
            plot_panels(ev, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
