"""The errors users see: what happened, what to do about it, and a documented exit code.

Every expected failure is a subclass of `VmwheelError`; its class says which exit code the
process ends with (README, "Errors"). Front ends print `line()` and exit with `exit_code`.
"""

import errno
from pathlib import Path

from .redact import redact


class VmwheelError(Exception):
    """A failure explained in one line; `todo` says what the user should do next."""

    exit_code = 1

    def __init__(self, what, todo=None, exit_code=None):
        super().__init__(what)
        self.what = what
        self.todo = todo
        if exit_code is not None:
            self.exit_code = exit_code

    def line(self):
        """The one line users see, with credentials redacted."""
        text = f"vmwheel: {self.what}; {self.todo}" if self.todo else f"vmwheel: {self.what}"
        return redact(text)


class BuildFailed(VmwheelError):
    """An interpreter's build, a hook, a verify or an upload failed (exit 1)."""

    exit_code = 1


class ConfigurationError(VmwheelError):
    """An unknown option, a bad value, flag or machine name (exit 2)."""

    exit_code = 2


class NothingToDo(VmwheelError):
    """Every interpreter was skipped (exit 3)."""

    exit_code = 3


class HostNotReady(VmwheelError):
    """This host lacks something a VM build needs: packages, libvirtd, pool, box (exit 4)."""

    exit_code = 4


# What a failed write on this host means, as opposed to a broken link (also an OSError).
LOCAL_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                      errno.EFBIG}


def local_write_error(exc, path):
    """A HostNotReady for an OSError from writing `path` on this host (a full or read-only
    output dir), or None when `exc` is something else."""
    if not isinstance(exc, OSError) or exc.errno not in LOCAL_WRITE_ERRNOS:
        return None
    return HostNotReady(f"cannot write in {Path(path).parent} ({exc.strerror})",
                        "free space in (or fix) the output directory and rerun; wheels "
                        "already fetched are kept and not rebuilt")


class BuildHostError(VmwheelError):
    """The build host cannot be reached: no SSH, lost link, unknown or changed key (exit 5)."""

    exit_code = 5


class HostGone(BuildHostError):
    """The build host went away in the middle of the build: its link broke and did not come
    back, or the VM powered off (exit 5). `happened` says what, for an interpreter's one line
    ("the VM powered off"); orchestration (run.py) goes on with the rest on a fresh host."""

    def __init__(self, what, todo=None, exit_code=None, happened="the SSH link was lost"):
        super().__init__(what, todo, exit_code)
        self.happened = happened


class SourceError(VmwheelError):
    """The package cannot be turned into an sdist: unknown, unreadable, clone failed (exit 6)."""

    exit_code = 6


# What the front ends return for cases that are not a VmwheelError.
INTERRUPTED = 130
INTERNAL = 70


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP from outside (a CI system cancelling the job): the run unwinds exactly
    as on Ctrl-C (report, SHA256SUMS, every VM destroyed) and exits 128 + the signal number."""

    def __init__(self, signame, signum):
        super().__init__(signame)
        self.signame = signame
        self.exit_code = 128 + signum


_STOP = {"by": None}  # the Terminated being raised, once a SIGTERM/SIGHUP arrived


def _terminated(exc):
    return exc if isinstance(exc, Terminated) else _STOP["by"]


def stopped_by(exc=None):
    """How the run was stopped from outside, for lines and reasons: "interrupted (Ctrl-C)" or
    "terminated (SIGTERM)". Threads that only see a plain KeyboardInterrupt (raised in them by
    the main thread) learn it from the signal the front end noted."""
    term = _terminated(exc)
    return f"terminated ({term.signame})" if term else "interrupted (Ctrl-C)"


def stop_exit_code(exc=None):
    """130 for Ctrl-C, 128 + the signal number for SIGTERM (143) or SIGHUP (129)."""
    term = _terminated(exc)
    return term.exit_code if term else INTERRUPTED


def note_stop(exc):
    """Remember the signal that stops the run (the front end calls it as one arrives)."""
    _STOP["by"] = exc
