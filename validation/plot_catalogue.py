#!/usr/bin/python3
"""Figures of synobs's catalogue of synthetic forming binaries and of its synthetic observations.

Why: `synobs catalogue` writes tens of thousands of images with exact metadata and `synobs observe`
writes one FITS observation with its ground truth; these figures say at a glance whether the
geometry is right (the primary exactly above the secondary, at the target projected separation, in
all 8 views of the cone), whether the model's history is what the presets promise (masses growing
to the final values, accretion bursts at periastron, disks truncated by the orbit), and what an
observation looks like beside its noiseless truth.

usage: /usr/bin/python3 validation/plot_catalogue.py views CATALOGUE --snapshot I [--out FIG.png]
                                                         [--stretch log|linear]
       /usr/bin/python3 validation/plot_catalogue.py history CATALOGUE --system NAME_OR_ID [--out FIG.png]
       /usr/bin/python3 validation/plot_catalogue.py profiles CATALOGUE --snapshot I [--out FIG.png]
       /usr/bin/python3 validation/plot_catalogue.py observation FITS [--catalogue CATALOGUE] [--out FIG.png]

  views        the paper's Figure 2 for one snapshot: its views (8) in a 2x4 grid, each titled with
               k and phi_k (and '(not exact)' where los_exact = 0, i.e. d < p), axes in AU from the
               image centre, primary '+' (1, red), secondary 'x' (2, yellow), one colour bar.
               Continuum: log stretch by default, clipped at 1e-4 of the maximum over the views
               (pixels <= 0 drawn in the lowest colour); moment 1: linear, diverging colormap
               symmetric about 0, blanked (NaN) pixels grey. I is the index along /images's first
               axis (0 .. N_snap-1), not the value in /meta/snapshot.
  history      the metadata of one system against t1: M, Mdot (log), L (log), disk radius, disk
               mass (both stars), Mgas100, separation, orbital phase. NAME_OR_ID is a name from
               /systems/names (e.g. B1) or a system id.
  profiles     the radial profiles of one snapshot about each star (meta/vprof1/2, meta/Lprof1/2 on
               meta/shell_edges_au): the mass-weighted radial velocity, and the specific angular
               momentum's size and its part along the star's disk normal (J1, J2), against the
               shell's mean radius; the disk radius dashed.
  observation  the observed image beside its TRUTH_IMAGE on one colour scale (beam ellipse
               bottom-left where BMAJ > 0), axes in AU from DISTANCE and CDELT1/2, and the TRUTH
               table with units. Intensity: log stretch clipped at max(1e-4 of the maximum, NOISE);
               velocity (BUNIT km/s or m/s): linear, diverging. --catalogue names the system when
               the TRUTH table holds a numeric system id.

--out defaults to views_<I>.png, history_<name>.png, profiles_<I>.png or <fits-stem>_observation.png in the current
folder; the path written is printed. Every input is read and checked before anything is drawn: a
missing or unreadable file, a missing or mis-shaped dataset, attribute or header key, or a snapshot or
system not in the file ends the run with exit 1 and one line on stderr naming the file, and no
figure is written. `observation` needs astropy; the other two need only numpy, h5py and matplotlib.
"""
import argparse
import os
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.patches import Circle, Ellipse  # noqa: E402

PROG = "plot_catalogue.py"
DPI = 110
LOG_CLIP = 1e-4            # log stretch: floor at this fraction of the maximum
ARCSEC_PER_DEG = 3600.0    # 1 arcsec at 1 pc is 1 AU
PRIMARY_COLOR = "red"      # the paper's Fig. 2: primary red, secondary yellow
SECONDARY_COLOR = "yellow"
OUTLINE = [pe.withStroke(linewidth=3, foreground="black")]
META_SCALARS = ("t1", "t2", "M1", "M2", "Mdot1", "Mdot2", "L1", "L2", "dsize1", "dsize2", "Md1", "Md2",
                "Mgas100", "sep", "phase")
TEXT_LINES_PER_COLUMN = 30


class InputError(Exception):
    """A missing or unusable input; its text is the one-line message (file and what is wrong)."""


# ----------------------------------------------------------------------------------------- reading
def open_h5(path):
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: cannot open as HDF5 ({' '.join(str(e).split())})") from None


def require(f, name):
    if name not in f or not isinstance(f[name], h5py.Dataset):
        raise InputError(f"{f.filename}: missing dataset '{name}'")
    return f[name]


