#!/bin/sh
# The zig floor's compiler driver: install-zig-floor.sh copies it to PREFIX/bin as gcc and cc
# (zig cc) and as g++ and c++ (zig c++), which compile and link for the glibc that
# PREFIX/zig-target names (x86-linux-gnu.2.17) with PREFIX/zig/zig.
# Usage: PREFIX/bin/{gcc,cc,g++,c++} [GCC-STYLE ARGUMENTS...]
#   Dropped, as zig rejects them and GCC builds and Debian's sysconfig pass them:
#   -Wl,-Bsymbolic-functions, -Wl,--exclude-libs,ALL, -flto=auto, -ffat-lto-objects, -mtune=*,
#   -march=* (zig spells it -mcpu); -Wp,-DX and -Wp,-UX are given as -DX and -UX. At a link step
#   (no -c, -S, -E, -M, -MM) every -O is replaced by one -O2: zig builds the runtime libraries
#   it links (libc++, compiler_rt) for the link's optimization mode and keeps them in
#   PREFIX/zig-cache, where the box build made the release ones.
#   A C++ link (g++/c++, or -lstdc++/-lc++ given to gcc/cc) of objects only gets libc++ as
#   the archives install-zig-floor.sh kept in PREFIX/lib/libcxx/{full,strip} (-nostdlib++ and
#   the archives, -lstdc++/-lc++ dropped): zig's cache entry for libc++ does not survive into
#   the box image, whose files get new inodes, and rebuilding libc++ takes minutes under
#   emulation. A link that also compiles C++ sources, or says -nostdlib/-nostdlib++, is zig's.
# POSIX sh, like the other scripts that run in guests. Not one that prints a usage line: every
# argument is the compiler's.
set -eu
prefix=$(cd "$(dirname "$0")/.." && pwd)
case ${0##*/} in
    g++ | c++) mode=c++ ;;
    *) mode=cc ;;
esac
link=1 cxx=0 own=0 strip=full
[ "$mode" = cc ] || cxx=1
for a in "$@"; do
    case $a in
        -c | -S | -E | -M | -MM) link=0 ;;
        -lstdc++ | -lc++) cxx=1 ;;
        -nostdlib | -nostdlib++ | *.cpp | *.cc | *.cxx | *.C | *.c++) own=1 ;;
        -s | -Wl,-s | -Wl,--strip-all | -Wl,-S | -Wl,--strip-debug) strip="strip" ;;
    esac
done
kept=$prefix/lib/libcxx/$strip
ours=0
if [ "$link" = 1 ] && [ "$cxx" = 1 ] && [ "$own" = 0 ] && [ -f "$kept/libc++.a" ]; then
    ours=1
fi
for a in "$@"; do
    shift
    case $a in
        -Wl,-Bsymbolic-functions | -Wl,--exclude-libs,ALL | -flto=auto | -ffat-lto-objects)
            continue ;;
        -mtune=* | -march=*) continue ;;
        -Wp,-D* | -Wp,-U*) a=${a#-Wp,} ;;
        -O*) [ "$link" = 0 ] || continue ;;
        -lstdc++ | -lc++) [ "$ours" = 0 ] || continue ;;
    esac
    set -- "$@" "$a"
done
[ "$link" = 0 ] || set -- "$@" -O2
[ "$ours" = 0 ] || set -- "$@" -nostdlib++ "$kept/libc++.a" "$kept/libc++abi.a" "$kept/libunwind.a"
# -mcpu=i686: manylinux2014's i686 baseline, as CentOS 7's gcc (zig's own is pentium4, SSE2).
# -fno-sanitize=undefined: GCC's default. zig compiles without -O in its Debug mode, which adds
# UBSan calls that the -O2 link above lacks (CMake's test programs did not link); a user's own
# -fsanitize comes later and wins.
# PREFIX/include, searched last: glibc 2.17 headers zig lacks (install-zig-floor.sh).
ZIG_GLOBAL_CACHE_DIR=$prefix/zig-cache ZIG_LOCAL_CACHE_DIR=$prefix/zig-cache \
    exec "$prefix/zig/zig" "$mode" -target "$(cat "$prefix/zig-target")" -mcpu=i686 \
    -fno-sanitize=undefined -idirafter "$prefix/include" "$@"
