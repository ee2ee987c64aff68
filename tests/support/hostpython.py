"""The host's own CPythons (pyenv), for test fixtures only; vmwheel never uses them."""

import glob
import os
from pathlib import Path

PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def host_python(version):
    """Prefix of a host CPython X.Y from pyenv, or None."""
    found = sorted(glob.glob(str(PYENV / f"{version}.*")))
    return Path(found[-1]) if found else None
