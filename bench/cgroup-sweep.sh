#!/usr/bin/env bash
# Benchmark: CPU per collection sweep and per /metrics render of interference-watch against a C baseline reading the
# same files, for N real cgroups on a cgroup v1 hybrid host; then the daemon's resident memory and CPU per scrape
# against prometheus-node-exporter (meminfo, vmstat, pressure collectors only). See bench/README.md.
#
# Usage (root): bench/cgroup-sweep.sh [N...]          default: 100 1000
# Environment:  IW_BIN   release binary (default .build-release/release/interference-watch)
#               SWEEPS RENDERS ROUNDS SCRAPES PORT NE_PORT NODE_EXPORTER   (see defaults below)
#               SKIP_DAEMON=1 skips the RSS / per-scrape part.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
IW_BIN=${IW_BIN:-$repo/.build-release/release/interference-watch}
SWEEPS=${SWEEPS:-50}
RENDERS=${RENDERS:-50}
ROUNDS=${ROUNDS:-3}
SCRAPES=${SCRAPES:-200}
PORT=${PORT:-19879}
NE_PORT=${NE_PORT:-19100}
NODE_EXPORTER=${NODE_EXPORTER:-prometheus-node-exporter}
SKIP_DAEMON=${SKIP_DAEMON:-0}
CG=/sys/fs/cgroup
MEM=$CG/memory
UNI=$CG/unified
PARENT=/system.slice
ID_PREFIX=be4c   # our cgroups: docker-be4c<60 hex>.scope, so cleanup never touches anything else

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000)
mapfile -t sizes < <(printf '%s\n' "${sizes[@]}" | sort -n -u)
for n in "${sizes[@]}"; do
    [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 5000 ] || { echo "N must be 1..5000: $n" >&2; exit 2; }
done

[ "$(id -u)" = 0 ] || { echo "needs root (creates cgroups)" >&2; exit 2; }
[ -f $MEM/memory.usage_in_bytes ] || { echo "no cgroup v1 memory hierarchy at $MEM" >&2; exit 2; }
[ -f $UNI/cgroup.controllers ] || { echo "no unified hierarchy at $UNI (hybrid layout expected)" >&2; exit 2; }
[ -x "$IW_BIN" ] || { echo "no release binary at $IW_BIN: scripts/build-release.sh --scratch-path .build-release" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }

# 7 files per cgroup, kept open by both readers: 5000 cgroups need 35,000 descriptors, above the usual hard limit.
# Both keep open at most half the soft limit and open, read and close the rest every sweep, so where the hard limit
# cannot be raised (no CAP_SYS_RESOURCE) they are measured under the same budget; the header prints the limit.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"

out=$repo/bench-out
mkdir -p "$out"
rm -rf "$out/store"   # the daemon runs below keep history here, fresh each run
cc -O2 -Wall -Wextra -o "$out/cgroup-reader" "$repo/bench/cgroup-reader.c"

