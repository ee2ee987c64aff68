"""The build loop in the guest: one clean build per interpreter, repaired, tested, fetched.

For each selected /opt/python/<tag>: a fresh copy of the project in an empty work dir, the
before-build hook, the wheel built with build isolation (pip or build), the repair command
(auditwheel) for the target platform, install into a fresh venv and the test command (by default:
import every top-level module), then fetch to the host's wheelhouse. Every step's output goes to
logs/<machine>/<tag>.log on the host. One interpreter failing never stops the others, and never
touches wheels already fetched. Every value that reaches a guest shell is quoted here.
"""

import shlex
import time
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from .errors import VmwheelError
from .guest_env import GUEST_CA
from .options import DEFAULT_REPAIR

GUEST_ROOT = PurePosixPath("/tmp/vmwheel")
PROJECT = GUEST_ROOT / "project"

# Runs in the guest's test venv: import every top-level module the wheel installs.
IMPORT_TEST = r"""
import importlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
tops = set()
for n in z.namelist():
    if n.endswith('.dist-info/top_level.txt'):
        tops |= {l.strip() for l in z.read(n).decode().splitlines() if l.strip()}
if not tops:
    for n in z.namelist():
        first = n.split('/')[0]
        if first.endswith(('.dist-info', '.data', '.libs')):
            continue
        tops.add(first if '/' in n else first.split('.')[0])
for t in sorted(tops):
    importlib.import_module(t.replace('/', '.'))
    print('imported', t)
"""


def q(value):
    return shlex.quote(str(value))


