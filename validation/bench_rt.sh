#!/usr/bin/env bash
# Benchmark of the RT solver and the generate pipeline (not a timed test; figures go to
# validation/results/bench_rt.md with the machine and the command).
#  1. the case classes of issue 20 at 64^3 x 7 and 128^3 x 7 (validation/bench_rt_cases.py):
#     (a) a generated view without turbulence, (b) microturbulence 150-300 m/s, (c) optically
#     thick (tau_max = 30) with a CMB boundary, (d) dust continuum; synobs' fast solver on one
#     thread and on all threads, Pomme on the same input in the same run where its source is
#     given and importable (it is not a dependency of synobs; without it synobs' times are printed
#     alone and the script says so), the image differences, the cost per point-channel; every
#     time is the minimum over the repeats (shared machines);
#  2. throughput of `synobs generate` per rank (model + view + solve + write), 64^3 x 7 channels,
#     with rank 0's time split into models, views, solver and writing.
# Usage: validation/bench_rt.sh build/synobs [workdir] [pomme_src] [sizes]
#   pomme_src: the src/ folder of a Magritte-code/pomme checkout (default: none); sizes: 64,128
set -eu
here=$(dirname "$(realpath "$0")")
synobs=$(realpath "$1"); work=${2:-/tmp/bench_rt}; pomme=${3:-none}; sizes=${4:-64,128}; py=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$work" && mkdir -p "$work"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
$py "$here/bench_rt_cases.py" "$synobs" "$work" "$pomme" "$sizes" 2>&1 | grep -v -e '^You have selected' -e '^    CO(J' -e '^Please check' -e '^    Frequency' -e '^    Einstein' -e '^    Molar mass'
# the whole generate pipeline, one rank, one solver thread
cd "$work"
printf '[generate]\noutput = gen/d.h5\nmodels = 4\nviews = 8\ngrid = 64\nseed = 3\nthreads = 1\n' > gen.par
t0=$(date +%s.%N); "$synobs" generate gen.par 2>&1 | grep 'generate timing'; t1=$(date +%s.%N)
$py -c "t=$t1-$t0; print(f'generate, 1 rank, 1 thread, 32 samples of 64^3 x 7 (4 models x 8 views): {t:.2f} s = {32/t:.1f} samples/s per rank (start-up and I/O included)')"
