#!/usr/bin/env bash
# The whole test suite, as README's second Quick start command runs it: fast tests, the build
# loop against a real sshd, and the VM tests (box build, `vagrant up`, msgpack). Installs what it
# needs (a venv with vmwheel[test], Debian's sshd, shellcheck, npm and faketime, vmwheel's
# host set-up). Root.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
need=()
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v npm >/dev/null || need+=(npm)  # fetches the pinned floor toolchain (slow tests)
command -v readelf >/dev/null || need+=(binutils)
command -v faketime >/dev/null || need+=(faketime)  # the build host clock fault (ssh tests)
command -v ss >/dev/null || need+=(iproute2)  # what the farm's scheduler carries (ssh tests)
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
.venv/bin/vmwheel host setup
exec .venv/bin/python -m pytest -o addopts=-ra --durations=25 "$@"
