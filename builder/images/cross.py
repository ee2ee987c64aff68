"""The aarch64 cross build box: the pinned glibc 2.17 aarch64 toolchain, and where the aarch64
CPythons that box cross-builds are kept for the aarch64 test box.

The cross machine (machines.json: "cross": true) is an x86_64 box built like the x86_64 floor
box, plus /opt/cross (provision/aarch64/install-cross-toolchain.sh) and, per CPython, the same
version cross-built for aarch64 (provision/aarch64/cross-build-cpython.sh). Each of those is
written to `pythons_dir()` as cpython-VERSION.tar, the set the aarch64 test box installs, so
the build side's headers and sysconfigdata and the test side's interpreters are one build.
"""

import hashlib

from ..paths import PROVISION_DIR, cache_dir
from .floor import AARCH64_PIN, fetch

PIN = AARCH64_PIN  # the glibc 2.17 aarch64 sysroot (the test box takes its run-time libraries)

# What makes an aarch64 CPython: the scripts and locks below (the compilers' wrappers include
# floor-compat.h; build-floor-libs.sh cross-builds the libraries it links), the toolchain pin
# and the suite (its gcc-aarch64-linux-gnu). A box rebuilt for any other reason reuses them.
MADE_BY = ("aarch64/cross-build-cpython.sh", "aarch64/install-cross-compilers.sh",
           "aarch64/install-cross-toolchain.sh", "build-floor-libs.sh", "floor-compat.h",
           "lib.sh", "pythons.lock", "floor-libs.lock")


def pythons_dir(suite="bullseye"):
    """Where the cross box build writes its aarch64 CPythons (cpython-VERSION.tar, + .sha256)
    and the aarch64 test box takes them from: named by what makes them."""
    h = hashlib.sha256(f"{suite}\0{PIN.integrity}\0".encode())
    for name in MADE_BY:
        h.update(name.encode() + b"\0" + (PROVISION_DIR / name).read_bytes() + b"\0")
    return cache_dir() / "interpreters" / f"aarch64-{h.hexdigest()[:16]}"


def box_args(spec):
    """build-debian-box.sh's cross arguments for the cross machine `spec` (the toolchain
    fetched and verified here)."""
    out = pythons_dir(spec.suite)
    out.mkdir(parents=True, exist_ok=True)
    return ["--cross-aarch64", str(fetch(PIN)), "--cross-sha512", PIN.integrity,
            "--cross-out", str(out)]
