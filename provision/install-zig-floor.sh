#!/bin/sh
# Install the glibc 2.17 floor (manylinux2014) for i686 with zig: no glibc 2.17 runtime or
# sysroot for 32-bit x86 is reachable, but `zig cc -target x86-linux-gnu.2.17` links against glibc
# stub libraries that zig generates from its own ABI lists for glibc 2.17 (as `maturin --zig`
# does for manylinux2014 wheels). The wrappers PREFIX/bin/{gcc,cc,g++,c++} run zig with that
# target and drop the GCC flags zig rejects; C++ links LLVM's libc++ statically.
# Usage: install-zig-floor.sh ZIGLANG_WHEEL SHA256 PREFIX
#   ZIGLANG_WHEEL  the ziglang wheel for i686 pinned in builder/images/zig.py (pip download)
#   SHA256         its sha256 (hex)
#   PREFIX         where PREFIX/zig (the compiler), PREFIX/zig-cache (its runtime libraries,
#                  built here once), PREFIX/lib/libcxx (libc++ kept for C++ links) and
#                  PREFIX/bin/{gcc,cc,g++,c++,floor-install} go
# Runs as root inside the guest (or its root file system in a chroot); needs python3 (unzip).
# POSIX sh, like the other scripts that run in guests.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 3 3
me=install-zig-floor.sh
wheel=$1 want=$2
target=x86-linux-gnu.2.17
[ -r "$wheel" ] || die "$me: cannot read $wheel"
command -v python3 >/dev/null || die "$me: python3 is missing (apt-get install python3)"

# The checksum comes first: nothing of the wheel is unpacked before it matches.
got=$(sha256sum "$wheel")
got=${got%% *}
[ "$got" = "$want" ] || die "$me: $wheel does not match its sha256 (expected $want)"

