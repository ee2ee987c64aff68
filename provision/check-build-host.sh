#!/bin/sh
# Self check of a build host, run last by the provisioner: a box that fails it is not published.
# Asserts that the C library is not newer than the policy allows, that every /opt/python/*
# interpreter runs and has pip, and that auditwheel runs and knows AUDITWHEEL_PLAT. With
# --floor, the C library that counts is the floor sysroot's, and every interpreter must also run
# under that glibc's own loader (floor-run); on a musllinux box the floor is musl's and
# floor-run is its loader.
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

case "$policy" in
    manylinux_*_*)
        want_major=$(echo "$policy" | cut -d_ -f2)
        want_minor=$(echo "$policy" | cut -d_ -f3)
        if [ -n "$floor" ]; then
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
    if [ -n "$floor" ]; then  # built without sqlite (floor-libs.lock says why)
        "$floor/bin/floor-run" "$py" -c 'import ssl, zlib, ctypes, bz2, lzma' ||
            fail "$py cannot import its standard modules under the floor's glibc loader"
    else
        "$py" -c 'import ssl, zlib, ctypes, sqlite3' ||
            fail "$py cannot import its standard modules"
    fi
    "$py" -m pip --version >/dev/null || fail "$py has no pip"
    echo "$py: $("$py" --version 2>&1)"
done
[ "$found" -gt 0 ] || fail "no interpreter under /opt/python"

auditwheel --version >/dev/null || fail "auditwheel does not run"
auditwheel repair --help | grep -q "$plat" || fail "auditwheel does not know platform $plat"
patchelf --version >/dev/null || fail "patchelf does not run"
echo "build host OK: $found interpreter(s), $(auditwheel --version), platform $plat"
