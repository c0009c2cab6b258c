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

swift build --build-tests
phase "debug build"
# DebianPackageTests installs a package of the static release binary. Built here, before the suite, so the release
# build (about 9 minutes cold, seconds when .build-release is warm) does not compete with the live tests for the cores;
# not for a run filtered to other tests. After the debug build, not beside it: in fresh-clone runs on 2 cores the two
# side by side took 868 s, one after the other 802 (the debug build 325, the release build and package 477).
if [[ -z "${IW_DEB:-}" ]] && { (($# == 0)) || [[ "$*" == *DebianPackage* ]]; }; then
    IW_DEB=$(scripts/build-deb.sh)
    export IW_DEB
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
