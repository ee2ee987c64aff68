#!/bin/sh
# Self check of a build host, run last by the provisioner: a box that fails it is not published.
# Asserts that the C library is not newer than the policy allows, that every /opt/python/*
# interpreter runs and has pip, and that auditwheel runs and knows AUDITWHEEL_PLAT. With
# --floor, the C library that counts is the floor's: the sysroot's, under whose own loader
# (floor-run) every interpreter must also run; on a musllinux box musl's, floor-run being its
# loader; or, for zig's floor (no loader), the glibc its target names, and a library built with
# the floor's cc must need no newer symbol version.
# Usage: check-build-host.sh POLICY ARCH [--floor PREFIX]
#   e.g. check-build-host.sh manylinux_2_31 x86_64
#   PREFIX  where install-floor-toolchain.sh installed the floor (/opt/floor)
# POSIX sh: every guest family runs this self check, Alpine (no bash) and CentOS 5 too.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 2 4
policy=$1
plat=${1}_$2
floor=""
if [ "$#" -gt 2 ]; then
    { [ "$3" = --floor ] && [ "$#" -eq 4 ]; } || usage
    floor=$4
fi
fail() { die "check-build-host: $*"; }

# zig_probe GLIBC: a shared library calling libc and libm functions whose newest symbol versions
# changed after 2.17 on some architecture, built with the floor's cc, needs nothing newer.
zig_probe() {
    _d=$(mktemp -d)
    printf '%s\n' '#include <fcntl.h>' '#include <math.h>' '#include <string.h>' \
        'double f(double x) { char b[8]; memcpy(b, &x, 8); return exp(x) + pow(x, 2) +' \
        '    log(x) + fcntl(0, F_GETFL) + b[0]; }' > "$_d/p.c"
    "$floor/bin/cc" -shared -fPIC -D_FILE_OFFSET_BITS=64 "$_d/p.c" -o "$_d/p.so" ||
        fail "the floor's cc cannot build a shared library"
    _newest=$(objdump -T "$_d/p.so" | sed -n 's/.*GLIBC_\([0-9.]*\).*/\1/p' | sort -V | tail -n 1)
    rm -rf "$_d"
    [ "$(printf '%s\n%s\n' "$_newest" "$1" | sort -V | tail -n 1)" = "$1" ] ||
        fail "a library built with the floor's cc needs GLIBC_$_newest, newer than $1"
    echo "the floor's cc links glibc $1 symbols (newest of the probe: GLIBC_$_newest)"
}

case "$policy" in
    manylinux_*_*)
        want_major=$(echo "$policy" | cut -d_ -f2)
        want_minor=$(echo "$policy" | cut -d_ -f3)
        if [ -r "$floor/zig-target" ]; then  # x86-linux-gnu.2.17
            have=$(cat "$floor/zig-target")
            have=${have##*-gnu.}
        elif [ -n "$floor" ]; then
            libc=""
            for f in "$floor"/sysroot/lib*/libc-*.so; do
                [ -f "$f" ] && libc=$f
            done
            [ -n "$libc" ] || fail "no glibc in the floor sysroot $floor/sysroot"
            have=${libc##*/libc-}
            have=${have%.so}
        else
            have=$(getconf GNU_LIBC_VERSION | sed 's/^glibc //')
        fi
        have_major=$(echo "$have" | cut -d. -f1)
        have_minor=$(echo "$have" | cut -d. -f2)
        if [ "$have_major" -gt "$want_major" ] ||
            { [ "$have_major" -eq "$want_major" ] && [ "$have_minor" -gt "$want_minor" ]; }; then
            fail "glibc $have is newer than $policy allows"
        fi
        echo "glibc $have fits $policy"
        [ ! -r "$floor/zig-target" ] || zig_probe "$have"
        ;;
    musllinux_*_*)
        want=$(echo "$policy" | cut -d_ -f2-3 | tr _ .)
        # musl's loader says its version when run with no program (Alpine's ldd is that loader;
        # a Debian musllinux box has it next to glibc's).
        have=""
        for ld in /lib/ld-musl-*.so.1; do
            [ -x "$ld" ] && have=$("$ld" 2>&1 | sed -n 's/^Version \([0-9]*\.[0-9]*\).*/\1/p')
        done
        [ -n "$have" ] || fail "this is not a musl system; $policy needs one"
        if [ "$(printf '%s\n%s\n' "$have" "$want" | sort -V | tail -n 1)" != "$want" ]; then
            fail "musl $have is newer than $policy allows"
        fi
        echo "musl $have fits $policy"
        if [ -n "$floor" ]; then  # the musl wrappers (install-musl-toolchain.sh)
            [ -z "$("$floor/bin/gcc" --print-multiarch)" ] ||
                fail "$floor/bin/gcc --print-multiarch names a triplet (CPython's configure fails)"
            probe=$(mktemp -d)
            echo 'int f(void) { return 0; }' > "$probe/p.c"
            "$floor/bin/gcc" -shared -fPIC -o "$probe/p.so" "$probe/p.c"
            needed=$(readelf -d "$probe/p.so" | sed -n 's/.*(NEEDED).*\[\(libc\..*\)\]/\1/p')
            rm -rf "$probe"
            case $needed in
                libc.musl-*.so.1) echo "$floor/bin/gcc: extensions need $needed" ;;
                *) fail "$floor/bin/gcc: extensions need '$needed', not libc.musl-*.so.1" ;;
            esac
        fi
        ;;
    *) fail "unknown policy '$policy' (manylinux_X_Y or musllinux_X_Y)" ;;
esac

found=0
for py in /opt/python/*/bin/python; do
    [ -x "$py" ] || continue
    found=$((found + 1))
    if [ -n "$floor" ] && [ -x "$floor/bin/floor-run" ]; then  # no sqlite (floor-libs.lock)
        "$floor/bin/floor-run" "$py" -c 'import ssl, zlib, ctypes, bz2, lzma' ||
            fail "$py cannot import its standard modules under the floor's glibc loader"
    else
        "$py" -c 'import ssl, zlib, ctypes, sqlite3' ||
            fail "$py cannot import its standard modules"
    fi
    "$py" -m pip --version >/dev/null || fail "$py has no pip"
    if [ -r "$floor/zig-target" ]; then  # interpreters not built with the floor: its headers
        inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
        printf '#include <Python.h>\n' | "$floor/bin/cc" -c -o /dev/null -I"$inc" -x c - ||
            fail "the floor's cc cannot compile $py's Python.h"
    fi
    echo "$py: $("$py" --version 2>&1)"
done
[ "$found" -gt 0 ] || fail "no interpreter under /opt/python"

auditwheel --version >/dev/null || fail "auditwheel does not run"
auditwheel repair --help | grep -q "$plat" || fail "auditwheel does not know platform $plat"
patchelf --version >/dev/null || fail "patchelf does not run"
echo "build host OK: $found interpreter(s), $(auditwheel --version), platform $plat"
