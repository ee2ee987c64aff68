"""Upload round trip against a real package index (pypiserver) on 127.0.0.1."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.output.wheelhouse import Wheelhouse
from builder.transport.ports import free_port
from tests.support.projects import write_project

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
SECRET = "s3cr3t-upload-token-4711"


@pytest.fixture
def index(tmp_path):
    port = free_port()
    packages = tmp_path / "packages"
    packages.mkdir()
    proc = subprocess.Popen([str(BIN / "pypi-server"), "run", "-i", "127.0.0.1", "-p", str(port),
                             "-a", ".", "-P", ".", str(packages)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}", packages
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory, offline_index):
    """One real wheel, built offline once for this module."""
    tmp_path = tmp_path_factory.mktemp("upkg")
    proj = write_project(tmp_path, "upkg", "1.0", c_source=None)  # upkg.ANSWER == 42
    out = tmp_path / "wheelhouse"
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
                          "--find-links", str(offline_index), "-w", str(out), str(proj)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return next(out.glob("*.whl"))


@pytest.fixture
def wheelhouse(tmp_path, built_wheel):
    """A wheelhouse with that wheel and its SHA256SUMS."""
    out = tmp_path / "wheelhouse"
    out.mkdir()
    shutil.copy(built_wheel, out)
    Wheelhouse(out).write_sums()
    return out


def upload(url, out):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(out.parent), "TWINE_USERNAME": "maintainer",
           "TWINE_PASSWORD": SECRET}
    return subprocess.run([str(BIN / "vmwheel"), "upload", "--output-dir", str(out),
                           "--repository-url", url + "/"], capture_output=True, text=True,
                          env=env)


def test_upload_then_install_from_the_index(index, wheelhouse, tmp_path):
    url, packages = index
    res = upload(url, wheelhouse)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "vmwheel: uploaded upkg-1.0-py3-none-any.whl" in res.stdout
    assert SECRET not in res.stdout + res.stderr
    assert [p.name for p in packages.iterdir()] == ["upkg-1.0-py3-none-any.whl"]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    inst = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--index-url",
                           f"{url}/simple/", "--no-deps", "upkg==1.0"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
                                                               "PIP_CONFIG_FILE": "/dev/null"})
    assert inst.returncode == 0, inst.stderr
    check = subprocess.run([str(venv / "bin" / "python"), "-c", "import upkg; print(upkg.ANSWER)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.stdout.strip() == "42"


def test_a_wheel_that_changed_after_the_build_is_not_uploaded(index, wheelhouse):
    url, packages = index
    wheel = next(wheelhouse.glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    res = upload(url, wheelhouse)
    assert res.returncode == 1
    assert res.stderr.strip() == (f"vmwheel: {wheel.name} does not match its SHA256SUMS entry; "
                                  "the file changed after the build; rebuild it")
    assert list(packages.iterdir()) == []


def test_a_wheel_not_in_sha256sums_is_not_uploaded(index, wheelhouse):
    url, packages = index
    (wheelhouse / "extra-1.0-py3-none-any.whl").write_bytes(b"x")
    res = upload(url, wheelhouse)
    assert res.returncode == 1 and "extra-1.0-py3-none-any.whl is not in SHA256SUMS" in res.stderr
    assert list(packages.iterdir()) == []


def test_rejected_upload_is_one_line_without_the_secret(wheelhouse):
    port = free_port()  # nothing listens there: a real connection refusal
    res = upload(f"http://127.0.0.1:{port}", wheelhouse)
    assert res.returncode == 1
    assert res.stderr.startswith("vmwheel: upload failed: ") and res.stderr.count("\n") == 1
    assert SECRET not in res.stdout + res.stderr
