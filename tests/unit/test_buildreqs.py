"""A cross build's build requirements (builder/stages/buildreqs.py): the script that lists them
runs here with this host's interpreters, on real project trees (pyproject with and without a
build-system table, none at all, a backend of its own asking for more), and the stage's
commands install them natively and build without isolation."""

import subprocess
import sys
from pathlib import PurePosixPath

import pytest

from builder.model.result import Result
from builder.stages import buildreqs
from builder.stages.work import Work
from tests.support.hostpython import host_python

BACKEND = '''
def get_requires_for_build_wheel(config_settings=None):
    print("a backend may talk on stdout")
    return ["numpy>=2", "cython"]
'''


def listed(project, kind, python=sys.executable):
    out = project / f"{kind}.txt"
    subprocess.run([str(python), "-c", buildreqs.REQUIRES, kind, str(out)], cwd=project,
                   check=True, capture_output=True)
    return out.read_text().splitlines()


def test_build_system_requires_or_peps_default(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61", "numpy>=2; python_version>=\'3.9\'"]\n')
    assert listed(tmp_path, "static") == ["setuptools>=61", "numpy>=2; python_version>='3.9'"]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    assert listed(tmp_path, "static") == ["setuptools>=40.8.0"]
    (tmp_path / "pyproject.toml").unlink()
    assert listed(tmp_path, "static") == ["setuptools>=40.8.0"]


def test_what_the_backend_asks_for_is_listed_not_what_it_prints(tmp_path):
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "mybackend.py").write_text(BACKEND)
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "mybackend"\n'
        'backend-path = ["backend"]\n')
    assert listed(tmp_path, "static") == []
    assert listed(tmp_path, "dynamic") == ["numpy>=2", "cython"]


def test_a_setup_py_alone_asks_setuptools_legacy_backend(tmp_path):
    # It rewrites sys.argv and runs setup.py (egg_info); setuptools < 70.1 asks for wheel.
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='p')\n")
    assert listed(tmp_path, "dynamic") in ([], ["wheel"])
    assert (tmp_path / "p.egg-info").is_dir()


@pytest.mark.parametrize("version", ["3.9", "3.10"])
def test_an_interpreter_without_tomllib_reads_pyproject_with_pips_tomli(tmp_path, version):
    py = host_python(version)
    if py is None:
        pytest.skip(f"no CPython {version} on this host")
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["flit_core"]\n')
    assert listed(tmp_path, "static", py / "bin" / "python") == ["flit_core"]


class Recorder:
    """The stage's guest commands, as a Builder would run them (no guest: the commands are what
    is checked here; the VM test runs them: tests/integration/test_vm_cross.py)."""

    def __init__(self, frontend="pip"):
        self.hooks, self.ran = {"build-frontend": frontend}, []

    def check(self, command, log):
        self.ran.append(command)

    def run(self, name, command, log, cwd=None, env=None, shown=None):
        self.ran.append((command, env))


@pytest.mark.parametrize("frontend, args", [("pip", " --no-build-isolation"),
                                            ("build", " --no-isolation --skip-dependency-check")])
def test_the_stage_installs_natively_then_builds_without_isolation(frontend, args):
    w = Work("cp311-cp311", Result(tag="cp311-cp311", python="3.11"), None,
             PurePosixPath("/tmp/vmwheel/cp311-cp311"), PurePosixPath("/opt/python/cp311/bin"),
             {"PATH": "/opt/python/cp311/bin:/usr/bin", "_PYTHON_HOST_PLATFORM": "linux-aarch64"})
    builder = Recorder(frontend)
    buildreqs.install(builder, w)
    (static, _), (dynamic, env) = builder.ran[1:]
    assert static.startswith(buildreqs.NATIVE + " /opt/python/cp311/bin/python -c ")
    assert "-u _PYTHON_HOST_PLATFORM -u _PYTHON_SYSCONFIGDATA_NAME -u CC -u CXX" in static
    # The backend is asked with the cross settings (they stay in env), pip installs natively.
    assert dynamic.startswith("/opt/python/cp311/bin/python -c ")
    assert f"{buildreqs.NATIVE} /opt/python/cp311/bin/python -m pip install --target " \
        "/tmp/vmwheel/cp311-cp311/build-reqs" in dynamic
    assert env["_PYTHON_HOST_PLATFORM"] == "linux-aarch64"
    assert env["PYTHONPATH"] == "/tmp/vmwheel/cp311-cp311/build-reqs"
    assert w.build_env["PATH"].startswith("/tmp/vmwheel/cp311-cp311/build-reqs/bin:")
    assert w.build_args == args
