"""What a guest may reach under guest-network=allowlist: the package indexes of this host's pip
configuration (pip's own default index and its file host when none is set), the hosts of this
host's apt sources (before-all's apt-get), and the names of the `guest-allow` option. Host names
only: the proxy (host/proxy.py) resolves them here and refuses addresses of this host's networks.
"""

import functools
import re
import subprocess
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import pipconfig

DEFAULT_PORTS = {"http": 80, "https": 443}
# pip's own default index and the host its files are on, from the pip installed here.
PIP_DEFAULTS = ("from pip._internal.models.index import PyPI; "
                "print(PyPI.url); print(PyPI.file_storage_domain)")


@dataclass(frozen=True)
class Allowlist:
    entries: frozenset  # (host, port); port None: 80 and 443

    def permits(self, host, port):
        host = host.lower().rstrip(".")
        return (host, port) in self.entries or \
            ((host, None) in self.entries and port in DEFAULT_PORTS.values())

    def names(self):
        return sorted({f"{h}:{p}" if p else h for h, p in self.entries})


def url_entry(url):
    """(host, port) of an http(s) URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return parts.hostname.lower().rstrip("."), port


def extra_entry(text):
    """(host, port) of a guest-allow item: NAME or NAME:PORT."""
    m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d{1,5}))?", text)
    if not m or re.fullmatch(r"[\d.]+", m.group(1)):
        return None
    return m.group(1).lower().rstrip("."), int(m.group(2)) if m.group(2) else None


@functools.lru_cache(maxsize=None)
def pip_defaults():
    """(default index URL, its file host) of the pip installed here; ("", "") if unknown."""
    res = subprocess.run([sys.executable, "-c", PIP_DEFAULTS], capture_output=True, text=True)
    lines = res.stdout.split()
    return (lines[0], lines[1]) if res.returncode == 0 and len(lines) == 2 else ("", "")


def pip_entries(conf=None, defaults=None):
    """The indexes the guest's pip is given (host/pipconfig.py), else pip's default one."""
    env = pipconfig.pip_env(None, pipconfig.pip_config() if conf is None else conf)
    default_url, file_host = pip_defaults() if defaults is None else defaults
    urls = (env.get("PIP_INDEX_URL") or default_url).split()
    urls += env.get("PIP_EXTRA_INDEX_URL", "").split()
    entries = {e for e in map(url_entry, urls) if e}
    if default_url and url_entry(default_url) in entries and file_host:
        entries.add((file_host, 443))
    return entries


def from_host(apt_uris, extra=(), conf=None, defaults=None):
    """The allowlist for this host's guests; `apt_uris`: its apt sources
    (images/aptsources.source_uris)."""
    entries = pip_entries(conf, defaults) | {e for e in map(url_entry, apt_uris) if e}
    return Allowlist(frozenset(entries | {extra_entry(x) for x in extra}))
