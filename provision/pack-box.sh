#!/usr/bin/env bash
# Pack a provisioned root file system as a vagrant-libvirt box, without loop devices or mounts.
# Usage: pack-box.sh ROOTFS OUT_DIR [DISK_GB]
# Writes OUT_DIR/box.img (qcow2, one ext4 file system, root=/dev/vda), OUT_DIR/vmlinuz and
# OUT_DIR/initrd.img (booted directly by libvirt), and OUT_DIR/vmwheel.box (metadata.json,
# Vagrantfile and box.img, ready for `vagrant box add`). Needs mkfs.ext4 (e2fsprogs) and qemu-img.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 2
rootfs=$1
out=$2
size=${3:-8}

mkdir -p "$out"
# The kernel and initrd that debootstrap installed; booted directly, so the disk needs no loader.
cp "$(find "$rootfs/boot" -name "vmlinuz-*" | sort -V | tail -n 1)" "$out/vmlinuz"
cp "$(find "$rootfs/boot" -name "initrd.img-*" | sort -V | tail -n 1)" "$out/initrd.img"
chmod 0644 "$out/vmlinuz" "$out/initrd.img"

rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
raw="$out/box.raw"
rm -f "$raw"
mkfs.ext4 -q -F -L vmwheel-root -d "$rootfs" "$raw" "${size}G"
qemu-img convert -O qcow2 "$raw" "$out/box.img"
rm -f "$raw"

printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s}\n' "$size" \
    > "$out/metadata.json"
cat > "$out/Vagrantfile" <<'VF'
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "qemu"
  end
end
VF
tar -C "$out" -cf "$out/vmwheel.box" metadata.json Vagrantfile box.img
echo "packed $out/vmwheel.box"
