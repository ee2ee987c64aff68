"""Files pinned by sha256 (CPython sources, the floor's library sources), fetched on the host.

A file in the cache is used only while its sha256 matches; mirrors are tried in order and a
download that does not match is refused (and removed).
"""

import os
import shutil
import ssl
import urllib.request

from ..digest import cached, sha256_of
from ..errors import HostNotReady
from ..host import pipconfig

TIMEOUT = 60


def _download(url, dest):
    ca = pipconfig.ca_bundle()
    ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
    with urllib.request.urlopen(url, timeout=TIMEOUT, context=ctx) as resp, \
            open(dest, "wb") as out:
        shutil.copyfileobj(resp, out)


def fetch_verified(dest, sha256, urls, what, hint):
    """`dest` once it holds the bytes with `sha256`, downloaded from the first of `urls`
    ([(mirror name, url)]) that serves them; HostNotReady naming `what`, with `hint`, if none."""
    if cached(dest, sha256_of, sha256):
        return dest
    tried = []
    for mirror, url in urls:
        part = dest.with_name(dest.name + ".part")
        try:
            _download(url, part)
        except (OSError, ValueError) as exc:
            tried.append(f"{mirror}: {exc}")
            part.unlink(missing_ok=True)
            continue
        got = sha256_of(part)
        if got != sha256:
            tried.append(f"{mirror}: sha256 {got[:12]}..., expected {sha256[:12]}...")
            part.unlink()
            continue
        os.replace(part, dest)
        return dest
    raise HostNotReady(f"no verified source for {what} ({'; '.join(tried)})", hint)
