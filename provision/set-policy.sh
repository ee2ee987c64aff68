#!/bin/sh
# Record the manylinux policy of this build host where every session sees it:
# /etc/environment (read by PAM for SSH commands) and /etc/profile.d (login shells).
# Usage: set-policy.sh POLICY ARCH      e.g. set-policy.sh manylinux_2_31 x86_64
# Runs as root inside the guest (or its root file system in a chroot).
# POSIX sh: provision-guest.sh runs it in guests of every family, Alpine (no bash) included.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 2 2
policy=$1
plat=${1}_$2

sed -i '/^AUDITWHEEL_/d' /etc/environment 2>/dev/null || true
printf 'AUDITWHEEL_POLICY=%s\nAUDITWHEEL_PLAT=%s\n' "$policy" "$plat" >> /etc/environment
printf 'export AUDITWHEEL_POLICY=%s\nexport AUDITWHEEL_PLAT=%s\n' "$policy" "$plat" \
    > /etc/profile.d/vmwheel.sh
