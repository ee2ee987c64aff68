#!/bin/sh
# Install the C/C++ toolchain and what building CPython needs, per distro family, mirroring
# pypa/manylinux's images: apt (Debian, local boxes), yum + devtoolset for CentOS 5 (manylinux1,
# devtoolset-2) and CentOS 7 (manylinux2014, devtoolset-10) from a vault mirror, dnf + gcc-toolset
# for AlmaLinux 8/9 (manylinux_2_28 / manylinux_2_34), apk for Alpine (musllinux_1_2).
# Usage: install-toolchain.sh [--dry-run] [--family debian|centos5|centos7|alma8|alma9|alpine]
#   --dry-run  print the command plan instead of running it
#   --family   skip detection (default: read from /etc/os-release)
# CentOS is end-of-life: set YUM_VAULT_MIRROR to the base URL of a CentOS vault mirror (the
# directory that holds 5.11/ and 7.9.2009/). Runs as root inside the guest or a chroot of it.
# POSIX sh: it runs first in guests of every family, and Alpine has no bash until it adds it.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

dry_run=0
family=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=1; shift ;;
        --family) family=${2:-}; shift 2 ;;
        *) usage ;;
    esac
done

run() {
    if [ "$dry_run" = 1 ]; then
        echo "$*"
    else
        "$@"
    fi
}

detect() {
    # shellcheck disable=SC1091
    [ -r /etc/os-release ] && . /etc/os-release
    id=${ID:-}
    major=$(echo "${VERSION_ID:-}" | cut -d. -f1)
    [ -z "$id" ] && [ -r /etc/redhat-release ] && grep -q "release 5" /etc/redhat-release &&
        id=centos && major=5
    case "$id:$major" in
        debian:*|ubuntu:*) echo debian ;;
        centos:5) echo centos5 ;;
        centos:7) echo centos7 ;;
        almalinux:8|rocky:8|rhel:8) echo alma8 ;;
        almalinux:9|rocky:9|rhel:9) echo alma9 ;;
        alpine:*) echo alpine ;;
        *) echo "unknown:$id:$major" ;;
    esac
}

vault_repos() {
    release=$1
    if [ -z "${YUM_VAULT_MIRROR:-}" ]; then
        die_with 3 "install-toolchain.sh: CentOS $release is end-of-life; set YUM_VAULT_MIRROR" \
            "to a CentOS vault mirror"
    fi
    run sed -i -e "s|^mirrorlist=|#mirrorlist=|" \
        -e "s|^#\{0,1\}baseurl=http[^ ]*/centos/|baseurl=$YUM_VAULT_MIRROR/|" \
        -e "s|\$releasever|$release|g" /etc/yum.repos.d/CentOS-Base.repo
}

# What CPython's modules link against, per family.
PY_DEPS_RPM="openssl-devel zlib-devel libffi-devel bzip2-devel sqlite-devel xz-devel
readline-devel ncurses-devel libuuid-devel gdbm-devel"

[ -n "$family" ] || family=$(detect)
case "$family" in
    debian)
        export DEBIAN_FRONTEND=noninteractive
        run apt-get update -q
        run apt-get install -y -q --no-install-recommends \
            build-essential python3 python3-dev python3-venv \
            file unzip xz-utils ca-certificates pkg-config cmake nasm tcl \
            libssl-dev zlib1g-dev libffi-dev libbz2-dev libsqlite3-dev liblzma-dev \
            libreadline-dev libncursesw5-dev uuid-dev libgdbm-dev libmpdec-dev
        run apt-get clean
        ;;
    centos5)
        vault_repos 5.11
        # shellcheck disable=SC2086
        run yum -y install gcc gcc-c++ make patch file unzip xz which $PY_DEPS_RPM
        run yum -y install devtoolset-2-gcc devtoolset-2-gcc-c++ devtoolset-2-binutils
        run ln -sf /opt/rh/devtoolset-2/enable /etc/profile.d/devtoolset.sh
        run yum clean all
        ;;
    centos7)
        vault_repos 7.9.2009
        run yum -y install centos-release-scl
        vault_repos 7.9.2009
        # shellcheck disable=SC2086
        run yum -y install devtoolset-10-gcc devtoolset-10-gcc-c++ devtoolset-10-binutils \
            make patch file unzip xz which python3 $PY_DEPS_RPM
        run ln -sf /opt/rh/devtoolset-10/enable /etc/profile.d/devtoolset.sh
        run yum clean all
        ;;
    alma8|alma9)
        toolset=gcc-toolset-14
        [ "$family" = alma8 ] && toolset=gcc-toolset-12
        run dnf -y install dnf-plugins-core epel-release
        # shellcheck disable=SC2086
        run dnf -y install "$toolset-gcc" "$toolset-gcc-c++" "$toolset-binutils" \
            make patch file unzip xz which python3 $PY_DEPS_RPM
        run ln -sf "/opt/rh/$toolset/enable" /etc/profile.d/gcc-toolset.sh
        run dnf clean all
        ;;
    alpine)
        run apk add --no-cache build-base linux-headers bash file unzip xz python3 \
            openssl-dev zlib-dev libffi-dev bzip2-dev sqlite-dev xz-dev readline-dev \
            ncurses-dev util-linux-dev gdbm-dev mpdecimal-dev
        ;;
    *)
        die_with 3 "install-toolchain.sh: unsupported distro ($family); supported families:" \
            "debian centos5 centos7 alma8 alma9 alpine"
        ;;
esac
