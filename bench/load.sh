#!/usr/bin/env bash
# Load test: SCRAPERS concurrent scrapers of /metrics (wrk, gzip as Prometheus asks) plus PUSH_RATE pushed latency
# samples per second, for SECONDS_RUN, against the release daemon with CGROUPS real cgroups. Reports p50/p99 scrape
# latency, the daemon's CPU, resident memory from the end of warm-up to the end (and over time in
# bench-out/load/rss.csv), and pushed samples lost. See bench/README.md.
#
# Usage (root): bench/load.sh
# Environment:  IW_BIN (default .build-release/.../interference-watch), CGROUPS (1000), SECONDS_RUN (600), SCRAPERS (200),
#               PUSH_RATE (5000), PUSH_BATCH (1000: one connection, so a batch per round trip must carry the rate while
#               the scrapers keep the daemon busy), PUSH_LIMIT (20000, the daemon's --push.max-samples-per-second),
#               WARMUP (60: the latency log fills its 200,000-sample cap after 40 s at 5,000 a second), PORT (19881), RSS_EVERY (10: seconds between rows of bench-out/load/rss.csv),
#               IW_ARGS (more daemon flags, split on spaces: IW_ARGS=--no-runtime.release-code-pages for an A/B)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
IW_BIN=${IW_BIN:-$repo/.build-release/x86_64-unknown-linux-gnu/release/interference-watch}
CGROUPS=${CGROUPS:-1000}
SECONDS_RUN=${SECONDS_RUN:-600}
SCRAPERS=${SCRAPERS:-200}
PUSH_RATE=${PUSH_RATE:-5000}
PUSH_LIMIT=${PUSH_LIMIT:-20000}
PUSH_BATCH=${PUSH_BATCH:-1000}
WARMUP=${WARMUP:-60}
PORT=${PORT:-19881}
MEM=/sys/fs/cgroup/memory/system.slice
UNI=/sys/fs/cgroup/unified/system.slice
ID_PREFIX=be4d   # our cgroups only, so cleanup never touches anything else

[ "$(id -u)" = 0 ] || { echo "needs root (creates cgroups)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$IW_BIN" ] || { echo "no release binary at $IW_BIN: scripts/build-release.sh --scratch-path .build-release" >&2; exit 2; }
out=$repo/bench-out/load
rm -rf "$out"; mkdir -p "$out"
cg_name() { printf 'docker-%s%08x%052x.scope' "$ID_PREFIX" "$1" 0; }
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for d in "$MEM"/docker-${ID_PREFIX}*.scope "$UNI"/docker-${ID_PREFIX}*.scope; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < CGROUPS; i++)); do mkdir -p "$MEM/$(cg_name "$i")" "$UNI/$(cg_name "$i")"; done

servers=""; for i in $(seq 1 16); do servers+="      - {name: s$i}"$'\n'; done
printf 'groups:\n  - name: load\n    servers:\n%s' "$servers" >"$out/config.yaml"
"$IW_BIN" run --web.listen-address "127.0.0.1:$PORT" --config "$out/config.yaml" --storage.path "$out/store" \
    --no-collector.process --push.max-samples-per-second "$PUSH_LIMIT" --log.level warning ${IW_ARGS:-} >"$out/daemon.log" 2>&1 &
daemon=$!; pids+=("$daemon")
for ((i = 0; i < 200; i++)); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics" || { echo "daemon did not start:" >&2; cat "$out/daemon.log" >&2; exit 1; }

rss() { awk '$1 == "VmRSS:" {print $2}' "/proc/$daemon/status"; }
ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

