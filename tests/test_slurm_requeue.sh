#!/bin/bash
# Checkpoint, signal, requeue and resume under a real (single-node, throw-away) Slurm:
#   bash tests/test_slurm_requeue.sh SYNOBS MPIEXEC WORKDIR SOURCE_DIR
# 1. generate a tiny dataset and its statistics (tests/data/train_small.par);
# 2. train it uninterrupted with MPIEXEC -n 1 into WORKDIR/ref (the reference);
# 3. sbatch jobscripts/train.sbatch into WORKDIR/slurm; once it runs and has written a checkpoint,
#    `scancel --batch --signal=USR1`: synobs checkpoints and exits 75, the script requeues the job;
#    release the requeued job's begin-time hold and let it finish;
# 4. check: the job was requeued and its second run resumed from a checkpoint; params/ and
#    history/loss of WORKDIR/slurm/model.h5 are bit-identical to WORKDIR/ref/model.h5.
# Exit 0: all checks pass; 1: a check failed; 77: skipped (no Slurm, not root, no h5py).
# Needs root (SlurmUser=root). Extra -P overrides for both runs: SYNOBS_TEST_TRAIN_OVERRIDES.
# A watchdog ends the test (stopping Slurm) after SYNOBS_SLURM_TEST_BUDGET seconds (330), inside ctest's TIMEOUT.
set -u

