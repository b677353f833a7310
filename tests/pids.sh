# Shell tests' way to stop what they started, sourced by them.

# Stop pids by pid: SIGTERM, up to stop_wait tenths of a second each
# (100 unless set) to end, then SIGKILL.
stop_pids() {
	for p in "$@"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "$@"; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt "${stop_wait:-100}" ]
		do
			sleep 0.1
			n=$((n + 1))
		done
		kill -9 "$p" 2>/dev/null || true
	done
}
