#!/usr/bin/env bash
# WebSocket conformance of the relay: the Autobahn TestSuite (fuzzingclient mode) against an echo
# app (Tests/Fixtures/conformance/echo) that answers every message with the same raw frame.
# Cases 1–7, 9 and 10 (12 and 13 need permessage-deflate, which the relay does not offer).
# Fails when a case is not OK, NON-STRICT or INFORMATIONAL, or closes with the wrong code.
# Usage: scripts/conformance.sh [wippy binary]   (CASES="1.* 2.*" to run fewer)
set -euo pipefail
cd "$(dirname "$0")/.."
wippy=${1:-.build/debug/wippy}
cases=${CASES:-"1.* 2.* 3.* 4.* 5.* 6.* 7.* 9.* 10.*"}

# wstest runs on Python 2.7 (pyenv's); the suite is installed once into a virtualenv.
venv=${AUTOBAHN_VENV:-$HOME/.cache/wippy/autobahn}
mkdir -p "$(dirname "$venv")"
if [ ! -x "$venv/bin/wstest" ]; then
    # pyenv's shim for python2.7 exists even where 2.7 is not the selected version: try each.
    python2=""
    for candidate in "$HOME"/.pyenv/versions/2.7*/bin/python "$(command -v python2.7 || true)"; do
        if [ -n "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info[0] != 2)' 2>/dev/null; then
            python2=$candidate
            break
        fi
    done
    [ -n "$python2" ] || { echo "conformance: Python 2.7 is needed for the Autobahn TestSuite" >&2; exit 1; }
    # (pip on Python 2.7 warns about its age on stderr: kept out of the log unless it fails.)
    "$python2" -m pip install -q --disable-pip-version-check virtualenv==20.15.1 2>"$venv.log" \
        && "$python2" -m virtualenv -q "$venv" 2>>"$venv.log" \
        && "$venv/bin/pip" install -q --disable-pip-version-check autobahntestsuite 2>>"$venv.log" \
        || { cat "$venv.log" >&2; echo "conformance: cannot install the Autobahn TestSuite" >&2; exit 1; }
fi

tmp=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$wippy" run Tests/Fixtures/conformance/echo --addr "127.0.0.1:$port" --log-level error \
    --process-memory 256MiB --max-message 32MiB --mailbox 128MiB 2>"$tmp/server.log" &
server=$!
for _ in $(seq 1 200); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.1
done

python3 - "$tmp/spec.json" "$port" $cases <<'PY'
import json, sys
path, port, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
json.dump({"outdir": path.rsplit("/", 1)[0] + "/reports",
           "servers": [{"agent": "wippy", "url": "ws://127.0.0.1:%s/" % port}],
           "cases": cases, "exclude-cases": [], "exclude-agent-cases": {}}, open(path, "w"))
PY
(cd "$tmp" && "$venv/bin/wstest" -m fuzzingclient -s spec.json >"$tmp/wstest.log" 2>&1) || {
    cat "$tmp/wstest.log" >&2
    exit 1
}
kill -0 "$server" 2>/dev/null || { echo "conformance: wippy died during the suite" >&2; cat "$tmp/server.log" >&2; exit 1; }

python3 - "$tmp/reports/index.json" <<'PY'
import collections, json, sys
index = json.load(open(sys.argv[1]))["wippy"]
fine = {"OK", "NON-STRICT", "INFORMATIONAL"}
counts, bad = collections.Counter(), []
for case, result in index.items():
    counts[result["behavior"]] += 1
    if result["behavior"] not in fine or result["behaviorClose"] not in fine | {"UNIMPLEMENTED"}:
        bad.append("%s: %s (close: %s)" % (case, result["behavior"], result["behaviorClose"]))
print("autobahn: %d cases: %s" % (len(index), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
key = lambda case: [int(part) for part in case.split(".")]
for kind in ("NON-STRICT", "INFORMATIONAL"):
    listed = sorted((case for case, result in index.items() if result["behavior"] == kind), key=key)
    if listed:
        print("  %s: %s" % (kind, " ".join(listed)))
for line in sorted(bad):
    print("  not passed: " + line)
sys.exit(1 if bad else 0)
PY
