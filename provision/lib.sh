# shellcheck shell=sh
# Helpers the provision scripts share. Sourced, never run: POSIX sh, because the scripts that
# run in every guest family (Alpine has no bash) source it as well as the bash host scripts.
# Usage: . "$(dirname "$0")/lib.sh"   (first thing after `set`, before any cd; $0 is the script)
# Travels with the scripts: build-debian-box.sh copies provision/*.sh into the chroot, and a
# public box gets the whole provision/ directory staged at /tmp/vmwheel-provision.
# Strict mode holds for whoever sources it (the scripts set it too; bash ones add pipefail,
# which this POSIX sh line leaves as it is).
set -eu

# usage: print the calling script's `# Usage:` line, and the indented comment lines right after
# it, to stderr; exit 2.
usage() {
    _more=""
    while IFS= read -r _line; do
        case $_line in
            "# Usage: "*) echo "usage: ${_line#"# Usage: "}"; _more=1 ;;
            "#  "*) [ -z "$_more" ] || echo "${_line#"# "}" ;;
            *) [ -z "$_more" ] || break ;;
        esac
    done < "$0" >&2
    exit 2
}

# need_args COUNT MIN [MAX]: usage unless MIN <= COUNT (<= MAX); pass "$#" as COUNT.
need_args() {
    if [ "$1" -lt "$2" ] || { [ "$#" -ge 3 ] && [ "$1" -gt "$3" ]; }; then
        usage
    fi
}

# die_with STATUS MESSAGE...: print MESSAGE to stderr and exit with STATUS. die MESSAGE...: exit 1.
die_with() {
    _status=$1
    shift
    echo "$*" >&2
    exit "$_status"
}
die() { die_with 1 "$@"; }

# check_sha512 ME FILE INTEGRITY: die unless FILE's sha512 is INTEGRITY's (npm's integrity:
# base64, "sha512-" in front or not); sets sha512_hex to it, in hex as sha512sum prints it.
# Call it before anything of FILE is unpacked.
check_sha512() {
    _want=$(printf '%s' "${3#sha512-}" | base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n') ||
        true
    [ "${#_want}" -eq 128 ] || die "$1: SHA512_B64 is not a base64 sha512: $3"
    sha512_hex=$(sha512sum "$2")
    sha512_hex=${sha512_hex%% *}
    [ "$sha512_hex" = "$_want" ] || die "$1: $2 does not match its sha512 (expected $3)"
}

# lock_entry SPEC [LOCK]: look up one CPython of pythons.lock (LOCK, default: the one next to the
# script). SPEC is a version, with suffix t for the free-threaded build (3.13.5t). Sets
# lock_version (3.13.5), lock_xy (3.13), lock_abi (t or empty: python$lock_xy$lock_abi,
# cp313-cp313$lock_abi), lock_flag (--free-threaded or empty), lock_sha256 and lock_file (the
# upstream tarball's name); dies unless the version has a line.
# shellcheck disable=SC2034  # the lock_* variables are the caller's
lock_entry() {
    _lock=${2:-$(dirname "$0")/pythons.lock}
    lock_version=${1%t}
    lock_abi=${1#"$lock_version"}
    lock_xy=${lock_version%.*}
    lock_flag=""
    if [ -n "$lock_abi" ]; then
        lock_flag=--free-threaded
    fi
    lock_sha256="" lock_file=""
    [ -r "$_lock" ] || die "${0##*/}: cannot read $_lock"
    # Lines: VERSION SHA256 UPSTREAM_FILE DEBIAN_POOL_PATH; comments start with #.
    while read -r _version _sha256 _file _rest; do
        if [ "$_version" = "$lock_version" ]; then
            lock_sha256=$_sha256 lock_file=$_file
            break
        fi
    done < "$_lock"
    [ -n "$lock_sha256" ] || die "${0##*/}: CPython $lock_version is not in $_lock"
}

# The host's caches of built parts (box builds): a tar with its .sha256 (sha256sum's format)
# beside it. cached ARCHIVE: true when both are there and match (check before unpacking).
# keep ARCHIVE TAR-ARGS...: write ARCHIVE with `tar -cf ARCHIVE TAR-ARGS...` (atomically:
# a .part renamed), then its .sha256.
cached() {
    [ -f "$1.sha256" ] &&
        (cd "$(dirname "$1")" && sha256sum -c "$(basename "$1").sha256" >/dev/null 2>&1)
}
keep() {
    _archive=$1
    shift
    mkdir -p "$(dirname "$_archive")"
    tar -cf "$_archive.part" "$@"
    mv "$_archive.part" "$_archive"
    (cd "$(dirname "$_archive")" &&
        sha256sum "$(basename "$_archive")" > "$(basename "$_archive").sha256")
}

# remove_rootfs DIR: remove a root file system that a box script made, after unmounting what a
# killed run may have left mounted in it (a chroot's /proc or /sys: rm would descend into the
# host's), deepest first; rm never crosses into a mount that stays.
remove_rootfs() {
    [ -e "$1" ] || return 0
    _rr=$(cd "$1" && pwd -P)
    awk -v d="$_rr" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r _mount; do umount -l "$_mount" || true; done
    rm -rf --one-file-system "$_rr" ||
        die "remove_rootfs: something is still mounted under $_rr: unmount it, then remove it"
}