created=0      # cgroups 0..created-1 exist in both trees
pids=()
cleanup() {
    local pid i name
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ((i = created - 1; i >= 0; i--)); do
        name=$(cg_name "$i")
        rmdir "$MEM$PARENT/$name" 2>/dev/null || true
        rmdir "$UNI$PARENT/$name" 2>/dev/null || true
    done
    # Anything left by an interrupted earlier run (only our own prefix).
    for d in "$MEM$PARENT"/docker-${ID_PREFIX}*.scope "$UNI$PARENT"/docker-${ID_PREFIX}*.scope; do
        [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cg_name() { printf 'docker-%s%08x%052x.scope' "$ID_PREFIX" "$1" 0; }  # the counter in the 12-hex short id: unique names

grow_to() {  # create cgroups up to $1
    local i name
    for ((i = created; i < $1; i++)); do
        name=$(cg_name "$i")
        mkdir -p "$MEM$PARENT/$name" "$UNI$PARENT/$name"
        created=$((i + 1))
    done
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
field() { grep -o "\\b$1=[^ ]*" | head -n1 | cut -d= -f2; }

c_run() {  # mode -> sweep_cpu_ms
    timeout 600 "$out/cgroup-reader" "$1" $MEM $UNI $PARENT "docker-" "$SWEEPS" | field sweep_cpu_ms
}
swift_run() {  # extra flags -> "sweep render peak_rss_kB workloads series bytes advice_ms advice_state_bytes families write"
    local line
    line=$(timeout 600 "$IW_BIN" bench --sweeps "$SWEEPS" --renders "$RENDERS" --no-collector.process "$@" | tr '\n' ' ')
    echo "$(field sweep_cpu_ms <<<"$line") $(field render_cpu_ms <<<"$line") $(sed -n 's/.*peak_rss=\([0-9]*\).*/\1/p' <<<"$line") \
$(field workloads <<<"$line") $(field series <<<"$line") $(field exposition_bytes <<<"$line") \
$(field advice_record_cpu_ms <<<"$line") $(field advice_state_bytes <<<"$line") \
$(field render_families_cpu_ms <<<"$line") $(field render_write_cpu_ms <<<"$line")"
}

proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
proc_status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
wait_http() {  # url pid
    local i
    for ((i = 0; i < 200; i++)); do
        curl -sf -o /dev/null "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
scrape_cpu_ms() {  # url pid [curl flags] -> CPU ms per scrape over SCRAPES keep-alive scrapes
    local url=$1 pid=$2 urls=() i before after hz
    shift 2
    hz=$(getconf CLK_TCK)
    for ((i = 0; i < SCRAPES; i++)); do urls+=("$url"); done
    curl -s -o /dev/null "$@" "$url"
    sleep 1
    before=$(proc_cpu_ticks "$pid")
    timeout 300 curl -s "$@" "${urls[@]}" >/dev/null
    after=$(proc_cpu_ticks "$pid")
    awk -v t=$((after - before)) -v hz="$hz" -v n="$SCRAPES" 'BEGIN {printf "%.3f", t * 1000 / hz / n}'
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), descriptor limit $(ulimit -n); \
sweeps=$SWEEPS renders=$RENDERS rounds=$ROUNDS (medians)" >&2

declare -A res
for n in "${sizes[@]}"; do
    grow_to "$n"
    cc_close=() cc_pread=() cc_pread1=() sw_keep=() sw_close=() render=() rss=() advice=()
    for ((r = 0; r < ROUNDS; r++)); do
        cc_close+=("$(c_run close)")
        read -r s rd pk wl se by ad st fa wr < <(swift_run)
        sw_keep+=("$s") render+=("$rd") rss+=("$pk") advice+=("$ad")
        cc_pread+=("$(c_run pread)")
        read -r s _ _ _ _ _ _ _ _ _ < <(swift_run --no-collection.keep-files-open)
        sw_close+=("$s")
        cc_pread1+=("$(c_run pread-1)")
        echo "  n=$n round $((r + 1)): C close ${cc_close[-1]}  C pread ${cc_pread[-1]}  C pread-1 ${cc_pread1[-1]}  \
swift keep ${sw_keep[-1]}  swift close ${sw_close[-1]}  render ${render[-1]} (families $fa, write $wr)  (workloads $wl, series $se)" >&2
    done
    res[$n]="$(median "${cc_close[@]}") $(median "${cc_pread[@]}") $(median "${cc_pread1[@]}") $(median "${sw_keep[@]}") \
$(median "${sw_close[@]}") $(median "${render[@]}") $se $by $(median "${rss[@]}") $(median "${advice[@]}") $st"
done

echo
echo "CPU ms per sweep (user+system, getrusage; median of $ROUNDS runs x $SWEEPS sweeps) and per render"
printf '%-8s %12s %9s %11s %12s %13s %10s %8s %10s %10s %10s %12s\n' cgroups "C open/read" "C pread" "C pread-1" \
    "Swift keep" "Swift o/r/c" "render" series "expo KiB" "bench RSS" "advice" "advice KiB"
for n in "${sizes[@]}"; do
    read -r a b c d e f g h i j k <<<"${res[$n]}"
    printf '%-8s %12s %9s %11s %12s %13s %10s %8s %10s %8s M %10s %12s\n' "$n" "$a" "$b" "$c" "$d" "$e" "$f" "$g" \
        "$((h / 1024))" "$((i / 1024))" "$j" "$((k / 1024))"
done
echo "(advice: CPU ms per sweep of the RAM advice over the same sweeps; advice KiB: its stored state)"

[ "$SKIP_DAEMON" = 1 ] && exit 0
n=${sizes[-1]}
echo
echo "Daemon with $n cgroups (interference-watch run --no-collector.process, history on under bench-out/store)"
# Resident memory while collecting every second and being scraped.
"$IW_BIN" run --web.listen-address "127.0.0.1:$PORT" --collection.interval 1s --no-collector.process --storage.path "$out/store" \
    --log.level warning >"$out/daemon-rss.log" 2>&1 &
pid=$!; pids+=("$pid")
wait_http "http://127.0.0.1:$PORT/metrics" "$pid" || { echo "daemon did not start, see $out/daemon-rss.log" >&2; exit 1; }
for ((i = 0; i < 10; i++)); do curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"; sleep 0.5; done
printf '  resident memory: VmRSS %s MiB, VmHWM %s MiB (after 10 scrapes over ~5 s of 1 s sweeps), open fds %s\n' \
    "$(($(proc_status_kb "$pid" VmRSS) / 1024))" "$(($(proc_status_kb "$pid" VmHWM) / 1024))" "$(ls /proc/$pid/fd | wc -l)"
stop_pid "$pid"

# CPU per scrape with sweeps out of the way (interval 1h): render + HTTP only.
"$IW_BIN" run --web.listen-address "127.0.0.1:$PORT" --collection.interval 1h --no-collector.process --storage.path "$out/store" \
    --log.level warning >"$out/daemon-scrape.log" 2>&1 &
pid=$!; pids+=("$pid")
wait_http "http://127.0.0.1:$PORT/metrics" "$pid" || { echo "daemon did not start, see $out/daemon-scrape.log" >&2; exit 1; }
ours=$(scrape_cpu_ms "http://127.0.0.1:$PORT/metrics" "$pid")
ours_gzip=$(scrape_cpu_ms "http://127.0.0.1:$PORT/metrics" "$pid" -H "Accept-Encoding: gzip")
ours_bytes=$(curl -s "http://127.0.0.1:$PORT/metrics" | wc -c)
ours_gzip_bytes=$(curl -s -H "Accept-Encoding: gzip" "http://127.0.0.1:$PORT/metrics" | wc -c)
stop_pid "$pid"
# The same with a render per scrape: what reusing the sweep's bytes saves.
"$IW_BIN" run --web.listen-address "127.0.0.1:$PORT" --collection.interval 1h --no-collector.process --storage.path "$out/store" \
    --no-web.reuse-exposition --log.level warning >"$out/daemon-scrape-render.log" 2>&1 &
pid=$!; pids+=("$pid")
wait_http "http://127.0.0.1:$PORT/metrics" "$pid" || { echo "daemon did not start, see $out/daemon-scrape-render.log" >&2; exit 1; }
rendering=$(scrape_cpu_ms "http://127.0.0.1:$PORT/metrics" "$pid")
stop_pid "$pid"
printf '  CPU per scrape, %s cgroups: reusing the sweep'"'"'s bytes %s ms, gzip %s ms (%s KiB of %s KiB), rendering per scrape %s ms (ratio reuse/render %s)\n' \
    "$n" "$ours" "$ours_gzip" "$((ours_gzip_bytes / 1024))" "$((ours_bytes / 1024))" "$rendering" \
    "$(awk -v a="$ours" -v b="$rendering" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"

if command -v "$NODE_EXPORTER" >/dev/null; then
    "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NE_PORT" --collector.disable-defaults --collector.meminfo \
        --collector.vmstat --collector.pressure >"$out/node-exporter.log" 2>&1 &
    pid=$!; pids+=("$pid")
    wait_http "http://127.0.0.1:$NE_PORT/metrics" "$pid" || { echo "node_exporter did not start" >&2; exit 1; }
    theirs=$(scrape_cpu_ms "http://127.0.0.1:$NE_PORT/metrics" "$pid")
    theirs_bytes=$(curl -s "http://127.0.0.1:$NE_PORT/metrics" | wc -c)
    theirs_rss=$(($(proc_status_kb "$pid" VmRSS) / 1024))
    stop_pid "$pid"
else
    theirs=n/a theirs_bytes=0 theirs_rss=n/a
fi
printf '  CPU per scrape (%s keep-alive scrapes, utime+stime of the server): interference-watch %s ms (%s KiB, %s cgroups), node_exporter meminfo+vmstat+pressure %s ms (%s KiB, RSS %s MiB)\n' \
    "$SCRAPES" "$ours" "$((ours_bytes / 1024))" "$n" "$theirs" "$((theirs_bytes / 1024))" "$theirs_rss"
