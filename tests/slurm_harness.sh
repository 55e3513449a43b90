# shellcheck shell=bash
# A throw-away single-node Slurm (22.05) for tests, run as root under a scratch directory.
# Source this file, then:
#
#   slurm_start DIR                       write DIR/etc/{slurm,cgroup,mpi,plugstack}.conf (no cgroups used:
#                                         runs with or without /sys/fs/cgroup), start munged (auth/none
#                                         when munged is absent), slurmctld and slurmd; wait until the node
#                                         is idle; export SLURM_CONF. Returns 1 with a message (and the
#                                         daemons' log tails) when Slurm is not up within SLURM_HARNESS_TIMEOUT
#                                         seconds (30).
#   slurm_stop                            cancel the jobs of this controller, stop exactly the daemons that
#                                         slurm_start started. Safe to call twice; slurm_start installs it as an
#                                         EXIT trap (and on INT/TERM), so callers with their own EXIT trap must
#                                         call it from theirs.
#   slurm_job_state JOBID                 print the job's state (PENDING, RUNNING, COMPLETED, ...)
#   slurm_job_field JOBID FIELD           print one field of `scontrol show job` (Restarts, Reason, ExitCode, ...)
#   slurm_wait_state JOBID STATES TIMEOUT wait until the state is one of STATES ('RUNNING' or 'COMPLETED|FAILED');
#                                         0 when reached, 2 when the job ended in another final state, 1 on
#                                         timeout. The last state seen is left in SLURM_LAST_STATE.
#   slurm_release_requeued JOBID [TIMEOUT]
#                                         a requeued job is held about 121 s (Reason=BeginTime): wait until it is
#                                         PENDING, then `scontrol update jobid=J StartTime=now` (issued before
#                                         PENDING the hold is reset) a few seconds later (released within
#                                         the second of the requeue, slurmd refuses the run: "Job credential
#                                         revoked"), and repeat while it is still held.
#
# Facts this relies on: /work/shared/spec/platform.md, "Single-node Slurm 22.05 inside a test".
# Environment: SLURM_HARNESS_PORT (first controller port to try, 16817), SLURM_HARNESS_TIMEOUT (30),
# SLURM_HARNESS_AUTH (munge|none; default munge when munged is installed).

# shellcheck disable=SC2034  # SLURM_LAST_STATE is for the caller
SLURM_LAST_STATE=
SLURM_HARNESS_CGROUP_MODE=  # what /sys/fs/cgroup holds, in words (set by slurm_start; Slurm uses no cgroups)
_SLURM_HARNESS_PIDS=()      # daemons we started, in start order: munged, slurmctld, slurmd
_SLURM_HARNESS_CTLD_PID=
_SLURM_HARNESS_DIR=
_SLURM_HARNESS_RUNDIR=      # where the sockets live (short path)
_SLURM_HARNESS_TMPRUN=      # set when RUNDIR is a mktemp directory we must remove

_slurm_log() { echo "slurm_harness: $*" >&2; }

