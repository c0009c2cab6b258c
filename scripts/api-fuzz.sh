#!/usr/bin/env bash
# Drives the HTTP API with schemathesis (from PyPI, in .build-tools/schemathesis) against contrib/openapi.yaml:
# a debug daemon on the v2-psi fixture tree, one probe-less group so pushes can be accepted.
#   api-fuzz.sh [--max-examples N]      default 200 per operation
# Fails on any 5xx, any response outside the document (status, content type, body schema: a 400 must name its
# field), and any invalid request the daemon accepts.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="/opt/swift/usr/bin:$PATH"
examples=200
[[ "${1:-}" == "--max-examples" ]] && examples=$2

venv="$here/.build-tools/schemathesis"
if [[ ! -x "$venv/bin/schemathesis" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q schemathesis
fi

swift build --product interference-watch
binary=$(swift build --show-bin-path)/interference-watch
work=$(mktemp -d)
daemon=
cleanup() { [[ -n "$daemon" ]] && kill "$daemon" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

fixture="$here/Tests/InterferenceWatchTests/Fixtures/v2-psi"
cat > "$work/config.yaml" <<YAML
workloads:
  - {name: desktop, cgroup: /user.slice/user-1000.slice/session-3.scope}
groups:
  - name: api
    servers: [{name: s1}, {name: s2}]
YAML
"$binary" run --path.procfs "$fixture/proc" --path.sysfs "$fixture/sys" --config "$work/config.yaml" \
    --storage.path "$work/storage" --web.listen-address 127.0.0.1:0 --collection.interval 1s > "$work/daemon.log" 2>&1 &
daemon=$!
# The daemon logs the address it bound ("listening" with the port) once it serves.
address=
for _ in $(seq 100); do
    address=$(grep -m1 -o '127\.0\.0\.1:[0-9]\+' "$work/daemon.log" || true)
    [[ -n "$address" ]] && break
    kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.log" >&2; exit 1; }
    sleep 0.2
done
[[ -n "$address" ]] || { echo "api-fuzz.sh: the daemon did not start" >&2; cat "$work/daemon.log" >&2; exit 1; }

status=0
"$venv/bin/schemathesis" --config-file contrib/schemathesis.toml run contrib/openapi.yaml --url "http://$address" --max-examples "$examples" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
    --phases examples,coverage,fuzzing --seed 1 --no-color || status=$?
if ! kill -0 "$daemon" 2>/dev/null; then
    mkdir -p .build/api-fuzz && cp "$work/daemon.log" .build/api-fuzz/daemon.log
    echo "api-fuzz.sh: the daemon died (log: .build/api-fuzz/daemon.log)" >&2
    grep -m1 -A30 -E "Fatal error|Crash|💣" "$work/daemon.log" >&2 || tail -40 "$work/daemon.log" >&2
    status=1
fi
exit $status
