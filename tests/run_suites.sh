#!/bin/bash
#
# Copyright (c) 2026 The creamasd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# Run Check suites in parallel, one process per suite (make check,
# make check-slow):
#
#	run_suites.sh RUNNER LOGDIR JOBS SUITE...
#
# Each suite runs as "CK_RUN_SUITE=SUITE RUNNER", at most JOBS at once,
# its output in LOGDIR/SUITE.log; with CK_RUN_SUITE set, only the suites
# it names run. Each gets its own slice of the test
# port range (TL_PORTS, read by tl_free_ports()), by its place in
# $CHECK_ALL_SUITES (every suite of the tree, so that suites of both
# tiers never share ports) or else in the arguments. Those that took
# longest the last time start first. A line per suite
# says how it went as it ends; then the whole log of every failing
# suite, and last one line, "checks: N passed, N failed", counting
# Check's tests (a suite that ends without Check's summary counts as one
# failed check). The exit status is 1 if anything failed.

set -u

if [ $# -lt 3 ]; then
	echo "usage: run_suites.sh runner logdir jobs suite..." >&2
	exit 2
fi
runner=$1
logdir=$2
jobs=$3
shift 3
# CK_RUN_SUITE=NAME make check runs that suite (or those, space-separated)
# whatever its tier, and CK_RUN_CASE narrows it as Check does.
if [ -n "${CK_RUN_SUITE:-}" ]; then
	set -- $CK_RUN_SUITE
fi

# The ports of tl_free_ports(), below the ephemeral range, in slices.
port_first=20000
port_count=12000
all=(${CHECK_ALL_SUITES:-$*})

mkdir -p "$logdir"

# Print the slice "FIRST-LAST" of the port range for suite $1.
port_slice() {
	local i span

	span=$((port_count / ${#all[@]}))
	for i in "${!all[@]}"; do
		if [ "${all[$i]}" = "$1" ]; then
			echo "$((port_first + i * span))-$((port_first + \
			    (i + 1) * span - 1))"
			return
		fi
	done
	echo "$port_first-$((port_first + port_count - 1))"
}

# Run suite $1 to its end, then write its exit status and tenths of a
# second.
run_one() {
	local start status

	start=${EPOCHREALTIME/./}
	TL_PORTS=$(port_slice "$1") CK_RUN_SUITE=$1 "$runner" \
	    >"$logdir/$1.log" 2>&1
	status=$?
	echo "$status $(( (${EPOCHREALTIME/./} - start) / 100000 ))" \
	    >"$logdir/$1.status"
}

# Report the suite $1 that has ended and add its counts to the totals.
report() {
	local status tenths summary checks=0 bad=1

	read -r status tenths <"$logdir/$1.status"
	summary=$(sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: '`
	    `'\([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$logdir/$1.log" |
	    tail -n 1)
	if [ -n "$summary" ]; then
		read -r checks failures errors <<<"$summary"
		bad=$((failures + errors))
	fi
	# A runner that fails past Check's summary counts as a failed check.
	if [ "$status" != 0 ] && [ "$bad" = 0 ]; then
		bad=1
	fi
	passed=$((passed + checks - (bad > checks ? checks : bad)))
	failed=$((failed + bad))
	if [ "$bad" = 0 ]; then
		printf '  ok    %-18s %4d checks %5d.%d s\n' "$1" "$checks" \
		    $((tenths / 10)) $((tenths % 10))
	else
		printf '  FAIL  %-18s %4d checks %5d.%d s: %d failed, '`
		    `'exit %s\n' "$1" "$checks" $((tenths / 10)) \
		    $((tenths % 10)) "$bad" "$status"
		failing+=("$1")
	fi
}

# The suites, those that took longest last time first (unknown ones
# first of all), so that the long ones do not start last.
order() {
	local suite tenths

	for suite in "$@"; do
		tenths=999999
		if [ -r "$logdir/$suite.status" ]; then
			read -r _ tenths <"$logdir/$suite.status"
		fi
		echo "$tenths $suite"
	done | sort -k1,1nr -k2 | cut -d' ' -f2
}

# Wait until fewer than $1 suites run, reporting those that end.
reap() {
	local suite

	while [ "${#running[@]}" -ge "$1" ]; do
		wait -n
		for suite in "${!running[@]}"; do
			if [ -e "$logdir/$suite.status" ]; then
				report "$suite"
				unset "running[$suite]"
			fi
		done
	done
}

passed=0
failed=0
failing=()
declare -A running=()
for suite in $(order "$@"); do
	reap "$jobs"
	rm -f "$logdir/$suite.status"
	# The shell's own word on a crash goes to the log as well.
	run_one "$suite" 2>>"$logdir/$suite.log" &
	running[$suite]=1
done
reap 1

for suite in "${failing[@]}"; do
	echo
	echo "==== $suite ($logdir/$suite.log) ===="
	cat "$logdir/$suite.log"
done
[ "${#failing[@]}" -eq 0 ] || echo
echo "checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