_slurm_port_free() {  # PORT: nobody listens on 127.0.0.1:PORT
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_slurm_logs_tail() {
  local f
  for f in "$_SLURM_HARNESS_DIR"/log/*.log; do
    [[ -s $f ]] || continue
    echo "----- $f (last 20 lines)" >&2
    tail -n 20 "$f" >&2
  done
}

slurm_start() {
  local dir=${1:?usage: slurm_start DIR}
  local timeout=${SLURM_HARNESS_TIMEOUT:-30}
  local auth=${SLURM_HARNESS_AUTH:-}
  local t p port mem_mib cpus i state

  if [[ ${#_SLURM_HARNESS_PIDS[@]} -gt 0 ]]; then
    _slurm_log "already started under $_SLURM_HARNESS_DIR"; return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    _slurm_log "must run as root (SlurmUser=root, SlurmdUser=root)"; return 1
  fi
  for p in slurmctld slurmd sinfo squeue scontrol sbatch; do
    command -v "$p" >/dev/null || { _slurm_log "$p not found"; return 1; }
  done
  if [[ -z $auth ]]; then
    if command -v munged >/dev/null; then auth=munge; else auth=none; fi
  fi

  mkdir -p "$dir" || return 1
  t=$(cd "$dir" && pwd -P)
  _SLURM_HARNESS_DIR=$t
  rm -rf "${t:?}/etc" "$t/state" "$t/log" "$t/pmix" "$t/munge" "$t/spool"
  mkdir -p "$t/etc" "$t/state" "$t/log" "$t/pmix" || return 1
  # Unix sockets (munge, slurmd's spool) allow ~107 characters: keep them short.
  if [[ ${#t} -gt 60 ]]; then
    _SLURM_HARNESS_RUNDIR=$(mktemp -d /tmp/slurmh.XXXXXX) || return 1
    _SLURM_HARNESS_TMPRUN=$_SLURM_HARNESS_RUNDIR
  else
    _SLURM_HARNESS_RUNDIR=$t
    _SLURM_HARNESS_TMPRUN=
  fi
  local run=$_SLURM_HARNESS_RUNDIR
  mkdir -p "$run/spool" || return 1

  # A free port pair (controller, slurmd), so that two harnesses on one machine do not collide.
  port=${SLURM_HARNESS_PORT:-16817}
  for ((i = 0; i < 50; i++, port += 2)); do
    _slurm_port_free "$port" && _slurm_port_free $((port + 1)) && break
  done
  cpus=$(nproc)
  mem_mib=$(awk '/^MemTotal:/ { m = int($2 / 1024) - 1024; if (m < 256) m = 256; print m }' /proc/meminfo)

  export SLURM_CONF=$t/etc/slurm.conf
  {
    echo "ClusterName=ci"
    echo "SlurmctldHost=localhost"
    echo "SlurmctldPort=$port"
    echo "SlurmdPort=$((port + 1))"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    if [[ $auth == munge ]]; then
      echo "AuthType=auth/munge"
      echo "CredType=cred/munge"
      echo "AuthInfo=socket=$run/munge/munge.socket.2"
    else
      echo "AuthType=auth/none"
      echo "CredType=cred/none"
    fi
    echo "StateSaveLocation=$t/state"
    echo "SlurmdSpoolDir=$run/spool/slurmd-%n"
    echo "SlurmctldPidFile=$t/state/slurmctld.pid"
    echo "SlurmdPidFile=$t/state/slurmd.pid"
    echo "SlurmctldLogFile=$t/log/slurmctld.log"
    echo "SlurmdLogFile=$t/log/slurmd.log"
    echo "PlugStackConfig=$t/etc/plugstack.conf"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "JobCompType=jobcomp/none"
    echo "SwitchType=switch/none"
    echo "MpiDefault=pmix"
    echo "MailProg=/bin/true"
    echo "SchedulerType=sched/backfill"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core"
    echo "ReturnToService=2"
    echo "SlurmctldTimeout=30"
    echo "SlurmdTimeout=30"
    echo "InactiveLimit=0"
    echo "MinJobAge=300"
    echo "KillWait=5"
    echo "JobRequeue=1"
    echo "NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN"
    echo "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP"
  } >"$SLURM_CONF"
  echo "PMIxCliTmpDirBase=$t/pmix" >"$t/etc/mpi.conf"
  : >"$t/etc/plugstack.conf"
  # No cgroups anywhere: proctrack/linuxproc, task/none and jobacct_gather/none use none, but slurmd
  # 22.05 still loads a cgroup plugin at start-up (slurmd.c: cgroup_g_init(), fatal on failure), and
  # the default CgroupPlugin=autodetect statfs()es /sys/fs/cgroup: in a container without a cgroup
  # mount it fails ("No filesystem mounted on /sys/fs/cgroup", "Unable to initialize cgroup plugin").
  # 22.05 has no CgroupPlugin=disabled (24.05 adds it). cgroup/v1's init() only allocates lists and
  # touches no file; nothing here ever asks it for a controller (that takes task/cgroup,
  # proctrack/cgroup, jobacct_gather/cgroup or CoreSpec/MemSpec), so naming it loads a plugin that
  # stays idle, whatever cgroups the machine has. Constrain* are off (the default), said explicitly.
  {
    echo "CgroupPlugin=cgroup/v1"
    echo "ConstrainCores=no"
    echo "ConstrainRAMSpace=no"
    echo "ConstrainSwapSpace=no"
    echo "ConstrainDevices=no"
  } >"$t/etc/cgroup.conf"
  local cgfs
  cgfs=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null || echo absent)
  case $cgfs in
    cgroup2fs) SLURM_HARNESS_CGROUP_MODE="cgroup v2 mounted on /sys/fs/cgroup (not used)" ;;
    tmpfs)
      if stat -f -c %T /sys/fs/cgroup/*/ 2>/dev/null | grep -q '^cgroup'; then
        SLURM_HARNESS_CGROUP_MODE="cgroup v1/hybrid mounted on /sys/fs/cgroup (not used)"
      else
        SLURM_HARNESS_CGROUP_MODE="no cgroup hierarchy (empty tmpfs on /sys/fs/cgroup)"
      fi ;;
    *) SLURM_HARNESS_CGROUP_MODE="no cgroup filesystem (/sys/fs/cgroup: $cgfs)" ;;
  esac

  trap 'slurm_stop' EXIT
  trap 'slurm_stop; exit 130' INT
  trap 'slurm_stop; exit 143' TERM

  if [[ $auth == munge ]]; then
    mkdir -p "$run/munge" && chmod 711 "$run/munge" || return 1
    head -c 1024 /dev/urandom >"$run/munge/munge.key" && chmod 400 "$run/munge/munge.key" || return 1
    munged --foreground --force --socket="$run/munge/munge.socket.2" --key-file="$run/munge/munge.key" \
      --pid-file="$run/munge/munged.pid" --log-file="$t/log/munged.log" --seed-file="$run/munge/munge.seed" \
      >>"$t/log/munged.log" 2>&1 &
    _SLURM_HARNESS_PIDS+=($!)
    for ((i = 0; i < 50; i++)); do
      [[ -S $run/munge/munge.socket.2 ]] && break
      kill -0 "${_SLURM_HARNESS_PIDS[-1]}" 2>/dev/null || break
      sleep 0.1
    done
    if [[ ! -S $run/munge/munge.socket.2 ]]; then
      _slurm_log "munged did not start (see $t/log/munged.log)"; _slurm_logs_tail; slurm_stop; return 1
    fi
  fi

  slurmctld -D -i -f "$SLURM_CONF" >>"$t/log/slurmctld.stdout" 2>&1 &
  _SLURM_HARNESS_CTLD_PID=$!
  _SLURM_HARNESS_PIDS+=($!)
  slurmd -D -N localhost -f "$SLURM_CONF" >>"$t/log/slurmd.stdout" 2>&1 &
  _SLURM_HARNESS_PIDS+=($!)

  local deadline=$((SECONDS + timeout))
  state=
  while ((SECONDS < deadline)); do
    for p in "${_SLURM_HARNESS_PIDS[@]}"; do
      if ! kill -0 "$p" 2>/dev/null; then
        _slurm_log "a daemon (pid $p) exited during start-up; logs under $t/log"
        _slurm_logs_tail; slurm_stop; return 1
      fi
    done
    state=$(sinfo -h -n localhost -o %t 2>/dev/null)
    [[ $state == idle ]] && break
    sleep 0.3
  done
  if [[ $state != idle ]]; then
    _slurm_log "Slurm not up after ${timeout} s (node state '${state:-no answer}'); logs under $t/log"
    _slurm_logs_tail; slurm_stop; return 1
  fi
  _slurm_log "up in $t (auth/$auth, ports $port/$((port + 1)), $cpus CPUs, pids ${_SLURM_HARNESS_PIDS[*]})"
  _slurm_log "cgroups: $SLURM_HARNESS_CGROUP_MODE; Slurm configured to use none"
  return 0
}