total=$((WARMUP + SECONDS_RUN))
python3 "$repo/bench/push-load.py" "http://127.0.0.1:$PORT/api/v1/samples" "$PUSH_RATE" "$total" --batch "$PUSH_BATCH" >"$out/push.txt" &
pusher=$!; pids+=("$pusher")
# Warm-up: pushes and every scraper, so caches, connection buffers, the latency log (full at its cap after 40 s of
# 5,000 samples a second) and the history writer reach their working size before "after warm-up" is read.
wrk -t 2 -c "$SCRAPERS" -d "${WARMUP}s" -H "Accept-Encoding: gzip" "http://127.0.0.1:$PORT/metrics" >/dev/null
rss_start=$(rss); ticks_start=$(ticks); hz=$(getconf CLK_TCK)
( peak=0; while kill -0 "$daemon" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$out/rss-peak"; sleep 5; done ) &
pids+=("$!")
# Resident memory over time (every RSS_EVERY seconds from the end of warm-up), so a long run can be shown flat:
# VmRSS and its anonymous / file-backed parts (/proc/PID/status), and the anonymous memory smaps_rollup counts.
RSS_EVERY=${RSS_EVERY:-10}
echo "seconds,rss_kib,anon_kib,file_kib,smaps_anonymous_kib,threads" >"$out/rss.csv"
( t0=$(date +%s); while kill -0 "$daemon" 2>/dev/null && [ ! -e "$out/load-done" ]; do
      line=$(awk '$1 == "VmRSS:" {r = $2} $1 == "RssAnon:" {a = $2} $1 == "RssFile:" {f = $2} $1 == "Threads:" {t = $2}
                  END {print r "," a "," f "," t}' "/proc/$daemon/status" 2>/dev/null) || break
      anon=$(awk '$1 == "Anonymous:" {print $2}' "/proc/$daemon/smaps_rollup" 2>/dev/null)
      IFS=, read -r r a f t <<<"$line"
      [ -n "$r" ] && echo "$(( $(date +%s) - t0 )),$r,$a,$f,$anon,$t" >>"$out/rss.csv"
      sleep "$RSS_EVERY"
  done ) &
pids+=("$!")
wrk -t 2 -c "$SCRAPERS" -d "${SECONDS_RUN}s" --timeout 30s --latency -H "Accept-Encoding: gzip" "http://127.0.0.1:$PORT/metrics" >"$out/wrk.txt"
rss_end=$(rss); ticks_end=$(ticks)
# Where the resident memory is at the end: anonymous, file-backed, and of the binary's own mappings the code.
split_end=$(awk '$1 == "RssAnon:" {a = $2} $1 == "RssFile:" {f = $2} END {printf "anonymous %.1f MiB, file-backed %.1f MiB", a / 1024, f / 1024}' "/proc/$daemon/status")
python3 "$repo/bench/code-pages.py" --summary "$daemon" "$IW_BIN" >"$out/code-pages.txt" 2>&1 || true
code_end=$(awk '$1 ~ /x/ {m += $2; r += $5} END {if (m) printf "%.1f of %.1f MiB", r, m}' "$out/code-pages.txt")
touch "$out/load-done"   # rss.csv covers the load only
wait "$pusher" || true
sleep 16   # one more sweep, so the last pushes are counted in the exposition
accepted_daemon=$(metric 'interferencewatch_push_samples_total{result="accepted"}')
limited_daemon=$(metric 'interferencewatch_push_samples_total{result="limited"}')
p50=$(awk '$1 == "50%" {print $2}' "$out/wrk.txt"); p99=$(awk '$1 == "99%" {print $2}' "$out/wrk.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt"); errors=$(grep -E "Socket errors|Non-2xx" "$out/wrk.txt" || echo "none")
read -r sent accepted limited perrors retry < <(sed 's/[a-z_]*=//g' "$out/push.txt")
cpu=$(awk -v t=$((ticks_end - ticks_start)) -v hz="$hz" -v s="$SECONDS_RUN" 'BEGIN {printf "%.1f", t / hz / s * 100}')
echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cores; $CGROUPS cgroups, $SCRAPERS scrapers (gzip), $PUSH_RATE samples/s pushed (limit $PUSH_LIMIT), ${SECONDS_RUN}s after ${WARMUP}s warm-up"
echo "scrapes: ${rps}/s, latency p50 $p50 p99 $p99; errors: $errors"
echo "daemon CPU: ${cpu} % of one core over the run"
echo "resident memory: $((rss_start / 1024)) MiB after warm-up, $((rss_end / 1024)) MiB at the end, peak $(( $(cat "$out/rss-peak" 2>/dev/null || echo 0) / 1024 )) MiB (change $(awk -v a="$rss_start" -v b="$rss_end" 'BEGIN {printf "%+.1f", (b - a) * 100 / a}') %)"
echo "resident memory at the end: $split_end; the binary's code ${code_end:-unknown} (bench-out/load/code-pages.txt)"
# Flatness from rss.csv: the median of the first and of the last minute of rows (single readings catch the moment a
# detection window is built), and the range of every row.
awk -F, -v every="$RSS_EVERY" 'NR > 1 {r[++n] = $2} END {
    if (n < 2) exit
    k = int(60 / every); if (k < 1) k = 1; if (2 * k > n) k = int(n / 2)
    for (i = 1; i <= k; i++) { a[i] = r[i]; b[i] = r[n - k + i] }
    asort_(a, k); asort_(b, k); first = a[int((k + 1) / 2)]; last = b[int((k + 1) / 2)]
    lo = r[1]; hi = r[1]; for (i = 2; i <= n; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
    printf "resident memory over time (%d rows, every %d s): first minute %.1f MiB, last minute %.1f MiB (%+.1f %%), range %.1f to %.1f MiB\n",
        n, every, first / 1024, last / 1024, (last - first) * 100 / first, lo / 1024, hi / 1024 }
    function asort_(x, m,   i, j, t) { for (i = 2; i <= m; i++) { t = x[i]; for (j = i - 1; j >= 1 && x[j] > t; j--) x[j + 1] = x[j]; x[j + 1] = t } }' "$out/rss.csv"
echo "pushed: $(awk -v n="$sent" -v s="$total" 'BEGIN {printf "%.0f", n / s}') samples/s achieved; sent $sent, answered 202 $accepted, 429 $limited (Retry-After up to ${retry}s), errors $perrors; daemon counted accepted $accepted_daemon, limited $limited_daemon; lost $((accepted - ${accepted_daemon%.*}))"
