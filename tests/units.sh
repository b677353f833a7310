#!/bin/sh
# The systemd units of conf/ rate an overall exposure of at most 2.5 in
# systemd-analyze security (0 is the safest, 10 the least safe), and
# keep what creamasd needs in their sandbox. Run from the top of the tree.
set -eu
limit=2.5
status=0
for unit in conf/creamasd.service conf/creamasd@.service; do
	out=$(systemd-analyze security --offline=true "$unit" 2>&1) || {
		printf '%s\n' "$out" >&2
		echo "tests/units.sh: $unit: systemd-analyze failed" >&2
		exit 1
	}
	score=$(printf '%s\n' "$out" |
	    sed -n 's/^.*Overall exposure level for .*: \([0-9.]*\) .*$/\1/p')
	[ -n "$score" ] || {
		echo "tests/units.sh: $unit: no exposure level" >&2
		exit 1
	}
	if awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s <= l) }'; then
		echo "tests/units.sh: $unit: exposure $score (at most $limit): ok"
	else
		printf '%s\n' "$out" | grep '✗' >&2 || true
		echo "tests/units.sh: $unit: exposure $score, over $limit" >&2
		status=1
	fi
	# What creamasd needs: its user, its notification socket and the
	# network, fork and exec for its slaves, writable state and logs.
	for line in User=creamasd Type=notify \
	    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	    SystemCallFilter=@system-service ProtectSystem=strict \
	    StateDirectory=creamasd LogsDirectory=creamasd; do
		grep -q "^$line" "$unit" || {
			echo "tests/units.sh: $unit: no $line" >&2
			status=1
		}
	done
done
exit $status
