#!/bin/bash
# Start a daemonized lab VM with a virtio balloon, one or two QMP sockets and an HTTP port forwarded to loopback.
#
# Usage: start-vm.sh NAME MEM_MB QMP_SOCKET [QMP_SOCKET2] [HOSTFWD_PORT]
#   QMP_SOCKET2: a second monitor, so a test or an operator can talk to QEMU while InterferenceWatch holds the
#                first one (QMP serves one client per socket).
#   HOSTFWD_PORT: 127.0.0.1:HOSTFWD_PORT on the host forwards to the guest's busybox httpd on port 80.
# Environment:
#   IW_VM_RUN_DIR      state directory (default ${XDG_RUNTIME_DIR:-/tmp}/interference-watch-vm); NAME/qemu.pid and
#                      NAME/serial.log live below it.
#   IW_VM_ACCEL        kvm or tcg to skip the probe; default: probe KVM once and remember the answer.
#   IW_VM_WAIT         1 (default) waits until the guest prints "guest: ready"; 0 returns once QEMU has daemonized.
#   IW_VM_BOOT_TIMEOUT seconds to wait for the guest (default 90; TCG boots in about 9 s on the lab machine).
#   IW_GUEST_DIR       guest cache directory (see build-guest.sh).
#   IW_VM_INITRD       initramfs to boot instead of the cached one (the lab passes the guest's initramfs with its
#                      own archive appended; the kernel unpacks concatenated archives in order).
#   IW_VM_APPEND       extra kernel command-line words (the lab passes iw.* settings to its init).
#   IW_VM_MACHINE_OPTS extra QEMU arguments, split on spaces (e.g. "-smp 1").
# Prints "pid=<qemu pid> accel=<kvm|tcg> boot_seconds=<s>" on success.
set -euo pipefail

usage() { echo "usage: $0 NAME MEM_MB QMP_SOCKET [QMP_SOCKET2] [HOSTFWD_PORT]" >&2; exit 2; }
log() { printf 'start-vm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -ge 3 ] && [ $# -le 5 ] || usage
NAME=$1 MEM_MB=$2 QMP1=$3 QMP2="" PORT=""
shift 3
for arg in "$@"; do
    # A bare number is the port; anything else is the second socket, so either may be given alone.
    if [[ $arg =~ ^[0-9]+$ ]]; then PORT=$arg; else QMP2=$arg; fi
done
[[ $NAME =~ ^[A-Za-z0-9_.-]+$ ]] || die "NAME may only contain letters, digits, '.', '_' and '-'"
[[ $MEM_MB =~ ^[0-9]+$ ]] || die "MEM_MB must be a number of MiB"
command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"

HERE=$(dirname "$(readlink -f "$0")")
GUEST_DIR=$("$HERE/build-guest.sh") || die "build-guest.sh failed"
RUN_DIR=${IW_VM_RUN_DIR:-${XDG_RUNTIME_DIR:-/tmp}/interference-watch-vm}/$NAME
mkdir -p "$RUN_DIR"
PIDFILE=$RUN_DIR/qemu.pid
SERIAL=$RUN_DIR/serial.log
if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    die "VM $NAME already runs as pid $(cat "$PIDFILE") (stop-vm.sh $NAME)"
fi

# Runs qemu-system-x86_64 with every inherited descriptor above stderr closed. QEMU's -daemonize keeps whatever it
# inherits, so a caller's pipe or socket (Foundation's Process watches one to notice the child's exit) would stay
# open for the VM's lifetime and the caller would never see this script finish. fd 255 is bash's own script handle.
spawn_qemu() {
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ] && [ "$fd" != 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec qemu-system-x86_64 "$@"
    )
}

# Wait until the serial log says the guest is up, QEMU dies, or the timeout passes. Returns 0 when ready.
wait_ready() {
    local log_file=$1 pid_file=$2 timeout=$3 deadline
    deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
    while [ "$(date +%s%N)" -lt "$deadline" ]; do
        grep -q 'guest: ready' "$log_file" 2>/dev/null && return 0
        if [ -s "$pid_file" ] && ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then return 1; fi
        sleep 0.1
    done
    return 1
}

kill_pidfile() {
    local pid
    [ -s "$1" ] || return 0
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$1"
}

