#!/bin/sh
# Provision a running guest from a public box (CentOS, AlmaLinux, Alpine) with the same scripts
# that build local boxes in a chroot; run by Vagrant's shell provisioner after the host uploaded
# STAGE (these scripts, wheels/ with the tool wheels, sources/ with the CPython tarballs).
# Usage: provision-guest.sh STAGE POLICY ARCH "3.9.2 3.13.5 ..."
# Runs as root inside the guest.
# POSIX sh: public boxes of every family run it (Vagrant calls `sh provision-guest.sh`), and
# Alpine's have no bash until install-toolchain.sh adds it.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 4 4
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
    lock_entry "$spec" "$stage/pythons.lock"
    sh "$stage/build-cpython.sh" "$lock_version" "$stage/sources/$lock_file" "$lock_sha256" \
        "$stage/wheels" ${lock_flag:+"$lock_flag"}
done
sh "$stage/install-auditwheel.sh" "$stage/wheels"
sh "$stage/set-policy.sh" "$policy" "$arch"
sh "$stage/check-build-host.sh" "$policy" "$arch"
