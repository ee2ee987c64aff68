"""Stage limits through the real `vmwheel build` against the SSH test host: a hung hook ends at
`build-timeout` with its processes killed while the other interpreter builds, and a hook that
leaves daemons holding its output ends when its command does, the daemons killed.

The hooks run `sleep` through a symlink named with a marker no other process has, so pgrep on
this host (which is the build host) finds exactly what they started."""

import json
import signal
import subprocess
import threading
import time

import pytest

from tests.support.procs import alive
from tests.support.projects import make_sdist
from tests.support.sshhost import vmwheel_over_ssh

pytestmark = pytest.mark.ssh
ONLY_CP39 = "python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))'"


def build(ssh_host, python_tree, offline_index, tmp_path, *flags):
    """Run `vmwheel build` with `flags`; (exit code, [(seconds since start, line)], report)."""
    cmd, env = vmwheel_over_ssh(ssh_host, python_tree, offline_index, tmp_path,
                                make_sdist(tmp_path))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd + list(flags), env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    stuck = threading.Timer(180, proc.kill)  # a stage that never ends fails the test
    stuck.start()
    lines = [(time.monotonic() - t0, line.rstrip("\n")) for line in proc.stdout]
    stuck.cancel()
    code = proc.wait()
    assert code != -signal.SIGKILL, f"vmwheel still ran after 180 s: {lines}"
    report = tmp_path / "wheelhouse" / "report.json"
    assert report.exists(), lines
    return code, lines, {e["tag"]: e for e in json.loads(report.read_text())["interpreters"]}


def said(lines, start):
    return [(t, line) for t, line in lines if line.startswith("vmwheel: " + start)]


def test_a_hung_before_build_times_out_and_the_other_interpreter_builds(
        ssh_host, python_tree, offline_index, tmp_path, sleeper):
    """The limit is 15 s, not less: it holds for cp311's stages too, and its build takes 4 to
    6 s here. Both interpreters run at once, so the test takes about the limit."""
    code, lines, status = build(ssh_host, python_tree, offline_index, tmp_path,
                                "--build-timeout", "15", "--parallel", "2",
                                "--before-build", f"{ONLY_CP39} && {sleeper} 100000 || true")
    assert code == 1, lines
    assert status["cp311-cp311"]["status"] == "built", status
    log = status["cp39-cp39"]["log"]
    assert status["cp39-cp39"]["reason"] == f"before-build timed out after 15 s; see {log}"
    [(started, _)] = said(lines, "cp39-cp39: building")
    [(failed, _)] = said(lines, f"cp39-cp39: before-build timed out after 15 s; see {log}")
    assert 15 <= failed - started < 18, lines  # prepare, then the limit
    assert alive(sleeper) == []
    with open(tmp_path / log) as f:
        assert "==> [before-build] before-build timed out after 15 s: its processes were " \
               "killed" in f.read()


def test_a_hung_before_all_fails_every_interpreter_at_the_limit(
        ssh_host, python_tree, offline_index, tmp_path, sleeper):
    code, lines, status = build(ssh_host, python_tree, offline_index, tmp_path,
                                "--build-timeout", "2", "--before-all", f"{sleeper} 100000")
    assert code == 1, lines
    hook_log = f"wheelhouse/logs/ssh-127.0.0.1-{ssh_host.port}/before-all.log"
    assert set(status) == {"cp39-cp39", "cp311-cp311"}  # listed though before-all failed
    assert {e["reason"] for e in status.values()} == {
        f"before-all timed out after 2 s; see {hook_log}"}, status
    assert alive(sleeper) == []


def test_daemons_holding_the_output_do_not_keep_the_stage_open(
        ssh_host, python_tree, offline_index, tmp_path, sleeper):
    """One daemon stays in the hook's group, one leaves it with setsid; both hold its stdout.
    Before stage limits, the SSH channel stayed open as long as they ran."""
    code, lines, status = build(
        ssh_host, python_tree, offline_index, tmp_path, "--before-build",
        f"{sleeper} 600 & setsid {sleeper} 601 & sleep 0.3; echo hook-done")
    assert code == 0, lines
    for e in status.values():
        assert e["status"] == "built", e
        assert e["durations"]["before-build"] < 1.5, e["durations"]
        with open(tmp_path / e["log"]) as f:
            assert "hook-done" in f.read()
    assert alive(sleeper) == []
