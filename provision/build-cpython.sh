#!/bin/sh
# Build one CPython from a verified source tarball, the way pypa/manylinux's build scripts do:
# static libpython (no --enable-shared), installed under /opt/_internal/cpython-VERSION[t],
# linked as /opt/python/cpXY-cpXY (cpXY-cpXYt when free-threaded), pip bootstrapped offline from
# the bundled ensurepip, then the pinned pip, build and wheel from WHEEL_DIR (provision/tools.txt).
# An install that already exists (unpacked from the host's interpreter cache) is not rebuilt.
# Usage: build-cpython.sh VERSION TARBALL SHA256 WHEEL_DIR [--free-threaded]
# Runs as root inside the guest (or its root file system in a chroot); needs install-toolchain.sh.
# POSIX sh: provision-guest.sh runs it in guests of every family, and Alpine has no bash.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 4
version=$1 tarball=$2 sha256=$3 wheels=$4
ft=""
[ "${5:-}" = "--free-threaded" ] && ft=t

short=$(echo "$version" | cut -d. -f1,2)
nodot=$(echo "$short" | tr -d .)
prefix=/opt/_internal/cpython-$version$ft
tag=cp$nodot-cp$nodot$ft
python=$prefix/bin/python$short$ft

if [ -x "$python" ] && "$python" -c 'import ssl, zlib, ctypes, sqlite3' 2>/dev/null; then
    echo "build-cpython: $prefix already built"
else
    # The checksum is checked before anything is unpacked.
    if ! echo "$sha256  $tarball" | sha256sum -c - >/dev/null 2>&1; then
        die "build-cpython: $tarball does not match sha256 $sha256; refusing to unpack it"
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    tar -xf "$tarball" -C "$work"
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    set -- --prefix="$prefix" --disable-shared --with-ensurepip=no
    [ -n "$ft" ] && set -- "$@" --disable-gil
    (
        cd "$src"
        # No -march: the interpreter must run on any CPU of the architecture.
        CFLAGS="-O2 -g0" LDFLAGS="-Wl,--strip-all" ./configure "$@" >"$work/configure.log" 2>&1 \
            || { tail -n 40 "$work/configure.log" >&2; exit 1; }
        make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 60 "$work/make.log" >&2; exit 1; }
        make install >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; exit 1; }
    )
    rm -rf "$prefix/lib/python$short$ft/test"
fi

ln -sf "python$short$ft" "$prefix/bin/python"
[ -e "$prefix/bin/python3" ] || ln -sf "python$short$ft" "$prefix/bin/python3"
"$python" -m ensurepip --default-pip >/dev/null
"$python" -m pip install -q --no-index --find-links "$wheels" --upgrade pip build wheel
mkdir -p /opt/python
ln -sfn "$prefix" "/opt/python/$tag"
"$python" -c 'import ssl, zlib, ctypes, sqlite3, bz2, lzma, sys; print(sys.version)'
echo "build-cpython: /opt/python/$tag -> $prefix"
