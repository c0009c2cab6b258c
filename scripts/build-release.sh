#!/usr/bin/env bash
# Builds the release daemon as it is deployed; prints the binary's path. Extra arguments go to `swift build`
# (e.g. --scratch-path .build-release).
#
# Link choices, each measured with bench/cgroup-sweep.sh at 1000 cgroups (resident memory, VmRSS):
# - Static Swift runtime: a self-contained binary, 3 to 5 MiB less resident than linking the runtime dynamically.
# - lld with packed relative relocations (DT_RELR, glibc 2.36+): the 2.9 MiB RELA table that the loader reads in
#   full at start shrinks to a few KiB.
# - No exported dynamic symbol table: nothing loads plug-ins into the daemon, and the 2 MiB of exported names
#   are otherwise mapped at start.
# Together: 39.1 -> 32.8 MiB.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="/opt/swift/usr/bin:$PATH"
flags=(-c release --static-swift-stdlib --product interference-watch
       -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic)
swift build "${flags[@]}" "$@" >&2
echo "$(swift build "${flags[@]}" "$@" --show-bin-path)/interference-watch"
