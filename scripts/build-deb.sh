#!/usr/bin/env bash
# Builds a Debian package of InterferenceWatch with dpkg-deb (no debhelper) and prints the .deb's path.
#   scripts/build-deb.sh [--output DIR] [--binary PATH]
# --output: where the .deb goes (default: .build-release/deb). --binary: package this binary instead of building
# the static release one with scripts/build-release.sh --scratch-path .build-release (about 9 minutes cold on
# 2 cores, seconds when nothing changed).
#
# The package: /usr/bin/interference-watch; the hardened unit from contrib/systemd with /usr/bin; the conffiles
# /etc/default/interference-watch and /etc/interference-watch/config.yaml; a man page made from the --help texts;
# maintainer scripts from contrib/debian (a system user made in postinst, removed with the history on purge).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="/opt/swift/usr/bin:$PATH"

output="$here/.build-release/deb"
binary=""
while (($#)); do
    case "$1" in
        --output) output=$2; shift 2 ;;
        --binary) binary=$2; shift 2 ;;
        *) echo "usage: scripts/build-deb.sh [--output DIR] [--binary PATH]" >&2; exit 2 ;;
    esac
done
if [[ -z "$binary" ]]; then
    binary=$(scripts/build-release.sh --scratch-path .build-release)
fi
[[ -x "$binary" ]] || { echo "no binary at $binary" >&2; exit 1; }

version=$("$binary" --version)
arch=$(dpkg --print-architecture)
name=interference-watch
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
# Timestamps from the last commit, so two builds of one commit give the same package.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# Stripped as Debian policy asks (the debug info is two thirds of the release binary's 170 MB; no -dbgsym package).
install -D -m 0755 "$binary" "$root/usr/bin/$name"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$name"
install -d -m 0755 "$root/lib/systemd/system" "$root/etc/default" "$root/etc/$name" "$root/usr/share/doc/$name" \
    "$root/usr/share/man/man1"
sed -e "s#/usr/local/bin/$name#/usr/bin/$name#" -e "s#^Documentation=.*#Documentation=man:$name(1)#" \
    contrib/systemd/interference-watch.service > "$root/lib/systemd/system/$name.service"
chmod 0644 "$root/lib/systemd/system/$name.service"
install -m 0644 contrib/systemd/interference-watch.default "$root/etc/default/$name"
install -m 0644 contrib/debian/config.yaml "$root/etc/$name/config.yaml"
gzip -9n < README.md > "$root/usr/share/doc/$name/README.md.gz"
install -m 0644 contrib/debian/copyright "$root/usr/share/doc/$name/copyright"

# The man page: every command's --help, as preformatted sections (help2man's look, without its dependency).
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
{
    echo ".TH INTERFERENCE-WATCH 1 \"$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)\" \"$name $version\" \"User Commands\""
    echo ".SH NAME"
    echo "$name \\- memory interference watcher for shared hosts (Prometheus exporter)"
    echo ".SH SYNOPSIS"
    echo ".B $name"
    echo ".I command"
    echo "[options]"
    echo ".SH DESCRIPTION"
    echo ".nf"
    "$binary" --help | roff
    echo ".fi"
    for command in $("$binary" --help | awk '/^SUBCOMMANDS:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'); do
        echo ".SH \"$(tr a-z A-Z <<< "$command")\""
        echo ".nf"
        "$binary" help "$command" | roff
        echo ".fi"
    done
    echo ".SH FILES"
    echo ".TP"; echo ".I /etc/$name/config.yaml"; echo "The config file the unit passes with --config."
    echo ".TP"; echo ".I /etc/default/$name"; echo "Extra flags for the unit (ARGS=...)."
    echo ".TP"; echo ".I /var/lib/$name/history.sqlite"; echo "History: sweeps, latency, findings, baselines, the advice."
    echo ".SH SEE ALSO"
    echo "/usr/share/doc/$name/README.md.gz"
} | gzip -9n > "$root/usr/share/man/man1/$name.1.gz"

# Depends: the packages that own the shared libraries the binary links directly (its DT_NEEDED entries: glibc,
# libproc2, zstd, zlib, SQLite, ...), found where ldd resolves them.
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
depends=$(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r soname lib; do
    grep -qxF "$soname" <<< "$needed" || continue
    for path in "$lib" "$(readlink -f "$lib")" "${lib#/usr}" "/usr$lib"; do
        owner=$(dpkg-query -S "$path" 2>/dev/null | head -1 | cut -d: -f1) && [[ -n "$owner" ]] && echo "$owner" && break
    done || echo "warning: $lib belongs to no Debian package; not in Depends" >&2
done | sort -u | paste -sd, | sed 's/,/, /g')
[[ -n "$depends" ]] || { echo "no library packages found for $binary" >&2; exit 1; }

install -d -m 0755 "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: InterferenceWatch <dev@interferencewatch.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: adduser, $depends
Section: admin
Priority: optional
Description: memory interference watcher for shared hosts
 A daemon that watches memory interference among co-located VMs, containers
 and servers (swap, PSI, balloons, per-workload cgroup memory, server latency
 and imbalance) and exports it for Prometheus, with a host RAM advice.
 It advises; it never kills or throttles a workload.
CONTROL
printf '/etc/default/%s\n/etc/%s/config.yaml\n' "$name" "$name" > "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "contrib/debian/$script" "$root/DEBIAN/$script"
done
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$output"
deb="$(cd "$output" && pwd)/${name}_${version}_${arch}.deb"
# xz -1: 5 s for the 80 MB binary against a minute for -6, for a package 15 % larger.
dpkg-deb --root-owner-group -Zxz -z1 --build "$root" "$deb" >&2
echo "$deb"
