#!/bin/sh
# The Debian package under a real systemd: a fresh Debian 12 root
# (debootstrap, with systemd) with creamasd installed from build-deb/ is
# booted in a container (systemd-nspawn, a network of its own: only its
# loopback), with creamasd.service and an instance creamasd@two.service
# enabled. Then, as creamasd(8) "Running under systemd" says:
#  - both units come up active, which for Type=notify means that each
#    master sent READY=1 once its slaves answered, in the sandbox (the
#    user creamasd, the system call filter, no memory both writable and
#    executable: the slaves are started and run under all of it);
#  - creamasctl runs agents on both nodes (launch=none), logs written in
#    the services' state folders; its stop ends both with status 0, and
#    on-failure leaves them down;
#  - systemctl stop (SIGTERM) ends a running node cleanly, every agent's
#    log written first;
#  - a master that crashes (SIGSEGV) is started again by systemd;
#  - systemd-analyze security rates both units as the manual says.
# As root, from the top of the tree, after make deb; the base root is
# kept in $SYSTEMD_CHECK_BASE (build-systemd-base) for the next run.
# Exit 0: passed; 77: skipped (it says why); else failed.
set -eu

fail() {
	echo "tests/systemd-check.sh: FAIL: $*" >&2
	[ -n "${root:-}" ] && [ -f "$root.boot.log" ] &&
	    tail -n 30 "$root.boot.log" >&2
	exit 1
}

