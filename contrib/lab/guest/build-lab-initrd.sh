#!/bin/bash
# Builds the lab guest's initramfs: the cached guest (contrib/lab/vm/build-guest.sh) with a second archive appended
# that holds the static task server and lab-init. The kernel unpacks concatenated archives in order, so the guest
# itself is untouched.
#
# Usage: build-lab-initrd.sh TASK_SERVER_BINARY OUTPUT
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 TASK_SERVER_BINARY OUTPUT" >&2; exit 2; }
here=$(dirname "$(readlink -f "$0")")
binary=$1 output=$2
if ldd "$binary" >/dev/null 2>&1; then
    echo "build-lab-initrd: $binary is dynamically linked; the guest has no libc (build it with build.sh)" >&2
    exit 1
fi
guest_dir=$("$here/../vm/build-guest.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/iw-lab-initrd.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lab/rootfs/tmp" "$work/lab/rootfs/proc"
cp "$binary" "$work/lab/task-server"
cp "$binary" "$work/lab/rootfs/task-server"
cp "$here/lab-init" "$work/lab/init"
chmod 755 "$work/lab/init" "$work/lab/task-server" "$work/lab/rootfs/task-server"
(cd "$work" && find lab | cpio -o -H newc --quiet | gzip -1) > "$work/lab.cpio.gz"
cat "$guest_dir/initramfs.cpio.gz" "$work/lab.cpio.gz" > "$output.tmp"
mv "$output.tmp" "$output"
