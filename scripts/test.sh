#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine (as root): installs what the tests need, enables a swap file,
# builds from scratch if needed (the debug build and the Debian package of the release build), runs `swift test`,
# then every parser fuzzer for a short while (scripts/fuzz.sh; FUZZ_SECONDS per harness, default 5, 0 skips them).
set -euo pipefail
# Each phase's wall time, so a slow CI run shows where its time went.
phase() { echo "test.sh: $1 done, ${SECONDS} s since start" >&2; }
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="/opt/swift/usr/bin:$PATH"

scripts/install-deps.sh --test
scripts/enable-test-swap.sh
phase "set-up (packages, swap)"
export PROMTOOL="$here/.build-tools/prometheus/usr/bin/promtool"

# DebianPackageTests installs a package of the static release binary; not needed for a run filtered to other tests.
# Its release build (about 9 minutes cold, seconds when .build-release is warm) runs beside the debug build: each
# leaves a core idle through its serial stretches (module emission, the big modules' compiles, linking), which the
# other fills. Both are done before the suite, so neither competes with the live tests for the cores.
deb_log=""
if [[ -z "${IW_DEB:-}" ]] && { (($# == 0)) || [[ "$*" == *DebianPackage* ]]; }; then
    deb_log=$(mktemp)
    # In a process group of its own, so a failed debug build stops it (and every compiler it started) on the way out.
    setsid scripts/build-deb.sh >"$deb_log.path" 2>"$deb_log" &
    deb_build=$!
    trap 'kill -- -"$deb_build" 2>/dev/null || true' EXIT
fi
swift build --build-tests
phase "debug build"
if [[ -n "$deb_log" ]]; then
    if ! wait "$deb_build"; then
        echo "test.sh: the release build or the Debian package failed:" >&2
        tail -n 60 "$deb_log" >&2
        exit 1
    fi
    trap - EXIT
    IW_DEB=$(cat "$deb_log.path")
    export IW_DEB
    rm -f "$deb_log" "$deb_log.path"
    phase "release build and Debian package"
fi
# At most TEST_WIDTH tests run at once (default 8; Swift Testing's own default is no limit). Unbounded, every test ran
# at once, and on 2 cores the live ones (real daemons, QEMU guests, stress) starved each other and the test process's
# own threads: a fresh-clone run failed 11 checks whose daemons had answered long before the test's wait ran out.
swift test --skip-build --experimental-maximum-parallelization-width "${TEST_WIDTH:-8}" "$@"
phase "swift test"
if [[ "${FUZZ_SECONDS:-5}" != 0 ]]; then
    scripts/fuzz.sh --seconds "${FUZZ_SECONDS:-5}"
    phase "fuzzing"
fi
