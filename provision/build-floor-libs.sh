#!/bin/sh
# Build the libraries the floor CPythons need (zlib, bzip2, liblzma, libffi, OpenSSL) with the
# floor toolchain, as static position-independent archives, so the interpreters link them in and
# reference nothing newer than glibc 2.17. Sources: floor-libs.lock, each checked by sha256
# before it is unpacked.
# Usage: build-floor-libs.sh [--host aarch64-linux-gnu] FLOOR_PREFIX SOURCES_DIR [LOCK]
#   --host        cross-build them for that target with FLOOR_PREFIX/bin/TRIPLET-gcc
#                 (aarch64/install-cross-toolchain.sh's wrappers) and the TRIPLET-ar binutils
#   FLOOR_PREFIX  where install-floor-toolchain.sh put bin/gcc; libraries go to FLOOR_PREFIX/deps
#   SOURCES_DIR   the tarballs named in the lock file
#   LOCK          default: floor-libs.lock next to this script
# Runs as root inside the guest (or its root file system in a chroot); needs make and perl.
# Idempotent: a library whose stamp in deps/.built names the same sha256 and the same version
# of this script is not rebuilt.
# POSIX sh, like the other scripts that run in guests.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
me=build-floor-libs.sh
host=""
if [ "${1:-}" = --host ]; then
    [ "${2:-}" = aarch64-linux-gnu ] || die "$me: --host: only aarch64-linux-gnu is known"
    host=$2
    shift 2
fi
need_args "$#" 2 3
floor=$1 sources=$2 lock=${3:-$(dirname "$0")/floor-libs.lock}
cc=$floor/bin/${host:+$host-}gcc
# What a cross build adds: autoconf's --host, the target's binutils, OpenSSL's target name.
ar=ar ranlib=ranlib cross="" ossl=""
if [ -n "$host" ]; then
    ar=$host-ar ranlib=$host-ranlib cross=--host=$host ossl=linux-aarch64
fi
deps=$floor/deps
maker=install-floor-toolchain.sh
[ -z "$host" ] || maker=aarch64/install-cross-toolchain.sh
[ -x "$cc" ] || die "$me: no floor compiler at $cc (run $maker first)"
command -v "$ar" >/dev/null || die "$me: $ar is missing (apt-get install binutils-$host)"
[ -r "$lock" ] || die "$me: cannot read $lock"
jobs=$(nproc)
recipe=$(sha256sum "$0")
recipe=${recipe%% *}
mkdir -p "$deps/lib" "$deps/include" "$deps/.built"

build_lib() {  # build_lib NAME SOURCE_DIR: configure, make and install one library
    case $1 in
        zlib)
            # CHOST makes its configure take the target's ar and ranlib.
            CHOST=$host CC=$cc CFLAGS="-O2 -fPIC" ./configure --static --prefix="$deps"
            make -j"$jobs" && make install ;;
        bzip2)
            make -j"$jobs" CC="$cc" AR="$ar" RANLIB="$ranlib" \
                CFLAGS="-O2 -fPIC -D_FILE_OFFSET_BITS=64" libbz2.a
            cp libbz2.a "$deps/lib/" && cp bzlib.h "$deps/include/" ;;
        xz)
            # shellcheck disable=SC2086  # $cross is one word or none
            ./configure $cross CC="$cc" CFLAGS="-O2" --prefix="$deps" --libdir="$deps/lib" \
                --disable-shared --with-pic --disable-xz --disable-xzdec --disable-lzmadec \
                --disable-lzmainfo --disable-scripts --disable-doc --disable-nls
            make -j"$jobs" && make install ;;
        libffi)
            # shellcheck disable=SC2086
            ./configure $cross CC="$cc" CFLAGS="-O2" --prefix="$deps" --libdir="$deps/lib" \
                --disable-shared --with-pic --disable-docs --disable-multi-os-directory
            make -j"$jobs" && make install ;;
        openssl)
            # The guest's own CA certificates (/etc/ssl) stay the trust store.
            # no-dso: a static libcrypto that needs -ldl fails CPython's link checks.
            # A cross build names its target (./config would guess this machine's).
            set -- ./config
            [ -z "$ossl" ] || set -- ./Configure "$ossl"
            CC=$cc AR=$ar RANLIB=$ranlib "$@" --prefix="$deps" --libdir=lib \
                --openssldir=/etc/ssl no-shared no-dso no-tests -fPIC
            make -j"$jobs" && make install_sw
            # aarch64's glibc 2.17 has pthread_atfork only in libpthread_nonshared.a, hidden,
            # so whatever links the static libcrypto needs -lpthread after it (x86_64's
            # libpthread.so exports an old one): -lcrypto finds this script first.
            [ -z "$host" ] || printf '%s\n' "/* Written by $me: libcrypto needs libpthread. */" \
                "INPUT ( -l:libcrypto.a -lpthread )" > "$deps/lib/libcrypto.so" ;;
        *) die "$me: no recipe for $1" ;;
    esac
}

# Lines: NAME VERSION SHA256 FILE DEBIAN_POOL_PATH; comments start with #.
grep -v '^#' "$lock" | while read -r name version sha256 file _pool; do
    [ -n "$name" ] || continue
    if [ "$(cat "$deps/.built/$name" 2>/dev/null)" = "$sha256 $recipe" ]; then
        echo "$me: $name $version already built"
        continue
    fi
    echo "$sha256  $sources/$file" | sha256sum -c - >/dev/null 2>&1 ||
        die "$me: $sources/$file does not match sha256 $sha256; refusing to unpack it"
    work=$(mktemp -d)
    tar -xf "$sources/$file" -C "$work"
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    start=$(date +%s)
    if ! (cd "$src" && build_lib "$name") > "$work.log" 2>&1; then
        tail -n 40 "$work.log" >&2
        rm -rf "$work" "$work.log"
        die "$me: building $name $version failed"
    fi
    rm -rf "$work" "$work.log"
    echo "$sha256 $recipe" > "$deps/.built/$name"
    echo "$me: $name $version built in $(( $(date +%s) - start )) s"
done
