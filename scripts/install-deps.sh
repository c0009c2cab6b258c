#!/usr/bin/env bash
# Installs what building, running and testing InterferenceWatch needs on Debian 12 (run as root).
# Swift itself is expected at /opt/swift (or on PATH).
#   install-deps.sh          build and run dependencies
#   install-deps.sh --test   plus what the test suite drives: stress, promtool and the Prometheus server, QEMU,
#                            libvirt (virsh and the system libvirtd), podman, runc, Alertmanager, a C compiler with
#                            a static libc for the lab's task server (contrib/lab), and a Python venv with
#                            kubernetes-validate (from PyPI) for the Kubernetes manifests, and libfaketime (the
#                            wall clock stepped under the daemon)
# The fuzzers (scripts/fuzz.sh) need nothing more: libFuzzer and ASan ship with the Swift toolchain.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(libproc2-dev libsqlite3-dev libzstd-dev zlib1g-dev pkg-config ca-certificates)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(stress util-linux procps qemu-system-x86 qemu-utils busybox-static cpio xz-utils zstd libvirt-clients runc curl python3
              chromium python3-websocket prometheus-alertmanager python3-venv gcc libc6-dev
              libvirt-daemon-system podman libfaketime)
    # libvirt-daemon-system wants libvirt-daemon-system-systemd or -sysv; without systemd running as init, take the
    # sysv one, so installing does not pull in systemd (and systemd-sysv, which would replace /sbin/init).
    [[ -d /run/systemd/system ]] || packages+=(libvirt-daemon-system-sysv)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Start no service while installing (libvirtd, virtlogd, podman's units): the tests start the daemons they drive
    # themselves and stop them again. A policy-rc.d that is already there (a container image's) is left alone.
    policy=/usr/sbin/policy-rc.d
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == "--test" ]]; then
    # promtool and the Prometheus server come from Debian's prometheus package; unpack it instead of installing it, so
    # no Prometheus service is configured or started on the machine (LiveImbalanceTests starts the unpacked server on
    # loopback with a config and a TSDB of its own).
    tools="$here/.build-tools"
    if [[ ! -x "$tools/prometheus/usr/bin/promtool" || ! -x "$tools/prometheus/usr/bin/prometheus" ]]; then
        mkdir -p "$tools/debs"
        (cd "$tools/debs" && apt-get download prometheus >/dev/null)
        dpkg -x "$tools"/debs/prometheus_*.deb "$tools/prometheus"
    fi
    # kubernetes-validate bundles the Kubernetes OpenAPI schemas, so validating needs no network once installed.
    # Debian's own python3 (a pyenv shim may come first on PATH).
    venv="$tools/k8s-venv"
    if ! "$venv/bin/python" -c "import kubernetes_validate" 2>/dev/null; then
        rm -rf "$venv"
        # Not fatal: without PyPI the Kubernetes manifest tests skip and say why.
        { /usr/bin/python3 -m venv "$venv" &&
          "$venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==1.37.0"; } ||
            { rm -rf "$venv"; echo "warning: kubernetes-validate not installed; KubernetesManifestTests will skip" >&2; }
    fi
fi

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
fi
