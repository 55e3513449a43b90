#!/bin/bash
# Submit a campaign as a chain of jobs, each starting when the one before it has succeeded
# (--dependency=afterok; a job that requeues itself keeps its id, so the chain waits through its
# requeues). Steps are STAGE:PARAMS, STAGE one of generate, stats, train, evaluate, emulate:
#   jobscripts/campaign.sh generate:inputs/faceon.par stats:inputs/faceon.par train:inputs/pretrain.par \
#                          train:inputs/finetune.par evaluate:inputs/finetune.par emulate:inputs/emulate.par
#   jobscripts/campaign.sh inputs/campaign.par       (one file: generate, stats, train, evaluate, emulate)
# Options (before the steps):
#   -n, --dry-run    print the sbatch commands, submit nothing
#   --gpus           one GPU per rank for train, evaluate and emulate (--gpus-per-task=1)
#   --after JOBID    the first step waits for JOBID too
#   --sbatch 'OPTS'  extra options for every sbatch (e.g. '--account=p123 --partition=gpu')
# Per-job sizes (--ntasks, --time) are the #SBATCH lines of each script; the sbatch input variables
# (SBATCH_ACCOUNT, SBATCH_PARTITION, ...) apply to every job. SYNOBS selects the binary for all jobs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

dry=0 gpus=0 after='' extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -n | --dry-run) dry=1; shift ;;
    --gpus) gpus=1; shift ;;
    --after) after=${2:?--after needs a job id}; shift 2 ;;
    --sbatch) read -r -a extra <<<"${2:?--sbatch needs options}"; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "campaign.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || usage
if [[ $# -eq 1 && $1 != *:* ]]; then
  set -- "generate:$1" "stats:$1" "train:$1" "evaluate:$1" "emulate:$1"
fi

# Check every step before submitting any.
for step in "$@"; do
  stage=${step%%:*} params=${step#*:}
  [[ $step == *:* && -n $params ]] || { echo "campaign.sh: '$step' is not STAGE:PARAMS" >&2; exit 2; }
  [[ -f $here/$stage.sbatch ]] || { echo "campaign.sh: no job script for stage '$stage'" >&2; exit 2; }
  [[ -f $params ]] || { echo "campaign.sh: $params: no such file" >&2; exit 2; }
done

prev=$after n=0
for step in "$@"; do
  stage=${step%%:*} params=${step#*:}
  opts=(--parsable --kill-on-invalid-dep=yes "${extra[@]}")
  [[ -n $prev ]] && opts+=(--dependency="afterok:$prev")
  if ((gpus)) && [[ $stage == train || $stage == evaluate || $stage == emulate ]]; then
    opts+=(--gpus-per-task=1)
  fi
  n=$((n + 1))
  if ((dry)); then
    echo "sbatch ${opts[*]} $here/$stage.sbatch $params"
    prev="<job $n>"
    continue
  fi
  id=$(sbatch "${opts[@]}" "$here/$stage.sbatch" "$params")
  id=${id%%;*}
  printf '%-9s %-40s job %s%s\n' "$stage" "$params" "$id" "${prev:+ (after $prev)}"
  prev=$id
done
((dry)) || echo "campaign: $n job(s); the last is $prev. squeue -u \$USER; cancel all: scancel <ids>"
