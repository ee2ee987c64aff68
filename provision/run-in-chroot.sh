#!/usr/bin/env bash
# Run one command inside a root file system with /proc mounted, the host's resolv.conf, and
# services prevented from starting; everything is undone on exit, even on failure.
# Usage: run-in-chroot.sh ROOTFS COMMAND [ARG...]
# Runs on the host as root.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 2
rootfs=$1
shift

cleanup() {
    umount "$rootfs/proc" 2>/dev/null || true
    rm -f "$rootfs/usr/sbin/policy-rc.d"
    if [ -e "$rootfs/etc/resolv.conf.vmwheel" ]; then
        mv "$rootfs/etc/resolv.conf.vmwheel" "$rootfs/etc/resolv.conf"
    else
        rm -f "$rootfs/etc/resolv.conf"
    fi
}
trap cleanup EXIT INT TERM

mount -t proc proc "$rootfs/proc"
printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
if [ -e "$rootfs/etc/resolv.conf" ] || [ -L "$rootfs/etc/resolv.conf" ]; then
    mv "$rootfs/etc/resolv.conf" "$rootfs/etc/resolv.conf.vmwheel"
fi
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
chroot "$rootfs" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 "$@"
