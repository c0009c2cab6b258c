#!/usr/bin/env bash
# Builds InterferenceWatch in release mode and runs the daemon on this host (as root, to read every cgroup).
# Extra arguments go to the daemon, e.g. scripts/run.sh --config /etc/interference-watch.yaml
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="/opt/swift/usr/bin:$PATH"

scripts/install-deps.sh
binary=$(scripts/build-release.sh)
exec "$binary" run "$@"
