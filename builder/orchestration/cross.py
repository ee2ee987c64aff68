"""A machine whose wheels another machine compiles (aarch64): two sessions, one after the other.

First its build machine (the cross VM, x86_64) builds every pending interpreter up to a repaired,
hashed wheel fetched into a staging dir on the host; then its own VM (aarch64) gets each of those
wheels back, tests it, proves it at the floor and only then fetches it into the wheelhouse
(stages/cross.py). A wheel whose test VM never came up is failed, never delivered untested.
"""

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


@dataclass(frozen=True)
class Side:
    """One of the two sessions: `builds` (the cross VM) or tests (the target's VM)."""

    staging: Path
    builds: bool
    target: str = ""  # the platform the build side must repair for

    def configure(self, builder, remote, python_root):
        build, test = cross_stages.split(native.STAGES)
        if self.builds:
            builder.stages, builder.target = build, self.target
            builder.env = dict(cross_stages.hook_env(), **builder.env)  # the user's env wins
            builder.interp_env = cross_stages.interpreter_env(remote, python_root, builder.env)
            builder.wheelhouse = Wheelhouse(self.staging)
        else:
            builder.stages, builder.staged = test, self.staging


def builder_spec(spec, opts):
    """The cross machine that compiles for `spec`, sized by the run's options."""
    return load_table().builder_of(spec).sized(opts["memory"], opts["cpus"])


def build_and_test(run, test_host, planned):
    """`run.build_on` the cross VM with the build side, then the test VM with the test side."""
    build_host = run.vm(builder_spec(test_host.spec, run.opts))
    staging = Path(tempfile.mkdtemp(prefix="cross-", dir=ensure_dir(cache_dir() / "work")))
    try:
        run.build_on(build_host, planned, Side(staging, True, test_host.spec.platform))
        compiled = [r for r in planned
                    if r.status == Status.BUILT and r.wheel and (staging / r.wheel).is_file()]
        for r in compiled:  # to be tested: pending again, with the wheel it has
            r.status = Status.PENDING
        if compiled:
            run.build_on(test_host, planned, Side(staging, False))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
