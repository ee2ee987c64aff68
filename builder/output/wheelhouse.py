"""The host's output dir: wheels arrive whole and verified, or not at all.

A wheel is downloaded to a hidden temporary name in the output dir, checked against the size
and sha256 the guest computed, then renamed into place (atomic on one file system). SHA256SUMS
and report.json are written the same way.
"""

import json
import os
import re
import tempfile
from pathlib import Path

from ..digest import sha256_of
from ..errors import BuildHostError, ConfigurationError, local_write_error

# {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl, PEP 427 characters only.
# Used with fullmatch: no path separators, no newline, no leading dot.
WHEEL_NAME = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9_.]*-[A-Za-z0-9_.!+]+(-[0-9][A-Za-z0-9_]*)?"
    r"-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+\.whl")


def atomic_write(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        raise local_write_error(exc, path) or exc


class Wheelhouse:
    def __init__(self, path):
        self.path = Path(path)  # made only when something is written into it

    def check_writable(self):
        """Refuse, before anything runs, an output dir that is /, a file, under a file, or
        not writable; nothing is created here."""
        path = self.path.resolve()
        if path == Path(path.anchor):
            raise ConfigurationError(f"the output dir {path} is the file system root",
                                     "choose a directory for the wheels (--output-dir)")
        probe = path
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir():
            raise ConfigurationError(f"the output dir {path} is {'' if probe == path else 'under '}"
                                     f"a file ({probe})", "choose a directory (--output-dir)")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise ConfigurationError(f"the output dir {path} is not writable ({probe})",
                                     "choose a directory you may write (--output-dir)")

    def fetch(self, remote, remote_path, name, sha256, size, check=None):
        """Download `remote_path` as `name`; return the final path once verified. `check`,
        if given, is called with the downloaded file before it is moved into place: what it
        raises leaves nothing behind."""
        if not WHEEL_NAME.fullmatch(name):
            raise BuildHostError(f"the guest reported an invalid wheel file name {name!r}",
                               "report this as a bug; nothing was written")
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".part")
        os.close(fd)
        try:
            remote.get(remote_path, tmp)
            got_size, got_sha = os.path.getsize(tmp), sha256_of(tmp)
            if got_size != size or got_sha != sha256:
                raise BuildHostError(
                    f"{name} arrived corrupted (size {got_size} vs {size}, sha256 "
                    f"{got_sha[:12]} vs {sha256[:12]})", "rerun the build")
            if check:
                check(tmp)
            os.chmod(tmp, 0o644)
            final = self.path / name
            os.replace(tmp, final)
            return final
        finally:
            Path(tmp).unlink(missing_ok=True)

    def write_sums(self):
        self.path.mkdir(parents=True, exist_ok=True)
        lines = [f"{sha256_of(w)}  {w.name}\n" for w in sorted(self.path.glob("*.whl"))]
        atomic_write(self.path / "SHA256SUMS", "".join(lines))

    def write_report(self, report):
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path / "report.json", json.dumps(report, indent=2) + "\n")
