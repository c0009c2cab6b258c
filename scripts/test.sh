#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine (as root): installs what the tests need, enables a swap file,
# builds from scratch if needed and runs `swift test`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="/opt/swift/usr/bin:$PATH"

scripts/install-deps.sh --test
scripts/enable-test-swap.sh
export PROMTOOL="$here/.build-tools/prometheus/usr/bin/promtool"

swift build --build-tests
swift test --skip-build "$@"
