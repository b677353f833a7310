#!/bin/bash
# Creamas' distributed grid on one machine: two nodes (each a master and
# two slaves) side by side, as examples/nodes.grid says, hold one grid of
# diffusion agents, each slave a slab of it. Every agent starts from a
# value drawn from its cell and, each round, moves half way to the mean
# of its neighbours', across slaves and nodes alike. The grid is printed
# before and after the rounds, one character per agent, darker for
# higher values; the answer does not depend on how the grid is cut.
#
#   examples/grid.sh [WIDTHxHEIGHT [ROUNDS]]	(default 32x16, 20)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
creamasctl=${CREAMASCTL:-creamasctl}
nodes="$here/nodes.grid"
size=${1:-32x16}
rounds=${2:-20}

# Print get_grid of every node as a map: rows are y, columns x.
show() {
	"$creamasctl" -j -f "$nodes" call get_grid |
	    grep -o '"xy":\[[-0-9]*,[-0-9]*\],"value":[-0-9.e+]*' |
	    awk -F'[][,:]+' '
		{ v[$2, $3] = $5; if ($2 > w) w = $2; if ($3 > h) h = $3 }
		END {
			ramp = " .:-=+*#%@"
			for (y = 0; y <= h; y++) {
				line = ""
				for (x = 0; x <= w; x++) {
					i = int(v[x, y] * 10)
					if (i > 9) i = 9
					if (i < 0) i = 0
					line = line substr(ramp, i + 1, 1)
				}
				print "  |" line "|"
			}
		}'
}

"$creamasctl" -f "$nodes" spawn
trap '"$creamasctl" -f "$nodes" stop' EXIT
"$creamasctl" -f "$nodes" wait
"$creamasctl" -f "$nodes" prepare --grid "$size:diffusion" --node-grid 2x1
echo "before the rounds:"
show
"$creamasctl" -f "$nodes" trigger -n "$rounds" | tail -1
echo "after $rounds rounds:"
show
