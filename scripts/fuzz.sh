#!/usr/bin/env bash
# Fuzzes the parsers that take what users and clients send, each for a bounded time, with
# libFuzzer (Swift's -sanitize=fuzzer) and AddressSanitizer.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
#   targets: manifest json duration relay payload typedlua (default: all)
# Corpora start from Tests/Fuzz/seeds/TARGET and grow in .build-fuzz/corpus/TARGET. An input that
# crashes is written to .build-fuzz/crashes/TARGET/; copy it to Tests/Fuzz/crashes/TARGET/ and the
# test suite replays it from then on (FuzzReplayTests).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(manifest json duration relay payload typedlua)

scripts/setup-system.sh
WIPPY_FUZZ=1 swift build --scratch-path .build-fuzz --product wippy-fuzz
binary=.build-fuzz/debug/wippy-fuzz

failed=()
for target in "${targets[@]}"; do
    corpus=.build-fuzz/corpus/$target crashes=.build-fuzz/crashes/$target log=.build-fuzz/logs/$target.log
    mkdir -p "$corpus" "$crashes" .build-fuzz/logs
    echo "== $target: ${seconds}s (full log: $log)"
    # rss_limit_mb: a target that grows past it is a finding too; -timeout: one input may take 10 s.
    # Leaks are checked once, at the end (per input, LeakSanitizer takes long-lived Swift data for
    # leaks); Tests/Fuzz/lsan.supp names what is allocated once per run.
    if LSAN_OPTIONS=suppressions=Tests/Fuzz/lsan.supp "$binary" "$target" "$corpus" "Tests/Fuzz/seeds/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 -detect_leaks=0 \
        -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
        grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$log"
    else
        failed+=("$target")
        grep -E "ERROR|runtime failure|Fatal error|SUMMARY|Test unit written" "$log" | head -n 8
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]} (inputs in .build-fuzz/crashes/)"
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no findings"
