#!/usr/bin/env bash
# Installs what building, running and testing InterferenceWatch needs on Debian 12 (run as root).
# Swift itself is expected at /opt/swift (or on PATH).
#   install-deps.sh          build and run dependencies
#   install-deps.sh --test   plus what the test suite drives: stress, promtool, QEMU, libvirt's virsh, runc
# The fuzzers (scripts/fuzz.sh) need nothing more: libFuzzer and ASan ship with the Swift toolchain.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(libproc2-dev libsqlite3-dev libzstd-dev zlib1g-dev pkg-config ca-certificates)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(stress util-linux procps qemu-system-x86 qemu-utils busybox-static cpio xz-utils zstd libvirt-clients runc curl python3
              chromium python3-websocket prometheus-alertmanager)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == "--test" ]]; then
    # promtool comes from Debian's prometheus package; unpack it instead of installing it, so no Prometheus server is
    # configured or started on the machine.
    tools="$here/.build-tools"
    if [[ ! -x "$tools/prometheus/usr/bin/promtool" ]]; then
        mkdir -p "$tools/debs"
        (cd "$tools/debs" && apt-get download prometheus >/dev/null)
        dpkg -x "$tools"/debs/prometheus_*.deb "$tools/prometheus"
    fi
fi

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
fi
