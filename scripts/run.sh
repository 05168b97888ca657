#!/usr/bin/env bash
# Sets up the system, builds wippy (release) and runs an app folder (default apps/) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
swift build -c release --product wippy
exec .build/release/wippy run "${1:-apps/}"
