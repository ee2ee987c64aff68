"""The i686 glibc 2.17 floor's compiler: zig, from the ziglang wheel, pinned by sha256.

No glibc 2.17 runtime or sysroot for 32-bit x86 is reachable (the npm cross toolchains that give
x86_64 its floor have no i686), but `zig cc -target x86-linux-gnu.2.17` links against stub
libraries zig generates from its glibc ABI lists. The wheel comes through this machine's pip
configuration (`pip download`, hash required) into the toolchain cache; a cached file is reused
only while its sha256 matches. provision/install-zig-floor.sh unpacks it and writes the wrappers.
"""

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..digest import cached, sha256_of
from ..errors import HostNotReady
from ..paths import cache_dir, ensure_dir


@dataclass(frozen=True)
class ZigPin:
    version: str
    file: str
    sha256: str
    platform: str  # the pip platform tag that selects this wheel
    glibc: str  # the floor its wrappers target
    arch: str


PIN = ZigPin(
    version="0.17.0",
    file="ziglang-0.17.0-py3-none-manylinux_2_12_i686.manylinux2010_i686.musllinux_1_1_i686.whl",
    sha256="81e3057db80fb459d1ab13c3db13dbcb1e99e91c36281661831d1916eba924de",
    platform="manylinux_2_12_i686",
    glibc="2.17",
    arch="i686",
)


def fetch(pin=PIN, toolchain_dir=None):
    """Path of the verified wheel in the toolchain cache, downloaded with pip if need be."""
    toolchain_dir = ensure_dir(toolchain_dir or cache_dir() / "toolchains")
    dest = toolchain_dir / pin.file
    if cached(dest, sha256_of, pin.sha256):
        return dest
    with tempfile.TemporaryDirectory(prefix=".pip-zig-", dir=toolchain_dir) as tmp:
        reqs = Path(tmp) / "zig.txt"
        reqs.write_text(f"ziglang=={pin.version} --hash=sha256:{pin.sha256}\n")
        res = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes",
             "--only-binary=:all:", "--platform", pin.platform, "-d", tmp, "-r", str(reqs)],
            capture_output=True, text=True)
        got = Path(tmp) / pin.file
        if "DO NOT MATCH THE HASHES" in res.stderr.upper() or (
                got.exists() and sha256_of(got) != pin.sha256):
            raise HostNotReady(f"the ziglang {pin.version} wheel from pip's index does not "
                               f"match its pinned sha256 {pin.sha256[:12]}...",
                               "point pip at an index that serves the published wheel "
                               "unchanged; the pin is in builder/images/zig.py")
        if res.returncode != 0 or not got.exists():
            last = " ".join((res.stderr.strip().splitlines() or [f"exit {res.returncode}"])[-1]
                            .split())
            raise HostNotReady(f"pip download ziglang=={pin.version} for i686 failed: {last}",
                               "check that pip reaches its index (pip config list); the pin "
                               "is in builder/images/zig.py")
        got.replace(dest)
    return dest


def box_args(pin=PIN):
    """build-debian-box.sh's arguments for a machine whose floor is zig's (fetched here)."""
    return ["--zig-floor", str(fetch(pin)), "--zig-sha256", pin.sha256]
