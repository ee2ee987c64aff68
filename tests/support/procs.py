"""Processes a test started on this host (which is also the SSH test host), found by a marker."""

import shutil
import subprocess
import uuid


def marked_sleep(directory):
    """A `sleep` (a symlink in `directory`) whose command line carries a marker no other
    process has, so that `alive` finds exactly the processes that ran it."""
    path = directory / f"sleep-{uuid.uuid4().hex}"
    path.symlink_to(shutil.which("sleep"))
    return str(path)


def alive(marker):
    """The pids of the processes whose command line contains `marker`."""
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()


def kill_all(marker):
    subprocess.run(["pkill", "-KILL", "-f", marker])
