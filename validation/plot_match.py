#!/usr/bin/python3
"""Figures of synobs's Simulated Analogues matching: the best-ranked catalogue images beside the
observation, the standardised distances with the -2 sigma cut, and the pooled parameter estimates
(the paper's Figures 4 to 8).

Why: `synobs match` ranks tens of thousands of catalogue images by a distance between feature
vectors; a distance says nothing by itself about whether the images it ranks first look like the
observation, whether the -2 sigma tail is a real tail or a cut through the bulk, or whether the
pooled selections agree on a parameter. These figures say it at a glance, and put the known truth
of a synthetic observation on the estimates.

usage: /usr/bin/python3 validation/plot_match.py best RESULTS --catalogue CATALOGUE [--observation FITS]
                                                     [--group /MODEL/TAP/MODE/DISTANCE] [--n 8]
                                                     [--stretch log|linear] [--out FIG.png]
       /usr/bin/python3 validation/plot_match.py zhist RESULTS [--log] [--out FIG.png]
       /usr/bin/python3 validation/plot_match.py estimates RESULTS [--out FIG.png]

  best       Figures 4/6: the observation (if given, its own colour scale) beside the n best-ranked
             catalogue images of one group (one colour scale), each titled with its rank, distance
             value and z, system name, t1 and observer k (1..8; catalogue index i is snapshot i // K,
             observer i % K + 1). A rank inside the -select_sigma selection is titled in red.
             Continuum: log stretch clipped at 1e-4 of the maximum (as plot_catalogue.py), or linear;
             moment 1 (or BUNIT km/s): linear, diverging about 0, NaN pixels grey. Default group: the
             first in the file.
  zhist      Figure 5: per (model, tap, mode, distance) group, the histogram of z in bins of 0.1 sigma,
             the selected tail (z < -select_sigma) in red, a vertical line at -select_sigma and the
             count selected (length of `selected`) in the legend; one panel per group.
  estimates  Figures 7/8: per parameter (/estimate/<parameter>), the histogram of the pooled sample
             (30 equal bins over its range; stacked by group where the file has `sample_group` and the
             root attribute `groups`), the KDE scaled to counts per bin, the median (solid) and 16/84
             percentiles (dotted) of the KDE, the truth as a red dashed line where finite, and the
             zero fraction for disk sizes (the KDE is then of the non-zero values, spec 7).

Groups are listed in the file's own order (h5py iteration: name order unless the file tracks creation
order); /estimate is not a group. --out defaults to best_<model>_<tap>_<mode>_<distance>.png,
zhist.png or estimates.png in the current folder; the path written is printed. Every input is read
and checked before anything is drawn: a missing or unreadable file, a missing or mis-shaped dataset or
attribute, or a group that is not in the file ends the run with exit 1 and one line on stderr naming
the file, and no figure is written. --observation needs astropy; the rest needs numpy, h5py and
matplotlib.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_catalogue import (InputError, dataset, extent_au, fits_key, fits_number, image_norm,  # noqa: E402
                            is_velocity, masked, name_of, note, number_attr, open_fits, open_h5, plane, save,
                            system_names, text_attr, units)

import h5py  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

PROG = "plot_match.py"
GROUP_DATASETS = ("distance", "order", "selected", "z")
Z_BIN = 0.1                # spec 6: the histogram of z in bins of 0.1 sigma
ESTIMATE_BINS = 30         # spec 7: 30 equal bins over the pooled range
SELECT_COLOR = "C3"
TRUTH_COLOR = "red"


# ----------------------------------------------------------------------------------------- reading
def csv_attr(f, name):
    """A comma-list root attribute as a list of stripped, non-empty items ([] when absent)."""
    if name not in f.attrs:
        return []
    return [s.strip() for s in text_attr(f, name, f.filename).split(",") if s.strip()]


def list_groups(f):
    """Paths '/model/tap/mode/distance' of the result groups, in the file's order."""
    out = []

    def walk(g, depth):
        for key in g:
            obj = g[key]
            if not isinstance(obj, h5py.Group) or (depth == 0 and key == "estimate"):
                continue
            if depth == 3:
                out.append(obj.name)
            else:
                walk(obj, depth + 1)
    walk(f, 0)
    return out


