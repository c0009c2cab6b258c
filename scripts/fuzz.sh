#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/, with -sanitize=fuzzer,address) and runs each over its seed corpus.
#   fuzz.sh [--runs N | --seconds S] [HARNESS...]     default: --seconds 10, every harness
# Harnesses are named as in Fuzz/Corpus (Meminfo, PSI, Config, ...). Each run uses a temporary working corpus
# (new inputs go there) plus the committed seeds read-only, `-rss_limit_mb=2048 -timeout=1`: any crash, input
# slower than 1 s (when it is slow again on replay) or allocation past 2 GiB fails the run, and its input is kept
# under Fuzz/.build/artifacts/. exec/s is over the harness's whole wall time.
# Exits non-zero if any harness failed, printing the reproducer (`<binary> <file>` replays it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/opt/swift/usr/bin:$PATH"
fuzz="$here/Fuzz"

limit=(-max_total_time=10)
harnesses=()
while (($#)); do
    case "$1" in
        --runs) limit=(-runs="$2"); shift 2 ;;
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) harnesses+=("$1"); shift ;;
    esac
done
if ((${#harnesses[@]} == 0)); then
    for dir in "$fuzz"/Corpus/*/; do harnesses+=("$(basename "$dir")"); done
fi

swift build --package-path "$fuzz" -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "warning: Cannot export local symbol" >&2
bin=$(swift build --package-path "$fuzz" -Xswiftc -sanitize=fuzzer,address --show-bin-path)

# Swift's own crash backtracer trips ASan; libFuzzer and ASan print the stack already.
export SWIFT_BACKTRACE=enable=no
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
printf '%-20s %10s %8s %8s  %s\n' harness inputs exec/s rss_mb result
for harness in "${harnesses[@]}"; do
    binary="$bin/${harness}Fuzzer"
    seeds="$fuzz/Corpus/$harness"
    [[ -x "$binary" && -d "$seeds" ]] || { echo "fuzz.sh: no harness $harness" >&2; exit 2; }
    artifacts="$fuzz/.build/artifacts/$harness"
    mkdir -p "$work/$harness" "$artifacts"
    log="$artifacts/last-run.log"
    # On a shared, loaded host a stall can stop the clock on a fast input. A timeout counts only if the input is
    # still over the limit when replayed on its own (three tries); otherwise the stall is noted and fuzzing resumes
    # with the working corpus for what is left of the budget (at most five times).
    inputs=0 peak=0 stalls=0 started=$SECONDS
    while :; do
        if [[ "${limit[0]}" == -runs=* ]]; then left=$(( ${limit[0]#-runs=} - inputs )) budget=(-runs)
        else left=$(( ${limit[0]#-max_total_time=} - (SECONDS - started) )) budget=(-max_total_time); fi
        ((left > 0)) || break
        budget=("${budget[0]}=$left")
        status=0
        "$binary" -rss_limit_mb=2048 -timeout=1 -print_final_stats=1 "${budget[@]}" -artifact_prefix="$artifacts/" \
            "$work/$harness" "$seeds" > "$log" 2>&1 || status=$?
        stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
        executed=$(stat number_of_executed_units)
        inputs=$(( inputs + ${executed:-0} ))
        rss=$(stat peak_rss_mb); (( ${rss:-0} > peak )) && peak=$rss
        reproducer=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
        if ((status != 0)) && grep -q "libFuzzer: timeout" "$log" && [[ -n "$reproducer" ]] \
            && "$binary" -timeout=1 -runs=3 "$reproducer" > "$log.replay" 2>&1; then
            stalls=$((stalls + 1))
            echo "    $harness: stopped by a host stall; $(basename "$reproducer") replays in" \
                "$(sed -n 's/.* in \([0-9]* ms\)$/\1/p' "$log.replay" | tail -1)" >&2
            # Kept apart, so a slow-ish input can still be looked at.
            mkdir -p "$artifacts/stalls" && mv "$reproducer" "$artifacts/stalls/"
            status=0
            ((stalls <= 5)) && continue
        fi
        break
    done
    elapsed=$(( SECONDS - started ))
    result=ok
    ((stalls)) && result="ok ($stalls host stalls resumed)"
    if ((status != 0)); then
        result="FAILED (exit $status): ${reproducer:-see $log}"
        failed+=("$harness")
        # The first lines of the report say what went wrong (Swift's fatal error, ASan's summary, timeout, OOM).
        grep -m5 -E "Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY|ALARM|out-of-memory" "$log" | sed 's/^/    /' >&2 || true
    fi
    printf '%-20s %10s %8s %8s  %s\n' "$harness" "$inputs" "$(( inputs / (elapsed > 0 ? elapsed : 1) ))" "$peak" "$result"
    rm -rf "${work:?}/$harness"
done

if ((${#failed[@]})); then
    echo "fuzz.sh: failed: ${failed[*]} (replay: $bin/<Harness>Fuzzer <reproducer>)" >&2
    exit 1
fi
