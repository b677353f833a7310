#!/bin/sh
# Make a fresh Debian 12 machine ready to build, test, read the manual
# pages of and package creamasd: install the packages tools/packages
# names, make among them. Run as root (or with sudo), from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
packages=$(grep -v '^#' "$here/packages" | tr '\n' ' ')
if [ "$(id -u)" -eq 0 ]; then
	run=
elif command -v sudo >/dev/null 2>&1; then
	run=sudo
else
	echo "setup.sh installs Debian packages: run it as root" \
	    "(or: apt-get install -y $packages)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$run apt-get update
# shellcheck disable=SC2086
$run apt-get install -y --no-install-recommends $packages
