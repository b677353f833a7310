#!/bin/bash
# Creamas' distributed grid on one machine: two nodes (each a master and
# two slaves) side by side, as examples/nodes.grid says, hold one grid of
# diffusion agents, each slave a slab of it. Every agent starts from a
# value drawn from its cell and, each round, moves half way to the mean
# of its neighbours', across slaves and nodes alike. creamasctl grid
# prints the grid before and after the rounds, one character per agent,
# denser for higher values from the smallest to the largest; the answer
# does not depend on how the grid is cut. Given a file name, the grid
# after the rounds is also written there as a PGM image.
#
#   examples/grid.sh [WIDTHxHEIGHT [ROUNDS [IMAGE]]]	(default 32x16, 20)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
creamasctl=${CREAMASCTL:-creamasctl}
nodes="$here/nodes.grid"
size=${1:-32x16}
rounds=${2:-20}
image=${3:-}

"$creamasctl" -f "$nodes" spawn
trap '"$creamasctl" -f "$nodes" stop' EXIT
"$creamasctl" -f "$nodes" wait
"$creamasctl" -f "$nodes" prepare --grid "$size:diffusion" --node-grid 2x1
echo "before the rounds:"
"$creamasctl" -f "$nodes" grid
"$creamasctl" -f "$nodes" trigger -r "$rounds" | tail -1
echo "after $rounds rounds:"
"$creamasctl" -f "$nodes" grid
if [ -n "$image" ]; then
	"$creamasctl" -f "$nodes" grid --image "$image"
fi
