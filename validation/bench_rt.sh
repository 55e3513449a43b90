#!/usr/bin/env bash
# Benchmark of the RT solver and the generate pipeline (not a timed test; figures go to
# validation/results/bench_rt.md with the machine and the command).
#  1. time per 64^3 x 7-channel image on ONE thread: synobs' fast solver, synobs' plain reference
#     column (same process family, same input), and Pomme (only where `import pomme` works: Pomme
#     is not part of synobs) on the same input;
#  2. throughput of `synobs generate` per rank (model + view + solve + write), 64^3 x 7 channels.
# Usage: validation/bench_rt.sh build/synobs [workdir]
set -eu
synobs=$(realpath "$1"); work=${2:-/tmp/bench_rt}; py=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$work" && mkdir -p "$work" && cd "$work"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
# one realistic 64^3 sample from generate (an AGB wind seen from a random direction)
printf '[generate]\noutput = one/d.h5\nmodels = 1\nviews = 1\ngrid = 64\nseed = 7\n' > one.par
"$synobs" generate one.par --quiet
$py - <<'PY'
import h5py, numpy as np
f = h5py.File("one/d.h5"); x = f["input"][0].astype(np.float64)
with h5py.File("model64.h5", "w") as m:
    for c, k in enumerate(("v_z", "T", "n_CO")): m[k] = x[c]
    m["frequencies"] = 230.538e9 * (1 + (np.arange(7) - 3) * 300.0 / 299792458.0)
    m.attrs["dx"] = f["dx"][0]; m.attrs["v_turb"] = 0.0; m.attrs["boundary"] = np.bytes_("zero")
PY
t_fast=$("$synobs" solve /dev/null -P solve.input=model64.h5 -P solve.output=fast.h5 -P solve.threads=1 -P solve.repeat=21 | sed -n 's/.*solve time per image: //p' | tr -d ' s')
t_ref=$("$synobs" solve /dev/null -P solve.input=model64.h5 -P solve.output=ref.h5 -P solve.engine=reference -P solve.repeat=3 | sed -n 's/.*solve time per image: //p' | tr -d ' s')
echo "one thread, 64^3 x 7: fast ${t_fast} s, reference column ${t_ref} s, ratio reference/fast $($py -c "print(f'{$t_ref/$t_fast:.1f}')")"
$py - <<'PY'
import h5py, numpy as np
a, b = h5py.File("fast.h5")["I"][()], h5py.File("ref.h5")["I"][()]
M = np.abs(b).max(axis=(0, 1)); big = np.abs(b) >= 1e-3 * M
print(f"fast vs reference on this cube: E_rel {np.max(np.abs(a-b)[big]/np.abs(b)[big]):.2e}, E_abs {np.max(np.abs(a-b)/M):.2e}")
PY
if $py -c "import pomme" 2>/dev/null; then
  $py - "$t_fast" <<'PY'
import sys, time, h5py, numpy as np, torch
torch.set_num_threads(1)
from pomme.lines import Line
m = h5py.File("model64.h5"); line = Line(species_name="co", transition=1, datafile=sys.argv[0] and "co.dat", molar_mass=28.0)
f = torch.from_numpy(m["frequencies"][()])
args = [torch.from_numpy(m[k][()]) for k in ("n_CO", "T")]
ts = []
for _ in range(5):
    t0 = time.perf_counter()
    line.LTE_image_along_last_axis(density=args[0], temperature=args[1], v_turbulence=torch.zeros_like(args[1]),
                                   velocity_los=torch.from_numpy(m["v_z"][()]), frequencies=f, dx=float(m.attrs["dx"]))
    ts.append(time.perf_counter() - t0)
t = sorted(ts)[2]
print(f"Pomme, one thread: {t:.4f} s; Pomme / synobs fast = {t/float(sys.argv[1]):.1f}")
PY
else
  echo "Pomme: not installed here (import pomme failed); compare with its ~0.45 s per 64^3 x 7 image on one thread (spec rt-solver.md 11)"
fi
# the whole generate pipeline, one rank, one solver thread
printf '[generate]\noutput = gen/d.h5\nmodels = 4\nviews = 8\ngrid = 64\nseed = 3\nthreads = 1\n' > gen.par
t0=$(date +%s.%N); "$synobs" generate gen.par --quiet; t1=$(date +%s.%N)
$py -c "t=$t1-$t0; print(f'generate, 1 rank, 1 thread, 32 samples of 64^3 x 7 (4 models x 8 views): {t:.2f} s = {32/t:.1f} samples/s per rank (start-up and I/O included)')"