skip() {
	echo "tests/systemd-check.sh: SKIP: $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, systemd-nspawn)"
for p in debootstrap systemd-nspawn nsenter; do
	command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
	    skip "$p is not installed (Debian's debootstrap, systemd-container)"
done
version=$(dpkg-parsechangelog -S Version)
deb=build-deb/creamasd_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb (make deb first)"
base=${SYSTEMD_CHECK_BASE:-build-systemd-base}
mirror=${DEB_CHECK_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list 2>/dev/null | awk '/^URIs:/ { print $2; exit }
    /^deb / { print $2; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}

if [ ! -x "$base/lib/systemd/systemd" ]; then
	rm -rf "$base"
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus \
	    bookworm "$base" "$mirror" >/dev/null || fail "debootstrap failed"
fi
root=$(mktemp -d "$PWD/build-deb/systemd.XXXXXX")
container=
. tests/pids.sh
# Power the container off (SIGTERM to systemd-nspawn: its systemd shuts
# down, given up to a minute), by pid, then remove its root.
cleanup() {
	[ -z "$container" ] || stop_wait=600 stop_pids "$container"
	rm -rf "$root" "$root.boot.log"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cp -a "$base/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/root/"

# Install and configure, in the container not yet booted (the host's
# network, for apt-get). With --keep-unit systemd-nspawn needs no
# systemd of the host's; its /tmp is a file system of its own.
systemd-nspawn -q -D "$root" --register=no --keep-unit /bin/sh -eu -c '
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >/dev/null
apt-get -q install -y --no-install-recommends /root/'"${deb##*/}"' >/dev/null
printf "listen = 127.0.0.1:7100\nslaves = 1\n" > /etc/creamasd/two.conf
' || fail "the package did not install in the root"
systemctl -q --root="$root" enable creamasd.service creamasd@two.service ||
    fail "the units could not be enabled"

systemd-nspawn -q -D "$root" --boot --private-network --register=no \
    --keep-unit > "$root.boot.log" 2>&1 &
container=$!
# Its systemd: the child of systemd-nspawn.
leader=
n=0
while [ -z "$leader" ]; do
	n=$((n + 1))
	[ $n -lt 300 ] || fail "the container did not start"
	kill -0 "$container" 2>/dev/null || fail "systemd-nspawn ended"
	sleep 0.1
	leader=$(cat /proc/"$container"/task/*/children 2>/dev/null |
	    awk '{ print $1; exit }')
done

# Run a command in the container.
in_root() {
	nsenter -t "$leader" -a -r -w "$@"
}

# Wait until a unit of the container is in a state, or fail.
wait_state() {
	n=0
	until [ "$(in_root systemctl is-active "$1" 2>/dev/null)" = "$2" ]; do
		n=$((n + 1))
		[ $n -lt 600 ] || fail "$1 is $(in_root systemctl is-active \
		    "$1" 2>/dev/null), not $2, after 60 s"
		sleep 0.1
	done
}

# Print a property of a unit of the container.
property() {
	in_root systemctl show -P "$2" "$1"
}

# Count the container's creamasd processes.
count_daemons() {
	in_root sh -c 'n=0; for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = creamasd ] && n=$((n + 1))
	done; echo $n'
}

# 1. Both nodes come up in their sandbox: a master and its slaves each.
wait_state creamasd.service active
wait_state creamasd@two.service active
main=$(property creamasd.service MainPID)
[ "$(in_root stat -c %U /proc/"$main")" = creamasd ] ||
    fail "the master does not run as the user creamasd"
slaves=$(in_root nproc)
[ "$(count_daemons)" -eq $((slaves + 1 + 2)) ] ||
    fail "$(count_daemons) creamasd processes, not $((slaves + 3))"

# 2. creamasctl across both (launch=none); its stop ends them with 0.
in_root sh -c 'printf "127.0.0.1 port=7000 launch=none\n127.0.0.1 \
port=7100 launch=none\n" > /tmp/nodes'
in_root creamasctl -f /tmp/nodes run --agents counter:4 -r 3 \
    --log-folder logs > /dev/null || fail "creamasctl run failed"
for unit in creamasd.service creamasd@two.service; do
	wait_state "$unit" inactive
	[ "$(property "$unit" Result)" = success ] &&
	    [ "$(property "$unit" ExecMainStatus)" = 0 ] ||
	    fail "$unit did not end with status 0 after creamasctl stop"
done
for logs in /var/lib/creamasd/logs /var/lib/creamasd/two/logs; do
	[ "$(in_root sh -c "ls $logs | grep -c '^agent_'")" -eq 4 ] ||
	    fail "no 4 agent logs in $logs"
	in_root sh -c "grep -l 'round 3' $logs/agent_*.log" | wc -l |
	    grep -qx 4 || fail "agent logs in $logs without round 3"
done

# 3. systemctl stop of a running node: the agents' logs are written.
in_root systemctl start creamasd.service
wait_state creamasd.service active
in_root sh -c 'head -n 1 /tmp/nodes > /tmp/node1'
in_root creamasctl -f /tmp/node1 prepare --agents counter:3 \
    --log-folder stopped > /dev/null || fail "creamasctl prepare failed"
in_root creamasctl -f /tmp/node1 trigger -r 2 > /dev/null ||
    fail "creamasctl trigger failed"
in_root systemctl stop creamasd.service
[ "$(property creamasd.service Result)" = success ] ||
    fail "systemctl stop: $(property creamasd.service Result)"
in_root sh -c "grep -l 'round 2' /var/lib/creamasd/stopped/agent_*.log" |
    wc -l | grep -qx 3 || fail "systemctl stop did not write 3 agent logs"

# 4. A crash: systemd starts the node again.
in_root systemctl start creamasd.service
wait_state creamasd.service active
crashed=$(property creamasd.service MainPID)
in_root sh -c "kill -SEGV $crashed" || fail "kill -SEGV $crashed"
n=0
until main=$(property creamasd.service MainPID) &&
    [ "$main" != "$crashed" ] && [ "$main" != 0 ] &&
    [ "$(in_root systemctl is-active creamasd.service)" = active ]; do
	n=$((n + 1))
	[ $n -lt 300 ] || fail "the crashed node was not started again"
	sleep 0.1
done
[ "$(property creamasd.service NRestarts)" -ge 1 ] ||
    fail "no restart counted after the crash"

# 5. The sandbox's rating, as creamasd(8) gives it.
for unit in creamasd.service creamasd@two.service; do
	rating=$(in_root systemd-analyze security "$unit" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	[ "$rating" = 1.2 ] ||
	    fail "systemd-analyze security rates $unit ${rating:-nothing}"
done
echo "tests/systemd-check.sh: $deb under systemd: ok"
