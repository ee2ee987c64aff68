"""One clean build per interpreter in the guest, as a list of stages.

For each selected /opt/python/<tag>: a fresh copy of the project in an empty work dir (prepare),
the before-build hook, the wheel built with build isolation (pip or build; in a parallel build it
takes a compile turn, stages/turns.py), the repair command (auditwheel), `auditwheel show`, the
test command in a fresh venv (default: import every top-level module), on a floor host the floor
proof (the wheel imported under the floor's own old glibc loader), the sha256 in the guest, the
fetch to the wheelhouse. The stages that run the user's commands (before-build, build, repair,
test, floor) are limited by the build timeout and leave no process behind (transport/limits.py).
Every stage is timed into the result, logged under `==> [stage]` in logs/<machine>/<tag>.log
(head and tail within log-cap, output/logcap.py) and shown on the display. One interpreter
failing never stops the others, and never touches wheels already fetched.
"""

import copy
import time
from pathlib import PurePosixPath

from .. import log
from ..config.options import DEFAULT_REPAIR, DEFAULT_TIMEOUT
from ..errors import VmwheelError
from ..model.result import Result, Status, row
from ..output.display import NullDisplay, Tee
from ..output.logcap import DEFAULT_CAP, capped
from ..transport.limits import Guard
from ..transport.shell import fill, q
from . import floor, starved, symbols, toonew, why
from .turns import held
from .work import Stage, StageFailed, Work, lost_during
from .guest import GUEST_ROOT, IMPORT_TEST, guest_ca


