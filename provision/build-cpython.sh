#!/bin/sh
# Build one CPython from a verified source tarball, the way pypa/manylinux's build scripts do:
# static libpython (no --enable-shared), installed under /opt/_internal/cpython-VERSION[t],
# linked as /opt/python/cpXY-cpXY (cpXY-cpXYt when free-threaded), pip bootstrapped offline from
# the bundled ensurepip, then the pinned pip, build and wheel from WHEEL_DIR (provision/tools.txt).
# An install that already exists (unpacked from the host's interpreter cache) is not rebuilt.
# With --floor, the interpreter is compiled by the floor toolchain against the libraries of
# build-floor-libs.sh (linked statically), so it runs on glibc 2.17, and its sysconfig names the
# floor compilers: `pip wheel` then builds manylinux2014 extensions with no environment tricks.
# Usage: build-cpython.sh VERSION TARBALL SHA256 WHEEL_DIR [--free-threaded] [--floor PREFIX]
#   PREFIX  where install-floor-toolchain.sh and build-floor-libs.sh installed (/opt/floor)
# Runs as root inside the guest (or its root file system in a chroot); needs install-toolchain.sh.
# POSIX sh: provision-guest.sh runs it in guests of every family, and Alpine has no bash.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 4 7
version=$1 tarball=$2 sha256=$3 wheels=$4
shift 4
ft="" floor=""
while [ "$#" -gt 0 ]; do
    case $1 in
        --free-threaded) ft=t ;;
        --floor) [ "$#" -ge 2 ] || usage; floor=$2; shift ;;
        *) usage ;;
    esac
    shift
done

short=$(echo "$version" | cut -d. -f1,2)
nodot=$(echo "$short" | tr -d .)
prefix=/opt/_internal/cpython-$version$ft
tag=cp$nodot-cp$nodot$ft
python=$prefix/bin/python$short$ft

# sqlite3 only where the distro's libsqlite3 is linked: the floor build has no sqlite.
modules="ssl, zlib, ctypes, bz2, lzma"
[ -n "$floor" ] || modules="$modules, sqlite3"
if [ -x "$python" ] && "$python" -c "import $modules" 2>/dev/null; then
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
    # CPython's own test modules (_testcapi & co., 3.10+) are neither built nor installed: the
    # test package is removed below anyway; this saves about 25 s of each build (3.13 here).
    [ "$(echo "$short" | cut -d. -f2)" -ge 10 ] && set -- "$@" --disable-test-modules
    if [ -n "$floor" ]; then
        { [ -x "$floor/bin/gcc" ] && [ -d "$floor/deps/lib" ]; } ||
            die "build-cpython: no floor toolchain and libraries in $floor"
        # Only the floor's headers and libraries: no pkg-config of the distro, and setup.py
        # (3.9-3.11) must not add the distro's multiarch and /usr/local directories. Modules
        # whose libraries the floor does not build are off (3.13's configure otherwise picks
        # the distro's curses headers up and fails to compile them).
        set -- "$@" --with-openssl="$floor/deps" CC="$floor/bin/gcc" CXX="$floor/bin/g++" \
            CPPFLAGS="-I$floor/deps/include" \
            PKG_CONFIG_LIBDIR="$floor/deps/lib/pkgconfig" PKG_CONFIG_PATH="" \
            LINKCC="$floor/bin/gcc -no-pie" \
            py_cv_module__curses=n/a py_cv_module__curses_panel=n/a \
            py_cv_module_readline=n/a py_cv_module__dbm=n/a py_cv_module__gdbm=n/a \
            py_cv_module__tkinter=n/a py_cv_module__uuid=n/a
        if [ -f "$src/setup.py" ]; then
            sed -i -e 's|^    def add_multiarch_paths(self):|&\n        return  # floor build|' \
                -e "s|add_dir_to_list(self.compiler.library_dirs, '/usr/local/lib')|pass|" \
                -e "s|add_dir_to_list(self.compiler.include_dirs, '/usr/local/include')|pass|" \
                "$src/setup.py"
        fi
    fi
    (
        cd "$src"
        # No -march: the interpreter must run on any CPU of the architecture. The executable
        # is not PIE under --floor (LINKCC): a PIE crashes under the 2.17 loader started by hand.
        CFLAGS="-O2 -g0" LDFLAGS="-Wl,--strip-all ${floor:+-L$floor/deps/lib}" \
            ./configure "$@" >"$work/configure.log" 2>&1 \
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
"$python" -c "import $modules, sys; print(sys.version)"
echo "build-cpython: /opt/python/$tag -> $prefix"
