#!/usr/bin/env python3
"""COEmuNet against PyTorch: write a golden file with validation/coemunet_golden.py (G=32, batch 2),
then run `synobs verify-golden` on it with both layer backends. Skips (exit 77, saying why) where
PyTorch or scikit-image is missing."""
import argparse
import os
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--synobs", required=True)
ap.add_argument("--workdir", required=True)
ap.add_argument("--seed", default="1234")
a = ap.parse_args()
try:
    import torch  # noqa: F401
    import skimage  # noqa: F401
except ImportError as e:
    print(f"SKIPPED: the golden comparison needs python3-torch and python3-skimage ({e})")
    sys.exit(77)
os.makedirs(a.workdir, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
failed = 0
# float32: PyTorch as the reference code runs it. float64: the same weights and batch with every
# operation in double, the exact answer to compare with (it also prints PyTorch's own float32 distance
# from it on the weights after the Adam steps).
for precision in ("float32", "float64"):
    golden = os.path.join(a.workdir, f"coemunet_g32_seed{a.seed}_{precision}.h5")
    subprocess.run([sys.executable, os.path.join(here, "..", "validation", "coemunet_golden.py"), "--seed", a.seed,
                    "--grid", "32", "--batch", "2", "--precision", precision, "--out", golden], check=True)
    for backend in ("reference", "dnnl"):
        print(f"--- golden {precision}, backend {backend}, tolerance 1e-4", flush=True)
        r = subprocess.run([a.synobs, "verify-golden", golden, "-q", "-P", f"verify_golden.backend={backend}",
                            "-P", "verify_golden.tolerance=1e-4"])
        failed |= r.returncode != 0
    os.remove(golden)
sys.exit(1 if failed else 0)
