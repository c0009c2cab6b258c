#!/bin/bash
# Stop a lab VM started by start-vm.sh: SIGTERM, then SIGKILL after 5 s.
#
# Usage: stop-vm.sh NAME   (IW_VM_RUN_DIR as for start-vm.sh)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 NAME" >&2; exit 2; }
RUN_DIR=${IW_VM_RUN_DIR:-${XDG_RUNTIME_DIR:-/tmp}/interference-watch-vm}/$1
PIDFILE=$RUN_DIR/qemu.pid
[ -s "$PIDFILE" ] || { echo "stop-vm: no pidfile for $1" >&2; exit 0; }
PID=$(cat "$PIDFILE")
# Only signal the pid if it is still a QEMU, so a stale pidfile never hits an unrelated process.
if [ "$(cat "/proc/$PID/comm" 2>/dev/null)" = qemu-system-x86 ] || grep -q qemu "/proc/$PID/cmdline" 2>/dev/null; then
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null || true
fi
rm -f "$PIDFILE"
