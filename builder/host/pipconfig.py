"""What the guest's pip needs from the host: its CA bundle and its index settings.

Networks that re-sign TLS (corporate proxies, this CI) need the host's CA bundle in the guest.
Index settings come from the host's pip configuration (`pip config list`, environment included);
local ones (file:// URLs, directories) cannot work in the guest and are left out.
"""

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

DEFAULT_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                   "/etc/ssl/cert.pem"]
PASSED = ("index-url", "extra-index-url", "trusted-host", "timeout", "default-timeout",
          "retries")


# pip's precedence, lowest first: global files, user file, site (venv) file, environment.
SCOPE_RANK = {"global": 0, "user": 1, "site": 2, ":env:": 3}


def parse_config_list(text):
    """{option: value} from `pip config list` output, applying pip's precedence."""
    ranked = {}
    for line in text.splitlines():
        m = re.match(r"^([^=]+?)\.([a-z-]+)='(.*)'$", line.strip())
        if m:
            rank = SCOPE_RANK.get(m.group(1), 0)
            if m.group(2) not in ranked or rank >= ranked[m.group(2)][0]:
                ranked[m.group(2)] = (rank, m.group(3))
    return {k: v for k, (_, v) in ranked.items()}


@functools.lru_cache(maxsize=None)
def pip_config():
    res = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                         capture_output=True, text=True)
    return parse_config_list(res.stdout)  # cached: callers must not change it


def ca_bundle(conf=None):
    """The CA bundle the host's pip trusts, or None."""
    conf = pip_config() if conf is None else conf
    candidates = [conf.get("cert"), os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE"),
                  os.environ.get("REQUESTS_CA_BUNDLE"), *DEFAULT_BUNDLES]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def _remote_only(value):
    urls = [u for u in value.split() if re.match(r"^https?://", u)]
    return " ".join(urls)


def pip_env(guest_ca_path=None, conf=None):
    """Environment for pip in the guest: PIP_* settings plus the CA bundle's path there."""
    conf = pip_config() if conf is None else conf
    env = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
           "PIP_ROOT_USER_ACTION": "ignore"}
    for key in PASSED:
        if key not in conf:
            continue
        value = conf[key]
        if key in ("index-url", "extra-index-url"):
            value = _remote_only(value)
        if value:
            env["PIP_" + key.upper().replace("-", "_")] = value
    if guest_ca_path:
        for var in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
            env[var] = str(guest_ca_path)
    return env