# KVM is used only when /dev/kvm exists and a probe guest actually boots with it: under nested virtualisation
# guests have been seen to hang silently at boot (no serial output at all), or QEMU to abort on MSR writes.
probe_kvm() {
    local dir pid_file result=tcg
    [ -w /dev/kvm ] || { echo tcg; return; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/iw-kvm-probe.XXXXXX")
    pid_file=$dir/qemu.pid
    if spawn_qemu -machine q35,accel=kvm -m 128 -nodefaults -display none -no-reboot \
        -kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initramfs.cpio.gz" -append "console=ttyS0 panic=-1" \
        -serial "file:$dir/serial.log" -daemonize -pidfile "$pid_file" >/dev/null 2>&1; then
        # A working KVM boots this guest in well under 5 s; TCG needs about 9 s, so 8 s separates the cases.
        if wait_ready "$dir/serial.log" "$pid_file" "${IW_VM_KVM_PROBE_TIMEOUT:-8}"; then result=kvm; fi
    fi
    kill_pidfile "$pid_file"
    rm -rf "$dir"
    echo "$result"
}

ACCEL=${IW_VM_ACCEL:-}
if [ -z "$ACCEL" ]; then
    # The answer depends on the host kernel and the guest kernel; remember it per pair.
    PROBE_FILE=$GUEST_DIR/accel-probe
    PROBE_KEY="host=$(uname -r) $(grep kernel_version "$GUEST_DIR/manifest")"
    if [ -f "$PROBE_FILE" ] && [ "$(head -n 1 "$PROBE_FILE")" = "$PROBE_KEY" ]; then
        ACCEL=$(sed -n 2p "$PROBE_FILE")
    else
        log "probing KVM"
        ACCEL=$(probe_kvm)
        printf '%s\n%s\n' "$PROBE_KEY" "$ACCEL" > "$PROBE_FILE"
    fi
fi
case $ACCEL in kvm|tcg) ;; *) die "IW_VM_ACCEL must be kvm or tcg" ;; esac

NIC="user,model=virtio-net-pci"
[ -n "$PORT" ] && NIC="$NIC,hostfwd=tcp:127.0.0.1:$PORT-:80"
INITRD=${IW_VM_INITRD:-$GUEST_DIR/initramfs.cpio.gz}
[ -s "$INITRD" ] || die "initramfs $INITRD is missing"
ARGS=(-name "$NAME" -machine "q35,accel=$ACCEL" -m "$MEM_MB" -nodefaults -display none -no-reboot
    -kernel "$GUEST_DIR/vmlinuz" -initrd "$INITRD" -append "console=ttyS0 panic=-1 quiet ${IW_VM_APPEND:-}"
    -serial "file:$SERIAL" -device virtio-balloon-pci,id=balloon0 -nic "$NIC"
    -qmp "unix:$QMP1,server=on,wait=off")
[ -n "$QMP2" ] && ARGS+=(-qmp "unix:$QMP2,server=on,wait=off")
# shellcheck disable=SC2206 # split on purpose
[ -n "${IW_VM_MACHINE_OPTS:-}" ] && ARGS+=(${IW_VM_MACHINE_OPTS})
ARGS+=(-daemonize -pidfile "$PIDFILE")

rm -f "$SERIAL"
START=$(date +%s%N)
spawn_qemu "${ARGS[@]}" </dev/null || die "qemu-system-x86_64 failed to start"
if [ "${IW_VM_WAIT:-1}" = 1 ]; then
    if ! wait_ready "$SERIAL" "$PIDFILE" "${IW_VM_BOOT_TIMEOUT:-90}"; then
        tail -n 20 "$SERIAL" >&2 2>/dev/null || true
        kill_pidfile "$PIDFILE"
        die "guest $NAME did not boot within ${IW_VM_BOOT_TIMEOUT:-90} s (accel=$ACCEL)"
    fi
fi
ELAPSED=$(( ($(date +%s%N) - START) / 1000000 ))
printf 'pid=%s accel=%s boot_seconds=%d.%03d\n' "$(cat "$PIDFILE")" "$ACCEL" $((ELAPSED / 1000)) $((ELAPSED % 1000))
