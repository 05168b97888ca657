#!/usr/bin/env bash
# Installs the Debian packages wippy needs to build and test, when they are missing.
# Usage: scripts/setup-system.sh [EXTRA_PACKAGE...]
set -euo pipefail

packages=(liblua5.4-dev pkg-config libssl-dev libyaml-dev "$@")
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
