#!/bin/sh
# floor-install: system libraries for the glibc floor in one line, as `yum install -y
# libffi-devel` is in pypa's manylinux2014 image. Takes Debian's -dev package names, builds each
# library from the pristine upstream tarball of its Debian bullseye source package (pinned by
# sha256 in floor-ports.lock, checked before unpacking) with the floor toolchain, and installs
# it into the ports prefix that the floor compilers (-idirafter/-L in their wrappers),
# pkg-config (PKG_CONFIG_LIBDIR) and auditwheel (LD_LIBRARY_PATH) search with no user setting.
# Dependencies between the ports come first. Each port's result is also packed as
# built/NAME-KEY.tar.gz, KEY a hash of its tarball, the recipes, the toolchain and its
# dependencies' keys: vmwheel keeps those on the host and puts them back before the next
# before-all, so a repeat install unpacks in seconds instead of compiling.
# Usage: floor-install.sh NAME-dev [NAME-dev ...]   (on the PATH as `floor-install`)
#   e.g. floor-install libffi-dev libxml2-dev; `floor-install --list` lists what it knows.
# Lives in floor boxes as /opt/floor/share/floor-install/floor-install.sh, next to lib.sh, its
# lock and recipes, src/ (the tarballs) and built/; `floor-install` on the PATH
# (/usr/local/bin, /opt/floor/bin) runs it. Environment (defaults are the box's layout):
# FLOOR_PREFIX (/opt/floor: the toolchain), FLOOR_PORTS (FLOOR_PREFIX/ports: the prefix),
# FLOOR_HOST (empty: build for this machine; aarch64-linux-gnu: cross-build with
# FLOOR_PREFIX/bin/aarch64-linux-gnu-gcc and Debian's aarch64 binutils, as the cross box's
# floor-install does with FLOOR_PREFIX=/opt/cross).
# POSIX sh, like the other scripts that run in guests.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 1
me="floor-install"
data=$(cd "$(dirname "$0")" && pwd)
floor=${FLOOR_PREFIX:-/opt/floor}
host=${FLOOR_HOST:-}
case "$host" in
    "" | aarch64-linux-gnu) ;;
    *)
        echo "$me: FLOOR_HOST=$host is not a target it cross-builds for (aarch64-linux-gnu)" >&2
        exit 2
        ;;
esac
export FLOOR_HOST="$host"  # the recipes' --host
prefix=${FLOOR_PORTS:-$floor/ports}
lock=$data/floor-ports.lock
recipes=$data/floor-ports-recipes.sh
die() { die_with 1 "$me: $*"; }
{ [ -r "$lock" ] && [ -r "$recipes" ]; } || die "no ports here ($lock): this is not a floor box"
# shellcheck source-path=SCRIPTDIR source=floor-ports-recipes.sh
. "$recipes"

known() { grep -v '^#' "$lock" | awk 'NF { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
if [ "$1" = "--list" ]; then
    known | tr ' ' '\n' | sed '/^$/d'
    exit 0
fi

# field NAME N: column N of NAME's lock line (1 NAME, 2 VERSION, 3 SHA256, 4 FILE, 5 POOL,
# 6 DEPS); empty when NAME has no line.
field() { awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c; exit }' "$lock"; }

for name in "$@"; do
    [ -n "$(field "$name" 1)" ] || {
        echo "$me: unknown package $name; it knows: $(known)" >&2
        exit 2
    }
done

# The order: each port after its dependencies (depth first), each once.
order=""
visit() {  # visit NAME TRAIL
    case " $order " in *" $1 "*) return ;; esac
    case " $2 " in *" $1 "*) die "dependency cycle in $lock: $2 $1" ;; esac
    _deps=$(field "$1" 6)
    if [ "$_deps" != "-" ]; then
        for _dep in $(echo "$_deps" | tr ',' ' '); do
            [ -n "$(field "$_dep" 1)" ] || die "$1 depends on $_dep, which $lock lacks"
            visit "$_dep" "$2 $1"
        done
    fi
    order="$order $1"
}
for name in "$@"; do
    visit "$name" ""
done

mkdir -p "$prefix/lib/pkgconfig" "$prefix/include" "$prefix/.installed" "$data/built"
# The toolchain's identity: the glibc sysroot's checksum, or on a musl box its libc.
libc_id=$floor/sysroot/.floor-sha512
[ -f "$libc_id" ] || libc_id=$floor/lib/libc.so
if [ -n "$host" ]; then  # the cross wrappers, and binutils that write aarch64 archives
    export CC="$floor/bin/$host-gcc" CXX="$floor/bin/$host-g++"
    export AR="$host-ar" RANLIB="$host-ranlib" STRIP="$host-strip"
    for tool in "$CC" "$CXX" "$AR" "$RANLIB" "$STRIP"; do
        command -v "$tool" >/dev/null || die "$tool is missing: this is not a cross box"
    done
else
    export CC="$floor/bin/gcc" CXX="$floor/bin/g++"
fi
toolchain=$( { [ -z "$host" ] || echo "$host"; cat "$libc_id" "$CC" "$CXX" "$recipes"; } |
    sha256sum | cut -c1-16)
jobs=$(nproc 2>/dev/null || echo 2)
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH=""
export CPPFLAGS="-I$prefix/include" LDFLAGS="-L$prefix/lib -Wl,-rpath-link,$prefix/lib"
export CFLAGS="-O2" CXXFLAGS="-O2"

key_of() {  # the key of NAME: its tarball, the toolchain and recipes, its dependencies' keys
    _deps=$(field "$1" 6)
    {
        echo "$(field "$1" 3) $toolchain"
        if [ "$_deps" != "-" ]; then
            for _dep in $(echo "$_deps" | tr ',' ' '); do key_of "$_dep"; done
        fi
    } | sha256sum | cut -c1-16
}

files() { (cd "$prefix" && find . \( -type f -o -type l \) ! -path './.installed/*' | sort); }

for name in $order; do
    version=$(field "$name" 2)
    key=$(key_of "$name")
    packed=$data/built/$name-$key.tar.gz
    if [ "$(cat "$prefix/.installed/$name" 2>/dev/null)" = "$key" ]; then
        echo "$me: $name $version already installed"
        continue
    fi
    start=$(date +%s)
    if [ -f "$packed" ] && tar -xzf "$packed" -C "$prefix"; then
        echo "$key" > "$prefix/.installed/$name"
        echo "$me: $name $version from the cache ($(( $(date +%s) - start )) s)"
        continue
    fi
    rm -f "$packed"
    file=$data/src/$(field "$name" 4)
    echo "$(field "$name" 3)  $file" | sha256sum -c - >/dev/null 2>&1 ||
        die "$file does not match sha256 $(field "$name" 3); refusing to unpack it"
    echo "$me: building $name $version from $(basename "$file")"
    work=$(mktemp -d)
    files > "$work.before"
    tar -xf "$file" -C "$work"
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    if ! (cd "$src" && port_build "$name" "$prefix" "$jobs") > "$work.log" 2>&1; then
        tail -n 30 "$work.log" >&2
        rm -rf "$work" "$work.log" "$work.before"
        die "building $name $version failed (its last lines are above)"
    fi
    files | comm -13 "$work.before" - > "$work.files"
    tar -czf "$packed.tmp" -C "$prefix" -T "$work.files"
    mv "$packed.tmp" "$packed"
    rm -rf "$work" "$work.log" "$work.before" "$work.files"
    echo "$key" > "$prefix/.installed/$name"
    echo "$me: $name $version built in $(( $(date +%s) - start )) s"
done
