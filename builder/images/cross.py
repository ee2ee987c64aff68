"""The aarch64 cross build box: the pinned glibc 2.17 aarch64 toolchain, and where the aarch64
CPythons that box cross-builds are kept for the aarch64 test box.

The cross machine (machines.json: "cross": true) is an x86_64 box built like the x86_64 floor
box, plus /opt/cross (provision/aarch64/install-cross-toolchain.sh) and, per CPython, the same
version cross-built for aarch64 (provision/aarch64/cross-build-cpython.sh). Each of those is
written to `pythons_dir(cross_spec)` as cpython-VERSION.tar, the set the aarch64 test box
installs, so the build side's headers and sysconfigdata and the test side's interpreters are one
build.
"""

from ..paths import cache_dir
from .floor import FloorPin, fetch

PIN = FloorPin(
    npm_name="@napi-rs/cross-toolchain-x64-target-aarch64",
    version="1.0.3",
    integrity="sha512-EMFcy/ahFsmCY3BI1tMC3wRUYZ+cDuILg7nP1micaKXW1tO1+RvUB1CC6QYe+cv2W4Tuz9w"
              "r3qcFExWyjgWf2w==",
    inner_tarball="aarch64-unknown-linux-gnu.tar.xz",
    glibc="2.17",
    arch="aarch64",
)


def pythons_dir(cross_key):
    """Where the cross box of key `cross_key` writes its aarch64 CPythons (one tar each, +
    .sha256): a cross box rebuilt from other provision scripts writes a new set."""
    return cache_dir() / "interpreters" / f"aarch64-{cross_key}"


def box_args(cross_key):
    """build-debian-box.sh's cross arguments for the cross box of key `cross_key` (the
    toolchain fetched and verified here)."""
    out = pythons_dir(cross_key)
    out.mkdir(parents=True, exist_ok=True)
    return ["--cross-aarch64", str(fetch(PIN)), "--cross-sha512", PIN.integrity,
            "--cross-out", str(out)]
