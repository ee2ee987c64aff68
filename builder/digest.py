"""sha256 of files: the one checksum every layer uses (boxes, sources, wheels, uploads)."""

import hashlib

from . import log


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cached(path, digest, expected):
    """True if `path` exists and digest(path) == expected. A cached file that does not match is
    removed (with one line saying so), to be fetched again."""
    if not path.exists():
        return False
    if digest(path) == expected:
        return True
    log.say(f"{path} in the cache does not match its checksum; fetching it again")
    path.unlink()
    return False
