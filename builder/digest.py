"""sha256 of files: the one checksum every layer uses (boxes, sources, wheels, uploads)."""

import hashlib


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
