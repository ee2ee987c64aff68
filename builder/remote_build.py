"""The build loop in the guest: one clean build per interpreter, repaired, tested, fetched.

For each selected /opt/python/<tag>: a fresh empty work dir, `pip wheel --no-deps` with build
isolation, `auditwheel repair` for the target platform, install into a fresh venv and import,
then fetch to the host's wheelhouse. Every step's output goes to logs/<tag>.log on the host.
One interpreter failing never stops the others, and never touches wheels already fetched.
"""

import shlex
import time
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from .errors import VmwheelError
from .guest_env import GUEST_CA

GUEST_ROOT = PurePosixPath("/tmp/vmwheel")

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


@dataclass
class Result:
    tag: str
    python: str
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


def list_interpreters(guest, python_root="/opt/python"):
    """[(tag, "X.Y")] for every interpreter under `python_root`, sorted by tag."""
    root = shlex.quote(str(python_root))
    out = guest.check(
        f'for d in {root}/*/; do [ -x "$d/bin/python" ] || continue; '
        f'printf "%s %s\\n" "$(basename "$d")" '
        f'"$("$d/bin/python" -c "import sys; print(\'%d.%d\' % sys.version_info[:2])")"; done')
    pairs = [tuple(line.split()) for line in out.splitlines() if len(line.split()) == 2]
    return sorted(pairs)


class Builder:
    def __init__(self, guest, source, wheelhouse, plat, log_dir, pip_env,
                 python_root="/opt/python", progress=print):
        self.guest, self.source, self.wheelhouse = guest, source, wheelhouse
        self.plat, self.log_dir, self.python_root = plat, log_dir, PurePosixPath(python_root)
        self.env = dict(pip_env)
        self.progress = progress
        self.remote_sdist = GUEST_ROOT / "src" / source.sdist.name

    def upload(self, ca_bundle=None):
        """Send the sdist (and the CA bundle) to the guest once."""
        self.guest.check(f"rm -rf {GUEST_ROOT} && mkdir -p {GUEST_ROOT}/src")
        self.guest.put(self.source.sdist, self.remote_sdist)
        if ca_bundle:
            self.guest.put(ca_bundle, GUEST_ROOT / GUEST_CA)

    def _stage(self, result, name, command, log, cwd=None):
        log.write(f"\n==> [{name}] {command}\n")
        log.flush()
        t0 = time.monotonic()
        code, out = self.guest.call(command, env=self.env, log=log, cwd=cwd)
        result.durations[name] = round(time.monotonic() - t0, 1)
        if code != 0:
            raise StageFailed(f"{name} failed (exit {code})")
        return out

    def build_one(self, tag, python):
        result = Result(tag=tag, python=python)
        if not self.source.admits(python):
            result.status = "skipped"
            result.reason = (f"Requires-Python {self.source.requires_python} "
                             f"excludes Python {python}")
            return result
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{tag}.log"
        result.log = str(log_path)
        work = GUEST_ROOT / tag
        py = self.python_root / tag / "bin" / "python"
        q = lambda p: shlex.quote(str(p))  # noqa: E731
        with open(log_path, "w") as log:
            try:
                self.progress(f"{tag}: building {self.source.name} {self.source.version}")
                self._stage(result, "prepare", f"rm -rf {q(work)} && mkdir -p {q(work)}/tmp "
                            f"{q(work)}/dist {q(work)}/repaired {q(work)}/test", log)
                env_tmp = f"TMPDIR={q(work)}/tmp"
                self._stage(result, "build", f"{env_tmp} {q(py)} -m pip wheel --no-deps "
                            f"-w {q(work)}/dist {q(self.remote_sdist)}", log, cwd=work / "tmp")
                built = self._one_file(work / "dist", log)
                if built.endswith("-none-any.whl"):
                    self._stage(result, "repair", f"cp {q(work)}/dist/{q(built)} "
                                f"{q(work)}/repaired/", log)
                    result.auditwheel = "pure Python wheel: nothing to repair"
                else:
                    self._stage(result, "repair", f"auditwheel repair --plat {q(self.plat)} "
                                f"-w {q(work)}/repaired {q(work)}/dist/{q(built)}", log)
                repaired = self._one_file(work / "repaired", log)
                wheel = work / "repaired" / repaired
                if not built.endswith("-none-any.whl"):
                    show = self._stage(result, "show", f"auditwheel show {q(wheel)}", log)
                    result.auditwheel = " ".join(show.split())
                venv = work / "venv"
                # The interpreter's own pip installs into the venv: no pip bootstrap per test.
                self._stage(result, "test", f"{q(py)} -m venv --without-pip {q(venv)} && "
                            f"{q(py)} -m pip --python {q(venv)}/bin/python install -q {q(wheel)} "
                            f"&& {q(venv)}/bin/python -c {q(IMPORT_TEST)} {q(wheel)}",
                            log, cwd=work / "test")
                digest = self._stage(result, "hash", f"sha256sum {q(wheel)} && stat -c %s "
                                     f"{q(wheel)}", log).split()
                result.sha256, result.size = digest[0], int(digest[2])
                t0 = time.monotonic()
                self.wheelhouse.fetch(self.guest, wheel, repaired, result.sha256, result.size)
                result.durations["fetch"] = round(time.monotonic() - t0, 1)
                result.wheel = repaired
                result.status = "built"
                self.progress(f"{tag}: {repaired}")
            except StageFailed as exc:
                result.status = "failed"
                result.reason = f"{exc}; see {log_path}"
                self.progress(f"{tag}: {result.reason}")
            except VmwheelError as exc:
                result.status = "failed"
                result.reason = exc.what
                log.write(f"\n==> {exc.line()}\n")
                raise
        return result

    def _one_file(self, remote_dir, log):
        out = self.guest.check(f"ls -1 {shlex.quote(str(remote_dir))}", log=log)
        names = [n for n in out.split() if n.endswith(".whl")]
        if len(names) != 1:
            raise StageFailed(f"expected one wheel in {remote_dir}, found {len(names)}")
        return names[0]

