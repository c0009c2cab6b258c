#!/usr/bin/env bash
# Regenerates the seed corpora in Fuzz/Corpus/<harness>/ from the test fixture trees and from inputs the tests use.
# Seeds are named by the SHA-1 of their content, as libFuzzer names what it adds, so reruns don't duplicate them.
# Inputs that once crashed a harness live in Fuzz/Corpus/<harness>/regressions/ and are kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../Tests/InterferenceWatchTests/Fixtures"
corpus="$here/Corpus"

# seed HARNESS [PREFIX_BYTES]: copies stdin into the harness's corpus.
seed() {
    local dir="$corpus/$1" tmp
    mkdir -p "$dir"
    tmp=$(mktemp)
    { [[ -n "${2:-}" ]] && printf '%b' "$2"; cat; } > "$tmp"
    mv "$tmp" "$dir/$(sha1sum "$tmp" | cut -c1-40)"
}
# files HARNESS PREFIX NAME...: every fixture file with one of these names.
files() {
    local harness=$1 prefix=$2 tree=$3; shift 3
    local expr=() f
    for name in "$@"; do expr+=(-o -name "$name"); done
    while IFS= read -r -d '' f; do seed "$harness" "$prefix" < "$f"; done \
        < <(find "$tree" -type f \( "${expr[@]:1}" \) -print0)
}

