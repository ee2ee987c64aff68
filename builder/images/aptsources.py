"""The Debian mirror this host is configured to use (never a hard-coded host)."""

import os
import re
from pathlib import Path

from ..errors import HostNotReady

APT_DIR = Path("/etc/apt")


def _entries(apt_dir):
    """Yield (uri, suites) of every enabled `deb` source, one-line and deb822 formats."""
    files = [apt_dir / "sources.list"] + sorted((apt_dir / "sources.list.d").glob("*"))
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for stanza in text.split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line or line[:1].isspace():
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
                enabled = fields.get("enabled", ["yes"])[0].lower() not in ("no", "false", "0")
                if "deb" in fields.get("types", []) and enabled:
                    for uri in fields.get("uris", []):
                        yield uri, fields.get("suites", [])
        elif path.suffix == ".list" or path.name == "sources.list":
            for line in text.splitlines():
                words = re.sub(r"\[[^\]]*\]", " ", line.split("#")[0]).split()
                if len(words) >= 3 and words[0] == "deb":
                    yield words[1], [words[2]]


def debian_mirror(apt_dir=APT_DIR):
    """$VMWHEEL_DEBIAN_MIRROR, else the first configured Debian archive (not -security)."""
    explicit = os.environ.get("VMWHEEL_DEBIAN_MIRROR")
    if explicit:
        return explicit
    for uri, suites in _entries(Path(apt_dir)):
        if any(s.endswith("-security") for s in suites) or "security" in uri:
            continue
        if uri.rstrip("/").endswith("/debian"):
            return uri
    raise HostNotReady("no Debian mirror found in this host's apt sources",
                       "set VMWHEEL_DEBIAN_MIRROR to a Debian archive URL")


def source_uris(apt_dir=APT_DIR):
    """Every enabled `deb` URI of this host's apt sources, and $VMWHEEL_DEBIAN_MIRROR."""
    uris = [uri for uri, _ in _entries(Path(apt_dir))]
    explicit = os.environ.get("VMWHEEL_DEBIAN_MIRROR")
    return ([explicit] if explicit else []) + uris
