#!/usr/bin/env bash
# Benchmark (not a test): `synobs stats` pass-1 throughput on a generated dataset of >= 2 GB,
# beside the memcpy bandwidth measured by every rank at once in the same run.
#   usage: validation/bench_stats.sh [BUILD_DIR] [WORK_DIR] [RANKS...]
# Then times each piece of pass 1 alone (validation/bench_stats_kernels.c) against the time per value
# that half the copy bandwidth leaves. Prints the figures; record them in
# validation/results/bench_stats.md with the machine.
set -eu
build=$(realpath "${1:-build}")
work=${2:-/tmp/synobs_bench_stats}
shift 2 2>/dev/null || true
ranks=${*:-1 2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$work"
cd "$work"
if [ ! -e big.h5 ]; then
  # 660 samples of G = 64 with 7 channels: 660 x 3.26 MB = 2.15 GB
  mpiexec -n 2 "$build/synobs" synth /dev/null -P synth.output=big.h5 -P synth.samples=660 -P synth.grid=64 \
      -P synth.channels=7 -P synth.chunk_samples=8 --quiet
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB"
echo "dataset: $(du -sh big.shards | cut -f1) in $work/big.shards"
cat big.shards/*.h5 > /dev/null   # the files come from the page cache in every run below
for n in $ranks; do
  echo "--- $n rank(s): mpiexec -n $n synobs stats ... -P stats.report_bandwidth=true"
  rm -f stats_$n.h5   # a current statistics file would be left alone (nothing measured)
  mpiexec -n "$n" "$build/synobs" stats /dev/null -P stats.input=big.h5 -P stats.output=stats_$n.h5 \
      -P stats.report_bandwidth=true 2>&1 | grep -E 'stats: pass|bandwidth:'
done
echo "--- where pass 1's time goes, piece by piece: bench_stats_kernels big.h5 big.shards/*.h5"
"$build/validation/bench_stats_kernels" big.h5 big.shards/*.h5