if [[ $# -ne 4 ]]; then
  echo "usage: $0 SYNOBS MPIEXEC WORKDIR SOURCE_DIR" >&2
  exit 2
fi
for p in slurmctld slurmd sbatch srun scontrol squeue sinfo scancel; do
  if ! command -v "$p" >/dev/null 2>&1; then
    echo "SKIPPED: Slurm is not installed (slurmctld/slurmd not found)"
    exit 77
  fi
done
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: the throw-away Slurm runs as root (SlurmUser=root); this test is not root"
  exit 77
fi
PY=/usr/bin/python3
if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
  echo "SKIPPED: $PY cannot import h5py and numpy (needed to compare the models)"
  exit 77
fi

SYNOBS=$(realpath "$1")
MPIEXEC=$2
mkdir -p "$3" || exit 1
W=$(cd "$3" && pwd -P)
SRC=$(cd "$4" && pwd -P)
PAR=$SRC/tests/data/train_small.par
JOBSCRIPT=$SRC/jobscripts/train.sbatch
read -r -a EXTRA <<<"${SYNOBS_TEST_TRAIN_OVERRIDES:-}"
OVERRIDES=()
for o in "${EXTRA[@]}"; do OVERRIDES+=(-P "$o"); done

# Not inside somebody else's allocation: only our SLURM_CONF counts.
while read -r v; do [[ $v == SLURM_HARNESS_* ]] || unset "$v"; done < <(compgen -v SLURM_)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}   # the same for the reference and the Slurm run
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# shellcheck source=tests/slurm_harness.sh
source "$SRC/tests/slurm_harness.sh"

T0=$SECONDS
FAILS=0
say() { printf '[%4ds] %s\n' $((SECONDS - T0)) "$*"; }
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; FAILS=$((FAILS + 1)); }
JOB=
JOBOUT=$W/slurm-job.out
diagnose() {
  [[ -n $JOB ]] && scontrol show job "$JOB" 2>/dev/null | sed 's/^/  | /'
  if [[ -s $JOBOUT ]]; then echo "----- $JOBOUT (last 40 lines)"; tail -n 40 "$JOBOUT"; fi
  if [[ -s $W/ref.log ]]; then echo "----- $W/ref.log (last 15 lines)"; tail -n 15 "$W/ref.log"; fi
  local f
  for f in "$W"/slurm_rt/log/slurmctld.log "$W"/slurm_rt/log/slurmd.log; do
    [[ -s $f ]] && { echo "----- $f (last 15 lines)"; tail -n 15 "$f"; }
  done
}
REF_PID='' WATCHDOG=''
session_pids() {  # live processes of session $1 (the reference run: mpiexec and its ranks)
  ps -o pid=,stat= -s "$1" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'
}
stop_ref() {  # TERM (synobs checkpoints and exits 75), then KILL what is left after 10 s
  local i pids
  [[ -n $REF_PID ]] || return 0
  kill -TERM "$REF_PID" 2>/dev/null
  for ((i = 0; i < 40; i++)); do
    [[ -z $(session_pids "$REF_PID") ]] && break
    sleep 0.25
  done
  pids=$(session_pids "$REF_PID")
  # shellcheck disable=SC2086
  [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
  REF_PID=
}
cleanup() {
  stop_ref
  [[ -n $WATCHDOG ]] && kill "$WATCHDOG" 2>/dev/null
  WATCHDOG=
  slurm_stop
}
abort() {  # a step the remaining checks depend on failed
  fail "$*"
  diagnose
  cleanup
  say "RESULT: FAIL ($FAILS check(s) failed)"
  exit 1
}

cd "$W" || exit 1
rm -rf "$W/ref" "$W/slurm" "$W/data" "$W/slurm_rt" "$JOBOUT" "$W/ref.log" "$W/prep.log"

say "starting Slurm under $W/slurm_rt"
slurm_start "$W/slurm_rt" || abort "Slurm did not start"
say "cgroups: $SLURM_HARNESS_CGROUP_MODE; Slurm uses none (cgroup.conf CgroupPlugin=cgroup/v1, idle)"
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'say "FAIL: interrupted (budget ${BUDGET} s exceeded, or killed)"; diagnose; cleanup; exit 143' TERM
BUDGET=${SYNOBS_SLURM_TEST_BUDGET:-330}
(
  for ((i = 0; i < BUDGET * 4; i++)); do
    sleep 0.25
    kill -0 $$ 2>/dev/null || exit 0
  done
  kill -TERM $$
) &
WATCHDOG=$!

say "generate + stats: $PAR"
if ! "$MPIEXEC" -n 1 "$SYNOBS" generate "$PAR" --quiet >>"$W/prep.log" 2>&1 ||
  ! "$MPIEXEC" -n 1 "$SYNOBS" stats "$PAR" --quiet >>"$W/prep.log" 2>&1; then
  tail -n 20 "$W/prep.log"
  abort "generate/stats of the tiny dataset"
fi

say "reference: $MPIEXEC -n 1 synobs train (uninterrupted) -> $W/ref"
t=$SECONDS
# In a session of its own (setsid), so that a watchdog stop finds the ranks as well as mpiexec.
setsid "$MPIEXEC" -n 1 "$SYNOBS" train "$PAR" -P "train.output_dir=$W/ref" "${OVERRIDES[@]}" >"$W/ref.log" 2>&1 &
REF_PID=$!
while kill -0 "$REF_PID" 2>/dev/null; do wait "$REF_PID"; done
wait "$REF_PID"
rc=$?
REF_PID=
REF_S=$((SECONDS - t))
[[ $rc -eq 0 && -f $W/ref/model.h5 ]] || abort "reference training (status $rc, see $W/ref.log)"
say "reference done in ${REF_S} s"
if grep -q "resuming from" "$W/ref.log"; then
  fail "the reference run resumed from a checkpoint (it must start fresh)"
fi

say "sbatch -n 1 $JOBSCRIPT -> $W/slurm"
JOB=$(SYNOBS=$SYNOBS sbatch --parsable -n 1 --output="$JOBOUT" --export=ALL \
  "$JOBSCRIPT" "$PAR" -P "train.output_dir=$W/slurm" "${OVERRIDES[@]}") || abort "sbatch"
JOB=${JOB%%;*}
say "job $JOB submitted"
slurm_wait_state "$JOB" RUNNING 60 || abort "job $JOB did not start (state ${SLURM_LAST_STATE:-?})"
say "job $JOB running; waiting for its first checkpoint"
deadline=$((SECONDS + 60 + 3 * REF_S))
until compgen -G "$W/slurm/checkpoint_*.h5" >/dev/null; do
  s=$(slurm_job_state "$JOB")
  [[ $s == RUNNING ]] || abort "job $JOB is $s before it wrote a checkpoint (lengthen the training?)"
  ((SECONDS < deadline)) || abort "no checkpoint_*.h5 in $W/slurm after $((60 + 3 * REF_S)) s"
  sleep 0.2
done
say "checkpoint present: $(cd "$W/slurm" && ls checkpoint_*.h5 | tr '\n' ' ')"

signalled=0
for ((i = 0; i < 20; i++)); do
  if scancel --batch --signal=USR1 "$JOB"; then signalled=1; break; fi
  sleep 0.25
done
((signalled)) || abort "scancel --batch --signal=USR1 $JOB"
say "sent USR1 to the batch shell of job $JOB"

# The script requeues the job (PENDING, Restarts 1, held ~121 s for its begin time): release it.
deadline=$((SECONDS + 120))
while :; do
  s=$(slurm_job_state "$JOB")
  r=$(slurm_job_field "$JOB" Restarts)
  [[ ${r:-0} -ge 1 ]] && break
  case $s in
    COMPLETED) abort "job $JOB completed without a requeue: training ended before the signal took effect (lengthen it)" ;;
    FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) abort "job $JOB ended $s instead of requeueing" ;;
  esac
  ((SECONDS < deadline)) || abort "job $JOB not requeued within 120 s of the signal (state $s)"
  sleep 0.25
