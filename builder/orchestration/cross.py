"""A machine whose wheels another machine compiles (aarch64): sessions one after the other.

With build-on = cross (the default), first its build machine (the cross VM, x86_64) builds every
pending interpreter up to a repaired, hashed wheel fetched into a staging dir on the host; then
its own VM (aarch64) gets each of those wheels back, tests it, proves it at the floor and only
then fetches it into the wheelhouse (stages/cross.py). With build-on = emulated, its own VM
compiles first (slow: under TCG) and hands each wheel over unrepaired, with what floor-install
built there, the cross VM repairs it with its auditwheel, and its own VM tests it: three
sessions. A wheel whose test VM never came up is failed, never delivered untested.
"""

import enum
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..model.machine import load_table
from ..model.result import Status
from ..output.wheelhouse import Wheelhouse
from ..paths import cache_dir, ensure_dir
from ..stages import build as native
from ..stages import cross as cross_stages
from ..stages import ports


class Role(enum.Enum):
    CROSS = "cross-compile and repair"  # the cross VM, build-on = cross
    COMPILE = "compile"  # the target's own VM, build-on = emulated
    REPAIR = "repair"  # the cross VM, build-on = emulated
    TEST = "test"  # the target's own VM, always last


@dataclass(frozen=True)
class Side:
    """One of the sessions: what `role` does, with wheels `staged` by the session before it,
    fetched into `staging` (the wheelhouse for TEST)."""

    role: Role
    staging: Path = None
    staged: Path = None
    target: str = ""  # the platform repair must give

    @property
    def builds(self):
        """True for the session that compiles: it runs before-all."""
        return self.role in (Role.CROSS, Role.COMPILE)

    def session(self, name):
        """What the timings and logs of this session on machine `name` are named: the compile
        session's `<name>-build`, apart from the same machine's test session."""
        return f"{name}-build" if self.role == Role.COMPILE else name

    def after_before_all(self, remote, command):
        """The compile session hands what its before-all's floor-install built to the repair
        session (build-on = emulated; a cross build's repair is in its own session)."""
        if self.role == Role.COMPILE and ports.wanted(command, True):
            ports.hand_over(remote, self.staging)

    def configure(self, builder, remote, python_root):
        build, test = cross_stages.split(native.STAGES)
        compiled, repair = cross_stages.emulated(native.STAGES)
        builder.stages = {Role.CROSS: build, Role.COMPILE: compiled, Role.REPAIR: repair,
                          Role.TEST: test}[self.role]
        builder.target, builder.staged = self.target, self.staged
        if self.role == Role.CROSS:
            # The cross box has no floor of its own (floor_spec): its ports are the target's.
            builder.env = {**cross_stages.hook_env(), **cross_stages.ports_env(),
                           **builder.env}  # the user's env wins
            builder.ports = True
            builder.interp_env = cross_stages.interpreter_env(remote, python_root, builder.env)
        elif self.role == Role.COMPILE:  # its logs beside the test's, which come after
            builder.env = dict(cross_stages.native_env(), **builder.env)
            builder.log_dir = builder.log_dir.with_name(self.session(builder.log_dir.name))
        elif self.role == Role.REPAIR and ports.take_over(
                remote, self.staged, f"{cross_stages.CROSS_DIR}/ports"):
            # floor-install's libraries from the compile session, for auditwheel to graft
            builder.env = {**cross_stages.ports_env(), **builder.env}
        if self.role != Role.TEST:
            builder.wheelhouse = Wheelhouse(self.staging)


def builder_spec(spec, opts):
    """The cross machine that compiles for `spec`, sized by the run's options."""
    return load_table().builder_of(spec).sized(opts["memory"], opts["cpus"])


def build_and_test(run, test_host, planned):
    """The sessions of run.opts["build-on"], each `run.build_on` one host with one Side."""
    build_host = run.vm(builder_spec(test_host.spec, run.opts))
    target = test_host.spec.platform
    if run.opts["build-on"] == "emulated":
        steps = [(test_host, Role.COMPILE), (build_host, Role.REPAIR)]
    else:
        steps = [(build_host, Role.CROSS)]
    steps.append((test_host, Role.TEST))
    work = ensure_dir(cache_dir() / "work")
    dirs = [Path(tempfile.mkdtemp(prefix="cross-", dir=work)) for _ in steps[:-1]]
    try:
        staged = None
        for (host, role), staging in zip(steps, dirs + [None]):
            if staged is not None:  # compiled before: pending again, with the wheel it has
                ready = [r for r in planned if r.status == Status.BUILT and r.wheel
                         and (staged / r.wheel).is_file()]
                if not ready:
                    break
                for r in ready:
                    r.status = Status.PENDING
            run.build_on(host, planned, Side(role, staging, staged, target))
            staged = staging
    finally:
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
