#!/usr/bin/env python3
"""Write a small fixture directory in the external "layout A" (spec analogues.md 2.4 A): files
snap_00000.h5 ... with datasets intensity_projection_1..8 (2-D, size x size) and the seven scalars.

Known values, for the reader's test (tests/test_layout_a.c) to check exactly:
  pixel (row, col) of projection k in snapshot i = 1000*i + 100*k + 0.5*row + 0.01*col
    (float64 in the file, except projection 2, stored as float32: readers convert either)
  Envelope_mass = 0.5*(i+1), accretion_rate = 1e-6*(i+1), temperature = 3000 + 10*i,
  mass = 3.3e-4*(i+1), disk_size = 40.0 + i, luminosity = 2.5*(i+1), age = 10 + i (an int64)

Bad files, each made from the LAST file: --missing-projection K drops intensity_projection_K,
--bad-shape stores intensity_projection_3 as size x (size-1), --vector-scalar stores mass with
shape (3,), --drop-scalar NAME leaves the scalar NAME out (allowed: the reader gives NaN).

usage: /usr/bin/python3 tests/make_layout_a.py --out DIR [--n 3] [--size 16] [bad-file options]
"""
import argparse
import os

import h5py
import numpy as np

SCALARS = {
    "Envelope_mass": lambda i: 0.5 * (i + 1),
    "accretion_rate": lambda i: 1e-6 * (i + 1),
    "temperature": lambda i: 3000.0 + 10.0 * i,
    "mass": lambda i: 3.3e-4 * (i + 1),
    "disk_size": lambda i: 40.0 + i,
    "luminosity": lambda i: 2.5 * (i + 1),
    "age": lambda i: np.int64(10 + i),
}


def image(i, k, rows, cols):
    r, c = np.meshgrid(np.arange(rows, dtype=np.float64), np.arange(cols, dtype=np.float64), indexing="ij")
    return 1000.0 * i + 100.0 * k + 0.5 * r + 0.01 * c


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--missing-projection", type=int, metavar="K")
    ap.add_argument("--bad-shape", action="store_true")
    ap.add_argument("--vector-scalar", action="store_true")
    ap.add_argument("--drop-scalar", metavar="NAME", choices=sorted(SCALARS))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.n):
        last = i == a.n - 1
        with h5py.File(os.path.join(a.out, "snap_%05d.h5" % i), "w") as f:
            for k in range(1, 9):
                if last and a.missing_projection == k:
                    continue
                cols = a.size - 1 if (last and a.bad_shape and k == 3) else a.size
                img = image(i, k, a.size, cols)
                f.create_dataset("intensity_projection_%d" % k, data=img.astype(np.float32) if k == 2 else img)
            for name, value in SCALARS.items():
                if last and a.drop_scalar == name:
                    continue
                if last and a.vector_scalar and name == "mass":
                    f.create_dataset(name, data=np.full(3, value(i)))
                else:
                    f.create_dataset(name, data=value(i))


if __name__ == "__main__":
    main()
