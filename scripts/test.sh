#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine (as root): installs what the tests need, enables a swap file,
# builds from scratch if needed, runs `swift test`, then every parser fuzzer for a short while (scripts/fuzz.sh;
# FUZZ_SECONDS per harness, default 10, 0 skips them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="/opt/swift/usr/bin:$PATH"

scripts/install-deps.sh --test
scripts/enable-test-swap.sh
export PROMTOOL="$here/.build-tools/prometheus/usr/bin/promtool"

swift build --build-tests
swift test --skip-build "$@"
if [[ "${FUZZ_SECONDS:-10}" != 0 ]]; then
    scripts/fuzz.sh --seconds "${FUZZ_SECONDS:-10}"
fi
