#!/bin/sh
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
# Run each fuzz target for a while (make fuzz):
#
#	run.sh BUILD SECONDS TARGET...
#
# Target NAME is BUILD/fuzz_NAME. It runs on BUILD/corpus/NAME, which
# gets a copy of the seeds in corpus/NAME beside this script (and keeps
# what earlier runs found), with the flags of fuzz_NAME.options; its
# output goes to BUILD/fuzz_NAME.log and a crash to BUILD/artifacts/NAME/.
# At the end a table gives each target's executions per second and total
# runs; the exit status is 1 if any target failed.

set -u

if [ $# -lt 3 ]; then
	echo "usage: run.sh build seconds target..." >&2
	exit 2
fi
build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# What a target leaves behind when it crashes stays in the build directory.
TMPDIR=$build/tmp
export TMPDIR
mkdir -p "$TMPDIR"
failed=0
table=$(printf '%-10s %6s %10s %12s %8s %8s  %s' target status exec/s runs \
    corpus rss_mb seconds)

# Turn the key = value lines of a [libfuzzer] options file into flags; a
# dict is named relative to this directory.
options() {
	while read -r key equals value; do
		[ "$equals" = "=" ] || continue
		case $key in
		dict)	printf ' -dict=%s' "$here/$value" ;;
		*)	printf ' -%s=%s' "$key" "$value" ;;
		esac
	done <"$1"
}

# Print the value of one of libFuzzer's final stat:: lines.
fuzz_stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

for name in "$@"; do
	binary=$build/fuzz_$name
	corpus=$build/corpus/$name
	artifacts=$build/artifacts/$name
	log=$build/fuzz_$name.log
	mkdir -p "$corpus" "$artifacts"
	if [ -d "$here/corpus/$name" ]; then
		cp "$here/corpus/$name"/* "$corpus"/ 2>/dev/null
	fi
	flags=
	if [ -f "$here/fuzz_$name.options" ]; then
		flags=$(options "$here/fuzz_$name.options")
	fi
	echo "fuzz_$name: $seconds s on $corpus ($log)"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$binary" -max_total_time="$seconds" -print_final_stats=1 \
	    -artifact_prefix="$artifacts/" $flags "$corpus" >"$log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))
	runs=$(fuzz_stat number_of_executed_units "$log")
	speed=$(fuzz_stat average_exec_per_sec "$log")
	rss=$(fuzz_stat peak_rss_mb "$log")
	files=$(find "$corpus" -type f | wc -l)
	status=ok
	if [ $rc -ne 0 ]; then
		status=FAILED
		failed=1
		echo "fuzz_$name: FAILED (exit $rc); the end of $log:"
		tail -n 60 "$log"
		ls "$artifacts"/* 2>/dev/null | sed 's/^/  kept: /'
	fi
	table=$(printf '%s\n%-10s %6s %10s %12s %8s %8s  %s' "$table" \
	    "$name" "$status" "${speed:-?}" "${runs:-?}" "$files" "${rss:-?}" \
	    "$elapsed")
done

echo
echo "$table"
exit $failed
