#!/usr/bin/env bash
# Install the aarch64 glibc 2.17 floor (manylinux2014_aarch64) sysroot and cross compiler wrappers
# around Debian's gcc-aarch64-linux-gnu, so an extension built with them needs nothing newer than
# glibc 2.17; and aarch64-floor-run, which runs an aarch64 program under that sysroot's loader.
# Usage: install-cross-toolchain.sh TOOLCHAIN_TGZ SHA512_B64 PREFIX
#   TOOLCHAIN_TGZ  npm pack @napi-rs/cross-toolchain-x64-target-aarch64@1.0.3
#   SHA512_B64     its sha512 in base64, as in npm's integrity (a sha512- prefix is accepted)
#   PREFIX         where PREFIX/sysroot and PREFIX/bin/aarch64-linux-gnu-{gcc,cc,g++,c++} go;
#                  the wrappers also search PREFIX/ports (floor-install's aarch64 libraries)
# Runs on the host or in an x86_64 guest (as any user who may write PREFIX). Needs
# gcc-aarch64-linux-gnu (and g++-aarch64-linux-gnu for the C++ wrappers) without
# libc6-dev-arm64-cross, whose newer glibc headers and crt files would come ahead of --sysroot:
# install-cross-compilers.sh installs them so. aarch64-floor-run needs qemu-user-static.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_args "$#" 3 3
tgz=$1
want=${2#sha512-}
me=install-cross-toolchain.sh
inner=package/aarch64-unknown-linux-gnu.tar.xz
member=./aarch64-unknown-linux-gnu/sysroot
triplet=aarch64-linux-gnu

[ -r "$tgz" ] || die "$me: cannot read $tgz"
# The checksum comes first: nothing of the tarball is unpacked before it matches.
check_sha512 "$me" "$tgz" "$want"
actual=$sha512_hex

for tool in tar xz "$triplet-gcc"; do
    command -v "$tool" >/dev/null ||
        die "$me: $tool is missing (apt-get install --no-install-recommends gcc-$triplet xz-utils)"
done
if [ -e "/usr/$triplet/include/stdio.h" ]; then
    die "$me: /usr/$triplet/include holds a newer glibc (libc6-dev-arm64-cross); remove it"
fi
mkdir -p "$3"
prefix=$(cd "$3" && pwd)
[[ $prefix != *"'"* ]] || die "$me: PREFIX must not contain a single quote: $prefix"
sysroot=$prefix/sysroot
stamp=$sysroot/.floor-sha512
if [ "$(cat "$stamp" 2>/dev/null)" != "$actual" ]; then
    fresh=$(mktemp -d "$prefix/.sysroot.XXXXXX")
    chmod 0755 "$fresh"  # mktemp's 0700 would leave the sysroot to root: builds run as vagrant
    trap 'rm -rf "$fresh"' EXIT
    # Streamed: the inner tarball never lands on disk; only the sysroot is kept.
    tar -xzOf "$tgz" "$inner" | tar -xJ -C "$fresh" --strip-components=3 "$member"
    # As on x86_64: the package's gcc 4.8 C++ link-time files do not match the newer g++'s
    # headers; the run-time libstdc++.so.6 (GLIBCXX_3.4.19) stays for aarch64-floor-run.
    find "$fresh/lib" -maxdepth 1 \( -name 'libstdc++.so' -o -name 'libstdc++.a' \
        -o -name 'libstdc++.la' -o -name 'libstdc++*.py' -o -name 'libsupc++.*' \) -delete
    [ -x "$fresh/lib/ld-linux-aarch64.so.1" ] || die "$me: no glibc loader in $tgz"
    echo "$actual" > "$fresh/.floor-sha512"
    rm -rf "$sysroot"
    mv "$fresh" "$sysroot"
fi

# The wrappers: one word each, so tools that split CC (crossenv, configure) keep --sysroot.
# -L puts the sysroot's usr/lib (libstdc++.so below) ahead of the cross gcc's own directories.
# PREFIX/ports is where floor-install (FLOOR_HOST=aarch64-linux-gnu) puts the aarch64 system
# libraries it cross-builds with these wrappers: searched after the sysroot, as on x86_64.
mkdir -p "$prefix/bin" "$prefix/include"
write_wrapper() {  # write_wrapper NAME COMPILER EXTRA_FLAGS...
    local name=$1 compiler=$2
    shift 2
    {
        echo '#!/bin/sh'
        echo "# Written by $me: $compiler against the aarch64 glibc 2.17 sysroot."
        echo "exec $compiler --sysroot='$sysroot' -L'$sysroot/usr/lib'" \
            "-idirafter '$prefix/ports/include' -L'$prefix/ports/lib'" \
            "-Wl,-rpath-link,'$prefix/ports/lib' $* \"\$@\""
    } > "$prefix/bin/$name.tmp"
    chmod 755 "$prefix/bin/$name.tmp"
    mv "$prefix/bin/$name.tmp" "$prefix/bin/$name"
}
# C++ as on x86_64 (install-floor-toolchain.sh): Debian's libstdc++ 10 statically, <cmath> told
# that glibc 2.17 declares isinf/isnan, and floor-compat.h for the pthread_*_clock* functions
# its headers name; the C drivers get the same flags (setuptools compiles .cpp with $CC).
cp "$(dirname "$0")/../floor-compat.h" "$prefix/include/floor-compat.h.tmp"
mv "$prefix/include/floor-compat.h.tmp" "$prefix/include/floor-compat.h"
cxx_flags="-D_GLIBCXX_HAVE_OBSOLETE_ISINF=1 -D_GLIBCXX_HAVE_OBSOLETE_ISNAN=1"
cxx_flags="$cxx_flags -include $prefix/include/floor-compat.h"
for name in gcc cc; do
    # shellcheck disable=SC2086  # the flags are meant to split
    write_wrapper "$triplet-$name" "/usr/bin/$triplet-gcc" $cxx_flags
done
if command -v "$triplet-g++" >/dev/null; then
    for name in g++ c++; do
        # shellcheck disable=SC2086
        write_wrapper "$triplet-$name" "/usr/bin/$triplet-g++" -static-libstdc++ $cxx_flags
    done
else
    rm -f "$prefix/bin/$triplet-g++" "$prefix/bin/$triplet-c++"
fi
# -lstdc++ given to the C driver (setuptools links .cpp sources with `gcc -shared`) would find
# the shared libstdc++ (GLIBCXX versions above manylinux2014's): this linker script, first on
# the wrappers' -L, makes it the static one, as -static-libstdc++ does for the g++ wrappers.
printf '%s\n' "/* Written by $me: -lstdc++ at the floor is the static libstdc++. */" \
    "INPUT ( -l:libstdc++.a AS_NEEDED ( -lm -lpthread ) )" > "$sysroot/usr/lib/libstdc++.so.tmp"
mv "$sysroot/usr/lib/libstdc++.so.tmp" "$sysroot/usr/lib/libstdc++.so"

# aarch64-floor-run PROGRAM [ARGS...]: run an aarch64 program under qemu-user with the
# sysroot's glibc 2.17 loader and libraries (-L makes the sysroot the program's /).
{
    echo '#!/bin/sh'
    echo "# Written by $me: run an aarch64 program under the sysroot's glibc 2.17."
    echo "S='$sysroot'"
    # shellcheck disable=SC2016  # expanded when aarch64-floor-run runs
    echo 'LC_ALL=C exec qemu-aarch64-static -L "$S" "$@"'
} > "$prefix/bin/aarch64-floor-run.tmp"
chmod 755 "$prefix/bin/aarch64-floor-run.tmp"
mv "$prefix/bin/aarch64-floor-run.tmp" "$prefix/bin/aarch64-floor-run"
echo "$me: aarch64 floor toolchain (glibc 2.17) in $prefix"
