"""What a box script leaves behind when it fails or is stopped: its processes and its root file
system, in which a chroot's /proc or /sys may still be mounted. Both are waited for or unmounted
before anything is removed: a plain recursive delete would descend into the host's /proc."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from .. import log
from ..paths import PROVISION_DIR


def _running(pgid):
    """True while a process of group `pgid` runs (zombies, which init may never reap here,
    do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if int(group) == pgid and state != "Z":
            return True
    return False


def stop_group(proc, grace=30.0):
    """SIGTERM the process group of `proc` (a Popen started with start_new_session) and wait
    until none of it runs, so that its traps have unmounted what they mounted; SIGKILL after
    `grace` seconds."""
    deadline = time.monotonic() + grace
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    while proc.poll() is None or _running(proc.pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        time.sleep(0.2)


def remove(path):
    """Remove the tree `path` as provision/lib.sh's remove_rootfs does (what is mounted in it
    unmounted first, never crossing into a mount); when it cannot, say where it is left."""
    if not os.path.lexists(path):
        return
    res = subprocess.run(["sh", "-c", '. "$0"; remove_rootfs "$1"',
                          str(PROVISION_DIR / "lib.sh"), str(path)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        log.say(f"left {path} in place: {(res.stderr.strip().splitlines() or ['?'])[-1]}")