done
say "job $JOB requeued (Restarts=$r); releasing its begin-time hold"
slurm_release_requeued "$JOB" 60 || abort "could not release requeued job $JOB"
say "job $JOB released (state $(slurm_job_state "$JOB"))"
slurm_wait_state "$JOB" COMPLETED $((120 + 4 * REF_S))
rc=$?
[[ $rc -eq 0 ]] || abort "job $JOB did not complete (state ${SLURM_LAST_STATE:-?})"
say "job $JOB COMPLETED"

echo "Checks:"
r=$(slurm_job_field "$JOB" Restarts)
ec=$(slurm_job_field "$JOB" ExitCode)
if [[ ${r:-0} -ge 1 ]]; then pass "(a) job $JOB was requeued (Restarts=$r)"; else fail "(a) job $JOB Restarts=${r:-?}"; fi
if [[ $ec == 0:0 ]]; then pass "(a) job $JOB exit code $ec"; else fail "(a) job $JOB exit code ${ec:-?}"; fi
if grep -q "requeueing job $JOB" "$JOBOUT"; then
  pass "(a) the first run exited 75 and train.sbatch requeued it"
else
  fail "(a) no 'requeueing job $JOB' line in $JOBOUT"
fi
# "resuming from" must come after the second run's banner (restart count 1).
if awk '/synobs-train: job .* \(restart count [1-9]/ { second = 1 } second && /resuming from/ { found = 1 }
        END { exit !found }' "$JOBOUT"; then
  pass "(a) the requeued run resumed: $(grep -m1 'resuming from' "$JOBOUT" | sed 's/^ *//')"
else
  fail "(a) no 'resuming from' line after the restart in $JOBOUT"
fi
if [[ -f $W/slurm/model.h5 ]]; then pass "(b) $W/slurm/model.h5 written"; else fail "(b) no $W/slurm/model.h5"; fi

if [[ -f $W/slurm/model.h5 ]]; then
  echo "Comparing $W/slurm/model.h5 with $W/ref/model.h5:"
  "$PY" - "$W/ref/model.h5" "$W/slurm/model.h5" <<'PY'
import sys
import h5py
import numpy as np

ref_path, run_path = sys.argv[1], sys.argv[2]
fails = 0


def report(ok, what):
    global fails
    print(("PASS: " if ok else "FAIL: ") + what)
    fails += 0 if ok else 1


def datasets(group):
    out = {}
    group.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


with h5py.File(ref_path, "r") as ref, h5py.File(run_path, "r") as run:
    for g in ("params",):
        if g not in ref or g not in run:
            report(False, f"(b) group {g}/ in both files")
            continue
        a, b = datasets(ref[g]), datasets(run[g])
        report(len(a) > 0 and sorted(a) == sorted(b),
               f"(b) {g}/ holds the same {len(a)} dataset(s) in both files")
        bad = []
        for name in sorted(set(a) & set(b)):
            x, y = a[name][()], b[name][()]
            if not (x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
                    and np.asarray(x).tobytes() == np.asarray(y).tobytes()):
                diff = (float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))))
                        if x.shape == y.shape and x.dtype.kind == "f" else float("nan"))
                bad.append(f"{name} (max |diff| {diff:.3g})")
        report(not bad, f"(b) {g}/ datasets bit-identical"
               + (f"; differ: {', '.join(bad[:8])}" if bad else f" ({len(a)} compared)"))
    name = "history/loss"
    if name in ref and name in run:
        x, y = ref[name][()], run[name][()]
        same = x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        detail = ""
        if not same and x.dtype == y.dtype and x.shape == y.shape and x.ndim == 1 and x.size:
            xb = np.ascontiguousarray(x).view(np.uint8).reshape(x.size, -1)
            yb = np.ascontiguousarray(y).view(np.uint8).reshape(y.size, -1)
            i = int(np.flatnonzero(np.any(xb != yb, axis=1))[0])
            detail = f"; first difference at step {i + 1}: {x[i]!r} vs {y[i]!r}"
        elif not same:
            detail = f"; ref {x.dtype}{x.shape} vs run {y.dtype}{y.shape}"
        report(same, f"(c) {name} bit-identical ({x.size} steps{detail})")
    else:
        report(False, f"(c) {name} in both files")
sys.exit(1 if fails else 0)
PY
  py_rc=$?
  [[ $py_rc -eq 0 ]] || FAILS=$((FAILS + 1))
fi

if [[ $FAILS -eq 0 ]]; then
  cleanup
  rm -f "$W"/ref/checkpoint_*.h5 "$W"/slurm/checkpoint_*.h5   # ~0.4 GB each; kept when a check fails
  say "RESULT: PASS (reference ${REF_S} s, whole test $((SECONDS - T0)) s)"
  exit 0
fi
diagnose
cleanup
say "RESULT: FAIL ($FAILS check group(s) failed)"
exit 1
