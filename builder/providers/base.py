"""The `BuildHost` protocol: what orchestration needs from any place a build runs.

    with host.session() as remote:      # boot/connect .. destroy/disconnect, also on failure
        plat = host.platform(remote, env)
        ...

A provider module (vagrant_vm.py, ssh_host.py, ...) implements `up`, `finish`, `platform`,
`describe` and `python_versions`; `session` is the same for all of them.
"""

import contextlib
import time

from .. import log
from ..errors import VmwheelError


class BuildHost:
    name = ""
    python_root = "/opt/python"
    guest_root = "/tmp/vmwheel"  # the run's dir on the build host, deleted and made anew
    renewal = "over a new connection"  # where the rest go on once the host went away (renew.py)
    policy = arch = None  # known before connecting for table machines; None for plain hosts
    floor = None  # a model.machine.Floor when the host proves wheels under an old glibc
    cpus = 1  # what `parallel` defaults to: builds that may run at once
    guest_network = None  # a VM's guest-network mode; None: not ours to restrict (SSH hosts)

    def __init__(self):
        self.timings = {}  # boot, finish, ... in seconds

    def python_versions(self):
        """Interpreters ("X.Y") known before connecting; [] when only the host can say."""
        raise NotImplementedError

    def describe(self):
        """What report.json records about this host."""
        raise NotImplementedError

    def up(self):
        """Boot or connect; return a connected transport.Remote."""
        raise NotImplementedError

    def platform(self, remote, env):
        """The platform tag wheels are repaired for, e.g. manylinux_2_31_x86_64."""
        raise NotImplementedError

    def finish(self, failed=False):
        """Destroy or disconnect; `failed` means never keep what was made."""
        raise NotImplementedError

    @contextlib.contextmanager
    def session(self):
        remote = None
        failed = True
        try:
            remote = self.up()
            yield remote
            failed = False
        finally:
            if remote is not None:
                remote.close()
            t0 = time.monotonic()
            try:
                self.finish(failed=failed)
            except VmwheelError as exc:
                if not failed:
                    raise
                log.warn(f"{exc.what}; {exc.todo}")  # the session's own error stays the one raised
            finally:
                self.timings["finish"] = time.monotonic() - t0
