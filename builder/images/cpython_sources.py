"""CPython source tarballs for build hosts, fetched on the host and verified by sha256.

provision/pythons.lock pins each version. Mirrors are tried in order; a file in the source
cache is used only while its sha256 matches, and a download that does not match is refused.
VMWHEEL_CPYTHON_MIRRORS (comma-separated) sets the order: `debian` (the pristine upstream
tarball of Debian's source package, on the host's configured Debian mirror), `python.org`, or a
base URL that serves the upstream file names.
"""

import os
import shutil
import ssl
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..digest import cached, sha256_of
from ..errors import ConfigurationError, HostNotReady, VmwheelError
from ..host import pipconfig
from ..paths import PROVISION_DIR, cache_dir, ensure_dir
from .aptsources import debian_mirror

LOCK = PROVISION_DIR / "pythons.lock"
TIMEOUT = 60


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


def _download(url, dest):
    ca = pipconfig.ca_bundle()
    ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
    with urllib.request.urlopen(url, timeout=TIMEOUT, context=ctx) as resp, \
            open(dest, "wb") as out:
        shutil.copyfileobj(resp, out)


def fetch(version, source_dir=None):
    """Path of the verified source tarball of `version` in the source cache."""
    src = lookup(version)
    dest = ensure_dir(source_dir or cache_dir() / "sources") / src.upstream
    if cached(dest, sha256_of, src.sha256):
        return dest
    tried = []
    for mirror in mirrors():
        url = url_for(mirror, src)
        part = dest.with_name(dest.name + ".part")
        try:
            _download(url, part)
        except (OSError, ValueError) as exc:
            tried.append(f"{mirror}: {exc}")
            part.unlink(missing_ok=True)
            continue
        got = sha256_of(part)
        if got != src.sha256:
            tried.append(f"{mirror}: sha256 {got[:12]}..., expected {src.sha256[:12]}...")
            part.unlink()
            continue
        os.replace(part, dest)
        return dest
    raise HostNotReady(f"no verified source for CPython {src.version} ({'; '.join(tried)})",
                       "set VMWHEEL_CPYTHON_MIRRORS to a mirror that has "
                       f"{src.upstream} with sha256 {src.sha256}")
