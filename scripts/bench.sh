#!/usr/bin/env bash
# Runs the benchmarks side by side with their peers and prints the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh erlang-base
python3 -m pip --version >/dev/null 2>&1 || scripts/setup-system.sh python3-pip
python3 -m pip install --quiet pyyaml jsonschema 2>/dev/null || python3 -m pip install --quiet --break-system-packages pyyaml jsonschema
swift build -c release   # wippy and wippy-bench
.build/release/wippy-bench manifest --peer python3
.build/release/wippy-bench processes
.build/release/wippy-bench reload
scripts/bench-http.sh
python3 -c "import websockets, uvloop" 2>/dev/null || python3 -m pip install --quiet websockets uvloop 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages websockets uvloop
taskset -c 1 .build/release/wippy-bench chat-bench --clients 1000,3000