def dataset(f, name, shape=None, index=None):
    """Dataset `name` of file f as float64 (int64 where integer). shape: the expected shape, None
    entries free. index: read only this entry along axis 0 (after the shape check)."""
    d = require(f, name)
    if shape is not None and (d.ndim != len(shape) or
                              any(s is not None and s != n for s, n in zip(shape, d.shape))):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise InputError(f"{f.filename}: dataset '{name}' has shape {d.shape}, expected {want}")
    try:
        a = d[index] if index is not None else d[()]
    except (OSError, ValueError) as e:   # e.g. a VDS whose source file is gone
        raise InputError(f"{f.filename}: cannot read dataset '{name}' ({' '.join(str(e).split())})") from None
    kind = np.int64 if np.issubdtype(d.dtype, np.integer) else np.float64
    return np.asarray(a, dtype=kind)


def text_attr(obj, name, filename, default=None):
    if name not in obj.attrs:
        if default is not None:
            return default
        raise InputError(f"{filename}: missing attribute '{name}' of '{obj.name}'")
    v = obj.attrs[name]
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    v = np.asarray(v).reshape(-1)
    if v.size == 1 and isinstance(v[0], (bytes, np.bytes_)):
        return v[0].decode("utf-8", "replace")
    return str(v[0]) if v.size == 1 else str(v)


def number_attr(obj, name, filename, default=None):
    if name not in obj.attrs:
        if default is not None:
            return default
        raise InputError(f"{filename}: missing attribute '{name}' of '{obj.name}'")
    v = np.asarray(obj.attrs[name]).reshape(-1)
    try:
        if v.size != 1:
            raise ValueError
        return float(v[0])
    except (TypeError, ValueError):
        raise InputError(f"{filename}: attribute '{name}' of '{obj.name}' = {v!r} is not a number") from None


def units(f, name):
    return text_attr(f[name], "units", f.filename, default="")


def system_names(f):
    d = require(f, "systems/names")
    if d.ndim != 1:
        raise InputError(f"{f.filename}: dataset 'systems/names' has shape {d.shape}, expected (S,)")
    out = []
    for v in d[()]:
        out.append(v.decode("utf-8", "replace") if isinstance(v, (bytes, np.bytes_)) else str(v))
    return out


def name_of(names, sid):
    return names[sid] if 0 <= sid < len(names) else f"system {sid}"


def load_views(path, index):
    """Image planes, line-of-sight fields and metadata of snapshot `index` of a catalogue file."""
    with open_h5(path) as f:
        img = require(f, "images")
        if img.ndim != 4:
            raise InputError(f"{path}: dataset 'images' has shape {img.shape}, expected (N_snap, 8, H, W)")
        n, nv, h, w = img.shape
        if n == 0:
            raise InputError(f"{path}: dataset 'images' holds no snapshot")
        if not 0 <= index < n:
            raise InputError(f"{path}: snapshot {index} is out of range: the catalogue holds {n} snapshots "
                             f"(indices 0 to {n - 1})")
        v = {"path": path, "index": index, "n": n, "nv": nv, "h": h, "w": w,
             "images": dataset(f, "images", index=index),
             "units": text_attr(img, "units", path),
             "observable": text_attr(img, "observable", path),
             "scale": number_attr(img, "pixel_scale_au", path),
             "beam": number_attr(img, "beam_fwhm_au", path, default=0.0),
             "distance": number_attr(img, "distance_pc", path, default=float("nan"))}
        if not v["scale"] > 0:
            raise InputError(f"{path}: attribute 'pixel_scale_au' of '/images' = {v['scale']}, expected > 0")
        v["phi"] = dataset(f, "los/phi", (n, nv), index)
        v["exact"] = dataset(f, "los/los_exact", (n, nv), index)
        v["p"] = dataset(f, "los/projected_separation_au", (n, nv), index)
        v["star1"] = dataset(f, "los/star1_px", (n, nv, 2), index)
        v["star2"] = dataset(f, "los/star2_px", (n, nv, 2), index)
        for k in ("t1", "M1", "M2", "sep"):
            v[k] = float(dataset(f, f"meta/{k}", (n,), index))
            v[k + "_u"] = units(f, f"meta/{k}")
        v["sid"] = int(dataset(f, "meta/system_id", (n,), index))
        v["snap"] = int(dataset(f, "meta/snapshot", (n,), index))
        v["name"] = name_of(system_names(f), v["sid"])
    return v


