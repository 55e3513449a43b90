#!/bin/bash
# Throughput of `synobs catalogue` end to end (issue 16: model, Mgas100, rendering, file): two B1
# snapshots (8 observers each) of dust continuum at 800 x 800 pixels of 2.5 AU, on 1 rank and on
# 2 ranks (one snapshot each), one thread per rank; and a moment-1 map (CO 2-1, 32 channels) at
# 32 x 32 pixels of 62.5 AU on 1 rank. validation/bench_render.c times the renderer alone over the
# whole default catalogue.
# Usage: validation/bench_catalogue.sh BUILD_DIR [OUT.md]
set -euo pipefail
build=${1:?usage: bench_catalogue.sh BUILD_DIR [OUT.md]}
out=${2:-/dev/stdout}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
{
echo "# synobs catalogue throughput, $(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo
echo "| observable | image | ranks x threads | snapshots (8 images each) | wall [s] | core-seconds per image |"
echo "|---|---|---|---|---|---|"
for cfg in "continuum 800 2.5 1" "continuum 800 2.5 2" "moment1 32 62.5 1"; do
  set -- $cfg
  cat > "$work/b.par" <<PAR
[catalogue]
output = $work/b_$1_$2_$4.h5
systems = B1
cadence = $([ "$1" = moment1 ] && echo 148000 || echo 74000)
observables = $1
image_pixels = $2
pixel_au = $3
threads = 1
PAR
  t0=$(date +%s.%N)
  mpiexec -n "$4" --oversubscribe "$build/synobs" catalogue "$work/b.par" > "$work/log" 2>&1
  t1=$(date +%s.%N)
  nsnap=$(sed -n 's/.*wrote \([0-9]*\) snapshots.*/\1/p' "$work/log")
  awk -v a="$t0" -v b="$t1" -v r="$4" -v o="$1" -v n="$2" -v s="$nsnap" 'BEGIN { w = b - a; printf "| %s | %sx%s | %d x 1 | %d | %.1f | %.2f |\n", o, n, n, r, s, w, w * r / (8 * s) }'
done
echo
echo "Command: validation/bench_catalogue.sh $build (B1 at 148 and 74 kyr; the wall time includes start-up, the model's tables, Mgas100 and the file)."
} > "$out"
