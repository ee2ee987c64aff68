"""`BuildRun`: one `vmwheel build` from the package spec to the exit code.

It holds what a run accumulates (the source, options, results, timings, the hosts used) and
walks them through: resolve -> plan -> for each build host, `with host.session()`: upload,
before-all, the stages per interpreter -> SHA256SUMS, report.json, summary.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from .. import log, planner
from ..errors import BuildFailed, HostGone, NothingToDo, VmwheelError, stopped_by
from ..host import pipconfig
from ..model.arch import split_platform
from ..model.ports import floor_env
from ..model.result import Status, fail_pending, row
from ..output import report, resume
from ..output.logcap import capped
from ..output.wheelhouse import Wheelhouse
from ..paths import cache_dir, ensure_dir
from ..providers.vagrant_vm import VagrantVM
from ..sources import source
from ..stages.build import Builder, StageFailed
from ..stages import ports
from ..stages.guest import guest_ca, list_interpreters
from . import cross, guestnet, parallel, renew
from .clock import check_clock
from .executors import LocalVMs
from .options_io import effective_options

HOOKS = ("before-build", "repair-wheel-command", "test-requires", "test-command",
         "build-frontend", "build-timeout", "log-cap")


def session_name(host, side):
    """What a session on `host` is named in the timings (a cross build's side may rename it)."""
    return side.session(host.name) if side else host.name


class BuildRun:
    def __init__(self, spec, machine=None, cli=None, display=None, executor=None):
        self.spec, self.machine, self.cli = spec, machine, dict(cli or {})
        self.display = display
        self.executor = executor or LocalVMs()  # where the builds run (executors.py)
        self.timings = {}  # "resolve", "boot <host>", ...: seconds
        self.results = []  # model.result.Result, every host's
        self.described = {}  # host name -> what report.json says about it
        self.src = self.opts = self.out = None
        self.earlier = {}
        self.only_planned = False  # build only the interpreters of the plan (a farm job's)
        self.labelled = False  # several machines: rows and lines name theirs
        self.lost = {}  # host name -> [(who, reason)]: builds its host went away under

    @classmethod
    def for_job(cls, src, opts, out, display):
        """A farm job's run on a worker: its sdist, options and wheelhouse given (nothing to
        resolve), and only the interpreters it was given built; the worker calls build_on."""
        run = cls(None, display=display)
        run.src, run.opts, run.out, run.only_planned = src, opts, out, True
        return run

    def execute(self):
        """Build everything; return 0 or raise a VmwheelError with the exit code."""
        given = effective_options(self.cli)  # the command line and environment
        guestnet.check(given)
        self.executor.check(given)
        work = Path(tempfile.mkdtemp(prefix="resolve-", dir=ensure_dir(cache_dir() / "work")))
        try:
            self._resolve(given, work)
            try:
                self.executor.build(self)
            except KeyboardInterrupt as exc:
                fail_pending(self.results, f"{stopped_by(exc)}; rerun to finish")
                raise
            finally:
                if self.results:
                    self.out.write_sums()
                    self.out.write_report(report.make_report(
                        self.src, self.results, self.timings, self.described))
            return self._exit_code()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _resolve(self, given, work):
        """The sdist (for the interpreters of the machines `given` options select), then the
        options with the project's own configuration."""
        chosen = self.executor.machines(given, self.machine)
        t0 = time.monotonic()
        self.src = source.resolve(self.spec, planner.pythons_of(chosen), work)
        self.timings["resolve"] = time.monotonic() - t0
        log.say(f"building {self.src.name} {self.src.version} ({self.src.note})")
        self.opts = effective_options(self.cli, self.src)
        self.out = Wheelhouse(self.opts["output-dir"])
        self.out.check_writable()
        self.earlier = resume.earlier_wheels(self.out.path, self.src) \
            if self.opts["resume"] else {}

    def vm(self, spec):
        return VagrantVM(spec, self.out.path / "logs" / spec.name, keep=self.opts["keep-vm"],
                         driver=self.opts["driver"] or None, network=self.opts["guest-network"])

    def _guest_env(self, ca, root, floor, net):
        # the user's environment wins over both
        env = dict(floor_env(floor.libc), **floor.env()) if floor else {}
        env.update(pipconfig.pip_env(str(guest_ca(root)) if ca else None,
                                     pipconfig.pip_config()), **net)
        env["SOURCE_DATE_EPOCH"] = str(self.src.source_date_epoch)
        for var in self.opts["environment-pass"]:
            if var in os.environ:
                env[var] = os.environ[var]
        env.update(self.opts["environment"])
        return env

    def build_on(self, host, planned, side=None):
        """Boot/connect, run before-all, build every pending interpreter; results in place.
        A machine whose wheels another compiles goes through orchestration/cross.py, which
        comes back here once per `side`."""
        if side is None and getattr(host, "spec", None) and host.spec.build_on:
            return cross.build_and_test(self, host, planned)
        for r in planned:
            if r.pending:
                self.display.stage(row(r, self.labelled), "waiting for the build host")
        host.timings.clear()  # this session's (the aarch64 VM has two with build-on = emulated)
        try:
            while True:  # again on a fresh host while one that went away lets the rest go on
                self.lost[host.name] = []
                try:
                    with host.session() as remote, \
                            guestnet.network(host, remote, self.opts) as net:
                        self._build_in(host, remote, planned, net, side)
                    break
                except HostGone as exc:
                    if not renew.go_on(host, planned, self.lost[host.name], exc):
                        break
        except (VmwheelError, KeyboardInterrupt) as exc:
            fail_pending(planned, getattr(exc, "what", f"{stopped_by(exc)}; rerun to finish"))
            raise
        finally:  # boot and finish, once the session is over
            name = session_name(host, side)
            self.timings.update({f"{k} {name}": v for k, v in host.timings.items()})
            fail_pending(planned, lambda r: f"no interpreter {r.tag} on the build host")

    def _build_in(self, host, remote, planned, net, side=None):
        check_clock(remote, host.name)
        log_dir = self.out.path / "logs" / host.name
        ca = pipconfig.ca_bundle(pipconfig.pip_config())
        env = self._guest_env(ca, host.guest_root, host.floor, net)
        plat = host.platform(remote, env)
        self.described.setdefault(host.name, host.describe())["platform"] = plat
        builder = Builder(remote, self.src, self.out, plat, log_dir, env,
                          {k: self.opts[k] for k in HOOKS}, python_root=host.python_root,
                          display=self.display, floor=host.floor, root=host.guest_root)
        builder.labelled, builder.lost = self.labelled, self.lost[host.name]
        builder.where = f"{host.name} ({remote.check('uname -m').strip()})"
        if side:
            side.configure(builder, remote, host.python_root)
        t0 = time.monotonic()
        builder.upload(ca)
        session = session_name(host, side)
        self.timings[f"upload {session}"] = time.monotonic() - t0
        command = self.opts["before-all"] if side is None or side.builds else ""
        if command:
            ensure_dir(builder.log_dir)  # a session's own (build-on = emulated: <name>-build)
            with capped(builder.log_dir / "before-all.log", self.opts["log-cap"]) as hook_log:
                try:  # where floor-install is, with its builds kept on this host
                    ports.before_all(remote, builder.ports, command, lambda: builder.run_hook(
                        "before-all", command, hook_log))
                except StageFailed as exc:
                    self._jobs(host, remote, planned, plat, side)  # a plain SSH host's
                    fail_pending(planned, f"{exc}; see {hook_log.name}")
                    return
            if side:
                side.after_before_all(remote, command)
        jobs = self._jobs(host, remote, planned, plat, side)
        t0 = time.monotonic()
        try:
            parallel.build_all(builder, remote, jobs, self.opts["parallel"] or host.cpus)
        finally:  # the wall time of the interpreters' stages, next to their own durations
            self.timings[f"builds {session}"] = time.monotonic() - t0

    def _jobs(self, host, remote, planned, plat, side=None):
        """[(tag, python, result)] of the build host's interpreters still to build; those the
        plan did not list (every one, on a plain SSH host) are added to `planned`, except in a
        farm job or a cross build's side (their plan is the table's)."""
        by_tag = {r.tag: r for r in planned}
        policy, arch = split_platform(plat)
        jobs = []
        for tag, python in list_interpreters(remote, host.python_root):
            r = by_tag.get(tag)
            if r is None and (self.only_planned or side):
                continue
            if r is None:  # an interpreter the table did not list (or a plain SSH host)
                r = planner.found_on_host(tag, python, host.name, policy, arch, self.src,
                                          self.opts, self.earlier)
                planned.append(r)
            if r.pending:
                jobs.append((tag, python, r))
        return jobs

    def _exit_code(self):
        report.print_summary(self.results, self.out.path)
        failed = [r.tag for r in self.results if r.status == Status.FAILED]
        if failed:
            raise BuildFailed(f"build failed for {', '.join(failed)}",
                              f"see the logs under {self.out.path / 'logs'}; built wheels "
                              "are kept")
        if not any(r.status == Status.BUILT for r in self.results):
            raise NothingToDo("nothing was built: every interpreter was skipped",
                              "see the reasons above; pin an older release or use another "
                              "machine")
        return 0
