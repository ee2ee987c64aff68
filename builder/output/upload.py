"""Upload the wheelhouse to a PyPI-compatible repository with twine, after checking SHA256SUMS.

Credentials come from twine's own settings (TWINE_USERNAME / TWINE_PASSWORD, ~/.pypirc,
keyring); vmwheel never prints or records them.
"""

import os
import subprocess
import sys
from pathlib import Path

from .. import log
from ..errors import BuildFailed
from ..digest import sha256_of
from .wheelhouse import WHEEL_NAME


def verify_sums(out_dir):
    """The wheels listed in SHA256SUMS, after checking every one; refuse any mismatch."""
    out_dir = Path(out_dir)
    sums = out_dir / "SHA256SUMS"
    if not sums.exists():
        raise BuildFailed(f"no {sums}", f"run `vmwheel build` with --output-dir {out_dir}")
    listed = []
    try:
        text = sums.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildFailed(f"{sums} cannot be read ({type(exc).__name__})",
                          f"rebuild the wheels into {out_dir}") from None
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if not WHEEL_NAME.fullmatch(name) or len(digest) != 64:
            raise BuildFailed(f"{sums} has a malformed line: {line!r}", "rebuild the wheels")
        path = out_dir / name
        if not path.exists():
            raise BuildFailed(f"{name} is listed in SHA256SUMS but missing", "rebuild it")
        if sha256_of(path) != digest:
            raise BuildFailed(f"{name} does not match its SHA256SUMS entry",
                               "the file changed after the build; rebuild it")
        listed.append(path)
    unlisted = sorted(set(out_dir.glob("*.whl")) - set(listed))
    if unlisted:
        raise BuildFailed(f"{unlisted[0].name} is not in SHA256SUMS",
                           "remove it or rebuild, so that only checked wheels are uploaded")
    if not listed:
        raise BuildFailed(f"no wheels in {out_dir}", "build some first")
    return listed


def upload(out_dir="wheelhouse", repository_url=None, repository=None):
    wheels = verify_sums(out_dir)
    cmd = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar"]
    if repository_url:
        cmd += ["--repository-url", repository_url]
    elif repository:
        cmd += ["--repository", repository]
    env = dict(os.environ)
    secret = env.get("TWINE_PASSWORD", "")
    res = subprocess.run(cmd + [str(w) for w in wheels], env=env, capture_output=True,
                         text=True)
    output = (res.stdout + res.stderr).strip()
    if secret:  # twine does not print it; make sure nothing else does either
        output = output.replace(secret, "****")
    if res.returncode != 0:
        last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
        raise BuildFailed(f"upload failed: {last[0].strip()}",
                           "check the repository URL and credentials (TWINE_USERNAME, "
                           "TWINE_PASSWORD or ~/.pypirc)")
    for w in wheels:
        log.say(f"uploaded {w.name}")
    return 0
