"""Which Dask schedulers vmwheel talks to. A scheduler runs whatever it is sent and a worker
runs whatever its scheduler sends, so an address must be loopback (this host only), or
tls:// with a CA, a certificate and a key (both sides prove who they are). Nothing here opens
a connection: a refused address is refused before any packet is sent."""

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError

ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})")
TLS_SETUP = "README: Build farm, TLS"


@dataclass(frozen=True)
class TLSFiles:
    ca: str = ""  # the CA that signed the scheduler's and the workers' certificates
    cert: str = ""
    key: str = ""

    @property
    def given(self):
        return bool(self.ca or self.cert or self.key)


@dataclass(frozen=True)
class Scheduler:
    address: str
    tls: TLSFiles

    def security(self):
        """A distributed.Security for tls:// addresses, else None."""
        if not self.address.startswith("tls://"):
            return None
        from distributed.security import Security

        return Security(tls_ca_file=self.tls.ca, tls_client_cert=self.tls.cert,
                        tls_client_key=self.tls.key, tls_worker_cert=self.tls.cert,
                        tls_worker_key=self.tls.key, require_encryption=True)


def of_options(opts):
    """The checked Scheduler that options `scheduler` and `tls-*` name, or None."""
    if not opts["scheduler"]:
        return None
    return check(opts["scheduler"], TLSFiles(opts["tls-ca-file"], opts["tls-cert"],
                                             opts["tls-key"]))


def is_loopback(host):
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it could resolve anywhere, so it is not trusted as loopback


def check(address, tls=TLSFiles()):
    """A Scheduler for `address` ("tcp://127.0.0.1:8786", "tls://farm.example:8786"), or a
    ConfigurationError saying why not and what to do."""
    m = ADDRESS.fullmatch(address.strip())
    if not m or not 1 <= int(m.group(3)) <= 65535:
        raise ConfigurationError(f"bad scheduler address {address!r}",
                                 "write tcp://127.0.0.1:PORT (this host) or tls://HOST:PORT")
    scheme, host = m.group(1), m.group(2)
    if scheme == "tcp" and not is_loopback(host):
        raise ConfigurationError(
            f"refusing scheduler {address}: plain tcp:// to another host lets anyone on the "
            "network run commands on the farm", f"use tls:// with --tls-ca-file, --tls-cert "
            f"and --tls-key ({TLS_SETUP}), or a loopback address")
    if scheme == "tls":
        missing = [flag for flag, path in (("--tls-ca-file", tls.ca), ("--tls-cert", tls.cert),
                                           ("--tls-key", tls.key)) if not path]
        if missing:
            raise ConfigurationError(f"scheduler {address} is tls:// but {', '.join(missing)} "
                                     f"{'is' if len(missing) == 1 else 'are'} not given",
                                     f"pass the CA, certificate and key ({TLS_SETUP})")
        for path in (tls.ca, tls.cert, tls.key):
            if not Path(path).is_file():
                raise ConfigurationError(f"TLS file {path} does not exist",
                                         f"pass the farm's CA, certificate and key ({TLS_SETUP})")
    elif tls.given:
        raise ConfigurationError(f"TLS files given for {address}, which is not tls://",
                                 "write the address as tls://HOST:PORT, or drop the TLS flags")
    return Scheduler(m.group(0), tls)
