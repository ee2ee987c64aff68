#!/usr/bin/env bash
# Check the aarch64 box's native compilers at the floor (install-floor-toolchain.sh's wrappers):
# a C and a C++ program built with them run, and ask for no glibc symbol version above 2.17
# (libstdc++ is linked statically).
# Usage: check-native-floor.sh PREFIX
#   PREFIX  where install-floor-toolchain.sh put them (the box's /opt/floor)
# Runs on an aarch64 system (the box's root under qemu-user: build-arm64-box.sh runs it so).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_args "$#" 1 1
me=check-native-floor.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
printf '#include <string>\nint main() { return std::string("ok").size() - 2; }\n' > t.cc
printf 'int main(void) { return 0; }\n' > t.c
"$1/bin/g++" -o cxx t.cc || die "$me: $1/bin/g++ cannot build a C++ program"
"$1/bin/gcc" -o c t.c || die "$me: $1/bin/gcc cannot build a C program"
{ ./cxx && ./c; } || die "$me: what they built does not run"
newer=$(objdump -T cxx c | grep -o 'GLIBC_2\.[0-9.]*' | sort -u | grep -vx 'GLIBC_2\.17' || true)
[ -z "$newer" ] || die "$me: what they built needs glibc above 2.17: $newer"
echo "$me: C and C++ at glibc 2.17 (gcc $(/usr/bin/gcc -dumpfullversion))"
