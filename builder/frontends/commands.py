"""The commands behind both front ends (`vmwheel ...` and `fab ...`)."""

import shutil
from pathlib import Path

from .. import log, planner
from ..config.options import Options
from ..errors import BuildFailed, ConfigurationError, HostNotReady
from ..host import prepare, vagrantcli
from ..images import boxes
from ..model.arch import Arch
from ..model.machine import get as get_machine
from ..output import verify as verify_mod
from ..output.display import Display, choose_mode
from ..providers import instances, leftovers
from ..farm.client import Farm
from ..orchestration.options_io import effective_options, options_of_path
from ..orchestration.executors import LocalVMs, PlainSSH
from ..orchestration.run import BuildRun


def host_setup():
    """Install and start what VM builds need on this host (idempotent)."""
    prepare.setup()


def box_build(machine=None, force=False):
    """Build the machine's local box offline (debootstrap + provision/ in a chroot)."""
    spec = get_machine(machine)
    prepare.check_ready(aarch64=spec.arch == Arch.AARCH64)  # the cross machine's box too
    boxes.build(spec, force=force)


def vm_destroy(machine=None):
    """Destroy the machine's VMs that no vmwheel run holds: one kept with --keep-vm, or what a
    run killed outright left (a restored VM, a disk in the storage pool)."""
    spec = get_machine(machine)
    prepare.check_ready()
    removed = 0
    for slot in vagrantcli.slots(spec.name) or [0]:
        if instances.in_use(spec.name, slot):
            log.say(f"{spec.name}: instance {slot + 1} is in use by a vmwheel run: left alone")
            continue
        left = leftovers.find(spec.name, slot)
        if not left:
            continue
        if not leftovers.remove(left):
            raise HostNotReady(f"could not remove {left.describe()}",
                               "check libvirt with `vmwheel doctor`, then run this again")
        log.say(f"{spec.name}: removed {left.describe()}")
        removed += 1
    if not removed:
        log.say(f"{spec.name}: no VM to destroy")


def config_show(package=None, machine=None, cli=None):
    """Print every option's effective value and where it came from."""
    opts = options_of_path(package, cli) if package else Options(cli=cli)
    width = max(len(n) for n in opts.values)
    for name, value in opts.values.items():
        if isinstance(value, list):
            value = " ".join(value)
        elif isinstance(value, dict):
            value = " ".join(f"{k}={v}" for k, v in value.items())
        print(f"{name:<{width}}  {str(value)!r:<40}  ({opts.origin[name]})")
    names = ", ".join(m.name for m in planner.select_machines(opts, machine))
    origin = "--machine" if machine else "targets x archs"
    print(f"{'machines':<{width}}  {names!r:<40}  ({origin})")
    return 0


def executor(cli, ssh=None):
    """Where the build runs: the farm (option `scheduler`), the plain SSH host `ssh` (SSHHost's
    arguments; its address is checked now) or local VMs."""
    farm = effective_options(cli)["scheduler"]
    plain = PlainSSH(ssh) if ssh else None
    if farm and plain:
        raise ConfigurationError("--ssh-host and --scheduler both given",
                                 "choose one: a farm's SSH hosts belong to its workers")
    return Farm() if farm else plain or LocalVMs()


def build(spec, machine=None, cli=None, quiet=False, verbose=False, ssh=None):
    """Build repaired wheels of `spec` on every selected machine (or on the plain SSH host
    `ssh`: address, key, known_hosts, python_root; or on a farm); return the exit code."""
    with Display(choose_mode(quiet), verbose) as display:
        return BuildRun(spec, machine, cli, display, executor(cli, ssh)).execute()


def verify(spec, machine=None, cli=None, quiet=False, ssh=None):
    """Build `spec` twice from scratch (two fresh VMs of the same box) and compare the wheels."""
    cli = dict(cli or {})
    base = Path(Options(cli=cli)["output-dir"]).resolve()  # checked: not empty, not /
    runs = [base.with_name(base.name + "-verify") / f"run-{i}" for i in (1, 2)]
    with Display(choose_mode(quiet)) as display:
        for run_dir in runs:
            shutil.rmtree(run_dir, ignore_errors=True)
            log.say(f"verify: build into {run_dir}")
            once = dict(cli, **{"output-dir": str(run_dir), "resume": "false",
                                "keep-vm": "false"})
            BuildRun(spec, machine, once, display, executor(once, ssh)).execute()
    rows = verify_mod.compare(*runs)
    same = sum(v.startswith("identical") for _, _, v in rows)
    for ident, wheel, verdict in rows:
        print(f"{ident}  {wheel}\n    {verdict}")
    print(f"vmwheel verify: {same} of {len(rows)} wheels identical in two fresh builds")
    if same != len(rows):
        raise BuildFailed("builds are not reproducible", "see the differing members above; "
                          f"both runs are in {runs[0].parent}")
    return 0
