#!/usr/bin/env bash
# Put floor-install into a floor box's root file system: floor-install.sh, lib.sh, its lock and
# recipes under /opt/floor/share/floor-install, the ports' pinned source tarballs in its src/
# (each checked against floor-ports.lock as it is copied; floor-install checks again before
# unpacking), built/ for its builds, /opt/floor/ports for what it installs, and `floor-install`
# on the PATH (/opt/floor/bin, linked from /usr/local/bin). The x86_64 floor boxes
# (build-debian-box.sh) and the aarch64 test box (aarch64/build-arm64-box.sh: floor-install
# inside the guest with build-on = emulated) get the same.
# Usage: install-floor-install.sh ROOTFS SOURCES_DIR
#   SOURCES_DIR  the ports' tarballs, named as in floor-ports.lock (vmwheel fetches them)
# Runs on the host as root; the box build then gives ports/ and built/ to the user vagrant.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 2 2
rootfs=$1 sources=$2
here=$(cd "$(dirname "$0")" && pwd)
me=install-floor-install.sh
ports=/opt/floor/share/floor-install
mkdir -p "$rootfs$ports/src" "$rootfs$ports/built" "$rootfs/opt/floor/ports" \
    "$rootfs/opt/floor/bin" "$rootfs/usr/local/bin"
cp "$here/floor-ports.lock" "$here/floor-ports-recipes.sh" "$here/floor-install.sh" \
    "$here/lib.sh" "$rootfs$ports/"
# shellcheck disable=SC2016  # "$@" is the wrapper's own
printf '#!/bin/sh\nexec sh %s/floor-install.sh "$@"\n' "$ports" \
    > "$rootfs/opt/floor/bin/floor-install"
chmod 0755 "$rootfs/opt/floor/bin/floor-install"
ln -sf /opt/floor/bin/floor-install "$rootfs/usr/local/bin/floor-install"
grep -v '^#' "$here/floor-ports.lock" | while read -r _name _version sha256 file _rest; do
    [ -n "$file" ] || continue
    echo "$sha256  $sources/$file" | sha256sum -c --quiet - ||
        die "$me: $sources/$file does not match its sha256 in floor-ports.lock"
    cp "$sources/$file" "$rootfs$ports/src/"
done
