"""The build loop over real SSH against a real sshd, with real pip, auditwheel and patchelf."""

import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from builder import source
from builder.remote_build import Builder, list_interpreters
from builder.wheelhouse import Wheelhouse
from tests.conftest import make_sdist

pytestmark = pytest.mark.ssh
PLAT = "manylinux_2_36_x86_64"  # the test host is Debian 12 (glibc 2.36)


@pytest.fixture
def guest(ssh_host):
    g = ssh_host.guest()
    yield g
    g.close()


def builder_for(guest, sdist, out, python_tree, offline_index):
    src = source.from_file(sdist)
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(offline_index)}
    b = Builder(guest, src, Wheelhouse(out), PLAT, Path(out) / "logs", env,
                python_root=python_tree, progress=lambda msg: None)
    b.upload()
    return b


def test_lists_interpreters(guest, python_tree):
    assert list_interpreters(guest, python_tree) == [("cp311-cp311", "3.11"),
                                                     ("cp39-cp39", "3.9")]


def test_builds_repairs_tests_and_fetches_each_interpreter(guest, python_tree, offline_index,
                                                           tmp_path):
    out = tmp_path / "wheelhouse"
    b = builder_for(guest, make_sdist(tmp_path), out, python_tree, offline_index)
    results = [b.build_one(tag, py) for tag, py in list_interpreters(guest, python_tree)]
    assert [r.status for r in results] == ["built", "built"], [r.reason for r in results]
    for r in results:
        wheel = out / r.wheel
        short = r.tag.split("-")[0]
        assert r.wheel.startswith(f"vmwtestext-1.0-{short}-{short}-manylinux")
        assert r.wheel.endswith("_x86_64.whl")
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == r.sha256
        assert wheel.stat().st_size == r.size
        assert "consistent with the following platform tag" in r.auditwheel
        with zipfile.ZipFile(wheel) as z:  # auditwheel rewrote the tags
            wheel_meta = [n for n in z.namelist() if n.endswith(".dist-info/WHEEL")][0]
            assert "manylinux" in z.read(wheel_meta).decode()
        log = Path(r.log).read_text()
        assert "imported vmwtestext" in log
        assert {"build", "repair", "test", "fetch"} <= set(r.durations)
    assert not [p for p in os.listdir(out) if p.endswith(".part")]


def test_requires_python_skips_with_reason(guest, python_tree, offline_index, tmp_path):
    sdist = make_sdist(tmp_path, requires_python=">=3.10")
    b = builder_for(guest, sdist, tmp_path / "wh", python_tree, offline_index)
    results = {t: b.build_one(t, py) for t, py in list_interpreters(guest, python_tree)}
    assert results["cp39-cp39"].status == "skipped"
    assert "Requires-Python >=3.10 excludes Python 3.9" == results["cp39-cp39"].reason
    assert results["cp311-cp311"].status == "built"


def test_failing_build_keeps_existing_wheels(guest, python_tree, offline_index, tmp_path):
    out = tmp_path / "wheelhouse"
    out.mkdir()
    old = out / "vmwtestext-0.9-cp39-cp39-manylinux_2_17_x86_64.whl"
    old.write_bytes(b"an earlier wheel")
    broken = make_sdist(tmp_path, c_source="this is not C;\n")
    b = builder_for(guest, broken, out, python_tree, offline_index)
    r = b.build_one("cp39-cp39", "3.9")
    assert r.status == "failed"
    assert r.reason.startswith("build failed (exit 1)")
    assert "error" in Path(r.log).read_text()
    assert old.read_bytes() == b"an earlier wheel"
    assert sorted(p.name for p in out.iterdir()) == ["logs", old.name]
    b.wheelhouse.write_report({"interpreters": [r.as_dict()]})
    assert json.loads((out / "report.json").read_text())["interpreters"][0]["status"] == "failed"
