#!/bin/bash
# Python agents on two nodes of this machine (each a master and two
# slaves, launch=local), with creamas_python.so:
#
#   examples/python/run.sh counters [ROUNDS]     10 Gossip counters per
#       node, wired to 3 others at random across the nodes
#   examples/python/run.sh grid [WIDTHxHEIGHT [ROUNDS]]   the diffusion
#       grid, printed before and after the rounds
#
# CREAMASCTL names creamasctl and CREAMAS_PYTHON_PLUGIN the plugin
# (default: those of the build, else the installed ones).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
creamasctl=${CREAMASCTL:-creamasctl}
plugin=${CREAMAS_PYTHON_PLUGIN:-$top/build/plugins/creamas_python.so}
[ -f "$plugin" ] || plugin=/usr/local/lib/creamas/plugins/creamas_python.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Two nodes whose masters load the plugin and find the agents' modules
# here (python.path, passed on to their slaves).
for port in 7330 7340; do
	echo "127.0.0.1 port=$port slaves=2 launch=local" \
	    "cmd=\"{creamasd} --role master --slaves {slaves}" \
	    "--listen {listen} --plugin $plugin -o python.path=$here\""
done > "$work/nodes"

case ${1:-counters} in
counters)
	"$creamasctl" -f "$work/nodes" run -n "${2:-5}" --connections random:3 \
	    --agents 'python:10:{"class":"counters.Gossip"}'
	;;
grid)
	nodes=$work/nodes
	"$creamasctl" -f "$nodes" spawn
	trap '"$creamasctl" -f "$nodes" stop; rm -rf "$work"' EXIT
	"$creamasctl" -f "$nodes" wait
	"$creamasctl" -f "$nodes" prepare --node-grid 2x1 --grid \
	    "${2:-32x16}"':python:{"class":"diffusion.Diffusion"}'
	echo "before the rounds:"
	"$creamasctl" -f "$nodes" grid
	"$creamasctl" -f "$nodes" trigger -n "${3:-20}" | tail -1
	echo "after ${3:-20} rounds:"
	"$creamasctl" -f "$nodes" grid
	;;
*)
	echo "usage: $0 counters [ROUNDS] | grid [WIDTHxHEIGHT [ROUNDS]]" >&2
	exit 2
	;;
esac
