#!/bin/sh
# Builds and runs the differential test of the step-bounded Lua patterns against the stock
# Lua 5.4 string library. Needs a C compiler, pkg-config and liblua5.4-dev.
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -eu
if ! pkg-config --exists lua5.4 2>/dev/null; then
    echo "needs pkg-config and the Lua 5.4 headers: apt-get install -y liblua5.4-dev pkg-config" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L \
    -I"$root/Sources/CWippyPatterns/include" \
    "$here/differential.c" "$root/Sources/CWippyPatterns/patterns.c" \
    $(pkg-config --cflags --libs lua5.4) -lpthread -o "$out/differential"
"$out/differential"
