#!/bin/bash
# Build a tiny bootable lab guest from Debian packages only: Debian's kernel (extracted, never installed into
# /boot) plus a busybox initramfs that loads the virtio modules, configures eth0 and serves HTTP on port 80.
#
# Usage: build-guest.sh [CACHE_DIR]
#   CACHE_DIR defaults to $IW_GUEST_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/interference-watch/guest.
#   IW_GUEST_REBUILD=1 forces a rebuild of the initramfs (the downloaded kernel package is reused).
# Prints the cache directory on success; it holds vmlinuz, initramfs.cpio.gz and manifest.
# Needs: apt-get, dpkg, cpio, gzip, busybox-static (and xz/zstd only if the kernel ships compressed modules).
set -euo pipefail

CACHE_DIR=${1:-${IW_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/interference-watch/guest}}
SCRIPT_PATH=$(readlink -f "$0")
# The initramfs depends on this script's content, so a changed script invalidates the cache.
SCRIPT_SUM=$(sha256sum "$SCRIPT_PATH" | cut -d' ' -f1)
BUSYBOX=${IW_BUSYBOX:-/bin/busybox}
# Modules the guest needs. Anything listed in modules.builtin is skipped; dependencies come from modules.dep.
WANTED_MODULES="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon failover net_failover virtio_net virtio_blk"

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mkdir -p "$CACHE_DIR"
MANIFEST="$CACHE_DIR/manifest"

# Fast path: a complete cache built by this exact script returns at once.
if [ "${IW_GUEST_REBUILD:-0}" != 1 ] && [ -s "$CACHE_DIR/vmlinuz" ] && [ -s "$CACHE_DIR/initramfs.cpio.gz" ] \
    && [ -f "$MANIFEST" ] && grep -qx "script_sha256=$SCRIPT_SUM" "$MANIFEST"; then
    echo "$CACHE_DIR"
    exit 0
fi

for tool in apt-get apt-cache dpkg cpio gzip; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; the initramfs needs busybox-static"
fi

# Pick the kernel package that linux-image-amd64 currently depends on (e.g. linux-image-6.1.0-56-amd64).
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
KPKG=$(kernel_package)
if [ -z "$KPKG" ]; then
    log "apt lists empty; running apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    KPKG=$(kernel_package)
