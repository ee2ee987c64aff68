"""The CMake toolchain and Meson cross file a cross build writes for scikit-build-core and
meson-python projects (builder/stages/crossfiles.py, README: aarch64): what they say, when the
stage runs, and what it hands the build (variables, the meson-python config setting)."""

import configparser
import io
from pathlib import PurePosixPath

import pytest

from builder.model.result import Result
from builder.stages import build, cross, crossfiles
from builder.stages.work import StageFailed, Work
from tests.support.projects import BACKEND_FILES, make_sdist

PREFIX = "/opt/cross/aarch64/opt/_internal/cpython-3.11.2"


def sdist_of(tmp_path, backend):
    requires = BACKEND_FILES[backend][0] if backend else (
        'requires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n')
    pyproject = f'[build-system]\n{requires}\n[project]\nname = "p"\nversion = "1.0"\n'
    return make_sdist(tmp_path, "p", c_source=None, files={"pyproject.toml": pyproject})


@pytest.mark.parametrize("backend, expected", [
    ("scikit-build-core", crossfiles.CMAKE_BACKEND), ("meson-python", crossfiles.MESON_BACKEND),
    ("", "setuptools.build_meta")])
def test_the_backend_is_read_from_the_sdists_pyproject(tmp_path, backend, expected):
    assert crossfiles.backend_of(sdist_of(tmp_path, backend)) == expected


def test_an_sdist_without_a_readable_build_backend_has_none(tmp_path):
    broken = make_sdist(tmp_path / "a", "p", c_source=None, files={"pyproject.toml": "[oops"})
    assert crossfiles.backend_of(broken) == ""
    bare = make_sdist(tmp_path / "b", "p", c_source=None, files={"pyproject.toml": None})
    assert crossfiles.backend_of(bare) == ""


def test_the_toolchain_names_the_cross_compilers_and_the_target_pythons_headers():
    text = crossfiles.cmake_toolchain("/opt/cross", "aarch64-linux-gnu", "aarch64", PREFIX, "3.11")
    lines = text.splitlines()
    assert "set(CMAKE_SYSTEM_NAME Linux)" in lines
    assert "set(CMAKE_SYSTEM_PROCESSOR aarch64)" in lines
    assert "set(CMAKE_C_COMPILER /opt/cross/bin/aarch64-linux-gnu-gcc)" in lines
    assert "set(CMAKE_CXX_COMPILER /opt/cross/bin/aarch64-linux-gnu-g++)" in lines
    for var in ("Python", "Python3"):
        assert f"set({var}_INCLUDE_DIR {PREFIX}/include/python3.11)" in lines
    # CMP0190 (CMake 4.1): FindPython refuses an Interpreter when cross-compiling without one.
    assert 'set(CMAKE_CROSSCOMPILING_EMULATOR /bin/sh -c [["$0" "$@"]])' in lines
    assert "set(CMAKE_FIND_ROOT_PATH /opt/cross/sysroot /opt/cross/aarch64)" in lines


def test_the_cross_file_names_the_compilers_the_host_machine_and_the_pythons_root():
    text = crossfiles.meson_cross_file("/opt/cross", "aarch64-linux-gnu", "aarch64", PREFIX)
    ini = configparser.ConfigParser()
    ini.read_string(text)
    assert ini["binaries"]["c"] == "'/opt/cross/bin/aarch64-linux-gnu-gcc'"
    assert ini["binaries"]["cpp"] == "'/opt/cross/bin/aarch64-linux-gnu-g++'"
    assert ini["binaries"]["pkg-config"] == "'pkg-config'"
    assert dict(ini["host_machine"]) == {"system": "'linux'", "cpu_family": "'aarch64'",
                                         "cpu": "'aarch64'", "endian": "'little'"}
    assert ini["properties"]["sys_root"] == "'/opt/cross/aarch64'"
    assert ini["properties"]["pkg_config_libdir"] == f"['{PREFIX}/lib/pkgconfig']"


