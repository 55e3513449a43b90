#!/usr/bin/env bash
# The command line: help, version, and every class of parameter-file error ending in one line
# that names file:line, a non-zero exit at 1 and 2 ranks, and no output file.
set -u
synobs=$(realpath "$1")
mpiexec=$2
fails=0
pass=0
check() { if eval "$2"; then pass=$((pass + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

out=$($synobs --help); check "--help lists stages" '[[ "$out" == *"stats "* && "$out" == *"synth "* && "$out" == *campaign* ]]'
out=$($synobs --version); check "--version" '[[ "$out" == *"synobs 0."* && "$out" == *HDF5* && "$out" == *oneDNN* ]]'
out=$($synobs stats --help)
for k in input output chunk_samples nonfinite report_bandwidth; do
  check "stats --help lists $k" '[[ "$out" == *"  $k "* ]]'
done
check "stats --help shows types and defaults" '[[ "$out" == *"int    default 32 range [1, 1e+06]"* && "$out" == *"(required)"* ]]'
$synobs nosuchstage x.par 2>/dev/null; check "unknown stage exits 2" '[ $? -eq 2 ]'

rm -rf cli && mkdir -p cli && cd cli
good='[stats]
input = d.h5
output = out.h5'
bad() { # name, file text, expected fragment
  printf '%s\n' "$2" > "$1.par"
  want=$3
  for np in 1 2; do
    $mpiexec -n $np --oversubscribe $synobs stats "$1.par" >/dev/null 2>stderr.txt; rc=$?
    err=$(grep '^synobs: error' stderr.txt)
    check "$1 at $np rank(s): non-zero exit" '[ $rc -ne 0 ]'
    check "$1 at $np rank(s): one line naming '$want' (got: $err)" '[ "$(printf "%s\n" "$err" | wc -l)" -eq 1 ] && [[ "$err" == *"$want"* ]]'
  done
  check "$1: no output written" '[ ! -e out.h5 ] && [ ! -e out.h5.partial ]'
}
bad unknown_key "$good
chunk_sampels = 4" "unknown_key.par:4: unknown key 'chunk_sampels' in [stats] (did you mean 'chunk_samples'?)"
bad unknown_section "[statz]
input = a" "unknown_section.par:1: unknown section [statz]"
bad wrong_type "$good
chunk_samples = four" "wrong_type.par:4: [stats] chunk_samples = 'four' is not an integer"
bad out_of_range "$good
chunk_samples = 0" "out_of_range.par:4: [stats] chunk_samples = 0 is out of range"
bad bad_bool "$good
report_bandwidth = perhaps" "bad_bool.par:4: [stats] report_bandwidth = 'perhaps' is not a bool"
bad bad_choice "$good
nonfinite = ignore" "bad_choice.par:4: [stats] nonfinite = 'ignore' is not one of error|skip"
bad duplicate "$good
input = e.h5" "duplicate.par:4: duplicate key 'input' in [stats] (first set at duplicate.par:2)"
bad missing "[stats]
output = out.h5" "missing required key 'input' in [stats]"
bad no_equals "[stats]
input d.h5" "no_equals.par:2: expected 'key = value'"
err=$($synobs stats nofile.par 2>&1 >/dev/null); check "missing parameter file named" '[[ "$err" == *"nofile.par: cannot open the parameter file"* ]]'
err=$($synobs stats /dev/null -P stats.input=a -P stats.output=b -P stats.chunk_samples=x 2>&1 >/dev/null)
check "-P error named" '[[ "$err" == *"-P stats.chunk_samples=x: [stats] chunk_samples = '"'"'x'"'"' is not an integer"* ]]'
err=$($synobs stats /dev/null -P stats.input=missing_*.h5 -P stats.output=out.h5 2>&1 >/dev/null); rc=$?
check "missing input files named, before work" '[ $rc -ne 0 ] && [[ "$err" == *"missing_*.h5: no such file"* ]] && [ ! -e out.h5 ]'
# synth: the same data at 1 and 2 ranks (h5diff reads through the VDS masters)
for np in 1 2; do
  $mpiexec -n $np --oversubscribe $synobs synth /dev/null --quiet -P synth.output=synth$np/d.h5 -P synth.samples=7 -P synth.grid=8 >/dev/null
done
for d in input output model_id model_parameters; do
  h5diff -q synth1/d.h5 synth2/d.h5 /$d /$d; check "synth $d identical at 1 and 2 ranks" '[ $? -eq 0 ]'
done
check "synth at 2 ranks wrote 2 shards" '[ -e synth2/d.shards/rank_00000.h5 ] && [ -e synth2/d.shards/rank_00001.h5 ]'
err=$($synobs stats /dev/null -P stats.input=synth1/d.h5 -P stats.output=/proc/nope/out.h5 2>&1 >/dev/null); rc=$?
check "unwritable output named before work (got: $err)" '[ $rc -ne 0 ] && [[ "$err" == *"stats.output=/proc/nope/out.h5: [stats] output = /proc/nope/out.h5: cannot create the output directory in /proc"* ]]'
echo "$pass passed, $fails failed"
[ $fails -eq 0 ]
