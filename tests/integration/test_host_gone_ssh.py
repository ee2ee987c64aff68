"""The build host goes away in the middle of a stage, for real, with `vmwheel build` against an
SSH test host of its own (cp310, cp311, cp39 built in that order): while cp311's before-build
runs, the host's sshd and every session of it are killed, or frozen (SIGSTOP: the TCP
connection stays up and nothing answers, as a hung guest does). Either is noticed within
seconds (the keepalive for the frozen one), cp311 fails in one line that names what happened,
cp310's wheel fetched before stays, and cp39 goes on over a new connection when the host
answers again, or fails in one line when it does not."""

import hashlib
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from builder.transport import keepalive
from tests.support.hostpython import host_python
from tests.support.projects import make_sdist
from tests.support.sshhost import SSHHost, vmwheel_over_ssh

pytestmark = pytest.mark.ssh
ONLY_CP311 = "python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'"


@pytest.fixture
def three_pythons(tmp_path):
    root = tmp_path / "opt-python"
    root.mkdir()
    for v in ("3.9", "3.10", "3.11"):
        if host_python(v) is None:
            pytest.skip(f"no CPython {v} on this host (pyenv) for the SSH test host")
        tag = "cp" + v.replace(".", "")
        (root / f"{tag}-{tag}").symlink_to(host_python(v))
    return root


class Run:
    """`vmwheel build` in the background, its output lines timed as they come."""

    def __init__(self, host, tree, offline_index, tmp_path, sleeper):
        cmd, env = vmwheel_over_ssh(host, tree, offline_index, tmp_path, make_sdist(tmp_path))
        cmd += ["--guest-dir", f"/tmp/vmwheel-gone-{os.getpid()}",
                "--before-build", f"{ONLY_CP311} && {sleeper} 300 || true"]
        self.out = tmp_path / "wheelhouse"
        self.lines = []  # (monotonic time, line)
        self.proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [t for t, line in self.lines if text in line]
            if found:
                return found[0]
            assert self.proc.poll() is None or self.reader.is_alive(), self.lines
            time.sleep(0.1)
        pytest.fail(f"no line with {text!r} within {timeout} s: {self.lines}")

    def end(self):
        _, stderr = self.proc.communicate(timeout=120)
        self.reader.join(10)
        report = json.loads((self.out / "report.json").read_text())
        return self.proc.returncode, stderr, {e["tag"]: e for e in report["interpreters"]}


def sleeping(sleeper):
    """Whether cp311's before-build sleeps (its sleep, not the command lines that name it)."""
    return subprocess.run(["pgrep", "-x", "-f", f"{sleeper} 300"]).returncode == 0


def mid_stage(run, sleeper):
    """Once cp310's wheel is in and cp311's before-build sleeps: {wheel: sha256} so far."""
    run.wait_for("cp311-cp311: building", 120)
    deadline = time.monotonic() + 60
    while not sleeping(sleeper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sleeping(sleeper), run.lines
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in run.out.glob("*.whl")}


def sessions(host):
    return [int(p) for p in subprocess.run(["pgrep", "-P", str(host.proc.pid)],
                                           capture_output=True, text=True).stdout.split()]


def check_kept(out, first, status):
    assert [n for n in first if "cp310" in n] == [status["cp310-cp310"]["wheel"]]
    now = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.whl")}
    lost = [n for n, h in first.items() if now.get(n) != h]
    return lost, [p.name for p in out.rglob("*.part")]


def test_a_killed_sshd_fails_the_interpreter_in_seconds_and_the_rest_in_one_line(
        three_pythons, offline_index, tmp_path, sleeper, faults):
    host = SSHHost(tmp_path / "host").start()
    try:
        run = Run(host, three_pythons, offline_index, tmp_path, sleeper)
        first = mid_stage(run, sleeper)
        t0 = time.monotonic()
        subprocess.run(["pkill", "-KILL", "-P", str(host.proc.pid)])  # every session
        host.stop()
        seen = run.wait_for("cp311-cp311: the SSH link to the build host broke during "
                            "before-build; the rest go on over a new connection", 30)
        code, stderr, status = run.end()
    finally:
        host.stop()
    print(f"seconds to notice a killed sshd: {seen - t0:.1f}")
    assert seen - t0 < 10
    assert code == 5, (run.lines, stderr)  # the new connection found no host: BuildHostError
    assert stderr.startswith("vmwheel: lost the SSH link to ") and stderr.count("\n") == 1
    assert "1 attempt: the SSH link to the build host broke" in stderr, stderr
    assert status["cp310-cp310"]["status"] == "built"
    assert status["cp311-cp311"]["reason"] == ("the SSH link to the build host broke during "
                                               "before-build")
    assert status["cp39-cp39"]["status"] == "failed"
    assert status["cp39-cp39"]["reason"].startswith("lost the SSH link")
    faults.record("SSH host's sshd killed mid-stage", *check_kept(run.out, first, status))


def test_a_frozen_host_is_noticed_by_the_keepalive_and_the_rest_go_on_when_it_answers(
        three_pythons, offline_index, tmp_path, sleeper, faults):
    host = SSHHost(tmp_path / "host").start()
    frozen = []
    try:
        run = Run(host, three_pythons, offline_index, tmp_path, sleeper)
        first = mid_stage(run, sleeper)
        t0 = time.monotonic()
        frozen = [host.proc.pid] + sessions(host)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        seen = run.wait_for(
            f"cp311-cp311: the build host stopped answering (no reply to SSH keepalives for "
            f"{keepalive.LIMIT} s) during before-build; the rest go on over a new connection",
            keepalive.INTERVAL + keepalive.LIMIT + 15)
        for pid in frozen:  # it answers again: cp39 is built over a new connection
            os.kill(pid, signal.SIGCONT)
        frozen = []
        code, stderr, status = run.end()
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        host.stop()
    print(f"seconds to notice a frozen host: {seen - t0:.1f}")
    assert seen - t0 < keepalive.INTERVAL + keepalive.LIMIT + 5
    assert code == 1, (run.lines, stderr)  # cp311 failed; the others were built
    assert stderr.startswith("vmwheel: build failed for cp311-cp311;"), stderr
    assert status["cp311-cp311"]["reason"].startswith("the build host stopped answering")
    assert status["cp310-cp310"]["status"] == status["cp39-cp39"]["status"] == "built"
    faults.record("SSH host frozen mid-stage", *check_kept(run.out, first, status))
