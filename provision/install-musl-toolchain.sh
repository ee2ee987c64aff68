#!/bin/sh
# Install the musl toolchain of a musllinux box: Debian's musl-tools/musl-dev (bullseye: musl
# 1.2.2, the oldest and so most portable musllinux_1_2) behind compiler wrappers in PREFIX/bin,
# laid out as install-floor-toolchain.sh lays out the glibc floor (so build-floor-libs.sh,
# build-cpython.sh --floor, floor-install and floor-run work on it unchanged).
# Usage: install-musl-toolchain.sh PREFIX
#   PREFIX  where PREFIX/bin/{gcc,cc,g++,c++,floor-run}, PREFIX/include and PREFIX/lib go
# Runs as root inside the box's root file system (a chroot) or a Debian guest; needs apt-get.
# POSIX sh, like the other scripts that run in guests.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 1 1
me=install-musl-toolchain.sh
musl_lib=/usr/lib/x86_64-linux-musl
loader=/lib/ld-musl-x86_64.so.1

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends musl musl-dev musl-tools patchelf linux-libc-dev
apt-get clean
{ [ -x "$loader" ] && [ -f "$musl_lib/libc.so" ] && [ -f "$musl_lib/musl-gcc.specs" ]; } ||
    die "$me: musl-tools did not install $loader and $musl_lib/musl-gcc.specs"

mkdir -p "$1"
prefix=$(cd "$1" && pwd)
case $prefix in
    *"'"*) die "$me: PREFIX must not contain a single quote: $prefix" ;;
esac
mkdir -p "$prefix/bin" "$prefix/include" "$prefix/lib"

# Kernel headers for musl: its include dir has none, and the specs drop /usr/include.
ln -sfn /usr/include/linux "$prefix/include/linux"
ln -sfn /usr/include/x86_64-linux-gnu/asm "$prefix/include/asm"
ln -sfn /usr/include/asm-generic "$prefix/include/asm-generic"

# Debian's musl libc.so has no SONAME: extensions linked with it would need `libc.so`, which
# auditwheel refuses. A copy named as Alpine's, searched first, makes them need
# libc.musl-x86_64.so.1; musl's loader maps any libc.* it is asked for to itself. The same
# name under /lib is where auditwheel looks for the musl version of the machine it runs on.
cp "$musl_lib/libc.so" "$prefix/lib/libc.so.tmp"
patchelf --set-soname libc.musl-x86_64.so.1 "$prefix/lib/libc.so.tmp"
mv "$prefix/lib/libc.so.tmp" "$prefix/lib/libc.so"
ln -sf ld-musl-x86_64.so.1 /lib/libc.musl-x86_64.so.1

# musl's loader searches PREFIX/ports/lib (floor-install's libraries), and so does auditwheel,
# which reads this file on a musl machine (split on ':' only, so not one directory per line).
# No LD_LIBRARY_PATH: the box's glibc programs would load those musl libraries.
printf '%s\n' "/lib/x86_64-linux-musl:/usr/lib/x86_64-linux-musl:$prefix/ports/lib" \
    > /etc/ld-musl-x86_64.path

# gcc and cc: gcc with musl's specs. --print-multiarch alone answers nothing: gcc would say
# x86_64-linux-gnu, and CPython's configure stops on that triplet (it wants x86_64-linux-musl).
# PREFIX/ports is where floor-install puts the libraries it builds.
write_cc() {  # write_cc NAME
    {
        echo '#!/bin/sh'
        echo "# Written by $me: gcc against musl ($musl_lib)."
        echo 'case "$*" in --print-multiarch | -print-multiarch) exit 0 ;; esac'
        echo "P='$prefix'"
        echo "exec /usr/bin/gcc -specs '$musl_lib/musl-gcc.specs' -idirafter \"\$P/include\"" \
            "-idirafter \"\$P/ports/include\" -L\"\$P/lib\" -L\"\$P/ports/lib\"" \
            "-Wl,-rpath-link,\"\$P/ports/lib\" \"\$@\""
    } > "$prefix/bin/$1.tmp"
    chmod 755 "$prefix/bin/$1.tmp"
    mv "$prefix/bin/$1.tmp" "$prefix/bin/$1"
}
write_cc gcc
write_cc cc
# C++: Debian has no libstdc++ built for musl. Not yet: the C++ drivers say so and fail.
for name in g++ c++; do
    {
        echo '#!/bin/sh'
        echo "# Written by $me: no C++ for musl yet."
        echo 'echo "musllinux box: C++ is not supported yet (Debian has no libstdc++ for musl)" >&2'
        echo 'exit 1'
    } > "$prefix/bin/$name"
    chmod 755 "$prefix/bin/$name"
done

# floor-run PROGRAM [ARGS...]: run PROGRAM under musl's own loader, as on Alpine.
{
    echo '#!/bin/sh'
    echo "# Written by $me: run a program under musl's loader."
    echo "exec $loader \"\$@\""
} > "$prefix/bin/floor-run.tmp"
chmod 755 "$prefix/bin/floor-run.tmp"
mv "$prefix/bin/floor-run.tmp" "$prefix/bin/floor-run"
echo "musl toolchain ($("$loader" 2>&1 | sed -n 's/^Version //p')) in $prefix"
