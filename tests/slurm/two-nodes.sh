#!/bin/sh
# creamasd under a real two-node Slurm on this machine. Each slurmd runs
# in a network, UTS and mount namespace of its own, as hosts crnode1 and
# crnode2 with their own addresses and a hosts file that names them and
# crctl, whose namespace has slurmctld; a bridge and veth pairs made for
# the test join the three, and munged is shared through its socket file.
# From crctl:
#  - sbatch -N2 --wait examples/slurm.sbatch exits 0: the nodes file
#    names both hosts, each host's creamasd started under its own name,
#    and every agent of both wrote its log to the last round, each
#    node's into a folder of its own (its files are named by port only,
#    and both nodes have the same);
#  - a job cancelled in its rounds: each host's creamasd listens on that
#    host's address, and after scancel both have stopped with every log
#    written.
# Every process in the namespaces is stopped by pid, and the namespaces
# and interfaces are removed. As root, from the top of the tree;
# CREAMASCTL names creamasctl (creamasd is found next to it). Exit 0:
# passed; 77: skipped (it says why: no Slurm, not root, no namespaces);
# else failed.
set -eu

me=tests/slurm/two-nodes.sh
. "$(dirname "$0")/lib.sh"

ctl=$(cd "$(dirname "${CREAMASCTL:?}")" && pwd)/$(basename "$CREAMASCTL")
[ -x "$ctl" ] || fail "no creamasctl at $ctl"
need_root_and munged slurmctld slurmd sbatch scancel sinfo squeue ss ip \
    nsenter unshare mount hostname
unshare --mount --uts true 2>/dev/null ||
    skip "cannot make mount and UTS namespaces (unshare)"

# The hosts, their addresses on the test's bridge (a subnet no
# interface here is on), and the port of each one's creamasd.
hosts="crctl crnode1 crnode2"
net=10.213.77
ip -4 -o addr show | grep -q " $net\." &&
    skip "$net.0/24 is in use on this machine"
port=7100

dir=$(mktemp -d /tmp/creamas-slurm2.XXXXXX)
chmod 711 "$dir"
pids=
jobs=
ns=creamas-slurm$$
made_ns=

# Slurm commands reach the controller from crctl's network namespace.
slurm_run() {
	nsenter --net="/run/netns/$ns-crctl" "$@"
}

