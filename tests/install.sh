#!/bin/sh
# make install into a staging root puts every file where it belongs and
# keeps an existing configuration; make uninstall takes away all that
# install put there, but a changed configuration. Run from the top of
# the tree; MAKE names make.
set -eu
make=${MAKE:-make}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

fail() {
	echo "tests/install.sh: $*" >&2
	exit 1
}

# The files below $root but directories, one a line, sorted.
files() {
	(cd "$root" && find . ! -type d | sort)
}

$make -s install DESTDIR="$root" >/dev/null
for f in usr/local/sbin/creamasd usr/local/bin/creamasctl \
    usr/local/lib/systemd/system/creamasd.service \
    usr/local/lib/systemd/system/creamasd@.service \
    usr/local/lib/sysusers.d/creamasd.conf \
    usr/local/share/doc/creamasd/creamasd.conf \
    usr/local/share/doc/creamasd/nodes.example \
    usr/local/share/doc/creamasd/examples/artists.c \
    usr/local/share/pkgconfig/creamas.pc \
    etc/creamasd/creamasd.conf; do
	[ -f "$root/$f" ] || fail "$f not installed"
done
for h in include/creamas/*.h; do
	cmp -s "$h" "$root/usr/local/$h" || fail "$h not installed"
done
for m in man/*.[1358]; do
	cmp -s "$m" "$root/usr/local/share/man/man${m##*.}/${m##*/}" ||
	    fail "$m not installed"
done
[ -d "$root/usr/local/lib/creamas/plugins" ] || fail "no plugin folder"
[ ! -f build/plugins/creamas_python.so ] ||
    [ -f "$root/usr/local/lib/creamas/plugins/creamas_python.so" ] ||
    fail "creamas_python.so not installed"
"$root/usr/local/sbin/creamasd" --help >/dev/null 2>&1 ||
    fail "the installed creamasd does not run"

# The units name the installed paths.
unit=$root/usr/local/lib/systemd/system/creamasd@.service
grep -q '^ExecStart=/usr/local/sbin/creamasd ' "$unit" ||
    fail "creamasd@.service does not start /usr/local/sbin/creamasd"
grep -q ' -f /etc/creamasd/%i.conf$' "$unit" ||
    fail "creamasd@.service does not read /etc/creamasd/%i.conf"

# An existing configuration is kept by install, a changed one by
# uninstall; the rest goes.
echo 'slaves = 2' >> "$root/etc/creamasd/creamasd.conf"
$make -s install DESTDIR="$root" >/dev/null
grep -q '^slaves = 2$' "$root/etc/creamasd/creamasd.conf" ||
    fail "install overwrote a changed configuration"
$make -s uninstall DESTDIR="$root" >/dev/null 2>&1
left=$(files)
[ "$left" = "./etc/creamasd/creamasd.conf" ] ||
    fail "uninstall left $(echo $left) (expected the changed configuration)"
rm -r "$root/etc/creamasd"

# Installed elsewhere and left unchanged, nothing of it is left.
$make -s install DESTDIR="$root" PREFIX=/opt/local SYSCONFDIR=/opt/etc \
    >/dev/null
grep -q '^ExecStart=/opt/local/sbin/creamasd ' \
    "$root/opt/local/lib/systemd/system/creamasd.service" ||
    fail "creamasd.service does not start /opt/local/sbin/creamasd"
grep -q ' -f /opt/etc/creamasd/creamasd.conf$' \
    "$root/opt/local/lib/systemd/system/creamasd.service" ||
    fail "creamasd.service does not read /opt/etc/creamasd/creamasd.conf"
$make -s uninstall DESTDIR="$root" PREFIX=/opt/local SYSCONFDIR=/opt/etc \
    >/dev/null 2>&1
[ -z "$(files)" ] || fail "uninstall left $(files | tr '\n' ' ')"
[ -z "$(cd "$root" && find . -name '*creamas*')" ] ||
    fail "uninstall left $(cd "$root" && find . -name '*creamas*')"
echo "tests/install.sh: install and uninstall: ok"
