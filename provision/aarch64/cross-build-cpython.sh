#!/usr/bin/env bash
# Cross-build one CPython for aarch64 at the glibc 2.17 floor, from a pinned source tarball, with
# the wrappers of install-cross-toolchain.sh; the floor libraries (floor-libs.lock: zlib, bzip2,
# liblzma, libffi, OpenSSL) are cross-built first (build-floor-libs.sh --host) and linked in
# statically, as on x86_64.
# Usage: cross-build-cpython.sh VERSION SOURCES_DIR FLOOR_PREFIX BUILD_PYTHON DESTDIR
#   VERSION       a version of provision/pythons.lock, e.g. 3.11.2; 3.13.5t: free-threaded
#                 (--disable-gil; python3.13t, lib/python3.13t, as on x86_64)
#   SOURCES_DIR   holds its tarball and the libraries', named as in pythons.lock and
#                 floor-libs.lock
#   FLOOR_PREFIX  where install-cross-toolchain.sh put bin/aarch64-linux-gnu-gcc and sysroot
#   BUILD_PYTHON  a native python of the same X.Y and build (configure's --with-build-python)
#   DESTDIR       the result lands in DESTDIR/opt/_internal/cpython-VERSION (copy it to the
#                 aarch64 machine's /); its lib/pythonX.Y[t] holds the _sysconfigdata that cross
#                 builds of extensions read
# Runs on the host or in an x86_64 guest; needs make and perl. The sqlite3, readline, curses, dbm
# and uuid modules are left out, as on x86_64 (the floor does not build their libraries).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_args "$#" 5 5
version=$1
sources=$(cd "$2" && pwd)
floor=$(cd "$3" && pwd)
build_python=$4
destdir=$5
me=cross-build-cpython.sh
here=$(cd "$(dirname "$0")" && pwd)
triplet=aarch64-linux-gnu
cc=$floor/bin/$triplet-gcc
[ -x "$cc" ] || die "$me: no $cc (run install-cross-toolchain.sh first)"
lock_entry "$version" "$here/../pythons.lock"
short=$lock_xy ft=$lock_abi  # 3.13 and t for 3.13.5t
"$build_python" -c "import sys, sysconfig
assert '%d.%d' % sys.version_info[:2] == '$short'
assert bool(sysconfig.get_config_var('Py_GIL_DISABLED')) == bool('$ft')" ||
    die "$me: $build_python is not a Python $short$ft"

# The checksum is checked before anything is unpacked (the libraries': build-floor-libs.sh).
echo "$lock_sha256  $sources/$lock_file" | sha256sum -c --quiet - ||
    die "$me: $lock_file does not match its sha256 in pythons.lock"
sh "$here/../build-floor-libs.sh" --host "$triplet" "$floor" "$sources"
deps=$floor/deps

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=/opt/_internal/cpython-$version
mkdir -p "$work/src"
tar -xf "$sources/$lock_file" -C "$work/src" --strip-components=1
# Cross builds cannot probe the target's /dev nor run its getaddrinfo: the answers for any aarch64
# Linux.
(
    cd "$work/src"
    ./configure --host=$triplet --build=x86_64-linux-gnu --prefix="$prefix" \
        --with-build-python="$build_python" --disable-shared --with-ensurepip=no \
        --disable-test-modules ${ft:+--disable-gil} --with-openssl="$deps" CC="$cc" \
        CXX="$floor/bin/$triplet-g++" \
        AR=$triplet-ar READELF=$triplet-readelf \
        CFLAGS="-O2 -g0" CPPFLAGS="-I$deps/include" LDFLAGS="-L$deps/lib -Wl,--strip-all" \
        PKG_CONFIG_LIBDIR="$deps/lib/pkgconfig" PKG_CONFIG_PATH="" \
        ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no \
        py_cv_module__curses=n/a py_cv_module__curses_panel=n/a py_cv_module_readline=n/a \
        py_cv_module__dbm=n/a py_cv_module__gdbm=n/a py_cv_module__tkinter=n/a \
        py_cv_module__uuid=n/a py_cv_module__sqlite3=n/a > "$work/configure.log" 2>&1 ||
        { tail -n 40 "$work/configure.log" >&2; exit 1; }
    make -j"$(nproc)" > "$work/make.log" 2>&1 || { tail -n 60 "$work/make.log" >&2; exit 1; }
    make install DESTDIR="$destdir" > "$work/install.log" 2>&1 ||
        { tail -n 40 "$work/install.log" >&2; exit 1; }
)
lib=$destdir$prefix/lib/python$short$ft
rm -rf "$lib/test"
# configure leaves out a module whose library it could not link: that must fail here, not as an
# ImportError in a user's test on aarch64.
for module in _ssl _hashlib _ctypes _bz2 _lzma zlib; do
    [ -n "$(find "$lib/lib-dynload" -name "$module.*.so")" ] ||
        die "$me: CPython $version was built without $module (see its configure output)"
done
ln -sf "python$short$ft" "$destdir$prefix/bin/python"
ln -sf "python$short$ft" "$destdir$prefix/bin/python3"
file "$destdir$prefix/bin/python$short$ft"
ls "$lib"/_sysconfigdata_*
echo "$me: CPython $version for aarch64 in $destdir$prefix"
