#!/bin/bash
# The main job on one machine: two nodes (each a master and two slaves)
# started locally, without SSH, as examples/nodes.local says; 10 counter
# agents per node wired at random across both nodes; 5 rounds; a stop
# that writes every agent's log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
creamasctl=${CREAMASCTL:-creamasctl}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

"$creamasctl" -f "$here/nodes.local" run --agents counter:10 \
    --connections random:3 --log-folder "$logs" -r 5
echo "logs written: $(ls "$logs" | wc -l) files, for example:"
for f in $(ls "$logs" | grep agent_ | head -2); do
	printf '  %s: %s\n' "$f" "$(cat "$logs/$f")"
done