def norm_group(path):
    return "/" + "/".join(p for p in path.split("/") if p)


def read_group(f, path):
    """distance, order, selected, z and the attributes of one result group, checked."""
    if path not in f or not isinstance(f[path], h5py.Group):
        have = list_groups(f)
        raise InputError(f"{f.filename}: no group '{path}' (groups: {', '.join(have) or 'none'})")
    g = f[path]
    r = {"path": path}
    for k in ("distance", "order", "z"):
        r[k] = dataset(f, f"{path}/{k}", (None,))
    r["selected"] = dataset(f, f"{path}/selected", (None,))
    n = r["distance"].size
    for k in ("order", "z"):
        if r[k].size != n:
            raise InputError(f"{f.filename}: dataset '{path}/{k}' has {r[k].size} entries, "
                             f"'{path}/distance' {n}")
    for k in ("order", "selected"):
        if r[k].dtype.kind not in "iu" or (r[k].size and (r[k].min() < 0 or r[k].max() >= n)):
            raise InputError(f"{f.filename}: dataset '{path}/{k}' holds values that are not catalogue "
                             f"indices 0 to {n - 1}")
    for k in ("mean", "std", "threshold"):
        r[k] = number_attr(g, k, f.filename)
    r["select_sigma"] = number_attr(g, "select_sigma", f.filename)
    return r


def load_best(results, group, catalogue, observation, n_best):
    with open_h5(results) as f:
        groups = list_groups(f)
        if group is None:
            if not groups:
                raise InputError(f"{results}: no (model, tap, mode, distance) group in the file")
            group = groups[0]
        r = read_group(f, norm_group(group))
    n_img = r["distance"].size
    if n_best < 1:
        raise InputError(f"{results}: --n {n_best}: expected at least 1 image")
    with open_h5(catalogue) as f:
        img = f.get("images")
        if not isinstance(img, h5py.Dataset) or img.ndim != 4:
            raise InputError(f"{catalogue}: missing dataset 'images' of shape (N_snap, K, H, W)")
        n_snap, nk, h, w = img.shape
        if n_snap * nk != n_img:
            raise InputError(f"{catalogue}: {n_snap} snapshots x {nk} observers = {n_snap * nk} images, but "
                             f"{results} group '{r['path']}' ranks {n_img}: not the catalogue that was matched")
        c = {"path": catalogue, "K": nk, "h": h, "w": w,
             "units": text_attr(img, "units", catalogue),
             "observable": text_attr(img, "observable", catalogue),
             "scale": number_attr(img, "pixel_scale_au", catalogue)}
        if not c["scale"] > 0:
            raise InputError(f"{catalogue}: attribute 'pixel_scale_au' of '/images' = {c['scale']}, expected > 0")
        t1 = dataset(f, "meta/t1", (n_snap,))
        c["t1_u"] = units(f, "meta/t1")
        sid = dataset(f, "meta/system_id", (n_snap,))
        snap = dataset(f, "meta/snapshot", (n_snap,))
        names = system_names(f)
        top = r["order"][:min(n_best, n_img)]
        sel = set(int(i) for i in r["selected"])
        tiles = []
        for rank, i in enumerate(top, 1):
            s, k = int(i) // nk, int(i) % nk
            try:
                a = np.asarray(img[s, k], dtype=np.float64)
            except (OSError, ValueError) as e:
                raise InputError(f"{catalogue}: cannot read dataset 'images' ({' '.join(str(e).split())})") from None
            tiles.append({"rank": rank, "index": int(i), "snap_index": s, "k": k + 1, "image": a,
                          "d": r["distance"][i], "z": r["z"][i], "selected": int(i) in sel,
                          "name": name_of(names, int(sid[s])), "snapshot": int(snap[s]), "t1": t1[s]})
    o = load_observation(observation) if observation else None
    return r, c, tiles, o


