"""A user's stage command under the build timeout, in a session of its own (stage.sh).

The limit holds in the guest (coreutils `timeout`), whatever the SSH side does. When the
command exits, what it left running is killed: its process group, and the processes that
still carry its mark in their environment (a daemon that left the group with setsid). Its
output reaches us through the wrapper, which closes it once the command is over, so a daemon
holding the command's stdout never keeps the stage open. vmwheel's own housekeeping commands
(prepare, show, hash, ls) run as they are.
"""

import time
import uuid
from pathlib import Path

from .shell import q

STAGE_SH = (Path(__file__).with_name("stage.sh")).read_text()
# The stages that run what the project or the user chose; only these are limited.
LIMITED = frozenset({"before-all", "before-build", "build", "repair", "test", "floor"})
# `timeout` exits 124 when TERM ended the command, 137 when its KILL (5 s later) did.
EXPIRED = (124, 137)


def wrapped(command, seconds, mark):
    """The shell line that runs `command` under the wrapper: at most `seconds` (0: no limit),
    its leftovers found by `mark`."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        raise ValueError(f"seconds must be a whole number >= 0, not {seconds!r}")
    return f"sh -c {q(STAGE_SH)} vmwheel-stage {seconds} {q(mark)} {q(command)}"


class Guard:
    """One run of stage `name`: `line(command)` is what to send, `expired(code)` whether the
    limit ended it (the host's clock ran at least as long as the guest's)."""

    def __init__(self, name, seconds):
        self.name, self.seconds = name, seconds
        self.limited = name in LIMITED
        self.started = None

    def line(self, command):
        self.started = time.monotonic()
        if not self.limited:
            return command
        return wrapped(command, self.seconds, f"{self.name}-{uuid.uuid4().hex}")

    def expired(self, code):
        return (self.limited and self.seconds > 0 and code in EXPIRED
                and time.monotonic() - self.started >= self.seconds)

    def failure(self, code, log_file=None):
        """The failed stage's one-line reason; a timeout is also said in `log_file`."""
        if not self.expired(code):
            return f"{self.name} failed (exit {code})"
        reason = f"{self.name} timed out after {self.seconds} s"
        if log_file is not None:
            log_file.write(f"\n==> [{self.name}] {reason}: its processes were killed\n")
        return reason
