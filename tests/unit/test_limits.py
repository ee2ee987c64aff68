"""The stage wrapper (builder/transport/limits.py and stage.sh): what is sent for which stage,
and what the wrapper does when this host's own sh runs it (no SSH): exit codes and both streams
pass through, the limit ends the command, what it leaves running is killed, and a stage whose
daemon holds its stdout still ends when its command does."""

import io
import subprocess
import time
import uuid

import pytest

from builder.transport.limits import EXPIRED, LIMITED, Guard, wrapped
from builder.transport.shell import q
from tests.support.procs import alive


def run(line):
    t0 = time.monotonic()
    res = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=60)
    return res, time.monotonic() - t0


def test_only_the_users_stages_are_wrapped():
    assert LIMITED == {"before-all", "before-build", "build", "repair", "test", "floor"}
    for name in ("prepare", "show", "hash", "ls"):
        assert Guard(name, 240).line("ls -1 /tmp") == "ls -1 /tmp"
    for name in LIMITED:
        line = Guard(name, 240).line("pip wheel .")
        assert line.startswith("sh -c '") and " vmwheel-stage 240 " in line
        assert line.endswith(" " + q("pip wheel ."))
        assert f" {name}-" in line  # the mark names the stage
    marks = {Guard("build", 1).line("x").split()[-2] for _ in range(3)}
    assert len(marks) == 3  # a new mark for each run


@pytest.mark.parametrize("seconds", [-1, 1.5, True, "3", None])
def test_seconds_must_be_a_whole_number(seconds):
    with pytest.raises(ValueError):
        wrapped("true", seconds, "m")


def test_the_command_its_streams_and_its_exit_code_pass_through():
    hostile = "printf '%s|' \"a'b\" '$(echo no)' '`echo no`'; echo err >&2; exit 7"
    res, _ = run(wrapped(hostile, 0, "m-" + uuid.uuid4().hex))
    assert (res.returncode, res.stdout, res.stderr) == (7, "a'b|$(echo no)|`echo no`|", "err\n")


def test_the_limit_ends_the_command_and_everything_in_its_group(sleeper):
    res, took = run(wrapped(f"{sleeper} 600 & {sleeper} 601", 1, "m-" + uuid.uuid4().hex))
    assert res.returncode == 124 and 1 <= took < 3, (res, took)
    assert alive(sleeper) == []


@pytest.mark.parametrize("leaves", [
    "{s} 600 & echo started",  # a daemon in the command's group, holding its stdout
    "({s} 600 &); echo started",  # the same, its parent gone
    "env -i {s} 600 & sleep 0.3; echo started",  # no mark, but in the group
    "setsid {s} 600 & sleep 0.3; echo started",  # one that left the group: found by its mark
    "setsid sh -c '{s} 600 & {s} 601' & sleep 0.3; echo started",
])
def test_what_a_command_leaves_running_is_killed_when_it_exits(sleeper, leaves):
    res, took = run(wrapped(leaves.format(s=sleeper), 0, "m-" + uuid.uuid4().hex))
    assert (res.returncode, res.stdout) == (0, "started\n") and took < 1.5, (res, took)
    assert alive(sleeper) == []


def test_a_retried_command_is_not_killed_by_its_first_run(sleeper):
    """After a broken link the same line is sent again; the first run, still going in the
    guest, must not sweep the second one's processes when it ends (it did: exit 137)."""
    mark = "m-" + uuid.uuid4().hex
    second = subprocess.Popen(["sh", "-c", wrapped(f"{sleeper} 1.5", 0, mark)])
    time.sleep(0.3)
    first, _ = run(wrapped("sleep 0.2", 0, mark))
    assert first.returncode == 0 and second.wait(timeout=10) == 0


def test_a_daemon_that_drops_its_mark_survives_but_the_stage_still_ends(sleeper):
    """`env -i` (or sudo) clears the mark and setsid leaves the group: that one is not found,
    and holds the command's stdout; the wrapper stops reading 2 s after the command's exit."""
    res, took = run(wrapped(f"env -i setsid {sleeper} 600 & sleep 0.3; echo started", 0,
                            "m-" + uuid.uuid4().hex))
    assert (res.returncode, res.stdout) == (0, "started\n") and 2 <= took < 4, (res, took)
    assert len(alive(sleeper)) == 1  # the documented gap (README: What a build does)


def test_a_timeout_is_told_from_a_failure_by_code_and_time():
    def guard(name, seconds, ran):
        g = Guard(name, seconds)
        g.line("true")
        g.started -= ran
        return g

    log = io.StringIO()
    assert EXPIRED == (124, 137)
    assert guard("build", 240, 240.5).failure(124, log) == "build timed out after 240 s"
    assert "[build] build timed out after 240 s: its processes were killed" in log.getvalue()
    assert guard("before-build", 5, 6).failure(137) == "before-build timed out after 5 s"
    # the command's own 124 before the limit, another code, no limit, a housekeeping stage
    assert guard("build", 240, 10).failure(124) == "build failed (exit 124)"
    assert guard("build", 240, 300).failure(1) == "build failed (exit 1)"
    assert guard("build", 0, 300).failure(124) == "build failed (exit 124)"
    assert guard("hash", 240, 300).failure(124) == "hash failed (exit 124)"


@pytest.mark.slow
def test_a_command_that_ignores_term_is_killed_5_s_later(sleeper):
    res, took = run(wrapped(f"trap '' TERM; {sleeper} 600", 1, "m-" + uuid.uuid4().hex))
    assert res.returncode == 137 and 6 <= took < 8, (res, took)
    assert alive(sleeper) == []
