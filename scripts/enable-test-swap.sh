#!/usr/bin/env bash
# Makes sure the host has swap, which the live tests need (a tight memory limit must push pages out).
# Adds a 2 GiB swap file when no swap is active; leaves existing swap alone.
set -euo pipefail
if [[ $(wc -l </proc/swaps) -gt 1 ]]; then
    exit 0
fi
file=${IW_TEST_SWAPFILE:-/var/tmp/interference-watch-test.swap}
if [[ ! -f "$file" ]]; then
    fallocate -l 2G "$file" 2>/dev/null || dd if=/dev/zero of="$file" bs=1M count=2048 status=none
    chmod 600 "$file"
    mkswap "$file" >/dev/null
fi
swapon "$file"
echo "enabled swap file $file" >&2
