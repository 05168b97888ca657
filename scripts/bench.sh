#!/usr/bin/env bash
# The benchmark suite: every benchmark side by side with its peer, in one run on this machine,
# loopback only. Installs what it needs (apt, pip), starts and stops every server itself, prints
# one table per scenario with its target met or missed, and writes the whole report to
# docs/benchmarks.md (BENCH_REPORT=path to write elsewhere). About 10 minutes once built.
# Usage: scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
report=${BENCH_REPORT:-docs/benchmarks.md}

scripts/setup-system.sh erlang-base nginx-light libnginx-mod-http-lua wrk lua-cjson curl postgresql
pip_install() {
    python3 -m pip --version >/dev/null 2>&1 || scripts/setup-system.sh python3-pip
    python3 -m pip install --quiet "$@" 2>/dev/null || python3 -m pip install --quiet --break-system-packages "$@"
}
python3 -c "import yaml, jsonschema, websockets, uvloop" 2>/dev/null || pip_install pyyaml jsonschema websockets uvloop
build_started=$(date +%s)
swift build -c release --product wippy
swift build -c release --product wippy-bench
# The micro-benchmarks build in their own folder: the plugin's release build differs from
# `swift build -c release` enough to rebuild everything each time they take turns in one folder.
# Its driver is built on first use: do that before the clock starts.
micro=(swift package --scratch-path .build-bench --allow-writing-to-package-directory benchmark)
"${micro[@]}" list --target WippyBenchmarks >/dev/null
built_in=$(( $(date +%s) - build_started ))

started=$(date +%s)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
    echo "# Benchmarks against peers"
    echo
    echo "This page is written by \`scripts/bench.sh\` (the whole suite, one command): one run on one"
    echo "machine, each scenario side by side with the peer a user would pick instead. On shared 2-core"
    echo "machines absolute numbers drift between runs: compare the ratios. What the profiles showed and"
    echo "what changed because of them is in [performance.md](performance.md)."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) × $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr)"
    echo "- wippy: $(.build/release/wippy version | head -1), $(swift --version 2>&1 | head -1)"
    echo "- peers: Lua $(lua5.4 -v 2>/dev/null | awk '{print $2}' || echo "5.4 (liblua5.4)"), $(nginx -v 2>&1 | sed 's|.*: ||') +" \
         "lua-nginx-module $(dpkg-query -W -f='${Version}' libnginx-mod-http-lua), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')," \
         "Erlang/OTP $(erl -noshell -eval 'io:put_chars(erlang:system_info(otp_release)), halt().' 2>/dev/null)," \
         "Python $(python3 -c 'import sys, websockets, uvloop; print(sys.version.split()[0], "websockets", websockets.__version__, "uvloop", uvloop.__version__)')"
    echo
} | tee "$out"

failed=0
section() {  # section COMMAND...: runs one benchmark, shows its output and adds it to the report
    local began
    began=$(date +%s)
    if ! "$@" | tee -a "$out"; then
        echo "**This benchmark failed** (\`$*\`): see the console of the run." | tee -a "$out"
        failed=1
    fi
    echo | tee -a "$out"
    echo "($(( $(date +%s) - began )) s: $*)" >&2
}
bench=.build/release/wippy-bench
section "$bench" processes
section "$bench" manifest --runs 3 --peer python3
section "$bench" reload
section env DURATION=5 scripts/bench-http.sh
# The chat servers run alone on core 0 (BenchServer); the load generator gets core 1.
section taskset -c 1 "$bench" chat-bench --clients 1000,3000
section taskset -c 1 "$bench" idle --connections 10000
section taskset -c 1 "$bench" capacity
# Two nodes and a PostgreSQL server of its own (docs/cluster.md).
section python3 Benchmarks/cluster/cluster_bench.py .build/release/wippy
micro_benchmarks() {
    echo "### Micro-benchmarks (ordo-one/benchmark, Benchmarks/WippyBenchmarks)"
    echo
    echo "Hot paths in-process, with malloc counts (which do not drift with machine noise)."
    echo
    "${micro[@]}" --target WippyBenchmarks --format markdown --no-progress | sed -n '/^### /,$p' | sed 's/^### /#### /'
}
section micro_benchmarks
{
    echo "---"
    echo
    elapsed=$(( $(date +%s) - started ))
    echo "Suite time: $(( elapsed / 60 )) min $(( elapsed % 60 )) s, after $(( built_in / 60 )) min $(( built_in % 60 )) s of"
    echo "building (release build and the benchmark driver; the build is incremental after the first run)."
} | tee -a "$out"
cp "$out" "$report"
echo "report written to $report" >&2
exit "$failed"
