#!/usr/bin/env python3
"""Synthetic inputs for `synobs metric` (issue 18): a features file with /features/<set> float32
[N_snap*K, C] (attribute complete = 1, as synobs features writes it) and a stand-in catalogue with
/images (N_snap, K, 1, 1) and /meta/<name> (N_snap,) for the triplet metadata. The features carry
some of the metadata (a random linear map of log q plus noise) so training has something to learn.
Used by the tests and by the timing benchmark (44,000 vectors of 1280)."""
import argparse

import h5py
import numpy as np

META = ["t1", "M1", "M2", "Mtot", "L1", "L2", "dsize1", "dsize2", "Mgas100", "sep"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", required=True)
    ap.add_argument("--catalogue", required=True)
    ap.add_argument("--snapshots", type=int, default=5500)
    ap.add_argument("--observers", type=int, default=8)
    ap.add_argument("--channels", type=int, default=1280)
    ap.add_argument("--set", default="mobilenet_v2/out_relu/gap")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    ns, K, C = a.snapshots, a.observers, a.channels
    meta = {m: rng.lognormal(0.0, 0.7, ns) for m in META}
    meta["dsize1"][rng.random(ns) < 0.1] = 0.0
    meta["Mtot"] = meta["M1"] + meta["M2"]
    logq = np.stack([np.log(meta[m] + 1e-3) for m in ["M1", "M2", "L1", "L2", "dsize1", "dsize2", "Mgas100"]], 1)
    A = rng.normal(size=(logq.shape[1], C)) / 3
    base = logq @ A
    feats = np.maximum(0, base[:, None, :] + rng.normal(size=(ns, K, C))).astype(np.float32).reshape(ns * K, C)
    with h5py.File(a.features, "w") as f:
        d = f.create_dataset("features/" + a.set, data=feats)
        d.attrs["complete"] = 1.0
        o = f.create_dataset("observation/" + a.set, data=feats[0])
        o.attrs["complete"] = 1.0
    with h5py.File(a.catalogue, "w") as f:
        f.create_dataset("images", shape=(ns, K, 1, 1), dtype="f4")
        for m, v in meta.items():
            f.create_dataset("meta/" + m, data=v)


if __name__ == "__main__":
    main()