def load_history(path, system):
    """All metadata of one system (by name or id), sorted by t1."""
    with open_h5(path) as f:
        names = system_names(f)
        sid_all = dataset(f, "meta/system_id", (None,))
        n = sid_all.size
        if system in names:
            sid = names.index(system)
        else:
            try:
                sid = int(system)
            except ValueError:
                raise InputError(f"{path}: no system '{system}' (systems: {', '.join(names) or 'none'})") from None
        sel = np.flatnonzero(sid_all == sid)
        if sel.size == 0:
            raise InputError(f"{path}: system {system!r} (id {sid}) has no snapshot in the catalogue "
                             f"(systems: {', '.join(f'{i}={s}' for i, s in enumerate(names)) or 'none'})")
        hst = {"path": path, "sid": sid, "name": name_of(names, sid), "n": sel.size}
        for k in META_SCALARS:
            hst[k] = dataset(f, f"meta/{k}", (n,))[sel]
            hst[k + "_u"] = units(f, f"meta/{k}")
    order = np.argsort(hst["t1"], kind="stable")
    for k in META_SCALARS:
        hst[k] = hst[k][order]
    return hst


def load_profiles(path, index):
    """The radial profiles of snapshot `index` (about both stars) with the shells and the disk data."""
    with open_h5(path) as f:
        edges = dataset(f, "meta/shell_edges_au", (None,))
        ns = edges.size - 1
        if ns < 1:
            raise InputError(f"{path}: meta/shell_edges_au holds {edges.size} edge(s); a profile needs 2 or more")
        n = dataset(f, "meta/vprof1", (None, ns)).shape[0]
        if not 0 <= index < n:
            raise InputError(f"{path}: snapshot {index} is not in the catalogue (0 .. {n - 1})")
        pr = {"path": path, "index": index, "r": np.sqrt(edges[:-1] * edges[1:]),
              "units_v": units(f, "meta/vprof1"), "units_l": units(f, "meta/Lprof1")}
        for i in (1, 2):
            pr[f"v{i}"] = dataset(f, f"meta/vprof{i}", (n, ns))[index]
            pr[f"L{i}"] = dataset(f, f"meta/Lprof{i}", (n, ns, 3))[index]
            pr[f"J{i}"] = dataset(f, f"meta/J{i}", (n, 3))[index]
            pr[f"dsize{i}"] = float(dataset(f, f"meta/dsize{i}", (n,))[index])
        pr["t1"] = float(dataset(f, "meta/t1", (n,))[index])
    return pr


def fits_key(hdr, key, path, required=True, default=None):
    if key not in hdr:
        if required:
            raise InputError(f"{path}: missing header key '{key}'")
        return default
    return hdr[key]


def fits_number(hdr, key, path, required=True, default=None):
    v = fits_key(hdr, key, path, required, default)
    if v is None:
        return default
    try:
        return float(v)
    except (TypeError, ValueError):
        raise InputError(f"{path}: header key '{key}' = {v!r} is not a number") from None


def plane(data, path, what):
    """The 2-D image of an HDU's data (the first plane of a cube), row 0 = top."""
    if data is None:
        raise InputError(f"{path}: {what} holds no image")
    a = np.asarray(data, dtype=np.float64)
    while a.ndim > 2:
        a = a[0]
    if a.ndim != 2 or a.size == 0:
        raise InputError(f"{path}: {what} has shape {np.shape(data)}, expected a 2-D image")
    return a[::-1]                 # FITS stores the bottom row first


def open_fits(path, purpose):
    """(astropy.io.fits, the opened HDU list) of a FITS file; `purpose` names what needs astropy."""
    try:
        from astropy.io import fits
    except ImportError as e:
        raise InputError(f"{path}: {purpose} needs astropy ({e})") from None
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    try:
        return fits, fits.open(path, memmap=False)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot open as FITS ({' '.join(str(e).split())})") from None


