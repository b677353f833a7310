#!/bin/sh
# Build the Debian packages (make deb), check them with lintian (no
# error), install them with apt-get into a fresh Debian 12 root made by
# debootstrap, and check the result there: the units in place, the user
# creamasd, creamasd --help, man creamasd, a master with two slaves run
# as creamasd and stopped by creamasctl; then remove and purge, and check
# that nothing is left. As root, from the top of the tree. The base root
# is kept in $DEB_CHECK_BASE (build-deb-base) for the next run.
set -eu
make=${MAKE:-make}
base=${DEB_CHECK_BASE:-build-deb-base}
# The mirror this machine's apt uses, in either format of its sources.
mirror=${DEB_CHECK_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list 2>/dev/null | awk '/^URIs:/ { print $2; exit }
    /^deb / { print $2; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}

fail() {
	echo "tests/deb-check.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap, chroot)"
$make deb
version=$(dpkg-parsechangelog -S Version)
grep -q "CREAMASD_VERSION[[:space:]]*\"$version\"" daemon/creamasd.h ||
    fail "debian/changelog says $version, daemon/creamasd.h does not"
deb=build-deb/creamasd_${version}_$(dpkg --print-architecture).deb
dev=build-deb/creamasd-dev_${version}_all.deb
[ -f "$deb" ] && [ -f "$dev" ] || fail "no $deb or $dev"

lintian --tag-display-limit 0 build-deb/*.changes > build-deb/lintian.txt \
    2>&1 || true
cat build-deb/lintian.txt
! grep -q '^E: ' build-deb/lintian.txt || fail "lintian reports errors"

if [ ! -x "$base/bin/sh" ]; then
	rm -rf "$base"
	debootstrap --variant=minbase bookworm "$base" "$mirror" >/dev/null ||
	    fail "debootstrap failed"
fi
root=$(mktemp -d "$PWD/build-deb/root.XXXXXX")
# The root's /proc, mounted in it below, goes before the root does.
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	mountpoint -q "$root/proc" || rm -rf "$root"
}
trap cleanup EXIT
cp -a "$base/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$dev" "$root/tmp/"

# In a PID namespace of its own: its /proc shows its processes only, and
# they end with it.
unshare --pid --fork chroot "$root" /bin/sh -eu -c '
fail() {
	echo "tests/deb-check.sh (in the root): $*" >&2
	exit 1
}
mount -t proc proc /proc
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >/dev/null
apt-get -q install -y --no-install-recommends man-db \
    /tmp/'"${deb##*/} /tmp/${dev##*/}"' >/dev/null

for f in /lib/systemd/system/creamasd.service \
    /lib/systemd/system/creamasd@.service \
    /usr/lib/sysusers.d/creamasd.conf /etc/creamasd/creamasd.conf \
    /usr/include/creamas/agent.h /usr/share/pkgconfig/creamas.pc; do
	[ -f "$f" ] || fail "no $f"
done
[ -d /usr/lib/creamas/plugins ] || fail "no plugin folder"
grep -q "^ExecStart=/usr/sbin/creamasd .* -f /etc/creamasd/creamasd.conf$" \
    /lib/systemd/system/creamasd.service ||
    fail "creamasd.service does not start /usr/sbin/creamasd"
uid=$(id -u creamasd) || fail "no user creamasd"
[ "$uid" -lt 1000 ] || fail "creamasd is not a system user ($uid)"

creamasd --help 2>/dev/null || fail "creamasd --help failed"
creamasctl --help >/dev/null || fail "creamasctl --help failed"
man -P cat creamasd 2>/dev/null | grep -q "Running under systemd" ||
    fail "man creamasd does not show creamasd(8)"
man -P cat creamas_agent 2>/dev/null | grep -q "cr_agent_log" ||
    fail "man creamas_agent does not show creamas_agent(3)"

# A master with two slaves as the user creamasd, with the installed
# configuration, stopped by creamasctl.
port=$(runuser -u creamasd -- creamasd --role master --slaves 2 \
    --listen 127.0.0.1:0 -f /etc/creamasd/creamasd.conf) ||
    fail "creamasd did not start as creamasd"
echo "127.0.0.1 port=$port launch=none" > /tmp/nodes
creamasctl -f /tmp/nodes run --agents counter:4 -n 2 ||
    fail "creamasctl run failed"
# The master has exited once its port is closed; its slaves before it.
left=
for p in /proc/[0-9]*; do
	[ "$(cat "$p/comm" 2>/dev/null)" != creamasd ] || left="$left ${p#/proc/}"
done
[ -z "$left" ] || fail "creamasd processes left after the run:$left"

dpkg --purge creamasd-dev creamasd >/dev/null
for f in /usr/sbin/creamasd /usr/bin/creamasctl /etc/creamasd \
    /lib/systemd/system/creamasd.service /usr/include/creamas \
    /usr/share/pkgconfig/creamas.pc \
    /usr/share/man/man8/creamasd.8.gz; do
	[ ! -e "$f" ] || fail "$f left after purge"
done
umount /proc
' || fail "the packages do not work in a fresh root"
echo "tests/deb-check.sh: $deb and $dev: ok"
