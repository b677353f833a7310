#!/bin/sh
# creamasd under a real Slurm on this machine: munged, slurmctld and
# slurmd started here with a generated configuration (one node that
# declares more CPUs than the machine has, OverSubscribe=FORCE, ports
# picked free, state and logs in a temporary folder), then
#  - nodes --from-slurm in an allocation prints the allocation's node;
#  - sbatch -N1 --wait examples/slurm.sbatch exits 0 with every log;
#  - a job cancelled mid-run (SIGTERM to its steps) leaves every agent's
#    log written and the node's environment stopped;
#  - SIGUSR1 to a job's batch script (sbatch --signal=B:USR1@T) ends it
#    cleanly with a checkpoint, which a next job restores and goes on
#    from.
# Every daemon it started is stopped by pid. As root, from the top of
# the tree; CREAMASCTL names creamasctl (creamasd is found next to it).
# Exit 0: passed; 77: skipped (it says why: no Slurm, not root); else
# failed.
set -eu

me=tests/slurm/run.sh
. "$(dirname "$0")/lib.sh"

ctl=$(cd "$(dirname "${CREAMASCTL:?}")" && pwd)/$(basename "$CREAMASCTL")
[ -x "$ctl" ] || fail "no creamasctl at $ctl"
need_root_and munged slurmctld slurmd sbatch salloc srun scancel sinfo \
    squeue ss
host=$(hostname -s)
getent hosts "$host" >/dev/null ||
    skip "this machine's name $host does not resolve"

dir=$(mktemp -d /tmp/creamas-slurm.XXXXXX)
chmod 711 "$dir"
pids=
jobs=

# Slurm commands reach the controller from here.
slurm_run() {
	"$@"
}

# Stop what this test started, by pid: jobs first, then the daemons.
cleanup() {
	stop_slurm
	remove_dir
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A port nothing listens on, with count - 1 free ones after it, below
# the ephemeral range (32768 up) where connections' own ports land.
free_ports() {
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 12000 + 20000 ))
		k=0
		while [ $k -lt "$1" ] && ! ss -ltnH "sport = :$((p + k))" |
		    grep -q .; do
			k=$((k + 1))
		done
		[ $k -eq "$1" ] && { echo "$p"; return; }
	done
}

start_munged
ctld_port=$(free_ports 1)
slurmd_port=$(free_ports 1)
mkdir -p "$dir/spool" "$dir/out"
write_slurm_conf <<CONF
ClusterName=creamas
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmdSpoolDir=$dir/spool
SlurmdPidFile=$dir/slurmd.pid
SlurmdLogFile=$dir/slurmd.log
NodeName=$host CPUs=8 State=UNKNOWN
CONF
export SLURM_CONF="$dir/slurm.conf"
# spawn writes each srun's output in $TMPDIR: here, in the folder.
mkdir -p "$dir/tmp"
export TMPDIR="$dir/tmp"
/usr/sbin/slurmctld -D -f "$SLURM_CONF" > "$dir/slurmctld.out.log" 2>&1 &
pids="$pids $!"
/usr/sbin/slurmd -D -f "$SLURM_CONF" > "$dir/slurmd.out.log" 2>&1 &
pids="$pids $!"

wait_idle

# 1. nodes --from-slurm in an allocation.
out=$(salloc -N1 -Q "$ctl" nodes --from-slurm --port 7100 --slaves 2) ||
    fail "salloc nodes --from-slurm"
echo "$out" | grep -qx "$host port=7100 slaves=2 launch=slurm" ||
    fail "nodes --from-slurm printed: $out"
[ "$(echo "$out" | grep -vc '^#')" -eq 1 ] ||
    fail "nodes --from-slurm printed more than one node: $out"

# 2. The example batch script, to its end.
port=$(free_ports 3)
export CREAMASCTL="$ctl" CREAMAS_PORT="$port" CREAMAS_SLAVES=2
export CREAMAS_AGENTS=counter:10 CREAMAS_ROUNDS=5
export CREAMAS_OUT="$dir/out/main"
here=$(cd "$(dirname "$0")/../.." && pwd)
sbatch -N1 --wait -o "$dir/out/main.out" "$here/examples/slurm.sbatch" \
    > /dev/null || fail "sbatch --wait examples/slurm.sbatch did not exit 0"
expect_agent_logs "$dir/out/main/logs" 10 "round 5" "the batch job"

# 3. A job cancelled in its rounds: SIGTERM to every step.
port=$(free_ports 3)
export CREAMAS_PORT="$port" CREAMAS_ROUNDS=1000000000
export CREAMAS_OUT="$dir/out/cancel"
job=$(sbatch -N1 --parsable -o "$dir/out/cancel.out" \
    "$here/examples/slurm.sbatch") || fail "sbatch (to cancel)"
jobs="$jobs $job"
# Cancel once its rounds are under way (trigger prints each).
wait_line "$dir/out/cancel.out" "^round 3:" \
    "the job to cancel did not start its rounds"
sleep 1
scancel "$job"
cancelled=$(date +%s)
wait_job_gone "$job" 600 || fail "job $job did not end after scancel"
logs=$dir/out/cancel/logs
expect_agent_logs "$logs" 10 "round" "the cancelled job"
for s in 1 2; do
	f=$logs/env_$((port + s)).log
	grep -q "stopped:" "$f" ||
	    fail "slave $((port + s)) did not stop (its log $f)"
done
grep -q "stopped:" "$logs/env_$port.log" || fail "the master did not stop"
echo "tests/slurm/run.sh: cancelled job $job ended, logs written," \
    "$(( $(date +%s) - cancelled )) s after scancel (KillWait 30 s)"

# 4. SIGUSR1 to the batch script, as sbatch --signal=B:USR1@120 sends
#    it: a checkpoint after the round in progress and a clean end.
port=$(free_ports 3)
export CREAMAS_PORT="$port" CREAMAS_OUT="$dir/out/usr1"
sbatch -N1 --wait --parsable -o "$dir/out/usr1.out" \
    "$here/examples/slurm.sbatch" > "$dir/out/usr1.id" &
waiter=$!
wait_line "$dir/out/usr1.out" "^round 3:" \
    "the job to checkpoint did not start its rounds"
job=$(cat "$dir/out/usr1.id")
jobs="$jobs $job"
scancel --batch --signal=USR1 "$job" || fail "scancel --signal=USR1"
wait "$waiter" || fail "the job did not exit 0 after SIGUSR1"
round=$(sed -n 's/.*SIGUSR1: checkpoint in .* after round \([0-9]*\)$/\1/p' \
    "$dir/out/usr1.out")
[ -n "$round" ] || fail "the job did not say it checkpointed"
[ -d "$dir/out/usr1/checkpoint/node-1" ] || fail "no checkpoint written"
grep -q "stopped in" "$dir/out/usr1.out" || fail "the job did not stop"

# 5. A next job restores the checkpoint and carries on from its round.
export CREAMAS_RESTORE="$dir/out/usr1/checkpoint" CREAMAS_ROUNDS=5
export CREAMAS_OUT="$dir/out/restore"
sbatch -N1 --wait -o "$dir/out/restore.out" "$here/examples/slurm.sbatch" \
    > /dev/null || fail "the restoring job did not exit 0"
expect_agent_logs "$dir/out/restore/logs" 10 \
    "^round $((round + 5)): count $((round + 5))$" \
    "the restoring job, from round $round,"
echo "tests/slurm/run.sh: checkpoint on SIGUSR1 after round $round," \
    "restored and on to round $((round + 5))"
echo "tests/slurm/run.sh: PASS"
