#!/bin/sh
# Provision a running guest from a public box (CentOS, AlmaLinux, Alpine) with the same scripts
# that build local boxes in a chroot; run by Vagrant's shell provisioner after the host uploaded
# STAGE (these scripts, wheels/ with the tool wheels, sources/ with the CPython tarballs).
# Usage: provision-guest.sh STAGE POLICY ARCH "3.9.2 3.13.5 ..."
# Runs as root inside the guest.
set -eu

if [ "$#" -ne 4 ]; then
    echo "usage: $0 STAGE POLICY ARCH PYTHONS" >&2
    exit 2
fi
stage=$1 policy=$2 arch=$3 pythons=$4

sh "$stage/install-toolchain.sh"
# Toolsets (devtoolset, gcc-toolset) put their compilers on PATH through profile.d.
for f in /etc/profile.d/devtoolset.sh /etc/profile.d/gcc-toolset.sh; do
    if [ -r "$f" ]; then
        # shellcheck disable=SC1090
        . "$f"
    fi
done
for spec in $pythons; do
    version=${spec%t}
    flag=""
    [ "$version" != "$spec" ] && flag=--free-threaded
    line=$(grep "^$version " "$stage/pythons.lock")
    sha=$(echo "$line" | cut -d' ' -f2)
    file=$(echo "$line" | cut -d' ' -f3)
    sh "$stage/build-cpython.sh" "$version" "$stage/sources/$file" "$sha" "$stage/wheels" \
        ${flag:+"$flag"}
done
sh "$stage/install-auditwheel.sh" "$stage/wheels"
sh "$stage/set-policy.sh" "$policy" "$arch"
sh "$stage/check-build-host.sh" "$policy" "$arch"
