"""The real `vmwheel` command of this venv, run in a scratch dir with its own cache and HOME."""

import os
import subprocess
import sys
from pathlib import Path

VMWHEEL = Path(sys.executable).parent / "vmwheel"
# The checkout these tests belong to: its builder/ is what every vmwheel they start imports,
# also when this venv's editable install points at another checkout (a git worktree).
CHECKOUT = str(Path(__file__).resolve().parents[2])


def vmwheel(cwd, *args, env=None):
    """Run `vmwheel ARGS...` in `cwd` (cache and HOME inside it); the CompletedProcess."""
    base = {"PATH": os.environ["PATH"], "VMWHEEL_CACHE_DIR": str(Path(cwd) / "cache"),
            "HOME": str(cwd), "PYTHONPATH": CHECKOUT}
    return subprocess.run([str(VMWHEEL), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env=dict(base, **(env or {})), timeout=120)
