# What the Slurm tests share, sourced by each: me names the test, dir is
# its folder (once made), pids the daemons it started, jobs its jobs, and
# slurm_run runs a Slurm command where the controller can be reached.

. "$(dirname "$0")/../pids.sh"

# Say why the test failed, show the end of every log, and exit 1.
fail() {
	echo "$me: FAIL: $*" >&2
	[ -n "${dir:-}" ] && for f in "$dir"/*.log "$dir"/out/*.out \
	    "$dir"/tmp/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}

# Say why the test cannot run here, and exit 77.
skip() {
	echo "$me: SKIP: $*"
	exit 77
}

# Skip unless this runs as root with every program named installed.
need_root_and() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (munged and slurmd run" \
	    "as root)"
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
		    skip "$p is not installed (Debian: slurm-wlm, munge," \
		    "iproute2, util-linux)"
	done
}

# Wait up to tries / 5 seconds for a job to leave the queue; 1 if not.
wait_job_gone() {
	n=0
	while [ -n "$(slurm_run squeue -h -j "$1" 2>/dev/null)" ]; do
		n=$((n + 1))
		[ $n -lt "$2" ] || return 1
		sleep 0.2
	done
}

# Wait up to 2 minutes for a line in a file; fail, saying what, if not.
wait_line() {
	n=0
	until grep -qs "$2" "$1"; do
		n=$((n + 1))
		[ $n -lt 600 ] || fail "$3"
		sleep 0.2
	done
}

# Cancel the test's jobs, then stop munged and the daemons.
stop_slurm() {
	for j in $jobs; do
		slurm_run scancel "$j" 2>/dev/null || true
	done
	for j in $jobs; do
		wait_job_gone "$j" 100 || true
	done
	[ -f "$dir/munged.pid" ] && pids="$pids $(cat "$dir/munged.pid")"
	# shellcheck disable=SC2086
	stop_pids $pids
}

# Remove the test's folder; CREAMAS_SLURM_KEEP=1 keeps it, for its logs.
remove_dir() {
	[ -n "${CREAMAS_SLURM_KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}

# munged with its own socket, key, pid, log and seed files.
start_munged() {
	dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 2>/dev/null
	chmod 400 "$dir/munge.key"
	/usr/sbin/munged --force --socket="$dir/munge.sock" \
	    --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
	    --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" ||
	    fail "munged did not start"
}

# Write $dir/slurm.conf: the lines on standard input (the controller,
# ports, nodes, slurmd's files), then what every test's Slurm has: its
# state in the folder, one partition of every node, OverSubscribe=FORCE,
# no cgroups, no accounting.
write_slurm_conf() {
	mkdir -p "$dir/state"
	{
		cat
		cat <<CONF
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmctldPidFile=$dir/slurmctld.pid
SlurmctldLogFile=$dir/slurmctld.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
KillWait=30
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
CONF
	} > "$dir/slurm.conf"
}

# Wait up to 60 s for every node to be idle.
wait_idle() {
	n=0
	until [ "$(slurm_run sinfo -h -o %t 2>/dev/null)" = idle ]; do
		n=$((n + 1))
		[ $n -lt 300 ] || fail "the nodes are not idle after 60 s:" \
		    "$(slurm_run sinfo -h -N -o '%N %t' 2>&1)"
		sleep 0.2
	done
}

# Fail unless a folder has count agent logs, each with a line matching
# pattern; what names them in the message.
expect_agent_logs() {
	k=0
	for f in "$1"/agent_*.log; do
		[ -f "$f" ] && k=$((k + 1))
	done
	[ "$k" -eq "$2" ] || fail "$4 wrote $k agent logs in $1, not $2"
	for f in "$1"/agent_*.log; do
		grep -q "$3" "$f" || fail "$f has no line '$3' ($4)"
	done
}