def load_observation(path, catalogue):
    fits, hdul = open_fits(path, "the observation figure")
    with hdul:
        hdr = hdul[0].header
        o = {"path": path, "image": plane(hdul[0].data, path, "the primary HDU")}
        o["cdelt1"] = fits_number(hdr, "CDELT1", path)
        o["cdelt2"] = fits_number(hdr, "CDELT2", path)
        o["distance"] = fits_number(hdr, "DISTANCE", path)
        if not (o["distance"] > 0 and o["cdelt1"] != 0 and o["cdelt2"] != 0):
            raise InputError(f"{path}: DISTANCE = {o['distance']}, CDELT1 = {o['cdelt1']}, CDELT2 = "
                             f"{o['cdelt2']}: expected a positive distance and non-zero pixel sizes")
        o["bunit"] = str(fits_key(hdr, "BUNIT", path, required=False, default="")).strip()
        o["object"] = str(fits_key(hdr, "OBJECT", path, required=False, default="")).strip()
        o["noise"] = fits_number(hdr, "NOISE", path, required=False, default=0.0)
        o["bmaj"] = fits_number(hdr, "BMAJ", path, required=False, default=0.0)
        o["bmin"] = fits_number(hdr, "BMIN", path, required=False, default=o["bmaj"])
        o["bpa"] = fits_number(hdr, "BPA", path, required=False, default=0.0)
        names = [h.name for h in hdul]
        o["truth_image"] = None
        if "TRUTH_IMAGE" in names:
            t = plane(hdul["TRUTH_IMAGE"].data, path, "extension 'TRUTH_IMAGE'")
            if t.shape != o["image"].shape:
                raise InputError(f"{path}: extension 'TRUTH_IMAGE' has shape {t.shape}, the observation "
                                 f"{o['image'].shape}")
            o["truth_image"] = t
        o["truth"] = None
        if "TRUTH" in names:
            tab = hdul["TRUTH"]
            if not isinstance(tab, (fits.BinTableHDU, fits.TableHDU)) or tab.data is None or len(tab.data) < 1:
                raise InputError(f"{path}: extension 'TRUTH' is not a table with one row")
            o["truth"] = [(c.name, np.asarray(tab.data[c.name][0]), (c.unit or "").strip())
                          for c in tab.columns]
    o["catalogue_names"] = None
    if catalogue:
        with open_h5(catalogue) as f:
            o["catalogue_names"] = system_names(f)
        o["catalogue"] = catalogue
    return o