fi
[ -n "$KPKG" ] || die "could not find the kernel package linux-image-amd64 depends on"
KVER=${KPKG#linux-image-}

DEB=$(ls "$CACHE_DIR"/"${KPKG}"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$DEB" ]; then
    log "downloading $KPKG"
    # apt-get download writes into the current directory; _apt cannot write to root-owned dirs, which only
    # produces a harmless "unsandboxed" notice.
    (cd "$CACHE_DIR" && apt-get download -q "$KPKG" >&2) || die "apt-get download $KPKG failed"
    DEB=$(ls "$CACHE_DIR"/"${KPKG}"_*.deb | head -n 1)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/iw-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
log "extracting $(basename "$DEB")"
dpkg -x "$DEB" "$WORK/pkg"
[ -f "$WORK/pkg/boot/vmlinuz-$KVER" ] || die "vmlinuz-$KVER not in $DEB"
MODDIR="$WORK/pkg/lib/modules/$KVER"
[ -d "$MODDIR" ] || die "lib/modules/$KVER not in $DEB"
# The package ships no modules.dep (the postinst generates it); build it inside the extracted tree only.
if command -v depmod >/dev/null 2>&1; then
    depmod -b "$WORK/pkg" "$KVER" || die "depmod failed"
else
    "$BUSYBOX" depmod -b "$WORK/pkg" "$KVER" || die "busybox depmod failed"
fi
[ -f "$MODDIR/modules.dep" ] || die "depmod produced no modules.dep"

ROOT="$WORK/root"
mkdir -p "$ROOT/bin" "$ROOT/lib/modules" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp" "$ROOT/www/cgi-bin" "$ROOT/etc"
cp "$BUSYBOX" "$ROOT/bin/busybox"

# Resolve each wanted module (and its dependencies, depth first) into load order, skipping built-ins.
ORDER="$ROOT/etc/modules.order"
: > "$ORDER"
is_builtin() { grep -q "/$1\.ko\$" "$MODDIR/modules.builtin" 2>/dev/null; }
module_path() {
    # modules.dep keys are relative paths such as kernel/drivers/virtio/virtio.ko(.xz|.zst).
    awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", n);
        gsub(/-/, "_", n); mm = m; gsub(/-/, "_", mm); if (n == mm) { print $1; exit } }' "$MODDIR/modules.dep"
}
add_module_path() {
    # Recursive, so every variable must be local.
    local rel=$1 dep name out
    grep -qx "$rel" "$WORK/seen" 2>/dev/null && return 0
    echo "$rel" >> "$WORK/seen"
    # modules.dep lists the full closure; recurse so each dependency precedes its users.
    for dep in $(awk -F: -v k="$rel" '$1 == k { print $2; exit }' "$MODDIR/modules.dep"); do
        add_module_path "$dep"
    done
    name=$(basename "$rel")
    case "$name" in
        *.ko.xz) out=${name%.xz}; xz -dc "$MODDIR/$rel" > "$ROOT/lib/modules/$out" ;;
        *.ko.zst) out=${name%.zst}; zstd -qdc "$MODDIR/$rel" > "$ROOT/lib/modules/$out" ;;
        *.ko.gz) out=${name%.gz}; gzip -dc "$MODDIR/$rel" > "$ROOT/lib/modules/$out" ;;
        *) out=$name; cp "$MODDIR/$rel" "$ROOT/lib/modules/$out" ;;
    esac
    echo "$out" >> "$ORDER"
}
: > "$WORK/seen"
for m in $WANTED_MODULES; do
    if is_builtin "$m"; then
        log "module $m is built in"
        continue
    fi
    rel=$(module_path "$m")
    [ -n "$rel" ] || die "module $m is neither built in nor in modules.dep of $KVER"
    add_module_path "$rel"
done
log "modules: $(tr '\n' ' ' < "$ORDER")"

cat > "$ROOT/init" <<'INIT'
#!/bin/busybox sh
# PID 1 of the lab guest: modules, network, HTTP server, then idle forever.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/modules.order); do
    insmod "/lib/modules/$m" || echo "guest: insmod $m failed"
done
ip link set lo up
ip link set eth0 up
# QEMU's user-mode network always gives the guest 10.0.2.15 and the gateway 10.0.2.2; no DHCP round trip needed.
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
# The lab appends a second initramfs with /lab/init (contrib/lab/guest/build-lab-initrd.sh): it starts the task
# server, and busybox httpd moves aside to port 81 so the host's forwarded port reaches the task server.
if [ -x /lab/init ]; then
    httpd -p 81 -h /www
    /lab/init || echo "guest: lab init failed"
else
    httpd -p 80 -h /www
fi
echo "guest: balloon driver $(ls /sys/bus/virtio/drivers 2>/dev/null | tr '\n' ' ')"
echo "guest: ready"
while true; do sleep 3600; done
INIT
chmod 755 "$ROOT/init"

cat > "$ROOT/www/index.html" <<'HTML'
<html><body><p>InterferenceWatch lab guest</p><p><a href="/cgi-bin/meminfo">/proc/meminfo</a></p></body></html>
HTML
cat > "$ROOT/www/cgi-bin/meminfo" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
cat /proc/meminfo
CGI
chmod 755 "$ROOT/www/cgi-bin/meminfo"

(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -9) > "$WORK/initramfs.cpio.gz"
cp "$WORK/pkg/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
# Move into place, manifest last: an interrupted build never looks complete.
rm -f "$MANIFEST"
mv "$WORK/vmlinuz" "$CACHE_DIR/vmlinuz"
mv "$WORK/initramfs.cpio.gz" "$CACHE_DIR/initramfs.cpio.gz"
printf 'kernel_package=%s\nkernel_version=%s\nscript_sha256=%s\n' "$KPKG" "$KVER" "$SCRIPT_SUM" > "$MANIFEST.tmp"
mv "$MANIFEST.tmp" "$MANIFEST"
log "built guest for $KVER in $CACHE_DIR"
echo "$CACHE_DIR"
