#!/usr/bin/env bash
# Sets up the system and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
swift build --build-tests
exec swift test --skip-build --disable-xctest
