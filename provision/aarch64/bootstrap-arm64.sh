#!/usr/bin/env bash
# Create a Debian arm64 root file system on an x86_64 host: a foreign debootstrap, its second stage
# run under qemu-user (binfmt_misc), then the same base configuration as the x86_64 boxes.
# Usage: bootstrap-arm64.sh SUITE ROOTFS MIRROR PUBKEY_FILE [CACHE_DIR]
#   SUITE      Debian suite, e.g. bullseye
#   ROOTFS     empty (or missing) directory to fill
#   MIRROR     Debian mirror URL, taken from the host's apt sources by the caller
#   PUBKEY_FILE  the public key that user vagrant logs in with
#   CACHE_DIR  optional directory where downloaded .debs are kept between runs
# Runs on the host as root; needs debootstrap, qemu-user-static and binfmt_misc with an
# aarch64 entry whose flags include F (Debian's qemu-user-static registers it so). Then
# build-arm64-box.sh (next to it) adds the CPythons and packs the box. The guest is a test
# machine: no distro python3 (our CPythons), and its one NIC has QEMU user-net's fixed address
# (10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3) instead of DHCP. Measured: docs/aarch64-notes.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_args "$#" 4 5
suite=$1
rootfs=$2
mirror=$3
pubkey=$4
cache=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
provision=$(dirname "$here")

binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/status" ]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" ||
        die_with 3 "bootstrap-arm64.sh: binfmt_misc is not mounted and cannot be; mount it"
fi
if ! grep -qs '^enabled' "$binfmt/qemu-aarch64"; then
    update-binfmts --enable qemu-aarch64 2>/dev/null ||
        die_with 3 "bootstrap-arm64.sh: no qemu-aarch64 binfmt entry (install qemu-user-static)"
fi
grep -qs '^flags:.*F' "$binfmt/qemu-aarch64" ||
    die_with 3 "bootstrap-arm64.sh: the qemu-aarch64 binfmt entry lacks flag F (fix-binary)"

# What the x86_64 boxes get (bootstrap-debian.sh) but a DHCP client, and the arm64 kernel; and
# the native compilers a build inside this guest uses (build-on = emulated), which
# build-arm64-box.sh points at the glibc 2.17 sysroot as the x86_64 boxes' are, with the tools
# floor-install's recipes need there (floor-ports-recipes.sh: perl, cmake, tcl, pkg-config).
include="openssh-server,sudo,linux-image-arm64,systemd-sysv,dbus,ifupdown,gcc,g++,make,xz-utils"
include="$include,perl,cmake,tcl,pkg-config"
set -- --foreign --variant=minbase --arch=arm64 --include="$include"
if [ -n "$cache" ]; then
    mkdir -p "$cache"
    set -- "$@" --cache-dir="$(cd "$cache" && pwd)"
fi
mkdir -p "$rootfs"
start=$SECONDS
debootstrap "$@" "$suite" "$rootfs" "$mirror"
echo "bootstrap-arm64.sh: first stage in $((SECONDS - start)) s"
# mkinitramfs forks thousands of emulated processes under qemu-user
# for MODULES=most; the box boots from virtio-blk on the virt machine's PCI bus with ext4 root,
# so the initrd needs only these (and what they depend on).
# (/etc/initramfs-tools/modules is initramfs-tools' conffile: the list goes in modules.d.)
mkdir -p "$rootfs/etc/initramfs-tools/conf.d" "$rootfs/usr/share/initramfs-tools/modules.d"
echo MODULES=list > "$rootfs/etc/initramfs-tools/conf.d/vmwheel.conf"
printf '%s\n' virtio_pci virtio_blk ext4 > "$rootfs/usr/share/initramfs-tools/modules.d/vmwheel"
# The kernel's postinst hook makes no initrd under INITRD=No (the initramfs-tools trigger then
# finds none to update); one is made after, unless the stage made it anyway.
start=$SECONDS
chroot "$rootfs" env INITRD=No /debootstrap/debootstrap --second-stage
echo "bootstrap-arm64.sh: second stage (qemu-user) in $((SECONDS - start)) s"
start=$SECONDS
if ! compgen -G "$rootfs/boot/initrd.img-*" >/dev/null; then
    "$provision/run-in-chroot.sh" "$rootfs" update-initramfs -c -k all
fi
echo "bootstrap-arm64.sh: initrd (qemu-user) in $((SECONDS - start)) s"

stage=/tmp/vmwheel-provision
mkdir -p "$rootfs$stage"
cp "$provision/configure-base.sh" "$provision/lib.sh" "$rootfs$stage/"
cp "$pubkey" "$rootfs$stage/vagrant.pub"
"$provision/run-in-chroot.sh" "$rootfs" bash "$stage/configure-base.sh" "$stage/vagrant.pub" \
    "vmwheel-$suite-arm64"
rm -rf "${rootfs:?}$stage"
# QEMU user-net's fixed addresses (inside the guest): no DHCP exchange at every boot.
printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n%s\n%s\n' \
    '    address 10.0.2.15/24' '    gateway 10.0.2.2' > "$rootfs/etc/network/interfaces"
echo 'nameserver 10.0.2.3' > "$rootfs/etc/resolv.conf"
# e2scrub_reap took 4-23 s of each boot under TCG; a test VM lives for one run.
ln -sfn /dev/null "$rootfs/etc/systemd/system/e2scrub_reap.service"
echo "bootstrap-arm64.sh: done in ${SECONDS} s"
