#!/usr/bin/env bash
# The Lua HTTP handler benchmark: wippy against nginx + lua-nginx-module (Debian's
# libnginx-mod-http-lua, LuaJIT), the same two handlers (bench/apps/http and
# bench/peers/nginx-lua.conf), and against the same handlers in Swift on a bare Hummingbird
# router (`wippy-bench hummingbird`), each server alone on core 0 and wrk on core 1, loopback only.
#   GET  /api/v1/hello  answers "hello"
#   POST /api/v1/json   decodes a small JSON body and answers it encoded again
# Prints one table per scenario: requests/s (median of RUNS runs of DURATION seconds), p50, p99,
# and the ratios wippy / nginx-lua and wippy / Hummingbird.
# Usage: scripts/bench-http.sh   (RUNS=3 DURATION=10 by default; WIPPY=path to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh nginx-light libnginx-mod-http-lua wrk lua-cjson curl
wippy=${WIPPY:-.build/release/wippy}
[ -x "$wippy" ] || swift build -c release --product wippy
bench=.build/release/wippy-bench
[ -x "$bench" ] || swift build -c release --product wippy-bench
runs=${RUNS:-3}
duration=${DURATION:-10}
cores=$(nproc)
server_cores=0
client_cores=$((cores > 1 ? 1 : 0))

tmp=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

start() {  # start wippy|nginx|hummingbird
    case $1 in
        wippy) taskset -c "$server_cores" "$wippy" run bench/apps/http --addr "127.0.0.1:$port" --log-level warning \
                   2>"$tmp/server.log" & ;;
        nginx) sed -e "s|PORT|$port|g" -e "s|TMP|$tmp|g" bench/peers/nginx-lua.conf >"$tmp/nginx.conf"
               mkdir -p "$tmp/body"
               taskset -c "$server_cores" nginx -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/server.log" & ;;
        hummingbird) taskset -c "$server_cores" "$bench" hummingbird "$port" >"$tmp/server.log" 2>&1 & ;;
    esac
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/api/v1/hello" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$tmp/server.log" >&2
    echo "$1 did not start" >&2
    exit 1
}

stop() {
    kill "$server" && wait "$server" 2>/dev/null || true
    server=""
}

# One wrk run of SECONDS: prints "requests_per_second p50_ms p99_ms".
measure() {  # measure SECONDS PATH [wrk args...]
    local seconds=$1 path=$2
    shift 2
    taskset -c "$client_cores" wrk -t1 -c64 -d"${seconds}s" --latency "$@" "http://127.0.0.1:$port$path" | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(*re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", text, re.M).groups())
p99 = ms(*re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", text, re.M).groups())
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors: sys.exit("wrk: %s non-2xx answers" % errors.group(1))
print(rps, p50, p99)'
}

median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

scenario() {  # scenario TITLE PATH [wrk args...]
    local title=$1 path=$2
    shift 2
    declare -A rps=() p50=() p99=()
    for run in $(seq 1 "$runs"); do
        for name in wippy nginx hummingbird; do
            start "$name"
            measure 2 "$path" "$@" >/dev/null  # warm-up: JIT traces, warm Lua states, connections
            read -r r a b < <(measure "$duration" "$path" "$@")
            stop
            rps[$name]+="$r "; p50[$name]+="$a "; p99[$name]+="$b "
        done
    done
    local wr nr hr
    wr=$(median ${rps[wippy]}); nr=$(median ${rps[nginx]}); hr=$(median ${rps[hummingbird]})
    echo
    echo "#### $title"
    echo
    echo "| server (1 core) | requests/s (median of $runs × ${duration}s) | p50 | p99 |"
    echo "|---|---|---|---|"
    printf '| wippy | %.0f | %.2f ms | %.2f ms |\n' "$wr" "$(median ${p50[wippy]})" "$(median ${p99[wippy]})"
    printf '| nginx + lua-nginx-module | %.0f | %.2f ms | %.2f ms |\n' "$nr" "$(median ${p50[nginx]})" "$(median ${p99[nginx]})"
    printf '| Hummingbird router, Swift handler | %.0f | %.2f ms | %.2f ms |\n' "$hr" "$(median ${p50[hummingbird]})" "$(median ${p99[hummingbird]})"
    python3 -c "
import sys
w, n, h = (float(x) for x in sys.argv[1:])
print('| wippy / nginx-lua | %.2f× | | |' % (w / n))
print('| wippy / Hummingbird | %.2f× | | |' % (w / h))
print()
def verdict(r, target): return '**%s** (%.2f×)' % ('met' if r >= target else 'missed', r)
print('Targets: ≥ 0.5× nginx-lua %s; ≥ 1.7× Hummingbird %s; the goal beyond: ≥ 1.0× nginx-lua.'
      % (verdict(w / n, 0.5), verdict(w / h, 1.7)))" "$wr" "$nr" "$hr"
}

echo "### Lua HTTP handler"
echo
echo "The same handlers in wippy (bench/apps/http), nginx + lua-nginx-module (bench/peers/nginx-lua.conf, one"
echo "worker) and Swift on a bare Hummingbird router (\`wippy-bench hummingbird\`, no Lua: the serving path the"
echo "runtime had before it answered on NIO channel handlers): \`wrk -t1 -c64 --latency\` on core $client_cores, each"
echo "server alone on core $server_cores; per run a 2 s"
echo "warm-up, then ${duration} s measured; median of $runs runs, the servers alternating. $(nginx -v 2>&1 | sed 's|.*: ||')."
scenario "Lua handler: res:write(\"hello\")" /api/v1/hello
scenario "Lua handler: JSON body decoded and encoded" /api/v1/json -s bench/peers/post-json.lua
