#!/usr/bin/env bash
# Install Debian's aarch64 cross compilers, C and C++, without Debian's aarch64 glibc headers
# and crt files: install-cross-toolchain.sh then points them at the glibc 2.17 sysroot.
# Usage: install-cross-compilers.sh PREFIX
#   PREFIX  where install-cross-toolchain.sh puts the sysroot (named in the stand-in package)
# Runs as root on a Debian system with apt (the cross box's chroot). g++-aarch64-linux-gnu's
# libstdc++-dev depends on libc6-dev-arm64-cross, whose glibc 2.31 headers and crt files in
# /usr/aarch64-linux-gnu would win over --sysroot. A local stand-in package provides it
# instead (a versioned Provides), so apt stays consistent and never installs the real one.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_args "$#" 1 1
me=install-cross-compilers.sh
triplet=aarch64-linux-gnu
libc_dev=libc6-dev-arm64-cross
stand_in=vmwheel-floor-libc-dev-arm64
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || die "$me: run it as root (it installs packages with apt-get)"
for tool in apt-get apt-cache dpkg dpkg-deb dpkg-query; do
    command -v "$tool" >/dev/null || die "$me: $tool is missing (a Debian system is needed)"
done
if dpkg-query -W -f '${Status}' "$libc_dev" 2>/dev/null | grep -q ' installed$'; then
    die "$me: $libc_dev is installed (glibc 2.31 headers); apt-get purge $libc_dev first"
fi
apt-get install -y -q --no-install-recommends "gcc-$triplet" xz-utils >/dev/null ||
    die "$me: apt-get could not install gcc-$triplet (is the suite's mirror reachable?)"

if ! dpkg-query -W -f '${Status}' "$stand_in" 2>/dev/null | grep -q ' installed$'; then
    version=$(apt-cache show --no-all-versions "$libc_dev" 2>/dev/null | sed -n 's/^Version: //p')
    [ -n "$version" ] || die "$me: apt knows no $libc_dev (run apt-get update)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/pkg/DEBIAN"
    cat > "$work/pkg/DEBIAN/control" <<EOF
Package: $stand_in
Version: 2.17-1
Architecture: all
Maintainer: vmwheel <root@localhost>
Provides: $libc_dev (= $version), libc-dev-arm64-cross
Section: devel
Priority: optional
Description: stands in for $libc_dev: glibc 2.17 is in $1/sysroot
 Written by vmwheel's $me. The aarch64 cross compilers build against the
 glibc 2.17 sysroot (manylinux2014), never against Debian's newer glibc.
EOF
    dpkg-deb --build "$work/pkg" "$work/$stand_in.deb" >/dev/null
    dpkg -i "$work/$stand_in.deb" >/dev/null || die "$me: dpkg could not install $stand_in"
fi
apt-get install -y -q --no-install-recommends "g++-$triplet" >/dev/null ||
    die "$me: apt-get could not install g++-$triplet"
if [ -e "/usr/$triplet/include/stdio.h" ]; then
    die "$me: /usr/$triplet/include/stdio.h appeared: $libc_dev got installed after all"
fi
echo "$me: gcc-$triplet and g++-$triplet, glibc headers from $1/sysroot only"
