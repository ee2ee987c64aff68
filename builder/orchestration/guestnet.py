"""guest-network: what a build host's guest may reach, set up once per session (README: Guest
network). The VM side (QEMU's `restrict=on`) is in the Vagrantfile and providers/vagrant_vm.py;
here: the allowlist proxy and its tunnel, the hermetic mode's wheels, and the lines that say
what holds. A plain SSH host's network is its own: it is named, never pretended restricted."""

import contextlib
from pathlib import Path

from .. import log
from ..errors import ConfigurationError
from ..host import allowlist
from ..host.proxy import AllowProxy
from ..images.aptsources import source_uris
from ..transport.shell import q
from ..transport.tunnel import Tunnel

APT_CONF = "/etc/apt/apt.conf.d/99vmwheel-proxy"
REFUSALS_SHOWN = 3


def check(opts):
    """Refuse, before any work, a guest-wheels that cannot be used."""
    wheels = opts["guest-wheels"]
    if wheels and opts["guest-network"] != "none":
        raise ConfigurationError("guest-wheels is given but guest-network is "
                                 f"{opts['guest-network']}", "add --guest-network none, or "
                                 "drop --guest-wheels")
    if wheels and not sorted(Path(wheels).glob("*.whl")):
        raise ConfigurationError(f"guest-wheels {wheels}: no *.whl files there",
                                 "give a directory of the wheels the build needs")


@contextlib.contextmanager
def network(host, remote, opts):
    """Yield the variables the guest's commands get for the mode (proxy or pip settings)."""
    mode = host.guest_network
    if mode is None:
        log.say(f"{host.name}: guest-network does not apply to a plain SSH host: its network "
                "is its own")
        yield {}
    elif mode == "full":
        log.warn(f"guest-network full: {host.name} can reach this host's loopback services "
                 "(the user network's host alias is this host's 127.0.0.1) and its networks")
        yield {}
    elif mode == "none":
        yield hermetic(remote, opts["guest-wheels"], host.guest_root + "-wheels")
    else:
        with allowlisted(remote, opts["guest-allow"]) as env:
            yield env


def hermetic(remote, wheels, guest_dir):
    """No route out: pip gets no index (it fails at once instead of retrying), and the
    guest-wheels directory, uploaded, as its only source."""
    if not wheels:
        log.say("guest-network none: the guest has no network and pip has no index (give "
                "--guest-wheels DIR with the build's requirements)")
        return {"PIP_NO_INDEX": "1"}
    files = sorted(Path(wheels).glob("*.whl"))
    remote.check(f"rm -rf {q(guest_dir)} && mkdir -p {q(guest_dir)}")
    for path in files:
        remote.put(path, f"{guest_dir}/{path.name}")
    log.say(f"guest-network none: the guest has no network; pip installs only from the "
            f"{len(files)} wheels of {wheels}")
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": guest_dir}


@contextlib.contextmanager
def allowlisted(remote, extra):
    """The proxy, reached from the guest's loopback through an SSH remote forward; pip (and
    anything that honours http(s)_proxy) and apt are pointed at it."""
    allowed = allowlist.from_host(source_uris(), extra)
    proxy = AllowProxy(allowed)
    tunnel = Tunnel(remote, proxy.serve_in_thread)
    url = f"http://127.0.0.1:{tunnel.open()}"
    try:
        apt = (f'Acquire::http::Proxy "{url}/";\nAcquire::https::Proxy "{url}/";\n'
               'Acquire::http::Pipeline-Depth "0";\n')
        remote.check(f"if command -v apt-get >/dev/null; then printf %s {q(apt)} | "
                     f"sudo -n tee {APT_CONF} >/dev/null; fi")
        log.say(f"guest network: allowlist ({', '.join(allowed.names())}), through vmwheel's "
                "proxy")
        yield {var: url for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
    finally:
        tunnel.close()
        if proxy.refused:
            shown = "; ".join(proxy.refused[:REFUSALS_SHOWN])
            more = "; ..." if len(proxy.refused) > REFUSALS_SHOWN else ""
            log.say(f"guest network: refused {proxy.refusals} connection(s): {shown}{more} "
                    "(guest-allow adds hosts)")