class FakeBuilder:
    """What the stage uses of a Builder; guest commands are recorded, not run."""

    def __init__(self, sdist, env=None, frontend="pip"):
        self.source = type("S", (), {"sdist": sdist})()
        self.env, self.hooks = dict(env or {}), {"build-frontend": frontend}
        self.root, self.commands = PurePosixPath("/tmp/vmwheel"), []

    def run(self, name, command, log, cwd=None, env=None, shown=None):
        self.commands.append(command)

    def check(self, command, log):
        self.commands.append(command)


def work(env=None):
    path_env = {"PATH": "/opt/python/cp311-cp311/bin:/usr/bin"}
    path_env.update(env if env is not None else cross.env(PREFIX, "3.11"))
    return Work("cp311-cp311", Result("cp311-cp311", "3.11"), io.StringIO(),
                PurePosixPath("/tmp/vmwheel/cp311-cp311"),
                PurePosixPath("/opt/python/cp311-cp311/bin"), path_env)


def prepare(builder, w):
    crossfiles.prepare(builder, w, "/opt/cross", "aarch64-linux-gnu", "aarch64")


@pytest.mark.parametrize("frontend, option", [("pip", "--config-settings="), ("build", "-C")])
def test_a_meson_python_build_gets_the_cross_file_native_tools_and_the_variables(
        tmp_path, frontend, option):
    b, w = FakeBuilder(sdist_of(tmp_path, "meson-python"), frontend=frontend), work()
    prepare(b, w)
    assert w.path_env[crossfiles.TOOLCHAIN_VAR] == "/tmp/vmwheel/cp311-cp311/cross/toolchain.cmake"
    assert w.path_env[crossfiles.CROSS_FILE_VAR] == (
        "/tmp/vmwheel/cp311-cp311/cross/meson-cross.ini")
    assert w.path_env["PATH"] == "/tmp/vmwheel/cross-tools/bin:/opt/python/cp311-cp311/bin:/usr/bin"
    assert w.build_args == f' "{option}setup-args=--cross-file=$VMWHEEL_MESON_CROSS_FILE"'
    install = b.commands[0]  # once per session (the lock and the test), by the native python
    assert install.startswith("flock /tmp/vmwheel/cross-tools.lock sh -c ")
    assert "test -x /tmp/vmwheel/cross-tools/bin/ninja ||" in install
    assert "/opt/python/cp311-cp311/bin/python -m pip --python" in install
    assert install.endswith("install -q cmake ninja; }'")
    assert "printf %s" in b.commands[1] and "toolchain.cmake" in b.commands[1]
    assert "meson-cross.ini" in b.commands[2]


def test_a_scikit_build_core_build_gets_no_build_arguments_and_a_users_file_wins(tmp_path):
    mine = "/home/me/my.cmake"
    b, w = FakeBuilder(sdist_of(tmp_path, "scikit-build-core"),
                       env={crossfiles.TOOLCHAIN_VAR: mine}), work()
    prepare(b, w)
    assert crossfiles.TOOLCHAIN_VAR not in w.path_env  # the user's env reaches the build
    assert crossfiles.CROSS_FILE_VAR in w.path_env
    assert w.build_args == ""


def test_the_stage_runs_for_the_two_backends_only_and_after_prepare(tmp_path):
    built, _ = cross.split(build.STAGES)
    assert [s.name for s in built][:3] == ["prepare", "cross-files", "before-build"]
    stage = built[1]
    for backend, wanted in (("scikit-build-core", True), ("meson-python", True), ("", False)):
        b = FakeBuilder(sdist_of(tmp_path / (backend or "setuptools"), backend))
        assert stage.wanted(b, work()) is wanted


def test_the_cross_env_names_the_target_pythons_prefix_and_the_stage_needs_it(tmp_path):
    assert cross.env(PREFIX, "3.11")[crossfiles.PREFIX_VAR] == PREFIX
    with pytest.raises(StageFailed, match="no VMWHEEL_CROSS_PREFIX for cp311-cp311"):
        prepare(FakeBuilder(sdist_of(tmp_path, "meson-python")), work(env={}))
