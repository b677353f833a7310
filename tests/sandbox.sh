#!/bin/sh
# creamasd in the sandbox of the systemd units, as far as it can be built
# without systemd: an unprivileged user (nobody), no capabilities, no new
# privileges, every file system read-only but the log folder, a /tmp of
# its own, its own PIDs. Installed from this tree, a master starts two
# slaves, loads a plugin from the plugin folder, listens, serves a run of
# creamasctl, writes its logs and stops. As root, from the top of the
# tree; CREAMAS_PLUGINS is the folder of the test plugins, MAKE names make.
# Not built here: the units' system call filter and MemoryDenyWriteExecute.
set -eu
make=${MAKE:-make}

fail() {
	echo "tests/sandbox.sh: $*" >&2
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/sandbox.sh: skipped: needs root (namespaces, setpriv)"
	exit 0
fi
# In a chroot, / is no mount point and cannot be made private to the
# sandbox's mount namespace, so its mounts would not stay its own.
if ! mountpoint -q /; then
	echo "tests/sandbox.sh: skipped: / is not a mount point (a chroot)"
	exit 0
fi
[ -f "${CREAMAS_PLUGINS:?}/pingpong.so" ] || fail "no pingpong.so"
stage=$(mktemp -d /var/tmp/creamasd-sandbox.XXXXXX)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
$make -s install DESTDIR="$stage" >/dev/null
plugins=$stage/usr/local/lib/creamas/plugins
cp "$CREAMAS_PLUGINS/pingpong.so" "$plugins/"
logs=$stage/var/log/creamasd
mkdir -p "$logs"
chown nobody "$logs"

unshare --mount --pid --fork --mount-proc /bin/sh -eu -c '
stage=$1 plugins=$2 logs=$3
fail() {
	echo "tests/sandbox.sh (in the sandbox): $*" >&2
	exit 1
}
# Read-only everywhere but the log folder; a private /tmp.
mount --bind "$logs" "$logs"
findmnt -rn -o TARGET | while read -r m; do
	case $m in
	/proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$logs") ;;
	*) mount -o remount,bind,ro "$m" 2>/dev/null || true ;;
	esac
done
mount -o remount,bind,rw "$logs"
mount -t tmpfs -o mode=1777 tmpfs /tmp
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    --no-new-privs --inh-caps=-all --bounding-set=-all "$@"
}
as_nobody touch "$logs/probe" || fail "the log folder is not writable"
rm "$logs/probe"
! as_nobody touch "$stage/probe" 2>/dev/null ||
    fail "the file system is not read-only"

port=$(as_nobody "$stage/usr/local/sbin/creamasd" --role master \
    --slaves 2 --listen 127.0.0.1:0 --plugin "$plugins/pingpong.so") ||
    fail "creamasd did not start"
count=0
for p in /proc/[0-9]*; do
	[ "$(cat "$p/comm" 2>/dev/null)" = creamasd ] || continue
	count=$((count + 1))
	grep -q "^Uid:[[:space:]]*$(id -u nobody)[[:space:]]" "$p/status" ||
	    fail "${p#/proc/} does not run as nobody"
	grep -q "^CapBnd:[[:space:]]*0*$" "$p/status" ||
	    fail "${p#/proc/} holds capabilities"
	grep -q "^NoNewPrivs:[[:space:]]*1$" "$p/status" ||
	    fail "${p#/proc/} may gain privileges"
done
[ "$count" -eq 3 ] || fail "$count creamasd processes, not a master and 2"

echo "127.0.0.1 port=$port launch=none" > /tmp/nodes
"$stage/usr/local/bin/creamasctl" -f /tmp/nodes run --agents ponger:4 \
    -n 2 --log-folder "$logs/run" >/dev/null || fail "the run failed"
ls "$logs/run"/env_*.log >/dev/null 2>&1 || fail "no environment logs"
[ "$(stat -c %U "$logs/run")" = nobody ] || fail "logs not written by nobody"
for p in /proc/[0-9]*; do
	[ "$(cat "$p/comm" 2>/dev/null)" != creamasd ] ||
	    fail "creamasd ${p#/proc/} left after the run"
done
' sh "$stage" "$plugins" "$logs" || fail "creamasd does not work in the sandbox"
echo "tests/sandbox.sh: a master, 2 slaves and a plugin in the sandbox: ok"
