"""Fixtures shared by tests/unit and tests/integration. Helpers live in tests/support."""

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.hostpython import host_python
from tests.support.procs import kill_all, marked_sleep
from tests.support.sshhost import SSHHost

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # Started in the background by a shell without job control (a CI script run with `&`),
    # the tests would inherit an ignored SIGINT and pass it on to every vmwheel they start: the
    # Ctrl-C tests would then see a build that never stops. A handled signal is reset at exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
HOST_LOCK = Path("/tmp/vmwheel-tests.lock")  # next to the guest dir /tmp/vmwheel it guards
HOST_LOCK_WAIT = 1800  # seconds: another session's SSH tests take a few minutes


@contextlib.contextmanager
def exclusive_build_host():
    with open(HOST_LOCK, "a") as f:
        deadline = time.monotonic() + HOST_LOCK_WAIT
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test session held {HOST_LOCK} for "
                                f"{HOST_LOCK_WAIT} s (it guards /tmp/vmwheel)")
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def ssh_host(tmp_path_factory):
    """A real sshd on 127.0.0.1 (tests/support/sshhost.py) whose "guest" is this machine.
    Builds there use the fixed guest dir /tmp/vmwheel, so two test sessions on one machine
    would delete each other's build dirs: each session holds the host lock while it uses it."""
    with exclusive_build_host():
        host = SSHHost(tmp_path_factory.mktemp("sshd")).start()
        yield host
        host.stop()


@pytest.fixture(scope="session")
def python_tree(tmp_path_factory):
    """An /opt/python-style tree: cp39-cp39 and cp311-cp311 linked to the host's CPythons."""
    root = tmp_path_factory.mktemp("opt-python")
    for v in ("3.9", "3.11"):
        prefix = host_python(v)
        if prefix is None:
            pytest.skip(f"no CPython {v} on this host (pyenv) for the SSH test host")
        tag = "cp" + v.replace(".", "")
        (root / f"{tag}-{tag}").symlink_to(prefix)
    return root


@pytest.fixture(scope="session")
def offline_index():
    """Build requirements for isolated builds, offline: the wheels virtualenv embeds."""
    import virtualenv.seed.wheels.embed as embed

    return Path(embed.__file__).parent


@pytest.fixture
def sleeper(tmp_path):
    """A `sleep` that tests/support/procs.alive finds; whatever still runs it at the end of
    the test (after a failure) is killed."""
    path = marked_sleep(tmp_path)
    yield path
    kill_all(path)


class FaultLog:
    """What the fault-injection tests saw; summarised at the end of the run."""

    def __init__(self):
        self.entries = []

    def record(self, fault, lost, partial):
        self.entries.append((fault, list(lost), list(partial)))
        assert not lost, f"{fault}: wheels lost or changed: {lost}"
        assert not partial, f"{fault}: partial files left: {partial}"


FAULTS = FaultLog()


@pytest.fixture
def faults():
    return FAULTS


def pytest_terminal_summary(terminalreporter):
    if FAULTS.entries:
        lost = sum(len(e[1]) for e in FAULTS.entries)
        partial = sum(len(e[2]) for e in FAULTS.entries)
        terminalreporter.write_line(
            f"fault injection: {len(FAULTS.entries)} faults injected, {lost} wheels lost, "
            f"{partial} partial files ({'; '.join(e[0] for e in FAULTS.entries)})")


@pytest.fixture(scope="session")
def installed_vmwheel(tmp_path_factory):
    """A fresh venv with vmwheel installed as a user gets it: `pip install` (not editable) of a
    clean copy of the checkout (no build/ or egg-info left over from the tree), with the host's
    pip configuration. Returns the venv's path."""
    base = tmp_path_factory.mktemp("installed")
    src, venv = base / "src", base / "venv"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "wheelhouse", ".pytest_cache",
        "_data"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    res = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-compile", str(src)],
                         cwd=base, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return venv