# --------------------------------------------------------------------------------------- helpers
def note(ax, text):
    """A panel with nothing to draw: its reason in the middle, no axis ticks."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10,
            color="0.35", wrap=True)


def extent_au(h, w, sx, sy):
    """imshow extent, AU from the image centre, pixel centres at integers, row 0 at the top."""
    return [-0.5 * w * sx, 0.5 * w * sx, -0.5 * h * sy, 0.5 * h * sy]


def px_to_au(rc, h, w, scale):
    """(row, col) pixel coordinates -> (x, y) AU from the image centre, y up."""
    return (rc[1] - 0.5 * (w - 1)) * scale, (0.5 * (h - 1) - rc[0]) * scale


def is_velocity(observable, unit):
    u = unit.replace(" ", "").lower()
    return observable.lower().startswith("moment") or u in ("km/s", "kms-1", "km.s-1", "m/s", "ms-1", "m.s-1")


def image_norm(arrays, signed, stretch, floor=0.0):
    """(norm, cmap, extend, what) for a set of images drawn on one scale."""
    v = np.concatenate([a[np.isfinite(a)].ravel() for a in arrays])
    if signed:
        cmap = matplotlib.colormaps["RdBu_r"].copy()
        cmap.set_bad("0.6")
        m = float(np.max(np.abs(v))) if v.size else 1.0
        m = m if m > 0 else 1.0
        return Normalize(-m, m), cmap, "neither", "linear, symmetric about 0"
    cmap = matplotlib.colormaps["inferno"].copy()
    cmap.set_bad(cmap(0.0))
    pos = v[v > 0]
    if stretch == "log" and pos.size:
        vmax = float(pos.max())
        vmin = max(vmax * LOG_CLIP, floor)
        if vmin >= vmax:
            vmin = vmax * LOG_CLIP
        return LogNorm(vmin, vmax), cmap, "min", f"log, clipped at {vmin / vmax:.1e} of the maximum"
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    what = "linear" if stretch == "linear" else "linear (no positive pixel for a log stretch)"
    return Normalize(lo, hi), cmap, "neither", what


def masked(a, norm):
    """NaN, and for a log norm the pixels <= 0, masked (drawn in the colormap's 'bad' colour)."""
    bad = ~np.isfinite(a)
    if isinstance(norm, LogNorm):
        bad |= ~(a > 0)
    return np.ma.array(a, mask=bad)


def mark_star(ax, x, y, ext, marker, color, label, below=False):
    """A star at (x, y) AU, labelled above-right (below-right with `below`, so that two close stars'
    labels do not overlap); one outside the field is drawn at the edge, labelled '(outside)'."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return
    inside = ext[0] <= x <= ext[1] and ext[2] <= y <= ext[3]
    cx, cy = min(max(x, ext[0]), ext[1]), min(max(y, ext[2]), ext[3])
    ax.plot([cx], [cy], marker, color=color, ms=11, mew=2.2, path_effects=OUTLINE, clip_on=False)
    if not inside:                      # keep the label inside the panel, off the tick labels
        below = cy >= ext[3] or (below and cy > ext[2])
    dx = -7 if cx >= ext[1] else 7
    ax.annotate(label if inside else f"{label} (outside)", (cx, cy), xytext=(dx, -14 if below else 5),
                textcoords="offset points", ha="right" if dx < 0 else "left",
                color=color, fontsize=10, fontweight="bold", path_effects=OUTLINE, annotation_clip=False)


def beam_corner(ax, ext, width, height, angle, circle=False):
    """A beam outline at the bottom-left corner of an image with extent ext (AU)."""
    pad = 0.08 * (ext[1] - ext[0])
    r = 0.5 * max(width, height)
    cx, cy = ext[0] + pad + r, ext[2] + pad + r
    patch = (Circle((cx, cy), 0.5 * width) if circle else Ellipse((cx, cy), width, height, angle=angle))
    patch.set(facecolor="none", edgecolor="white", lw=1.6, hatch="////",
              path_effects=[pe.withStroke(linewidth=3.2, foreground="black")])
    ax.add_patch(patch)


def fmt(v):
    a = np.asarray(v)
    if a.dtype.kind in "SUO":
        x = a.reshape(-1)[0] if a.size else ""
        return x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)
    if a.size != 1:
        return "(" + ", ".join(f"{x:.4g}" for x in a.reshape(-1)) + ")"
    x = a.reshape(-1)[0]
    if a.dtype.kind in "iub":
        return str(int(x))
    return f"{float(x):.6g}"


def save(fig, out):
    d = os.path.dirname(out)
    if d:
        os.makedirs(d, exist_ok=True)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    print(out, flush=True)
    return out


# ------------------------------------------------------------------------------- views (Figure 2)
def plot_views(v, stretch, out):
    nv, h, w, s = v["nv"], v["h"], v["w"], v["scale"]
    signed = is_velocity(v["observable"], v["units"])
    ncol = min(4, nv)
    nrow = (nv + ncol - 1) // ncol
    ext = extent_au(h, w, s, s)
    imgs = [v["images"][k] for k in range(nv)]
    norm, cmap, extend, what = image_norm(imgs, signed, stretch)
    fig, axs = plt.subplots(nrow, ncol, figsize=(3.5 * ncol + 1.6, 3.55 * nrow + 1.1), layout="constrained",
                            squeeze=False, sharex=True, sharey=True)
    im = None
    for k in range(nrow * ncol):
        ax = axs.flat[k]
        if k >= nv:
            ax.set_axis_off()
            continue
        a = imgs[k]
        if not np.isfinite(a).any():
            note(ax, "no finite pixel (all blanked)")
        im = ax.imshow(masked(a, norm), origin="upper", extent=ext, cmap=cmap, norm=norm,
                       interpolation="nearest")
        x1, y1 = px_to_au(v["star1"][k], h, w, s)
        x2, y2 = px_to_au(v["star2"][k], h, w, s)
        mark_star(ax, x1, y1, ext, "+", PRIMARY_COLOR, "1")
        mark_star(ax, x2, y2, ext, "x", SECONDARY_COLOR, "2", below=True)
        if v["beam"] > 0:
            beam_corner(ax, ext, v["beam"], v["beam"], 0.0, circle=True)
        title = f"k = {k + 1}, φ = {np.degrees(v['phi'][k]):.0f}°"
        if v["exact"][k] == 0:
            title += " (not exact)"
        ax.set_title(title, fontsize=11, color="black" if v["exact"][k] else "C3")
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        if k % ncol == 0:
            ax.set_ylabel("y [AU] (north up)")
        if k // ncol == nrow - 1 or k + ncol >= nv:
            ax.set_xlabel("x [AU]")
    label = ("moment 1" if signed else v["observable"]) + (f" [{v['units']}]" if v["units"] else "")
    fig.colorbar(im, ax=axs.ravel().tolist(), label=label, shrink=0.9, extend=extend)
    p = v["p"][np.isfinite(v["p"])]
    pt = f"{np.median(p):.0f} AU" if p.size else "?"
    second = (f"{v['observable']}, {s:g} AU/pixel, {w}x{h} px"
              + (f", beam {v['beam']:g} AU" if v["beam"] > 0 else "")
              + (f", d = {v['distance']:g} pc" if np.isfinite(v["distance"]) else "")
              + f"; projected separation p = {pt}; stretch {what}")
    fig.suptitle(f"{v['name']}, snapshot {v['snap']} (index {v['index']} of {v['n']}): "
                 f"t1 = {v['t1']:.2f} {v['t1_u'] or 'kyr'}, M1 = {v['M1']:.3f} {v['M1_u'] or 'Msun'}, "
                 f"M2 = {v['M2']:.3f} {v['M2_u'] or 'Msun'}, sep = {v['sep']:.1f} {v['sep_u'] or 'AU'}\n"
                 f"{second}", fontsize=12)
    return save(fig, out)


# ---------------------------------------------------------------------------------------- history
def series(ax, t, hst, keys, labels, ylabel, log=False, points=False):
    drawn = False
    style = dict(ls="none", marker=".", ms=3) if points else dict(lw=1.3, marker="o" if t.size <= 50 else None,
                                                                  ms=3)
    for key, lab, c in zip(keys, labels, ("C0", "C1")):
        y = hst[key].copy()
        if log:
            y[~(y > 0)] = np.nan
        ok = np.isfinite(y)
        if ok.any():
            ax.plot(t, y, color=c, label=lab, **style)
            drawn = True
        else:
            ax.plot([], [], color=c, label=f"{lab}: no {'positive' if log else 'finite'} value")
    if log and drawn:
        ax.set_yscale("log")
    u = hst[keys[0] + "_u"]
    ax.set_ylabel(f"{ylabel} [{u}]" if u else ylabel)
    ax.grid(alpha=0.3, which="both")
    if len(keys) > 1 or not drawn:
        ax.legend(fontsize=8, loc="best")


def plot_history(hst, out):
    t = hst["t1"]
    fig, axs = plt.subplots(2, 4, figsize=(18, 8), layout="constrained", sharex=True)
    a = axs.ravel()
    series(a[0], t, hst, ("M1", "M2"), ("M1 (primary)", "M2 (secondary)"), "stellar mass")
    a[0].set_title("stellar masses")
    series(a[1], t, hst, ("Mdot1", "Mdot2"), ("Mdot1", "Mdot2"), "accretion rate", log=True)
    a[1].set_title("accretion rates")
    series(a[2], t, hst, ("L1", "L2"), ("L1", "L2"), "luminosity", log=True)
    a[2].set_title("accretion luminosities")
    series(a[3], t, hst, ("dsize1", "dsize2"), ("dsize1", "dsize2"), "disk radius")
    a[3].set_title("circumstellar disk radii")
    series(a[4], t, hst, ("Md1", "Md2"), ("Md1", "Md2"), "disk mass")
    a[4].set_title("circumstellar disk masses")
    series(a[5], t, hst, ("Mgas100",), ("Mgas100",), "gas mass")
    a[5].set_title("gas mass within 100 AU of the primary")
    series(a[6], t, hst, ("sep",), ("sep",), "separation")
    a[6].set_title("3-D separation")
    series(a[7], t, hst, ("phase",), ("phase",), "orbital phase", points=True)
    a[7].set_ylim(-0.02, 1.02)
    a[7].set_title("orbital phase")
    for ax in axs[1]:
        ax.set_xlabel(f"t1 [{hst['t1_u'] or 'kyr'}]")
    fig.suptitle(f"{hst['name']} (system {hst['sid']}): {hst['n']} snapshots, t1 = {t.min():.2f} to "
                 f"{t.max():.2f} {hst['t1_u'] or 'kyr'}; final M1 = {hst['M1'][-1]:.3f}, "
                 f"M2 = {hst['M2'][-1]:.3f} {hst['M1_u'] or 'Msun'}  ({os.path.basename(hst['path'])})")
    return save(fig, out)


# ------------------------------------------------------------------------------------ observation
def plot_profiles(pr, out):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = {1: PRIMARY_COLOR, 2: "goldenrod"}
    for i in (1, 2):
        c, r = colors[i], pr["r"]
        axes[0].plot(r, pr[f"v{i}"], color=c, label=f"star {i}")
        size = np.linalg.norm(pr[f"L{i}"], axis=1)
        along = pr[f"L{i}"] @ pr[f"J{i}"]
        axes[1].plot(r, size, color=c, label=f"|L{i}|")
        axes[1].plot(r, np.abs(along), color=c, ls=":", label=f"|L{i} . J{i}|")
        for ax in axes:
            if pr[f"dsize{i}"] > 0:
                ax.axvline(pr[f"dsize{i}"], color=c, ls="--", lw=0.8)
    axes[0].axhline(0, color="grey", lw=0.5)
    axes[0].set_ylabel(f"mass-weighted radial velocity [{pr['units_v'] or '?'}]")
    axes[1].set_ylabel(f"specific angular momentum [{pr['units_l'] or '?'}]")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("shell radius [AU]")
        ax.legend(fontsize=8)
    fig.suptitle(f"{os.path.basename(pr['path'])}: snapshot {pr['index']} (t1 = {fmt(pr['t1'])} kyr); "
                 "dashed: disk radii")
    fig.tight_layout()
    save(fig, out)


def truth_lines(o):
    lines = []
    if o["truth"] is None:
        lines.append("(no TRUTH table in the file)")
    else:
        width = max(len(n) for n, _, _ in o["truth"]) if o["truth"] else 1
        for name, val, unit in o["truth"]:
            line = f"{name:<{width}} = {fmt(val)}" + (f" {unit}" if unit else "")
            names = o["catalogue_names"]
            if (names is not None and name.lower() in ("system", "system_id") and val.size == 1
                    and val.dtype.kind in "iuf" and float(val) == int(val)):
                line += f"  ({name_of(names, int(val))} in the catalogue)"
            lines.append(line)
    return lines


def plot_observation(o, stretch, out):
    obs, tru = o["image"], o["truth_image"]
    h, w = obs.shape
    sx = abs(o["cdelt1"]) * ARCSEC_PER_DEG * o["distance"]
    sy = abs(o["cdelt2"]) * ARCSEC_PER_DEG * o["distance"]
    ext = extent_au(h, w, sx, sy)
    signed = is_velocity("", o["bunit"])
    imgs = [obs] + ([tru] if tru is not None else [])
    norm, cmap, extend, what = image_norm(imgs, signed, stretch, floor=max(o["noise"], 0.0))
    lines = truth_lines(o)
    ncols_text = max(1, (len(lines) + TEXT_LINES_PER_COLUMN - 1) // TEXT_LINES_PER_COLUMN)
    fig = plt.figure(figsize=(11.5 + 3.6 * ncols_text, 5.8), layout="constrained")
    gs = fig.add_gridspec(1, 3, width_ratios=[1, 1, 0.75 * ncols_text])
    ax_o = fig.add_subplot(gs[0])
    ax_t = fig.add_subplot(gs[1], sharex=ax_o, sharey=ax_o)
    ax_x = fig.add_subplot(gs[2])
    im = None
    for ax, a, title in ((ax_o, obs, "observation"), (ax_t, tru, "truth (noiseless)")):
        ax.set_title(title)
        if a is None:
            note(ax, "no TRUTH_IMAGE extension in the file")
            continue
        if not np.isfinite(a).any():
            ax.text(0.5, 0.5, "no finite pixel (all blanked)", transform=ax.transAxes, ha="center",
                    color="0.35")
        im = ax.imshow(masked(a, norm), origin="upper", extent=ext, cmap=cmap, norm=norm,
                       interpolation="nearest")
        ax.set_xlabel("x [AU] from the image centre")
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
    ax_o.set_ylabel("y [AU] (north up)")
    if o["bmaj"] > 0:
        au_per_deg = ARCSEC_PER_DEG * o["distance"]
        angle = o["bpa"] if o["cdelt1"] < 0 else -o["bpa"]     # east of north; east left when CDELT1 < 0
        beam_corner(ax_o, ext, o["bmin"] * au_per_deg, o["bmaj"] * au_per_deg, angle)
    unit = o["bunit"]
    fig.colorbar(im, ax=[ax_o, ax_t], label=("velocity" if signed else "intensity") + (f" [{unit}]" if unit else ""),
                 shrink=0.85, extend=extend)
    ax_x.set_axis_off()
    ax_x.set_title("TRUTH")
    for c in range(ncols_text):
        chunk = lines[c * TEXT_LINES_PER_COLUMN:(c + 1) * TEXT_LINES_PER_COLUMN]
        ax_x.text(c / ncols_text, 1.0, "\n".join(chunk), transform=ax_x.transAxes, va="top", ha="left",
                  family="monospace", fontsize=8.5)
    head = [f"d = {o['distance']:g} pc", f"{sx:.3g} x {sy:.3g} AU/pixel", f"{w}x{h} px"]
    if o["bmaj"] > 0:
        head.append(f"beam {o['bmaj'] * ARCSEC_PER_DEG:.3g}\" x {o['bmin'] * ARCSEC_PER_DEG:.3g}\" "
                    f"PA {o['bpa']:.0f}°")
    if o["noise"] > 0:
        head.append(f"noise {o['noise']:.3g} {unit}")
    head.append(f"stretch {what}")
    obj = f"{o['object']}: " if o["object"] else ""
    fig.suptitle(f"{obj}{os.path.basename(o['path'])}\n" + ", ".join(head), fontsize=11)
    return save(fig, out)


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Draw figures of a synobs catalogue or observation.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="{views,history,profiles,observation}")
    p = sub.add_parser("views", help="the 8 views of one snapshot (the paper's Fig. 2)")
    p.add_argument("catalogue", help="catalogue file written by `synobs catalogue` (HDF5)")
    p.add_argument("--snapshot", type=int, required=True, help="snapshot index along /images (0-based)")
    p.add_argument("--out", help="PNG to write (default views_<I>.png)")
    p.add_argument("--stretch", choices=("log", "linear"),
                   help="continuum stretch (default log); moment-1 maps are always linear")
    p = sub.add_parser("history", help="metadata of one system against t1")
    p.add_argument("catalogue", help="catalogue file written by `synobs catalogue` (HDF5)")
    p.add_argument("--system", required=True, help="system name (e.g. B1) or id")
    p.add_argument("--out", help="PNG to write (default history_<name>.png)")
    p = sub.add_parser("profiles", help="the radial profiles of one snapshot about each star")
    p.add_argument("catalogue", help="catalogue file written by `synobs catalogue` (HDF5)")
    p.add_argument("--snapshot", type=int, required=True, help="snapshot index along /images (0-based)")
    p.add_argument("--out", help="PNG to write (default profiles_<I>.png)")
    p = sub.add_parser("observation", help="an observation beside its truth, with the TRUTH table")
    p.add_argument("fits", help="FITS file written by `synobs observe`")
    p.add_argument("--catalogue", help="catalogue file, to name the system of the TRUTH table")
    p.add_argument("--out", help="PNG to write (default <fits-stem>_observation.png)")
    p.add_argument("--stretch", choices=("log", "linear"), default="log",
                   help="intensity stretch (default log); velocity maps are always linear")
    a = ap.parse_args(argv)
    try:
        if a.command == "views":
            v = load_views(a.catalogue, a.snapshot)
            signed = is_velocity(v["observable"], v["units"])
            if signed and a.stretch == "log":
                raise InputError(f"{a.catalogue}: --stretch log: the images are signed "
                                 f"({v['observable']}, {v['units']}); use linear")
            job = (plot_views, v, a.stretch or "log", a.out or f"views_{a.snapshot}.png")
        elif a.command == "history":
            hst = load_history(a.catalogue, a.system)
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in hst["name"])
            job = (plot_history, hst, a.out or f"history_{safe}.png")
        elif a.command == "profiles":
            job = (plot_profiles, load_profiles(a.catalogue, a.snapshot), a.out or f"profiles_{a.snapshot}.png")
        else:
            o = load_observation(a.fits, a.catalogue)
            stem = os.path.splitext(os.path.basename(a.fits))[0]
            job = (plot_observation, o, a.stretch, a.out or f"{stem}_observation.png")
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    job[0](*job[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