class Builder:
    """Builds one source for the interpreters of one build host.

    `hooks` (optional): before-build, repair-wheel-command, test-requires, test-command,
    build-frontend, build-timeout, log-cap; `env`: what every guest command gets; `root`: its
    run dir, made anew.
    """

    def __init__(self, remote, source, wheelhouse, plat, log_dir, env, hooks=None,
                 python_root="/opt/python", display=None, work_root=None, floor=None,
                 root=GUEST_ROOT):
        self.remote, self.source, self.wheelhouse = remote, source, wheelhouse
        self.plat, self.log_dir, self.python_root = plat, log_dir, PurePosixPath(python_root)
        self.env, self.hooks = dict(env), dict(hooks or {})
        self.display, self.root = display or NullDisplay(), PurePosixPath(root)
        self.project = self.root / "project"  # {project}: the unpacked sdist
        self.remote_sdist = self.root / "src" / source.sdist.name
        self.work_root = PurePosixPath(work_root or root)  # per-interpreter build dirs go here
        # model.machine.Floor, or None; whether floor-install's ports are there (the cross box)
        self.floor, self.ports = floor, bool(floor and floor.ports)
        self.labelled = False  # several machines build: rows and lines name this one
        self.turns = None  # a parallel build's compile turns (orchestration/parallel.py)
        self.lost = []  # (who, reason) of the builds the host went away under (run.py)
        self.stages = STAGES  # a cross build's side: stages/cross.py split()
        self.where = ""  # "<machine> (<uname -m>)": the result's built_on / tested_on
        self.interp_env = None  # (tag, "X.Y[t]") -> env of one interpreter (stages/cross.py)
        self.target = ""  # a cross build's platform, which repair must give, and the host
        self.staged = None  # dir where its wheels wait for their test (stages/cross.py)

    def on(self, remote):
        """This builder over another connection to the same build host (a parallel build)."""
        twin = copy.copy(self)
        twin.remote = remote
        return twin

    def upload(self, ca_bundle=None):
        """Send the sdist (and the CA bundle) to the guest once; unpack it as {project}."""
        root, project = q(self.root), q(self.project)
        self.remote.check(f"rm -rf {root} && mkdir -p {root}/src {project}")
        self.remote.put(self.source.sdist, self.remote_sdist)
        if self.source.sdist.name.endswith(".zip"):
            self.remote.check(f"cd {project} && unzip -q {q(self.remote_sdist)} && "
                              f"d=$(ls) && mv \"$d\"/* \"$d\"/.[!.]* . 2>/dev/null; rmdir \"$d\"")
        else:
            self.remote.check(f"tar -xf {q(self.remote_sdist)} -C {project} "
                              "--strip-components=1")
        if ca_bundle:
            self.remote.put(ca_bundle, guest_ca(self.root))

    def run_hook(self, name, command, log_file, extra_env=None, cwd=None):
        """A user's command (before-all, ...) in the guest; raises StageFailed naming it."""
        self.run(name, f"sh -c {q(command)}", log_file, cwd=cwd or self.project,
                 env=extra_env, shown=command)

    def run(self, name, command, log_file, cwd=None, env=None, shown=None):
        """Run one guest command under the `==> [name]` header; StageFailed if it fails (or
        runs out of time: a Guard limits the user's stages)."""
        log_file.write(f"\n==> [{name}] {shown or command}\n")
        log_file.flush()
        guard = Guard(name, self.hooks.get("build-timeout", DEFAULT_TIMEOUT))
        code, out = self.remote.call(guard.line(command), env=dict(self.env, **(env or {})),
                                     log=log_file, cwd=cwd, what=shown or command)
        if code != 0:
            raise StageFailed(guard.failure(code, log_file) if guard.expired(code) else
                              starved.failure(name, code, self.remote.said), out)
        return out

    def check(self, command, log_file):
        """A stage's own guest command: failing, it fails this interpreter (StageFailed) as
        the user's do; Remote.check's BuildFailed would end the host's session."""
        code, out = self.remote.call(command, log=log_file, what=command)
        if code != 0:
            raise StageFailed(f"`{command[:60]}` failed in the guest (exit {code})")
        return out

    def build_one(self, tag, python, result=None):
        result = result or Result(tag=tag, python=python)
        if not self.source.admits(python):
            result.skip(f"Requires-Python {self.source.requires_python} excludes "
                        f"Python {python}")
            return result
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{tag}.log"
        result.log = str(log_path)
        result.libc = self.floor.label if self.floor else (
            "musl" if self.plat.startswith("musllinux") else "glibc")
        key = row(result, self.labelled)
        who = key if self.labelled else tag  # what its lines start with
        bindir = self.python_root / tag / "bin"
        path_env = {"PATH": f"{bindir}:{self.env.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"}
        path_env.update(self.interp_env(tag, result.abi) if self.interp_env else {})
        names = {s.name for s in self.stages}
        result.built_on = self.where if "build" in names else result.built_on
        result.tested_on = self.where if "test" in names else result.tested_on
        with capped(log_path, self.hooks.get("log-cap", DEFAULT_CAP)) as logfile:
            w = Work(tag, result, Tee(logfile, self.display.echo()), self.work_root / tag,
                     bindir, path_env, repaired=result.wheel if "build" not in names else "")
            try:
                log.say(f"{who}: " + (f"building {self.source.name} {self.source.version}"
                                      if "build" in names else f"testing {w.repaired}"))
                for stage in (s for s in self.stages if s.wanted(self, w)):
                    with held(self.turns if stage.name == "build" else None,
                              lambda: self.display.stage(key, "waiting for its turn to compile")):
                        self.display.stage(key, stage.name)
                        t0 = time.monotonic()
                        try:
                            stage.step(self, w)
                        finally:  # a failed stage's time counts too
                            result.durations[stage.name] = round(time.monotonic() - t0, 1)
                result.wheel, result.status = w.repaired, Status.BUILT
                log.say(f"{who}: {w.repaired}")
                self.display.stage(key, "built")
            except StageFailed as exc:
                logfile.flush()
                result.fail(f"{exc}; see {log_path}")
                result.why = why.of_log(log_path)
                for line in why.shown(result.reason, result.why, self.ports):
                    log.say(f"{who}: {line}")
                self.display.stage(key, "failed")
            except VmwheelError as exc:
                result.fail(lost_during(exc, stage.name, who, self.lost) or exc.what)
                w.log.write(f"\n==> {exc.line()}\n")
                raise
        return result

    def _prepare(self, w):  # the stages' steps, in order (see STAGES)
        d = q(w.dir)
        self.run("prepare", f"rm -rf {d} && mkdir -p {d}/tmp {d}/dist {d}/repaired {d}/test "
                 f"&& cp -a {q(self.project)} {d}/src", w.log)

    def _before_build(self, w):
        self.run_hook("before-build", self.hooks["before-build"], w.log, w.path_env,
                      cwd=w.dir / "src")

    def _build(self, w):
        if self.hooks.get("build-frontend", "pip") == "build":
            command = f"{q(w.python)} -m build --wheel --outdir {q(w.dir)}/dist ."
        else:
            command = f"{q(w.python)} -m pip wheel --no-deps -w {q(w.dir)}/dist ."
        self.run("build", command + w.build_args, w.log, cwd=w.dir / "src",
                 env=dict(w.path_env, **w.build_env, TMPDIR=str(w.dir / "tmp")))
        w.built = self._one_file(w.dir / "dist", w.log)

    def _repair(self, w):
        if w.pure:
            self.run("repair", f"cp {q(w.dir)}/dist/{q(w.built)} {q(w.dir)}/repaired/", w.log)
            w.result.auditwheel = "pure Python wheel: nothing to repair"
        else:
            # A cross build's wheel is repaired for the platform its ELF says (auditwheel on
            # x86_64 refuses an aarch64 --plat); the next stage checks it is the target's.
            repair = fill(self.hooks.get("repair-wheel-command") or DEFAULT_REPAIR,
                          wheel=w.dir / "dist" / w.built, dest_dir=w.dir / "repaired",
                          plat="auto" if self.target else self.plat)
            try:
                self.run("repair", repair, w.log, env=w.path_env)
            except StageFailed as exc:  # name what needs too-new symbol versions, if so
                line = toonew.refusal(self.remote, self.env, w.python, w.dir / "dist" / w.built,
                                      self.plat)
                if line is None:
                    raise
                w.log.write(f"\n==> [repair] {line}\n")
                raise StageFailed(line, exc.output) from None
        w.repaired = self._one_file(w.dir / "repaired", w.log)

    def _show(self, w):
        out = self.run("show", f"auditwheel show {q(w.wheel)}", w.log)
        w.result.auditwheel = " ".join(out.split())

    def _test(self, w):
        venv = w.dir / "venv"
        # The interpreter's own pip installs into the venv: no pip bootstrap per test.
        install = (f"{q(w.python)} -m venv --without-pip {q(venv)} && {q(w.python)} -m pip "
                   f"--python {q(venv)}/bin/python install -q {q(w.wheel)}")
        for req in self.hooks.get("test-requires") or []:
            install += f" {q(req)}"
        command = self.hooks.get("test-command")
        if command:
            test = fill(command, project=self.project, wheel=w.wheel)
            line = f"{install} && PATH={q(venv)}/bin:\"$PATH\" sh -c {q(test)}"
        else:
            line = f"{install} && {q(venv)}/bin/python -c {q(IMPORT_TEST)} {q(w.wheel)}"
        self.run("test", line, w.log, cwd=w.dir / "test", env=w.path_env)

    def _hash(self, w):
        digest = self.run("hash", f"sha256sum {q(w.wheel)} && stat -c %s {q(w.wheel)}",
                          w.log).split()
        w.result.sha256, w.result.size = digest[0], int(digest[2])

    def _fetch(self, w):
        """Download, verify, and refuse what auditwheel cannot see (stages/symbols.py)."""
        def check(path):
            found = symbols.unresolved(path, name=w.repaired)
            if found:
                w.log.write(f"\n==> [fetch] refused: {symbols.describe(found)}\n")
                raise StageFailed(symbols.describe(found))

        self.wheelhouse.fetch(self.remote, w.wheel, w.repaired, w.result.sha256, w.result.size,
                              check=check)

    def _one_file(self, remote_dir, log_file):
        names = [n for n in self.check(f"ls -1 {q(remote_dir)}", log_file).split()
                 if n.endswith(".whl")]
        if len(names) != 1:
            raise StageFailed(f"expected one wheel in {remote_dir}, found {len(names)}")
        return names[0]


STAGES = [
    Stage("prepare", Builder._prepare),
    Stage("before-build", Builder._before_build, lambda b, w: bool(b.hooks.get("before-build"))),
    Stage("build", Builder._build),
    Stage("repair", Builder._repair),
    Stage("show", Builder._show, lambda b, w: not w.pure),
    Stage("test", Builder._test),
    Stage("floor", floor.prove, lambda b, w: b.floor is not None),
    Stage("hash", Builder._hash),
    Stage("fetch", Builder._fetch),
]
