"""The glibc 2.17 floor toolchain (manylinux2014): a pinned sysroot, fetched and verified.

The sysroot travels in an npm package; `npm pack` (with the machine's own npm configuration)
fetches it into the toolchain cache, and its sha512 integrity is checked here before anything
uses it. A cached file is reused only while it matches; a download that does not is refused.
provision/install-floor-toolchain.sh unpacks the sysroot and writes the compiler wrappers.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import HostNotReady
from ..digest import cached
from ..model import ports
from ..paths import PROVISION_DIR, cache_dir, ensure_dir
from .aptsources import debian_mirror
from .pinned import fetch_verified

SCRIPT = PROVISION_DIR / "install-floor-toolchain.sh"
LIBS_LOCK = PROVISION_DIR / "floor-libs.lock"


@dataclass(frozen=True)
class FloorPin:
    npm_name: str
    version: str
    integrity: str  # npm's form: "sha512-" + base64 of the .tgz's sha512
    inner_tarball: str
    glibc: str
    arch: str

    @property
    def spec(self):
        return f"{self.npm_name}@{self.version}"

    @property
    def tgz_name(self):
        """The file name `npm pack` writes: scope without @, / as -, then -VERSION.tgz."""
        return f"{self.npm_name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


PIN = FloorPin(
    npm_name="@napi-rs/cross-toolchain-x64-target-x86_64",
    version="1.0.0",
    integrity="sha512-lecoghCfoTAX9MLFcIx9/nL9M8xdkZ9n8Pki8qjKUNzjiq1zbECdEbzIZAMMHRtrXxifK9dAyYuh8"
              "gSxNbr2og==",
    inner_tarball="x86_64-unknown-linux-gnu.tar.xz",
    glibc="2.17",
    arch="x86_64",
)
# The aarch64 glibc 2.17 sysroot: the aarch64 test box takes its run-time libraries
# (provision/aarch64/build-arm64-box.sh) for the floor217 interpreter copies.
AARCH64_PIN = FloorPin(
    npm_name="@napi-rs/cross-toolchain-x64-target-aarch64",
    version="1.0.3",
    integrity="sha512-EMFcy/ahFsmCY3BI1tMC3wRUYZ+cDuILg7nP1micaKXW1tO1+RvUB1CC6QYe+cv2W4Tuz9wr3"
              "qcFExWyjgWf2w==",
    inner_tarball="aarch64-unknown-linux-gnu.tar.xz",
    glibc="2.17",
    arch="aarch64",
)


def integrity_of(path):
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def _npm_pack(spec, dest_dir):
    """Run `npm pack SPEC` in dest_dir (an empty directory); the path of the .tgz it wrote."""
    subprocess.run(["npm", "pack", "--silent", spec], cwd=dest_dir, check=True,
                   capture_output=True, text=True)
    found = sorted(Path(dest_dir).glob("*.tgz"))
    if len(found) != 1:
        raise OSError(f"npm pack left {len(found)} .tgz files")
    return found[0]


def fetch(pin=PIN, toolchain_dir=None):
    """Path of the verified package tarball in the toolchain cache, fetched if need be."""
    toolchain_dir = ensure_dir(toolchain_dir or cache_dir() / "toolchains")
    dest = toolchain_dir / pin.tgz_name
    if cached(dest, integrity_of, pin.integrity):
        return dest
    if shutil.which("npm") is None:
        raise HostNotReady(f"npm is needed to fetch the floor toolchain {pin.spec}",
                           "run `vmwheel host setup` (it installs npm), or apt-get install "
                           "npm")
    with tempfile.TemporaryDirectory(prefix=".npm-pack-", dir=toolchain_dir) as tmp:
        try:
            packed = _npm_pack(pin.spec, tmp)
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit {exc.returncode}"]
            raise HostNotReady(f"npm pack {pin.spec} failed: {detail[0]}",
                               "check this machine's npm registry setting "
                               "(npm config get registry) and its network") from None
        except OSError as exc:
            raise HostNotReady(f"npm pack {pin.spec} failed: {exc}",
                               "check that npm runs on this machine") from None
        got = integrity_of(packed)
        if got != pin.integrity:
            raise HostNotReady(f"npm pack {pin.spec} gave {got[:19]}..., expected "
                               f"{pin.integrity[:19]}...",
                               "point npm at a registry that serves the published package "
                               "unchanged; the pin is in builder/images/floor.py")
        os.replace(packed, dest)
    return dest


def install(prefix, pin=PIN):
    """Fetch the pinned toolchain and run install-floor-toolchain.sh into `prefix` (a host
    directory); returns prefix. PREFIX/bin has gcc, cc, g++, c++ and floor-run."""
    tgz = fetch(pin)
    res = subprocess.run(["sh", str(SCRIPT), str(tgz), pin.integrity, str(prefix)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or [f"exit {res.returncode}"])[-1]
        raise HostNotReady(f"installing the floor toolchain failed: {last}",
                           f"run {SCRIPT} {tgz} {pin.integrity} {prefix} by hand to see why")
    return Path(prefix)


@dataclass(frozen=True)
class FloorLib:
    """A library the floor CPythons link, from Debian's pristine upstream tarball."""

    name: str
    version: str
    sha256: str
    file: str
    pool_path: str


def read_libs_lock(path=LIBS_LOCK):
    libs = []
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            libs.append(FloorLib(*line.split()))
    return libs


def fetch_libs(source_dir=None):
    """The source tarballs of the floor libraries and of floor-install's ports, verified, in
    the source cache; its path."""
    source_dir = ensure_dir(source_dir or cache_dir() / "sources")
    for lib in read_libs_lock() + ports.read():
        fetch_verified(source_dir / lib.file, lib.sha256,
                       [("debian", f"{debian_mirror().rstrip('/')}/{lib.pool_path}")],
                       f"{lib.name} {lib.version}",
                       f"this machine's Debian mirror must serve {lib.pool_path} "
                       "(bullseye source packages)")
    return source_dir