slurm_stop() {
  local p i alive jobs
  [[ ${#_SLURM_HARNESS_PIDS[@]} -gt 0 ]] || return 0
  # Jobs first: their slurmstepd processes outlive slurmd.
  if [[ -n ${SLURM_CONF:-} ]] && [[ -n $_SLURM_HARNESS_CTLD_PID ]] &&
    kill -0 "$_SLURM_HARNESS_CTLD_PID" 2>/dev/null; then
    jobs=$(squeue -h -o %i 2>/dev/null)
    if [[ -n $jobs ]]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null
      for ((i = 0; i < 40; i++)); do
        [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
        sleep 0.25
      done
    fi
  fi
  # Reverse start order: slurmd, slurmctld, munged.
  for ((i = ${#_SLURM_HARNESS_PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${_SLURM_HARNESS_PIDS[i]}" 2>/dev/null
  done
  for ((i = 0; i < 50; i++)); do
    alive=0
    for p in "${_SLURM_HARNESS_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${_SLURM_HARNESS_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  _slurm_log "stopped (pids ${_SLURM_HARNESS_PIDS[*]})"
  _SLURM_HARNESS_PIDS=()
  _SLURM_HARNESS_CTLD_PID=
  if [[ -n $_SLURM_HARNESS_TMPRUN ]]; then
    rm -rf "$_SLURM_HARNESS_TMPRUN"
    _SLURM_HARNESS_TMPRUN=
  fi
  return 0
}

slurm_job_field() {  # JOBID FIELD
  scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

slurm_job_state() {  # JOBID
  slurm_job_field "$1" JobState
}

slurm_wait_state() {  # JOBID STATES TIMEOUT
  local job=${1:?} want=${2:?} timeout=${3:-60}
  local deadline=$((SECONDS + timeout)) s
  SLURM_LAST_STATE=
  while :; do
    s=$(slurm_job_state "$job")
    SLURM_LAST_STATE=$s
    if [[ -n $s && "|$want|" == *"|$s|"* ]]; then return 0; fi
    case $s in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        _slurm_log "job $job is $s, not ${want}"; return 2 ;;
    esac
    if ((SECONDS >= deadline)); then
      _slurm_log "job $job still ${s:-unknown} after ${timeout} s, not ${want}"; return 1
    fi
    sleep 0.25
  done
}

slurm_release_requeued() {  # JOBID [TIMEOUT]
  local job=${1:?} timeout=${2:-60} deadline i
  deadline=$((SECONDS + timeout))
  slurm_wait_state "$job" PENDING "$timeout" || return 1
  # slurmd revoked the first run's credential at the requeue, to the second; a run started in that
  # same second is refused ("Job credential revoked") and the job FAILS. Hence the hold; we wait a
  # few seconds instead of two minutes.
  sleep "${SLURM_HARNESS_RELEASE_DELAY:-3}"
  while ((SECONDS < deadline)); do
    scontrol update jobid="$job" StartTime=now || return 1
    # Started, or at least no longer held for its begin time?
    for ((i = 0; i < 12; i++)); do
      sleep 0.25
      [[ $(slurm_job_state "$job") != PENDING ]] && return 0
      [[ $(slurm_job_field "$job" Reason) != BeginTime ]] && return 0
    done
    _slurm_log "job $job still held (Reason=BeginTime); releasing again"
  done
  _slurm_log "job $job not released within ${timeout} s"
  return 1
}
