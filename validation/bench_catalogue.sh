#!/bin/bash
# Throughput of `synobs catalogue` (issue 16): images per second and core-seconds per image, for the
# dust continuum at 200x200 (10 AU pixels) and 800x800 (2.5 AU, the paper's images) and a moment-1
# map at 200x200 (32 channels), one B1 snapshot (8 observers) each, on 1 thread and on all cores.
# Usage: validation/bench_catalogue.sh BUILD_DIR [OUT.md]
set -euo pipefail
build=${1:?usage: bench_catalogue.sh BUILD_DIR [OUT.md]}
out=${2:-/dev/stdout}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ncpu=$(nproc)
{
echo "# synobs catalogue throughput, $(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name: *//p'), $ncpu cores"
echo
echo "| observable | image | threads | wall [s] per snapshot (8 images) | core-seconds per image | images per hour per core |"
echo "|---|---|---|---|---|---|"
for cfg in "continuum 200 10" "continuum 800 2.5" "moment1 200 10"; do
  set -- $cfg
  for th in 1 $ncpu; do
    [ "$2" = 800 ] && [ "$th" = 1 ] && continue   # 800x800 on one thread: the all-core figure x cores says it
    cat > "$work/b.par" <<PAR
[catalogue]
output = $work/b_$1_$2_$th.h5
systems = B1
cadence = 148000
observables = $1
image_pixels = $2
pixel_au = $3
threads = $th
PAR
    t0=$(date +%s.%N)
    "$build/synobs" catalogue "$work/b.par" > "$work/log" 2>&1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v th="$th" -v o="$1" -v n="$2" 'BEGIN { w = b - a; printf "| %s | %sx%s | %d | %.1f | %.2f | %.0f |\n", o, n, n, th, w, w * th / 8, 3600 * 8 / (w * th) }'
  done
done
echo
echo "Command: validation/bench_catalogue.sh $build (one snapshot of B1 at its final age; includes Mgas100 and the file)."
} > "$out"
