"""A plain SSH build host (a provisioned machine of a build farm): nothing to boot, and its
host key must already be in `known_hosts`. Its platform is its AUDITWHEEL_PLAT."""

import getpass
import re
from pathlib import Path, PurePosixPath

from ..errors import BuildHostError, ConfigurationError
from ..model.arch import split_platform
from ..transport.remote import Remote
from .base import BuildHost


class SSHHost(BuildHost):
    def __init__(self, address, key=None, known_hosts=None, python_root="/opt/python",
                 guest_root="/tmp/vmwheel"):
        super().__init__()
        m = re.fullmatch(r"(?:([^@\s]+)@)?([^:@\s/]+)(?::(\d{1,5}))?", address)
        if not m or not 1 <= int(m.group(3) or 22) <= 65535:
            raise ConfigurationError(f"bad SSH host {address!r}",
                                     "write USER@HOST[:PORT] with a port from 1 to 65535")
        self.user = m.group(1) or getpass.getuser()
        self.host, self.port = m.group(2), int(m.group(3) or 22)
        self.name = f"ssh-{self.host}-{self.port}"
        self.key = key
        self.known_hosts = Path(known_hosts or Path.home() / ".ssh" / "known_hosts")
        self.python_root = python_root
        parts = PurePosixPath(guest_root).parts  # ("/", "tmp", "vmwheel"); never "..", "."
        if not re.fullmatch(r"/[A-Za-z0-9._/-]+", guest_root) or len(parts) < 3 or \
                {".", ".."} & set(guest_root.split("/")):
            raise ConfigurationError(f"bad --guest-dir {guest_root!r}", "give an absolute "
                                     "path at least two levels deep, e.g. /tmp/vmwheel-me: it "
                                     "is deleted and made anew")
        self.guest_root = guest_root
        self.reached = None  # the last session's Remote

    def python_versions(self):
        return []  # learned from the host itself

    def describe(self):
        return {"name": self.name, "host": f"{self.user}@{self.host}:{self.port}",
                "platform": ""}

    def up(self):
        if not self.known_hosts.exists():
            raise ConfigurationError(f"no known_hosts file {self.known_hosts}",
                                     "pass --known-hosts with the build host's key in it")
        remote = Remote(self.host, self.port, self.user, key_filename=self.key,
                        known_hosts=self.known_hosts, learn_host_key=False)
        if self.reached is not None and self.reached.connected_once:
            # After the host went away (orchestration/renew.py): one try, and what fails is
            # the link it had, not a host that never was an SSH server.
            remote.connected_once, remote.retries = True, 1
        self.reached = remote
        return remote

    def platform(self, remote, env):
        plat = remote.check('printf %s "${AUDITWHEEL_PLAT:-}"', env=env).strip()
        if not plat or split_platform(plat) is None:
            raise BuildHostError(f"{self.name} does not say its platform "
                                 f"(AUDITWHEEL_PLAT={plat!r})",
                                 "set AUDITWHEEL_PLAT there (provision/set-policy.sh) or in "
                                 "the environment option")
        return plat

    def finish(self, failed=False):
        pass