# Stop what this test started, by pid (jobs, daemons, then whatever is
# left in the namespaces), and remove the namespaces.
cleanup() {
	stop_slurm
	for n in $made_ns; do
		# shellcheck disable=SC2046
		stop_pids $(ip netns pids "$n" 2>/dev/null || true)
		ip netns del "$n" 2>/dev/null || true
	done
	remove_dir
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The address of a host: crctl .1, crnode1 .2, crnode2 .3.
address() {
	k=1
	for h in $hosts; do
		[ "$h" = "$1" ] && { echo "$net.$k"; return; }
		k=$((k + 1))
	done
}

# A network namespace per host, loopback up in each; the bridge in
# crctl's, a veth pair from it to each node's.
for h in $hosts; do
	ip netns add "$ns-$h" 2>/dev/null ||
	    skip "cannot make a network namespace (ip netns add)"
	made_ns="$made_ns $ns-$h"
	ip -n "$ns-$h" link set lo up
done
ip -n "$ns-crctl" link add crbr type bridge
ip -n "$ns-crctl" addr add "$(address crctl)/24" dev crbr
ip -n "$ns-crctl" link set crbr up
for h in crnode1 crnode2; do
	ip -n "$ns-crctl" link add "v$h" type veth peer name eth0 \
	    netns "$ns-$h"
	ip -n "$ns-crctl" link set "v$h" master crbr up
	ip -n "$ns-$h" addr add "$(address "$h")/24" dev eth0
	ip -n "$ns-$h" link set eth0 up
done
{
	echo "127.0.0.1 localhost"
	for h in $hosts; do
		echo "$(address "$h") $h"
	done
} > "$dir/hosts"

# Start a daemon on a host, in the background: in its network namespace,
# with a UTS and a mount namespace of its own for its name and the
# test's hosts file over /etc/hosts.
start_on() {
	h=$1
	shift
	nsenter --net="/run/netns/$ns-$h" unshare --mount --uts sh -c \
	    'mount --bind "$1" /etc/hosts && hostname "$0" && shift &&
	    exec "$@"' "$h" "$dir/hosts" "$@" > "$dir/$h.out.log" 2>&1 &
	pids="$pids $!"
}

start_munged
mkdir -p "$dir/spool-crnode1" "$dir/spool-crnode2" "$dir/out"
write_slurm_conf <<CONF
ClusterName=creamas2
SlurmctldHost=crctl($(address crctl))
SlurmctldPort=6817
SlurmdPort=6818
SlurmdSpoolDir=$dir/spool-%n
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmdLogFile=$dir/slurmd-%n.log
NodeName=crnode1 NodeAddr=$(address crnode1) CPUs=8 State=UNKNOWN
NodeName=crnode2 NodeAddr=$(address crnode2) CPUs=8 State=UNKNOWN
CONF
export SLURM_CONF="$dir/slurm.conf"
# spawn writes each srun's output in $TMPDIR: here, in the folder.
mkdir -p "$dir/tmp"
export TMPDIR="$dir/tmp"
start_on crctl /usr/sbin/slurmctld -D -f "$SLURM_CONF"
start_on crnode1 /usr/sbin/slurmd -D -f "$SLURM_CONF"
start_on crnode2 /usr/sbin/slurmd -D -f "$SLURM_CONF"
wait_idle

# Fail unless each host's logs of a job are in LOGS/HOST:PORT: count
# agent logs a host with a line matching pattern, and env logs with one
# matching env_pattern (HOST stands for the host).
expect_node_logs() {
	for h in crnode1 crnode2; do
		logs=$1/$h:$port
		expect_agent_logs "$logs" "$2" "$3" "$h"
		for k in 0 1 2; do
			grep -q "$(echo "$4" | sed "s/HOST/$h/")" \
			    "$logs/env_$((port + k)).log" ||
			    fail "$logs/env_$((port + k)).log has no" \
			    "line '$4' ($h)"
		done
	done
}

# 1. The example batch script on both nodes, to its end.
export CREAMASCTL="$ctl" CREAMAS_PORT="$port" CREAMAS_SLAVES=2
export CREAMAS_AGENTS=counter:10 CREAMAS_ROUNDS=5
export CREAMAS_OUT="$dir/out/main"
here=$(cd "$(dirname "$0")/../.." && pwd)
started=$(date +%s)
slurm_run sbatch -N2 --wait -o "$dir/out/main.out" \
    "$here/examples/slurm.sbatch" > /dev/null ||
    fail "sbatch -N2 --wait examples/slurm.sbatch did not exit 0"
for h in crnode1 crnode2; do
	grep -qx "$h port=$port slaves=2 launch=slurm" "$dir/out/main/nodes" ||
	    fail "the nodes file has no $h: $(cat "$dir/out/main/nodes")"
done
expect_node_logs "$dir/out/main/logs" 10 "round 5" "started: tcp://HOST:"
echo "$me: sbatch -N2 ran 10 agents on each of crnode1 and crnode2" \
    "for 5 rounds in $(( $(date +%s) - started )) s"

# 2. A job cancelled in its rounds, once each host's creamasd is seen
#    listening (in that host's network namespace) on its host's address.
export CREAMAS_ROUNDS=1000000000 CREAMAS_OUT="$dir/out/cancel"
job=$(slurm_run sbatch -N2 --parsable -o "$dir/out/cancel.out" \
    "$here/examples/slurm.sbatch") || fail "sbatch (to cancel)"
jobs="$jobs $job"
wait_line "$dir/out/cancel.out" "^round 3:" \
    "the job to cancel did not start its rounds"
for h in crnode1 crnode2; do
	listening=$(nsenter --net="/run/netns/$ns-$h" ss -ltnH \
	    "sport = :$port" | awk '{ print $4 }')
	[ "$listening" = "$(address "$h"):$port" ] ||
	    fail "on $h, port $port is listened on at '$listening', not" \
	    "$(address "$h"):$port"
done
slurm_run scancel "$job"
wait_job_gone "$job" 600 || fail "job $job did not end after scancel"
expect_node_logs "$dir/out/cancel/logs" 10 "round" "stopped:"
echo "$me: a cancelled job listened on $(address crnode1):$port and" \
    "$(address crnode2):$port, and stopped on both with every log"
echo "$me: PASS"