def load_observation(path):
    fits, hdul = open_fits(path, "--observation")
    with hdul:
        hdr = hdul[0].header
        o = {"path": path, "image": plane(hdul[0].data, path, "the primary HDU")}
        o["bunit"] = str(fits_key(hdr, "BUNIT", path, required=False, default="")).strip()
        o["noise"] = fits_number(hdr, "NOISE", path, required=False, default=0.0)
        cd1 = fits_number(hdr, "CDELT1", path, required=False, default=0.0)
        cd2 = fits_number(hdr, "CDELT2", path, required=False, default=0.0)
        dist = fits_number(hdr, "DISTANCE", path, required=False, default=0.0)
        o["scale"] = ((abs(cd1) * 3600.0 * dist, abs(cd2) * 3600.0 * dist)
                      if cd1 and cd2 and dist > 0 else None)       # AU per pixel, or pixels
        o["truth"] = {}
        names = [x.name for x in hdul]
        if "TRUTH" in names:
            tab = hdul["TRUTH"]
            if not isinstance(tab, (fits.BinTableHDU, fits.TableHDU)) or tab.data is None or len(tab.data) < 1:
                raise InputError(f"{path}: extension 'TRUTH' is not a table with one row")
            for col in tab.columns:
                v = np.asarray(tab.data[col.name][0])
                if v.size == 1 and v.dtype.kind in "iuf":
                    o["truth"][col.name] = (float(v), (col.unit or "").strip())
    return o


def load_estimates(results):
    with open_h5(results) as f:
        if "estimate" not in f or not isinstance(f["estimate"], h5py.Group):
            raise InputError(f"{results}: missing group '/estimate'")
        est = f["estimate"]
        listed = csv_attr(f, "parameters")
        params = [p for p in listed if p in est] + [p for p in est if p not in listed]
        params = [p for p in params if isinstance(est[p], h5py.Group)]
        if not params:
            raise InputError(f"{results}: group '/estimate' holds no parameter")
        group_names = csv_attr(f, "groups")
        out = []
        for p in params:
            g = est[p]
            base = f"estimate/{p}"
            e = {"name": p, "sample": dataset(f, f"{base}/sample", (None,)).astype(np.float64),
                 "kde_x": dataset(f, f"{base}/kde_x", (None,)), "kde_y": dataset(f, f"{base}/kde_y", (None,))}
            if e["kde_x"].size != e["kde_y"].size:
                raise InputError(f"{results}: datasets '{base}/kde_x' ({e['kde_x'].size}) and '{base}/kde_y' "
                                 f"({e['kde_y'].size}) differ in length")
            for k in ("mode", "median", "p16", "p84", "n", "zero_fraction"):
                e[k] = number_attr(g, k, results)
            e["truth"] = number_attr(g, "truth", results, default=float("nan"))
            e["units"] = text_attr(g, "units", results, default="")
            e["group"] = None
            if f"{base}/sample_group" in f:
                sg = dataset(f, f"{base}/sample_group", (e["sample"].size,))
                if sg.dtype.kind not in "iu":
                    raise InputError(f"{results}: dataset '{base}/sample_group' is not integer group indices")
                ng = len(group_names) if group_names else (int(sg.max()) + 1 if sg.size else 0)
                if sg.size and (sg.min() < 0 or sg.max() >= ng):
                    raise InputError(f"{results}: dataset '{base}/sample_group' holds values outside 0 to "
                                     f"{ng - 1} (root attribute 'groups' lists {len(group_names)})")
                e["group"] = sg
            out.append(e)
        if group_names:
            labels = [short(g) for g in group_names]
        else:
            ng = max([int(e["group"].max()) + 1 for e in out if e["group"] is not None and e["group"].size] or [0])
            labels = [f"group {j}" for j in range(ng)]
        return out, labels, os.path.basename(text_attr(f, "features", results, default=""))


def load_zhist(results):
    with open_h5(results) as f:
        paths = list_groups(f)
        if not paths:
            raise InputError(f"{results}: no (model, tap, mode, distance) group in the file")
        return [read_group(f, p) for p in paths]


# --------------------------------------------------------------------------------------- figures
def short(path):
    return path.strip("/")


