"""floor-install's ports (provision/floor-ports.lock): Debian -dev package names, the pinned
upstream tarball each is built from, the ports it needs, and the headers it provides (so a build
that fails on a missing `ffi.h` can say `floor-install libffi-dev`)."""

from dataclasses import dataclass
from pathlib import PurePosixPath

from ..paths import PROVISION_DIR

LOCK = PROVISION_DIR / "floor-ports.lock"
# Where a floor box keeps them (provision/floor-install.sh's defaults).
PREFIX = PurePosixPath("/opt/floor/ports")  # include/, lib/, lib/pkgconfig/
BUILT = PurePosixPath("/opt/floor/share/floor-install/built")  # NAME-KEY.tar.gz per build


@dataclass(frozen=True)
class Port:
    name: str  # the Debian -dev package name: libffi-dev
    version: str
    sha256: str
    file: str  # the upstream tarball, as Debian names it
    pool_path: str  # where the Debian mirror serves it
    deps: tuple  # other ports' names
    headers: tuple  # header files (ffi.h) or directories (libxml2/, openssl/) it installs


def read(path=LOCK):
    """The ports of the lock, in its order."""
    ports = []
    for line in path.read_text().splitlines():
        cols = line.split()
        if not cols or cols[0].startswith("#"):
            continue
        name, version, sha256, file, pool, deps, headers = cols
        ports.append(Port(name, version, sha256, file, pool,
                          () if deps == "-" else tuple(deps.split(",")),
                          tuple(headers.split(","))))
    return ports


def providing(header, ports=None):
    """The port whose headers include `header` ("ffi.h", "libxml/parser.h"), or None."""
    for port in read() if ports is None else ports:
        for given in port.headers:
            if header == given or (given.endswith("/") and header.startswith(given)):
                return port
    return None


# The floor's wrappers (gcc, cc, g++, c++: provision/install-floor-toolchain.sh) come first on
# PATH: CMake (scikit-build-core) and meson (meson-python) look up `c++` and `cc` there, and
# would otherwise find the box's own gcc, which links glibc 2.31 and a shared libstdc++.
FLOOR_PATH = "/opt/floor/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def prefix_env(prefix, loader=True):
    """What finds the ports installed under `prefix`: pkg-config sees only them, and (with
    `loader`) the loader and auditwheel find their libraries through LD_LIBRARY_PATH."""
    env = {"PKG_CONFIG_LIBDIR": f"{prefix}/lib/pkgconfig"}
    if loader:
        env["LD_LIBRARY_PATH"] = f"{prefix}/lib"
    return env


def floor_env(libc="glibc"):
    """What every guest command on a floor box gets: the floor's compilers first on PATH,
    pkg-config sees only floor-install's libraries (never Debian's, built for a newer glibc),
    and the loader finds them, so auditwheel grafts them into wheels. On the musl box musl's
    loader and auditwheel find them through /etc/ld-musl-x86_64.path instead: there
    LD_LIBRARY_PATH would make the box's glibc programs load musl libraries."""
    return {"PATH": FLOOR_PATH, **prefix_env(PREFIX, loader=libc == "glibc")}