def fill(template, **values):
    """Replace {name} placeholders with shell-quoted values; other braces stay as they are."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", q(value))
    return template


@dataclass
class Result:
    tag: str
    python: str
    identifier: str = ""
    machine: str = ""
    status: str = "pending"  # built | failed | skipped
    reason: str = ""
    durations: dict = field(default_factory=dict)
    wheel: str = ""
    sha256: str = ""
    size: int = 0
    auditwheel: str = ""
    log: str = ""

    def as_dict(self):
        return asdict(self)


class StageFailed(Exception):
    pass


class PlainProgress:
    """Progress for callers that only want lines (tests, scripts): `say` is any callable."""

    def __init__(self, say):
        self.say = say

    def stage(self, key, stage):
        pass

    def echo(self):
        return None


class Tee:
    """A log file that also copies to the terminal (-v)."""

    def __init__(self, *streams):
        self.streams = [s for s in streams if s is not None]
        self.name = getattr(self.streams[0], "name", "")

    def write(self, text):
        for s in self.streams:
            s.write(text)

    def flush(self):
        for s in self.streams:
            s.flush()


def list_interpreters(guest, python_root="/opt/python"):
    """[(tag, "X.Y")] for every interpreter under `python_root`, sorted by tag."""
    root = q(python_root)
    out = guest.check(
        f'for d in {root}/*/; do [ -x "$d/bin/python" ] || continue; '
        f'printf "%s %s\\n" "$(basename "$d")" '
        f'"$("$d/bin/python" -c "import sys; print(\'%d.%d\' % sys.version_info[:2])")"; done')
    pairs = [tuple(line.split()) for line in out.splitlines() if len(line.split()) == 2]
    return sorted(pairs)


class Builder:
    """Builds one source for the interpreters of one guest.

    `hooks` keys (all optional): before-build, repair-wheel-command, test-requires,
    test-command, build-frontend; `env` is what every guest command gets (pip settings, CA
    bundle, the user's environment).
    """

    def __init__(self, guest, source, wheelhouse, plat, log_dir, env, hooks=None,
                 python_root="/opt/python", progress=print, work_root=GUEST_ROOT):
        self.guest, self.source, self.wheelhouse = guest, source, wheelhouse
        self.plat, self.log_dir, self.python_root = plat, log_dir, PurePosixPath(python_root)
        self.env = dict(env)
        self.hooks = dict(hooks or {})
        self.progress = PlainProgress(progress) if callable(progress) else progress
        self.remote_sdist = GUEST_ROOT / "src" / source.sdist.name
        self.work_root = PurePosixPath(work_root)  # per-interpreter build dirs go here

    def upload(self, ca_bundle=None):
        """Send the sdist (and the CA bundle) to the guest once; unpack it as {project}."""
        self.guest.check(f"rm -rf {GUEST_ROOT} && mkdir -p {GUEST_ROOT}/src {PROJECT}")
        self.guest.put(self.source.sdist, self.remote_sdist)
        if self.source.sdist.name.endswith(".zip"):
            self.guest.check(f"cd {PROJECT} && unzip -q {q(self.remote_sdist)} && "
                             f"d=$(ls) && mv \"$d\"/* \"$d\"/.[!.]* . 2>/dev/null; rmdir \"$d\"")
        else:
            self.guest.check(f"tar -xf {q(self.remote_sdist)} -C {PROJECT} "
                             "--strip-components=1")
        if ca_bundle:
            self.guest.put(ca_bundle, GUEST_ROOT / GUEST_CA)

    def run_hook(self, name, command, log, extra_env=None, cwd=PROJECT):
        """A user's command (before-all, ...) in the guest; raises StageFailed naming it."""
        log.write(f"\n==> [{name}] {command}\n")
        log.flush()
        env = dict(self.env, **(extra_env or {}))
        code, _ = self.guest.call(f"sh -c {q(command)}", env=env, log=log, cwd=cwd)
        if code != 0:
            raise StageFailed(f"{name} failed (exit {code})")

    def _stage(self, result, name, command, log, cwd=None, env=None):
        self.progress.stage(result.identifier or result.tag, name)
        log.write(f"\n==> [{name}] {command}\n")
        log.flush()
        t0 = time.monotonic()
        code, out = self.guest.call(command, env=dict(self.env, **(env or {})), log=log,
                                    cwd=cwd)
        result.durations[name] = round(time.monotonic() - t0, 1)
        if code != 0:
            raise StageFailed(f"{name} failed (exit {code})")
        return out

    def build_one(self, tag, python, result=None):
        result = result or Result(tag=tag, python=python)
        if not self.source.admits(python):
            result.status = "skipped"
            result.reason = (f"Requires-Python {self.source.requires_python} "
                             f"excludes Python {python}")
            return result
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{tag}.log"
        result.log = str(log_path)
        work = self.work_root / tag
        bindir = self.python_root / tag / "bin"
        py = bindir / "python"
        # The interpreter's bin dir first on PATH, for hooks and tests.
        path_env = {"PATH": f"{bindir}:{self.env.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"}
        with open(log_path, "w") as logfile:
            log = Tee(logfile, self.progress.echo())
            try:
                self.progress.say(f"{tag}: building {self.source.name} {self.source.version}")
                self._stage(result, "prepare", f"rm -rf {q(work)} && mkdir -p {q(work)}/tmp "
                            f"{q(work)}/dist {q(work)}/repaired {q(work)}/test && "
                            f"cp -a {PROJECT} {q(work)}/src", log)
                if self.hooks.get("before-build"):
                    self.progress.stage(result.identifier or tag, "before-build")
                    t0 = time.monotonic()
                    self.run_hook("before-build", self.hooks["before-build"], log, path_env,
                                  cwd=work / "src")
                    result.durations["before-build"] = round(time.monotonic() - t0, 1)
                self._stage(result, "build", self._build_command(py, work), log,
                            cwd=work / "src", env=dict(path_env, TMPDIR=str(work / "tmp")))
                built = self._one_file(work / "dist", log)
                if built.endswith("-none-any.whl"):
                    self._stage(result, "repair", f"cp {q(work)}/dist/{q(built)} "
                                f"{q(work)}/repaired/", log)
                    result.auditwheel = "pure Python wheel: nothing to repair"
                else:
                    repair = fill(self.hooks.get("repair-wheel-command") or DEFAULT_REPAIR,
                                  wheel=work / "dist" / built, dest_dir=work / "repaired",
                                  plat=self.plat)
                    self._stage(result, "repair", repair, log, env=path_env)
                repaired = self._one_file(work / "repaired", log)
                wheel = work / "repaired" / repaired
                if not built.endswith("-none-any.whl"):
                    show = self._stage(result, "show", f"auditwheel show {q(wheel)}", log)
                    result.auditwheel = " ".join(show.split())
                self._stage(result, "test", self._test_command(py, work, wheel), log,
                            cwd=work / "test", env=path_env)
                digest = self._stage(result, "hash", f"sha256sum {q(wheel)} && stat -c %s "
                                     f"{q(wheel)}", log).split()
                result.sha256, result.size = digest[0], int(digest[2])
                t0 = time.monotonic()
                self.wheelhouse.fetch(self.guest, wheel, repaired, result.sha256, result.size)
                result.durations["fetch"] = round(time.monotonic() - t0, 1)
                result.wheel = repaired
                result.status = "built"
                self.progress.say(f"{tag}: {repaired}")
                self.progress.stage(result.identifier or tag, "built")
            except StageFailed as exc:
                result.status = "failed"
                result.reason = f"{exc}; see {log_path}"
                self.progress.say(f"{tag}: {result.reason}")
                self.progress.stage(result.identifier or tag, "failed")
            except VmwheelError as exc:
                result.status = "failed"
                result.reason = exc.what
                log.write(f"\n==> {exc.line()}\n")
                raise
        return result

    def _build_command(self, py, work):
        if self.hooks.get("build-frontend", "pip") == "build":
            return f"{q(py)} -m build --wheel --outdir {q(work)}/dist ."
        return f"{q(py)} -m pip wheel --no-deps -w {q(work)}/dist ."

    def _test_command(self, py, work, wheel):
        venv = work / "venv"
        # The interpreter's own pip installs into the venv: no pip bootstrap per test.
        install = (f"{q(py)} -m venv --without-pip {q(venv)} && {q(py)} -m pip --python "
                   f"{q(venv)}/bin/python install -q {q(wheel)}")
        for req in self.hooks.get("test-requires") or []:
            install += f" {q(req)}"
        command = self.hooks.get("test-command")
        if command:
            test = fill(command, project=PROJECT, wheel=wheel)
            return f"{install} && PATH={q(venv)}/bin:\"$PATH\" sh -c {q(test)}"
        return f"{install} && {q(venv)}/bin/python -c {q(IMPORT_TEST)} {q(wheel)}"

    def _one_file(self, remote_dir, log):
        out = self.guest.check(f"ls -1 {q(remote_dir)}", log=log)
        names = [n for n in out.split() if n.endswith(".whl")]
        if len(names) != 1:
            raise StageFailed(f"expected one wheel in {remote_dir}, found {len(names)}")
        return names[0]
