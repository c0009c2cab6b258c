#!/bin/bash
# Builds the static task server: cc -O2 -static. Static, so the same binary runs on the host, in a container's
# empty rootfs and in the busybox lab guest.
# Usage: build.sh OUTPUT
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTPUT" >&2; exit 2; }
here=$(dirname "$(readlink -f "$0")")
cc -O2 -Wall -Wextra -static -o "$1.tmp" "$here/task-server.c"
mv "$1.tmp" "$1"
