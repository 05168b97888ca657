#!/usr/bin/env bash
# Sets up the system and runs the whole test suite: the pattern matcher against the stock Lua
# library, the browser chat test (headless Chromium, also over HTTPS/WSS), every Swift test, the
# relay's WebSocket conformance (scripts/conformance.sh: the Autobahn TestSuite), then the
# container checks (scripts/test-container.sh: hadolint, the binary
# built as the image builds it, its libraries against the image's packages, health checks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh chromium chromium-driver curl openssl gcc postgresql
python3 -m pip --version >/dev/null 2>&1 || scripts/setup-system.sh python3-pip
# selenium drives the browser test; prometheus-client parses the metrics endpoint (MetricsTests).
python3 -c "import selenium, prometheus_client" 2>/dev/null || python3 -m pip install --quiet selenium prometheus-client 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages selenium prometheus-client
# SwiftPM itself has crashed here while planning a fresh build (a segfault in libdispatch, before
# any of our code compiled): a build killed by a signal is tried once more; a compile error is not.
swift build --build-tests || { status=$?; [ "$status" -gt 128 ] || exit "$status"
    echo "swift build was killed by signal $((status - 128)); building again" >&2; swift build --build-tests; }
Tests/Patterns/run.sh
python3 Tests/Browser/chat_test.py .build/debug/wippy
# The whole log scrolls past; a failure's own lines are printed again at the end, where a CI tail sees them.
swift_log=$(mktemp)
if ! swift test --skip-build --disable-xctest 2>&1 | tee "$swift_log"; then
    echo "--- failed tests (again, from above) ---" >&2
    grep -a -E "✘|recorded an issue|Expectation failed|error:" "$swift_log" | head -60 >&2
    exit 1
fi
rm -f "$swift_log"
scripts/conformance.sh .build/debug/wippy
exec scripts/test-container.sh
