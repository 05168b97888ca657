#!/usr/bin/env bash
# Sets up the system, builds wippy (release) and checks an app folder (default apps/).
# `wippy run` lands with the process runtime; until then this validates the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
swift build -c release --product wippy
exec .build/release/wippy validate "${1:-apps/}"
