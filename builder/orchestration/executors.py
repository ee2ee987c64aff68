"""Where a run's builds happen: one small protocol, chosen by the front end, given to BuildRun.

`LocalVMs` (a VM per selected machine, here) and `PlainSSH` (one provisioned SSH host) live
here; the farm's `Farm` lives in farm/client.py (this layer never imports farm).
"""

from typing import Protocol

from .. import log, planner
from ..errors import ConfigurationError, VmwheelError
from ..host import prepare
from ..images import boxes
from ..model.machine import load_table
from ..model.result import fail_pending
from ..providers.ssh_host import SSHHost
from . import machines


class Executor(Protocol):
    """A way of running a BuildRun's builds."""

    def check(self, given):
        """Refuse, before any work, options (`given`: command line and environment) this way
        of running cannot honour."""

    def machines(self, given, machine):
        """The table machines whose interpreters the sdist must suit, or None (a host that
        says which interpreters it has only once connected)."""
        return planner.select_machines(given, machine)

    def build(self, run):
        """Build the planned matrix of `run` (an orchestration.run.BuildRun), adding every
        result to `run.results` (also when raising)."""


def _no_scheduler(given):
    if given["scheduler"]:
        raise ConfigurationError("--scheduler given to a local build",
                                 "report this as a bug (commands.build picks the farm)")


def _build_sessions(run, hosts, boot):
    """Plan each host; build those with something pending, as many at once as this host has
    cores and memory for (machines.at_once), each row labelled with its machine then.
    `boot(hosts)`, before: what the hosts that build need first (their boxes)."""
    sessions, everything = [], []
    for host in hosts:
        run.described[host.name] = host.describe()
        planned = planner.plan(run.src, run.opts, host, run.earlier)
        everything.append(planned)
        # A plain SSH host says which interpreters it has only once connected.
        if not planned or any(r.pending for r in planned):
            sessions.append((host, planned))
    try:
        width = 1
        boot([host for host, _ in sessions])
        if len(sessions) > 1:
            run.labelled = True
            cap = machines.at_once([host.spec for host, _ in sessions])
            log.say(cap.line)
            width = cap.width
        machines.build_all(sessions, width, run.build_on)
    except VmwheelError as exc:  # machines not started (or whose box failed): not built
        for planned in everything:
            fail_pending(planned, f"not built: {exc.what}")
        raise
    finally:
        for planned in everything:
            run.results += planned  # with what the build host added


class LocalVMs(Executor):
    """A VM per selected machine, on this host."""

    def check(self, given):
        _no_scheduler(given)

    def build(self, run):
        hosts = [run.vm(m) for m in self.machines(run.opts, run.machine)]
        _build_sessions(run, hosts, lambda vms: self._ensure_boxes(run, vms))

    @staticmethod
    def _ensure_boxes(run, vms):
        """A local box that is not built yet (or whose provision scripts changed) is built
        now, with its progress, as `vmwheel box build` would, rather than refused."""
        specs = load_table().with_builders([vm.spec for vm in vms])
        for spec in specs:
            if spec.cross and any(s.build_on == spec.name and not boxes.is_current(s)
                                  for s in specs):
                continue  # that machine's box build builds it first, its arm64 base alongside
            if spec.is_local and not boxes.is_current(spec):
                prepare.check_ready()
                log.say(f"box {spec.box} is not built (or provision/ changed since): building "
                        f"it first (minutes; `vmwheel box build --machine {spec.name}` does "
                        "only that)")
                with run.display.paused():
                    boxes.build(spec)


class PlainSSH(Executor):
    """One provisioned SSH host (`--ssh-host`): `ssh` holds SSHHost's arguments (address, key,
    known_hosts, python_root, guest_root); the address is checked here, first."""

    def __init__(self, ssh):
        self.host = SSHHost(**ssh)

    def check(self, given):
        _no_scheduler(given)

    def machines(self, given, machine):
        return None

    def build(self, run):
        _build_sessions(run, [self.host], lambda hosts: None)  # nothing to boot
