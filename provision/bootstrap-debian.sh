#!/usr/bin/env bash
# Create a minimal Debian root file system for a vmwheel box.
# Usage: bootstrap-debian.sh SUITE ARCH ROOTFS MIRROR [CACHE_DIR]
#   SUITE   Debian suite, e.g. bullseye (its glibc decides the manylinux policy)
#   ARCH    Debian architecture: amd64 or i386
#   ROOTFS  empty (or missing) directory to fill
#   MIRROR  Debian mirror URL, taken from the host's apt sources by the caller
#   CACHE_DIR  optional directory where downloaded .debs are kept between runs
# Runs on the host as root; needs debootstrap. Nothing is mounted.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 4
suite=$1
arch=$2
rootfs=$3
mirror=$4
cache=${5:-}

case "$arch" in
    amd64) kernel=linux-image-amd64 ;;
    i386) kernel=linux-image-686 ;;
    *) die_with 2 "bootstrap-debian.sh: unsupported architecture '$arch' (use amd64 or i386)" ;;
esac

# Everything the box needs to boot and be reached by Vagrant over SSH; the toolchain comes
# from install-toolchain.sh, run inside the root file system afterwards.
include="openssh-server,sudo,$kernel,systemd-sysv,dbus,ifupdown,isc-dhcp-client,ca-certificates"

set -- --variant=minbase --arch="$arch" --include="$include"
if [ -n "$cache" ]; then
    mkdir -p "$cache"
    set -- "$@" --cache-dir="$(cd "$cache" && pwd)"
fi
mkdir -p "$rootfs"
debootstrap "$@" "$suite" "$rootfs" "$mirror"
