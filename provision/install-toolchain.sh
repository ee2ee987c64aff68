#!/bin/sh
# Install the C/C++ toolchain and what building CPython extensions needs, per distro family.
# Usage: install-toolchain.sh [--dry-run]
# Runs as root inside the guest (or its root file system in a chroot).
# --dry-run prints the commands for the detected family instead of running them.
set -eu

run() {
    if [ "$dry_run" = 1 ]; then
        echo "$*"
    else
        "$@"
    fi
}

dry_run=0
[ "${1:-}" = "--dry-run" ] && dry_run=1

if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    run apt-get update -q
    # Compilers, the distro python3 (runs the tool venv), and what CPython's modules link to.
    run apt-get install -y -q --no-install-recommends \
        build-essential python3 python3-dev python3-venv \
        file unzip xz-utils ca-certificates \
        libssl-dev zlib1g-dev libffi-dev libbz2-dev libsqlite3-dev liblzma-dev \
        libreadline-dev libncursesw5-dev uuid-dev libgdbm-dev libmpdec-dev
    run apt-get clean
else
    echo "install-toolchain.sh: only apt-based distros (Debian) are supported yet;" \
        "yum/dnf/apk families are planned" >&2
    exit 3
fi
