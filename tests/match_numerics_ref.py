#!/usr/bin/env python3
"""The numpy (and scipy) numbers that tests/test_match_numerics.c pins for the KDE summaries.

Reads /kde_example of reference/analogues/analogues_reference.h5 and prints, as C initialisers:
  1. mode, median, p16, p84 of the oracle's pdf on the oracle's grid, by numpy: argmax, and
     numpy.interp(q*C[-1], C, grid) on the cumulative trapezoid C (the rule of src/match/kde.h);
  2. the same from scipy.stats.gaussian_kde(sample) on numpy.linspace(min - 3h, max + 3h, 512),
     the default grid (match_kde_build end to end).
Run: /usr/bin/python3 tests/match_numerics_ref.py [reference.h5]   (needs numpy, h5py; scipy for 2)
"""
import sys

import h5py
import numpy as np


def summary(x, p):
    c = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
    q = [np.interp(t * c[-1], c, x) for t in (0.5, 0.16, 0.84)]
    return [x[np.argmax(p)]] + q


path = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/analogues/analogues_reference.h5"
with h5py.File(path, "r") as f:
    sample, grid, pdf = (f["kde_example/" + k][()] for k in ("sample", "grid", "pdf"))
print("/* mode, median, p16, p84: numpy on the oracle grid and pdf */")
print("{" + ", ".join("%.17g" % v for v in summary(grid, pdf)) + "}")
try:
    from scipy.stats import gaussian_kde
except ImportError:
    sys.exit(0)
k = gaussian_kde(sample)
h = float(np.sqrt(k.covariance[0, 0]))
x = np.linspace(sample.min() - 3 * h, sample.max() + 3 * h, 512)
print("/* mode, median, p16, p84: scipy gaussian_kde on the default 512-point grid, numpy summaries */")
print("{" + ", ".join("%.17g" % v for v in summary(x, k(x))) + "}")
