"""The real thing, as README's first command does it: a local box, `vagrant up` of a real VM,
msgpack built, repaired and tested inside it, and the wheel fetched, checked and imported here.

These tests need root, libvirt (`vmwheel host setup`) and the package index; they take minutes.
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from builder.wheelhouse import sha256_of
from tests.conftest import host_python

pytestmark = pytest.mark.vm
REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*cmd, cwd=REPO):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def box():
    res = run(BIN / "vmwheel", "box", "build")
    assert res.returncode == 0, res.stdout + res.stderr


def test_fab_build_msgpack_in_a_vm(box, tmp_path):
    out = tmp_path / "wheelhouse"
    res = run(BIN / "fab", f"build:msgpack,output_dir={out}")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    # A bare name resolves to the newest release that admits the box's Python 3.9, and says so.
    assert "newest release for Python 3.9" in res.stdout
    # auditwheel >= 6.4 sorts compressed tag sets (PEP 425): manylinux2014_x86_64 comes first.
    wheels = sorted(out.glob("msgpack-*-cp39-cp39-*manylinux_2_*_x86_64.whl"))
    assert len(wheels) == 1, sorted(p.name for p in out.iterdir())
    wheel = wheels[0]

    report = json.loads((out / "report.json").read_text())
    [entry] = report["interpreters"]
    assert entry["status"] == "built" and entry["wheel"] == wheel.name
    assert entry["sha256"] == sha256_of(wheel)
    assert "manylinux_2_" in entry["auditwheel"]
    assert {"build", "repair", "test", "fetch"} <= set(entry["durations"])
    assert report["durations"]["boot"] > 0
    assert (out / "SHA256SUMS").read_text() == f"{sha256_of(wheel)}  {wheel.name}\n"
    assert "imported msgpack" in (out / "logs" / "bullseye-x86_64" / "cp39-cp39.log").read_text()

    # auditwheel on the host agrees the wheel is consistent with manylinux_2_31 or older.
    show = run(BIN / "auditwheel", "show", wheel)
    assert show.returncode == 0, show.stderr
    tag = show.stdout.split('platform tag:')[1].split('"')[1]
    major, minor = (int(x) for x in tag.split("_")[1:3])
    assert (major, minor) <= (2, 31), tag
    with zipfile.ZipFile(wheel) as z:
        assert any(n.startswith("msgpack/_cmsgpack") and n.endswith(".so") for n in z.namelist())

    # And it imports and works in a fresh venv on the host.
    py39 = host_python("3.9")
    if py39 is None:
        pytest.skip("no host CPython 3.9 to import the wheel with")
    venv = tmp_path / "venv"
    assert run(py39 / "bin" / "python", "-m", "venv", venv).returncode == 0
    inst = run(venv / "bin" / "pip", "install", "--no-index", "--no-deps", wheel)
    assert inst.returncode == 0, inst.stderr
    check = run(venv / "bin" / "python", "-c",
                "import msgpack; from msgpack import _cmsgpack; "
                "print(msgpack.unpackb(msgpack.packb({'a': [1, 2]})))", cwd=tmp_path)
    assert check.stdout.strip() == "{'a': [1, 2]}", check.stderr


def test_release_that_excludes_every_interpreter_is_skipped_without_a_vm(tmp_path):
    out = tmp_path / "wheelhouse"
    res = run(BIN / "vmwheel", "build", "msgpack==1.2.4", "--output-dir", out)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "skipped" in res.stdout and "Requires-Python" in res.stdout
    [entry] = json.loads((out / "report.json").read_text())["interpreters"]
    assert entry["status"] == "skipped" and "excludes Python 3.9" in entry["reason"]
    assert not list(out.glob("*.whl"))


def test_unknown_package_fails_in_one_line_and_leaves_output_untouched(tmp_path):
    out = tmp_path / "wheelhouse"
    res = run(BIN / "vmwheel", "build", "no-such-package-xyz", "--output-dir", out)
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0
    assert res.stderr.startswith("vmwheel: no source distribution for 'no-such-package-xyz'")
    assert not out.exists()
