#!/bin/sh
# Expose the distro's own python3 as a manylinux-style interpreter: a virtual environment under
# /opt/_internal/cpython-X.Y.Z, linked as /opt/python/cpXY-cpXY, with pip, setuptools and wheel
# installed offline from WHEEL_DIR (pinned in provision/tools.txt, downloaded by the host).
# Usage: install-distro-python.sh WHEEL_DIR
# Runs as root inside the guest (or its root file system in a chroot).
# POSIX sh: nothing in it is Debian's, and a guest of another family (Alpine) may lack bash.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 1 1
wheels=$1
py=/usr/bin/python3

version=$($py -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
tag=$($py -c 'import sys; print("cp%d%d-cp%d%d" % (sys.version_info[:2] * 2))')
prefix=/opt/_internal/cpython-$version

rm -rf "$prefix"
$py -m venv "$prefix"
# WHEEL_DIR holds exactly the pinned versions, so this is pinned too.
"$prefix/bin/python" -m pip install -q --no-index --find-links "$wheels" --upgrade \
    pip setuptools wheel
mkdir -p /opt/python
ln -sfn "$prefix" "/opt/python/$tag"
"/opt/python/$tag/bin/python" -m pip --version