mkdir -p "$3"
prefix=$(cd "$3" && pwd)  # any path: the wrappers find it from where they are
work=$(mktemp -d "$prefix/.unpack.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 -m zipfile -e "$wheel" "$work"
chmod 755 "$work/ziglang/zig"
rm -rf "$prefix/zig"
mv "$work/ziglang" "$prefix/zig"
printf '%s\n' "$target" > "$prefix/zig-target"

# The wrappers: zig-cc.sh (its header says what it changes) as gcc, cc, g++ and c++.
mkdir -p "$prefix/bin" "$prefix/zig-cache"
for name in gcc cc g++ c++; do
    cp "$(dirname "$0")/zig-cc.sh" "$prefix/bin/$name.tmp"
    chmod 755 "$prefix/bin/$name.tmp"
    mv "$prefix/bin/$name.tmp" "$prefix/bin/$name"
done

# Headers glibc 2.17 had that zig's glibc headers lack (zig-cc.sh searches PREFIX/include
# last): <crypt.h>, which Python.h of CPython <= 3.10 includes when the interpreter's configure
# found it (Debian's libcrypt-dev); without it no extension compiles for cp39. zig has no
# libcrypt to link, so code that calls crypt() still fails, at its link.
mkdir -p "$prefix/include"
cat > "$prefix/include/crypt.h" <<'EOF'
/* Written by install-zig-floor.sh: glibc 2.17's <crypt.h> (its declarations), which zig's
   glibc headers lack; CPython 3.9's Python.h includes it where its configure found one. */
#ifndef _CRYPT_H
#define _CRYPT_H 1
#include <features.h>
__BEGIN_DECLS
extern char *crypt (const char *__key, const char *__salt) __THROW __nonnull ((1, 2));
extern void setkey (const char *__key) __THROW __nonnull ((1));
extern void encrypt (char *__glibc_block, int __edflag) __THROW __nonnull ((1));
#ifdef __USE_GNU
struct crypt_data
  {
    char keysched[16 * 8];
    char sb0[32768];
    char sb1[32768];
    char sb2[32768];
    char sb3[32768];
    char crypt_3_buf[14];
    char current_salt[2];
    long int current_saltbits;
    int  direction, initialized;
  };
extern char *crypt_r (const char *__key, const char *__salt,
                      struct crypt_data * __restrict __data) __THROW __nonnull ((1, 2, 3));
extern void setkey_r (const char *__key, struct crypt_data * __restrict __data)
     __THROW __nonnull ((1, 2));
extern void encrypt_r (char *__glibc_block, int __edflag,
                       struct crypt_data * __restrict __data) __THROW __nonnull ((1, 3));
#endif
__END_DECLS
#endif
EOF

# floor-install builds its ports with the x86_64 floor's GCC and sysroot; not with zig yet.
cat > "$prefix/bin/floor-install.tmp" <<EOF
#!/bin/sh
# Written by $me.
echo "floor-install: not yet on i686 (this box's glibc 2.17 floor is zig's): build the library \
from source with \\\$CC in before-all (README: System libraries), or use --targets manylinux_2_31" >&2
exit 2
EOF
chmod 755 "$prefix/bin/floor-install.tmp"
mv "$prefix/bin/floor-install.tmp" "$prefix/bin/floor-install"

# Build the runtime libraries once, here, at native speed: a shared C and C++ object, stripped
# (CPython's LDSHARED strips) and not (CMake, meson), and a C and C++ program, checked.
# zig's cache entry for libc++ does not survive into the box image (its files get new inodes;
# compiler_rt's does): the libc++ archives a C++ link used are kept in PREFIX/lib/libcxx, one
# set per debug-info kind, where zig-cc.sh links them from (rebuilding libc++ in a fresh VM
# took over 6 minutes under emulation).
printf 'int f(void) { return 1; }\nint main(void) { return !f(); }\n' > "$work/c.c"
printf '#include <string>\n#include <stdexcept>\nint f(int n) { try { if (n) throw %s; }
catch (const std::exception &e) { return std::string(e.what()).size(); } return 0; }
int main() { return f(1) != 1; }\n' 'std::runtime_error("x")' > "$work/x.cpp"
"$prefix/bin/cc" -O2 -fPIC -c "$work/c.c" -o "$work/c.o"
"$prefix/bin/cc" -shared "$work/c.o" -o "$work/c.so"
"$prefix/bin/cc" "$work/c.o" -o "$work/c"
"$prefix/bin/c++" -O2 -fPIC -c "$work/x.cpp" -o "$work/x.o"
keep_libcxx() {  # keep_libcxx full|strip [LINK FLAGS...]: keep the archives such a link used
    kind=$1
    shift
    rm -rf "$prefix/lib/libcxx/$kind"
    "$prefix/bin/c++" -v -pthread -shared "$@" "$work/x.o" -o "$work/keep.so" \
        2> "$work/keep.log" || die "$me: zig could not link C++ ($(tail -n 3 "$work/keep.log"))"
    mkdir -p "$prefix/lib/libcxx/$kind.tmp"
    for lib in libc++.a libc++abi.a libunwind.a; do
        used=$(tr ' ' '\n' < "$work/keep.log" | grep -F "/$lib" | head -n 1)
        [ -n "$used" ] || die "$me: zig's C++ link ($kind) did not name its $lib"
        cp "$used" "$prefix/lib/libcxx/$kind.tmp/$lib"
    done
    mv "$prefix/lib/libcxx/$kind.tmp" "$prefix/lib/libcxx/$kind"
}
keep_libcxx full
keep_libcxx strip -Wl,--strip-all
# The same links again, now with the kept archives, and the other kinds of link checked.
"$prefix/bin/c++" -pthread -shared "$work/x.o" -o "$work/x.so"
"$prefix/bin/c++" -pthread -shared -Wl,--strip-all "$work/x.o" -o "$work/xs.so"
"$prefix/bin/cc" -pthread -shared -Wl,--strip-all "$work/c.o" -o "$work/cs.so"
"$prefix/bin/c++" "$work/x.o" -o "$work/x"
"$prefix/bin/cc" -shared "$work/x.o" -lstdc++ -o "$work/x2.so"
if ! "$work/c" || ! "$work/x"; then
    die "$me: programs built with zig do not run"
fi
file "$work/x.so" | grep -q 'ELF 32-bit.*80386' || die "$me: zig did not build i386 code"
echo "zig floor toolchain (glibc 2.17, $target) in $prefix: $("$prefix/zig/zig" version)"
