#!/bin/sh
# Build a vmwheel box from Debian, natively on the host: debootstrap, then every provision step in
# a chroot of the new root file system, the build-host self check, and packing for vagrant-libvirt.
# Usage: build-debian-box.sh SUITE ARCH POLICY MIRROR WHEEL_DIR PUBKEY OUT_DIR [DEB_CACHE [DISK_GB]]
#   e.g. build-debian-box.sh bullseye amd64 manylinux_2_31 http://mirror/debian \
#            ./wheels /usr/share/vagrant/keys/vagrant.pub ./out
# WHEEL_DIR holds the wheels pinned in tools.txt. Runs on the host as root.
set -eu

if [ "$#" -lt 7 ]; then
    echo "usage: $0 SUITE ARCH POLICY MIRROR WHEEL_DIR PUBKEY OUT_DIR [DEB_CACHE [DISK_GB]]" >&2
    exit 2
fi
suite=$1 arch=$2 policy=$3 mirror=$4 wheels=$5 pubkey=$6 out=$7 debs=${8:-} disk_gb=${9:-8}
here=$(cd "$(dirname "$0")" && pwd)
case "$arch" in
    amd64) plat_arch=x86_64 ;;
    i386) plat_arch=i686 ;;
    *) echo "build-debian-box.sh: unsupported architecture '$arch'" >&2; exit 2 ;;
esac

mkdir -p "$out"
rootfs="$out/rootfs"
rm -rf "$rootfs"
"$here/bootstrap-debian.sh" "$suite" "$arch" "$rootfs" "$mirror" "$debs"

# The scripts and wheels go in under /tmp, which pack-box.sh empties.
stage=/tmp/vmwheel-provision
mkdir -p "$rootfs$stage/wheels"
cp "$here"/*.sh "$here"/tools.txt "$rootfs$stage/"
cp "$wheels"/*.whl "$rootfs$stage/wheels/"
cp "$pubkey" "$rootfs$stage/vagrant.pub"

in_root() { "$here/run-in-chroot.sh" "$rootfs" "$@"; }
in_root sh "$stage/install-toolchain.sh"
in_root sh "$stage/install-distro-python.sh" "$stage/wheels"
in_root sh "$stage/install-auditwheel.sh" "$stage/wheels"
in_root sh "$stage/set-policy.sh" "$policy" "$plat_arch"
in_root sh "$stage/configure-base.sh" "$stage/vagrant.pub" "vmwheel-$suite"
in_root sh -c ". /etc/profile.d/vmwheel.sh && sh $stage/check-build-host.sh $policy $plat_arch"

"$here/pack-box.sh" "$rootfs" "$out" "$disk_gb"
rm -rf "$rootfs"
