"""CPython source tarballs for build hosts, fetched on the host and verified by sha256.

provision/pythons.lock pins each version. Mirrors are tried in order; a file in the source
cache is used only while its sha256 matches, and a download that does not match is refused.
VMWHEEL_CPYTHON_MIRRORS (comma-separated) sets the order: `debian` (the pristine upstream
tarball of Debian's source package, on the host's configured Debian mirror), `python.org`, or a
base URL that serves the upstream file names.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError, VmwheelError
from ..paths import PROVISION_DIR, cache_dir, ensure_dir
from .aptsources import debian_mirror
from .pinned import fetch_verified

LOCK = PROVISION_DIR / "pythons.lock"


@dataclass(frozen=True)
class PythonSource:
    version: str
    sha256: str
    upstream: str
    pool_path: str


def read_lock(path=LOCK):
    entries = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            version, sha, upstream, pool = line.split()
            entries[version] = PythonSource(version, sha, upstream, pool)
    return entries


def lookup(version, path=LOCK):
    """The lock entry for "3.11.2" (a trailing t for free-threaded shares the source)."""
    entries = read_lock(path)
    try:
        return entries[version.rstrip("t")]
    except KeyError:
        raise ConfigurationError(f"CPython {version} is not pinned in provision/pythons.lock",
                           "choose one of " + ", ".join(entries)) from None


def mirrors():
    explicit = os.environ.get("VMWHEEL_CPYTHON_MIRRORS")
    if explicit:
        return [m.strip() for m in explicit.split(",") if m.strip()]
    try:
        debian_mirror()
        return ["debian", "python.org"]
    except VmwheelError:
        return ["python.org"]


def url_for(mirror, src):
    if mirror == "debian":
        return f"{debian_mirror().rstrip('/')}/{src.pool_path}"
    if mirror == "python.org":
        return f"https://www.python.org/ftp/python/{src.version}/{src.upstream}"
    return f"{mirror.rstrip('/')}/{src.upstream}"


def fetch(version, source_dir=None):
    """Path of the verified source tarball of `version` in the source cache."""
    src = lookup(version)
    dest = ensure_dir(source_dir or cache_dir() / "sources") / src.upstream
    return fetch_verified(dest, src.sha256, [(m, url_for(m, src)) for m in mirrors()],
                          f"CPython {src.version}",
                          "set VMWHEEL_CPYTHON_MIRRORS to a mirror that has "
                          f"{src.upstream} with sha256 {src.sha256}")
