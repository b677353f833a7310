#!/bin/bash
# The main job on one machine: a node (a master and two slaves) started
# on loopback, 20 counter agents spread over the slaves, 5 rounds, a stop.
# Only creamasd and bash are needed: JSON-RPC goes over bash's /dev/tcp.
set -euo pipefail

creamasd=${CREAMASD:-creamasd}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Without -d, creamasd returns once the master and its slaves listen,
# printing the master's port.
port=$("$creamasd" --role master --slaves 2 --listen 127.0.0.1:0)
echo "node up: master on 127.0.0.1:$port"

# One JSON-RPC call: a request line out, a reply line back.
rpc() {
	local reply
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' \
	    "$1" "${2:-{\}}" >&3
	read -r reply <&3
	exec 3<&-
	case $reply in
	*'"error"'*) echo "$1: $reply" >&2; return 1;;
	esac
	printf '%s\n' "$reply"
}

rpc is_ready >/dev/null
rpc set_host_managers >/dev/null
rpc spawn_n '{"type":"counter","n":20}' >/dev/null
rpc create_random_connections '{"n":3}' >/dev/null
for round in 1 2 3 4 5; do
	reply=$(rpc trigger_all '{"results":true}')
	echo "round $round: $reply" |
	    sed 's/.*"agents":\([0-9]*\),"failed":\([0-9]*\),"elapsed_us":\([0-9]*\).*"results":\(\[[^]]*\]\).*/round '"$round"': \1 agents, \2 failed, \3 us, counts \4/'
done
rpc stop "{\"log_folder\":\"$logs\"}" >/dev/null
# stop answers once every slave has closed; the master exits right after.
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	sleep 0.1
done
echo "stopped; logs written: $(ls "$logs" | wc -l) files"