for harness in "$corpus"/*/; do
    [[ -d "$harness" ]] && find "$harness" -maxdepth 1 -type f -delete
done

files Meminfo "" "$fixtures" meminfo
files VMStat "" "$fixtures" vmstat
# MemoryStatFuzzer: the first byte picks the key names, 0 for v2 and 1 for v1.
files MemoryStat '\x00' "$fixtures/v2-psi" memory.stat
files MemoryStat '\x01' "$fixtures/ubuntu1804-v1" memory.stat
files MemoryEvents "" "$fixtures" memory.events memory.oom_control
files PSI "" "$fixtures" memory.pressure cpu io memory
files CgroupValue "" "$fixtures" memory.current memory.max memory.high memory.swap.current memory.swap.max \
    memory.limit_in_bytes memory.usage_in_bytes memory.memsw.usage_in_bytes memory.failcnt
files Config "" "$fixtures" config.yaml

# Every directory of the fixture cgroup trees, relative to its hierarchy root, plus WorkloadClassifierTests' table.
for root in "$fixtures"/v2-psi/sys/fs/cgroup "$fixtures"/ubuntu1804-v1/sys/fs/cgroup/memory; do
    (cd "$root" && find . -mindepth 1 -type d | sed 's|^\.||') | while IFS= read -r path; do
        printf '%s' "$path" | seed WorkloadClassifier
    done
done
id=3f4e1b2c9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f
for path in "/system.slice/docker-$id.scope" "/libpod_parent/libpod-$id" "/machine.slice/libpod-conmon-$id.scope" \
    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podx.slice/cri-containerd-$id.scope" \
    "/kubepods.slice/kubepods-pody.slice/crio-$id.scope" "/kubepods/burstable/pod1234/$id" \
    '/machine.slice/machine-qemu\x2d12\x2ddb.scope' /machine/qemu-3-web.libvirt-qemu /machine/legacy.libvirt-qemu \
    /system.slice/nginx.service "/notdocker/$id"; do
    printf '%s' "$path" | seed WorkloadClassifier
done

# QMPMessageTests and the QMP mock's lines.
seed QMPMessage <<'QMP'
{"QMP": {"version": {"qemu": {"micro": 2, "minor": 2, "major": 7}}, "capabilities": ["oob"]}}
{"return": {}}
{"return": {"actual": 536870912}, "id": "iw-3"}
{"error": {"class": "DeviceNotActive", "desc": "No balloon device has been activated"}, "id": "iw-4"}
{"timestamp": {"seconds": 1700000000, "microseconds": 500000}, "event": "BALLOON_CHANGE", "data": {"actual": 944766976}}
{"return": {"v": 18446744073709551615, "n": -1, "d": 1.5e3, "s": "x", "b": true, "z": null, "a": [1, [2]]}, "id": "x"}
QMP
seed QMPMessage <<'QMP'
{"return": {"stats": {"stat-swap-in": 0, "stat-swap-out": 0, "stat-major-faults": 113, "stat-minor-faults": 55120, "stat-free-memory": 180613120, "stat-total-memory": 215810048, "stat-available-memory": 190615552, "stat-disk-caches": 4435968, "stat-htlb-pgalloc": 0, "stat-htlb-pgfail": 0}, "last-update": 1764253010}, "id": "iw-5"}
{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}
QMP

# LibvirtPollerTests' captures (virsh 9.0.0, test:///default).
seed Virsh <<'VIRSH'
Id:             1
Name:           test
UUID:           6695eb01-f6a4-8304-79aa-97f2502e193f
OS Type:        linux
State:          running
CPU(s):         2
CPU time:       1795789600.1s
Max memory:     8388608 KiB
Used memory:    1000000 KiB
Persistent:     yes

VIRSH
seed Virsh <<'VIRSH'
actual 1000000
swap_in 0
swap_out 0
major_fault 0
minor_fault 0
unused 500000
available 1000000
usable 500000
last_update 627319920
disk_caches 125000
hugetlb_pgalloc 0
hugetlb_pgfail 0
rss 500000

VIRSH

# VMJoinTests' command lines, NUL-separated as /proc/<pid>/cmdline is.
cmdline() { printf '%s\0' "$@" | seed QEMUCommandLine; }
cmdline /usr/bin/qemu-system-x86_64 -name guest=web1,debug-threads=on -S -pidfile /run/libvirt/qemu/web1.pid \
    -chardev socket,id=charmonitor,fd=31,server=on,wait=off
cmdline qemu-system-x86_64 -name lab -m 256 -nodefaults -qmp unix:/tmp/a.qmp,server=on,wait=off \
    -qmp unix:/tmp/b.qmp,server,nowait -daemonize -pidfile /tmp/lab/qemu.pid
cmdline /usr/libexec/qemu-kvm --name a,,b,process=qemu-ab \
    -chardev socket,id=mon1,path=/run/iw/qmp/ab.sock,server=on,wait=off -mon chardev=mon1,mode=control
cmdline qemu-system-aarch64 -qmp unix:path=/run/q.sock,server=on

# HistogramTests' pages.
seed ScrapedHistogram <<'PROM'
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/task",method="GET",le="0.1"} 1
http_request_duration_seconds_bucket{handler="/task",method="GET",le="0.5"} 3
http_request_duration_seconds_bucket{handler="/task",method="GET",le="1"} 6
http_request_duration_seconds_bucket{handler="/task",method="GET",le="+Inf"} 7
http_request_duration_seconds_sum{handler="/task",method="GET"} 5.5
http_request_duration_seconds_count{handler="/task",method="GET"} 7
http_request_duration_seconds_bucket{handler="/task",method="POST",le="0.1"} 0
http_request_duration_seconds_bucket{handler="/task",method="POST",le="+Inf"} 1 1700000000000
http_request_duration_seconds_sum{handler="/task",method="POST"} 0.25
http_request_duration_seconds_count{handler="/task",method="POST"} 1
http_request_duration_seconds_bucket_total{weird="x"} not-parsed
other_metric{le="garbage"} ???
PROM
printf 'http_request_duration_seconds_bucket{path="a\\"b\\\\c\\n",le="1",} 2 # {trace_id="abc"} 0.5\nhttp_request_duration_seconds_bucket{path="a\\"b\\\\c\\n",le="+Inf",} 3\nhttp_request_duration_seconds_count{path="a\\"b\\\\c\\n"} 3\r\nhttp_request_duration_seconds_sum{path="a\\"b\\\\c\\n"} 1.5\n' \
    | seed ScrapedHistogram

# ServerTimingParserTests' header values, one field per line.
for value in 'task;dur=1234.5' 'miss, db;dur=53, task;dur=47.2' 'task;desc="a, b; c";dur=20' 'task;dur="30"' \
    'task;DUR=40' 'task;dur=5;dur=6' $'db;dur=1\ntask;dur=7' 'task;dur=1e3' 'task;dur=abc' 'task;dur=-5' 'task;dur=0x10'; do
    printf '%s' "$value" | seed ServerTiming
done

# PushIntakeTests' bodies.
for body in '[{"group": "api", "server": "s1", "seconds": 1.5, "at": 1763999990}, {"group": "api", "server": "s2", "seconds": 0.25, "server_seconds": 0.2}]' \
    '[{"group": "api", "server": "s1", "seconds": 1}, {"group": "web", "server": "s1", "seconds": 1}]' \
    '[{"group": "api", "server": "s1", "seconds": "1"}]' '[{"group": "api", "server": "s1", "seconds": null}]' \
    '[{"group": "api", "server": "s1", "seconds": 1, "sever_seconds": 2}]' '{"group": "api"}' '[]'; do
    printf '%s' "$body" | seed PushBatch
done

# The config doc comments' examples.
seed Config <<'YAML'
workloads:
  - {name: lab-s1, cgroup: /lab/s1}
  - {name: api, process: {command: node, cmdline: server.js}}
  - {name: legacy, process: {pid: 4242}}
qmp:
  sockets: ["/run/interference-watch/qmp/*.sock"]
  guest_stats_interval: 10
libvirt:
  uri: qemu:///system
push:
  bearer_token_file: /etc/interference-watch/push-token
advice:
  capacity_cgroup: /lab.slice
  balloon_floor: 0.5
  balloon_floors: {vm1: 768MiB}
groups:
  - name: api
    probe: {interval: 2s, timeout: 60s}
    servers:
      - {name: s1, url: "http://127.0.0.1:8081/task", cgroup: /lab/s1}
      - {name: s2, url: "http://127.0.0.1:8082/task", workload: web-1}
      - {name: s3, url: "http://127.0.0.1:8083/task", pid: 4242}
      - name: s4
        url: "http://127.0.0.1:8084/task"
        scrape: {url: "http://127.0.0.1:9100/metrics", metric: http_request_duration_seconds,
                 labels: {handler: /task}, interval: 15s}
alerts:
  resend_interval: 1m
  rules:
    - {name: InterferenceWatchHostSwapStorm, threshold: 0.005, for: 5m}
    - {name: InterferenceWatchHostMemoryBelowRecommended, enabled: false}
    - name: LabServerSlow
      condition: imbalance
      labels: {team: lab}
      summary: "{{server}} is {{ratio}}x slower"
  alertmanagers:
    - url: http://127.0.0.1:9093
      bearer_token_file: /etc/interference-watch/am-token
      ca_file: /etc/ssl/am-ca.pem
  webhooks:
    - {url: "http://127.0.0.1:8080/hook", secret_file: /etc/interference-watch/hook-secret}
YAML

for harness in "$corpus"/*/; do
    printf '%-20s %s seeds\n' "$(basename "$harness")" "$(find "$harness" -type f | wc -l)"
done