def draw_image(ax, a, ext, norm, cmap):
    if not np.isfinite(a).any():
        ax.text(0.5, 0.5, "no finite pixel", transform=ax.transAxes, ha="center", color="0.35")
    im = ax.imshow(masked(a, norm), origin="upper", extent=ext, cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    return im


def plot_best(r, c, tiles, o, stretch, results, out):
    n = len(tiles)
    ncol = min(4, n) if n <= 12 else min(10, int(np.ceil(np.sqrt(2 * n))))   # 8: 2x4, 50: 5x10
    nrow = (n + ncol - 1) // ncol
    signed = is_velocity(c["observable"], c["units"])
    fig = plt.figure(figsize=(3.2 * ncol + 1.4 + (4.6 if o else 0.0), 3.45 * nrow + 1.2), layout="constrained")
    if o:
        sf_o, sf_c = fig.subfigures(1, 2, width_ratios=[4.6, 3.2 * ncol + 1.4])
    else:
        sf_o, sf_c = None, fig
    # the observation, on its own colour scale
    if o:
        ax = sf_o.subplots(1, 1)
        a = o["image"]
        h, w = a.shape
        osigned = is_velocity("", o["bunit"])
        onorm, ocmap, oext, owhat = image_norm([a], osigned, "linear" if osigned else stretch,
                                               floor=max(o["noise"], 0.0))
        if o["scale"]:
            ext = extent_au(h, w, *o["scale"])
            ax.set_xlabel("x [AU]")
            ax.set_ylabel("y [AU] (north up)")
        else:
            ext = [-0.5 * w, 0.5 * w, -0.5 * h, 0.5 * h]
            ax.set_xlabel("x [pixel]")
            ax.set_ylabel("y [pixel]")
        im = draw_image(ax, a, ext, onorm, ocmap)
        truth = ", ".join(f"{k} = {v:.4g}" for k, (v, _) in o["truth"].items() if k in ("t1", "M1", "M2", "sep"))
        ax.set_title(f"observation\n{os.path.basename(o['path'])}" + (f"\ntruth: {truth}" if truth else ""),
                     fontsize=10)
        sf_o.colorbar(im, ax=ax, location="bottom", shrink=0.9, extend=oext,
                      label=("velocity" if osigned else "intensity") + (f" [{o['bunit']}]" if o["bunit"] else "")
                      + f"\n{owhat}")
    # the n best-ranked catalogue images, on one colour scale
    axs = sf_c.subplots(nrow, ncol, squeeze=False, sharex=True, sharey=True)
    ext = extent_au(c["h"], c["w"], c["scale"], c["scale"])
    norm, cmap, extend, what = image_norm([t["image"] for t in tiles], signed, "linear" if signed else stretch)
    im = None
    for j in range(nrow * ncol):
        ax = axs.flat[j]
        if j >= n:
            ax.set_axis_off()
            continue
        t = tiles[j]
        im = draw_image(ax, t["image"], ext, norm, cmap)
        ax.set_title(f"#{t['rank']}  d = {t['d']:.4g}  z = {t['z']:.2f}\n{t['name']} t1 = {t['t1']:.2f} "
                     f"{c['t1_u'] or 'kyr'}, k = {t['k']}", fontsize=9.5,
                     color=SELECT_COLOR if t["selected"] else "black")
        if j % ncol == 0:
            ax.set_ylabel("y [AU]")
        if j + ncol >= n:                    # the lowest panel of its column
            ax.set_xlabel("x [AU]")
            ax.xaxis.set_tick_params(labelbottom=True)
    label = ("moment 1" if signed else c["observable"]) + (f" [{c['units']}]" if c["units"] else "")
    sf_c.colorbar(im, ax=axs.ravel().tolist(), label=label, shrink=0.9, extend=extend)
    fig.suptitle(f"{short(r['path'])}: the {n} best-ranked of {r['distance'].size} catalogue images "
                 f"({len(r['selected'])} selected at z < -{r['select_sigma']:g}, red titles; threshold d = "
                 f"{r['threshold']:.4g})\n{os.path.basename(results)} against {os.path.basename(c['path'])}; "
                 f"{c['observable']}, stretch {what}", fontsize=11)
    return save(fig, out)


def plot_zhist(groups, results, log, out):
    n = len(groups)
    ncol = int(np.ceil(np.sqrt(n)))
    nrow = (n + ncol - 1) // ncol
    fig, axs = plt.subplots(nrow, ncol, figsize=(4.3 * ncol, 3.3 * nrow + 0.8), layout="constrained", squeeze=False)
    for j in range(nrow * ncol):
        ax = axs.flat[j]
        if j >= n:
            ax.set_axis_off()
            continue
        r = groups[j]
        s = r["select_sigma"]
        z = r["z"][np.isfinite(r["z"])]
        ax.set_title(short(r["path"]), fontsize=10)
        if z.size == 0:
            note(ax, f"no finite z (std = {r['std']:.3g})")
            continue
        lo = np.floor(min(z.min(), -s) / Z_BIN - 1e-9) * Z_BIN
        hi = np.ceil(z.max() / Z_BIN + 1e-9) * Z_BIN
        edges = np.arange(round((hi - lo) / Z_BIN) + 1) * Z_BIN + lo
        if edges.size < 2:
            edges = np.array([lo, lo + Z_BIN])
        ax.hist(z, bins=edges, color="0.55", label=f"all {z.size}")
        ax.hist(z[z < -s], bins=edges, color=SELECT_COLOR,
                label=f"selected: {len(r['selected'])} (z < -{s:g})")
        ax.axvline(-s, color=SELECT_COLOR, ls="--", lw=1.2)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("z = (d - μ) / σ")
        if j % ncol == 0:
            ax.set_ylabel("images per 0.1σ")
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(alpha=0.3)
    fig.suptitle(f"standardised distances of the catalogue images: {os.path.basename(results)} "
                 f"({n} groups)", fontsize=12)
    return save(fig, out)


def plot_estimates(ests, labels, results, features, out):
    n = len(ests)
    ncol = min(3, n)
    nrow = (n + ncol - 1) // ncol
    fig, grid = plt.subplots(nrow, ncol + 1, figsize=(4.8 * ncol + 3.0, 3.7 * nrow + 0.8), layout="constrained",
                             squeeze=False, gridspec_kw={"width_ratios": [1.0] * ncol + [0.6]})
    axs = grid[:, :ncol]
    for ax in grid[:, ncol]:                 # the last column holds the legend
        ax.set_axis_off()
    colors = [f"C{j % 10}" for j in range(len(labels))]
    used = set()
    stacked_any = False
    for j in range(nrow * ncol):
        ax = axs.flat[j]
        if j >= n:
            ax.set_axis_off()
            continue
        e = ests[j]
        x = e["sample"]
        fin = np.isfinite(x)
        xlabel = e["name"] + (f" [{e['units']}]" if e["units"] else "")
        ax.set_xlabel(xlabel)
        ax.set_title(e["name"])
        if not fin.any():
            note(ax, "empty selection: no sample")
            continue
        xs = x[fin]
        lo, hi = float(xs.min()), float(xs.max())
        if hi <= lo:
            pad = 0.5 * abs(lo) if lo else 0.5
            lo, hi = lo - pad, hi + pad
        edges = np.linspace(lo, hi, ESTIMATE_BINS + 1)
        if e["group"] is not None:
            g = e["group"][fin]
            present = [k for k in range(len(labels)) if np.any(g == k)]
            ax.hist([xs[g == k] for k in present], bins=edges, stacked=True,
                    color=[colors[k] for k in present], label=[labels[k] for k in present])
            used.update(present)
            stacked_any = True
        else:
            ax.hist(xs, bins=edges, color="0.6")
        has_kde = e["kde_x"].size >= 2 and np.isfinite(e["kde_y"]).any()
        zero = e["zero_fraction"] > 0 or e["name"].lower().startswith("dsize")
        if has_kde:
            n_kde = int(np.count_nonzero(xs)) if e["zero_fraction"] > 0 else xs.size
            ax.plot(e["kde_x"], e["kde_y"] * n_kde * (edges[1] - edges[0]), color="black", lw=1.6)
        for v, ls in ((e["median"], "-"), (e["p16"], ":"), (e["p84"], ":")):
            if np.isfinite(v):
                ax.axvline(v, color="black", ls=ls, lw=1.2)
        if np.isfinite(e["truth"]):
            ax.axvline(e["truth"], color=TRUTH_COLOR, ls="--", lw=1.8)
        u = f" {e['units']}" if e["units"] else ""
        lines = [f"n = {int(e['n'])}"]
        if np.isfinite(e["median"]):
            lines.append(f"median {e['median']:.4g}{u}")
            lines.append(f"16-84%: {e['p16']:.4g} to {e['p84']:.4g}")
            lines.append(f"mode {e['mode']:.4g}")
        if not has_kde:
            lines.append("no KDE (n < 2 or σ = 0)")
        if np.isfinite(e["truth"]):
            lines.append(f"truth {e['truth']:.4g}{u}")
        if zero:
            lines.append(f"zero fraction {e['zero_fraction']:.3f}" + (" (KDE of non-zero)" if e["zero_fraction"] > 0
                                                                       and has_kde else ""))
        ax.text(0.98, 0.97, "\n".join(lines), transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox=dict(facecolor="white", alpha=0.8, edgecolor="0.7"))
        ax.set_ylim(0, 1.6 * ax.get_ylim()[1])          # headroom for the text box
        if j % ncol == 0:
            ax.set_ylabel(f"selected images per bin ({ESTIMATE_BINS} bins)")
        ax.grid(alpha=0.3)
    handles = [Patch(color=colors[k], label=labels[k]) for k in sorted(used)] if stacked_any else \
        [Patch(color="0.6", label="pooled sample (no sample_group)")]
    handles += [Line2D([], [], color="black", lw=1.6, label="KDE (counts per bin)"),
                Line2D([], [], color="black", ls="-", lw=1.2, label="median"),
                Line2D([], [], color="black", ls=":", lw=1.2, label="16 / 84 %"),
                Line2D([], [], color=TRUTH_COLOR, ls="--", lw=1.8, label="truth")]
    grid[0, ncol].legend(handles=handles, loc="upper left", fontsize=8.5, frameon=False)
    fig.suptitle(f"parameter estimates from the pooled selections: {os.path.basename(results)}"
                 + (f" (features {features})" if features else ""), fontsize=12)
    return save(fig, out)


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Draw figures of a synobs match results file.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="{best,zhist,estimates}")
    p = sub.add_parser("best", help="the observation beside its n best-ranked catalogue images (Figs 4/6)")
    p.add_argument("results", help="results file written by `synobs match` (HDF5)")
    p.add_argument("--catalogue", required=True, help="the catalogue file that was matched (HDF5)")
    p.add_argument("--observation", help="the observation FITS file")
    p.add_argument("--group", help="/MODEL/TAP/MODE/DISTANCE (default: the first in the file)")
    p.add_argument("--n", type=int, default=8, help="how many best-ranked images (default 8)")
    p.add_argument("--stretch", choices=("log", "linear"), default="log",
                   help="continuum stretch (default log); velocity maps are always linear")
    p.add_argument("--out", help="PNG to write (default best_<model>_<tap>_<mode>_<distance>.png)")
    p = sub.add_parser("zhist", help="histograms of z per group with the -select_sigma cut (Fig. 5)")
    p.add_argument("results", help="results file written by `synobs match` (HDF5)")
    p.add_argument("--log", action="store_true", help="log count axis")
    p.add_argument("--out", help="PNG to write (default zhist.png)")
    p = sub.add_parser("estimates", help="pooled parameter histograms, KDE, median, 16/84 and truth (Figs 7/8)")
    p.add_argument("results", help="results file written by `synobs match` (HDF5)")
    p.add_argument("--out", help="PNG to write (default estimates.png)")
    a = ap.parse_args(argv)
    try:
        if a.command == "best":
            r, c, tiles, o = load_best(a.results, a.group, a.catalogue, a.observation, a.n)
            safe = "_".join("".join(ch if ch.isalnum() or ch in "-." else "_" for ch in part)
                            for part in r["path"].strip("/").split("/"))
            job = (plot_best, r, c, tiles, o, a.stretch, a.results, a.out or f"best_{safe}.png")
        elif a.command == "zhist":
            job = (plot_zhist, load_zhist(a.results), a.results, a.log, a.out or "zhist.png")
        else:
            ests, labels, features = load_estimates(a.results)
            job = (plot_estimates, ests, labels, a.results, features, a.out or "estimates.png")
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    job[0](*job[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
