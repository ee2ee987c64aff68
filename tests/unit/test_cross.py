"""aarch64's two machines: the cross build machine and the aarch64 test machine (README:
aarch64), as the table, the planner, the stages and the floor proof see them."""

from pathlib import PurePosixPath

import pytest

from builder import planner
from builder.errors import ConfigurationError
from builder.model.arch import Arch
from builder.model.machine import Floor, load_table
from builder.model.result import Result
from builder.orchestration import cross as sessions
from builder.stages import build, cross, crossfiles, floor, ports
from builder.stages.work import StageFailed, Work
from tests.unit.test_planner import names, opts

TEST, CROSS = "manylinux2014-aarch64", "manylinux2014-aarch64-cross"


def test_archs_aarch64_selects_the_aarch64_machine_whose_wheels_the_cross_machine_builds():
    (m,) = planner.select_machines(opts(archs="aarch64"))
    assert (m.name, m.arch, m.policy, m.platform) == (
        TEST, Arch.AARCH64, "manylinux_2_17", "manylinux_2_17_aarch64")
    builder = load_table().builder_of(m)
    assert (builder.name, builder.cross, builder.guest_arch, builder.platform) == (
        CROSS, True, Arch.X86_64, m.platform)
    assert builder.cpythons == m.cpythons  # one set: built there, run here
    # The floor is proven where the wheel is tested: by each CPython's copy under 2.17's loader.
    assert m.floor_spec == Floor("2.17", "", copy="-floor217")
    assert m.floor_spec.proof() == "glibc 2.17 loader" and builder.floor_spec is None
    assert names(planner.select_machines(opts(archs="x86_64 aarch64"))) == [
        "manylinux2014-x86_64", TEST]


def test_the_cross_machine_is_never_chosen_by_itself():
    with pytest.raises(ConfigurationError) as exc:
        planner.select_machines(opts(), machine=CROSS)
    assert exc.value.what == f"machine {CROSS} only compiles for another machine's tests"
    assert exc.value.todo == f"choose {TEST} instead"


def test_a_machine_naming_a_build_machine_that_is_not_its_cross_machine_is_refused():
    table = load_table()
    wrong = table.get(TEST).__class__(**{**table.get(TEST).__dict__, "build_on": TEST})
    with pytest.raises(ConfigurationError, match="not a cross machine for manylinux_2_17_aarch64"):
        table.builder_of(wrong)


def test_the_build_side_gets_the_cross_compilers_and_the_target_headers_first():
    prefix = "/opt/cross/aarch64/opt/_internal/cpython-3.11.2"
    env = cross.env(prefix, "3.11", "-DUSER=1")
    assert env["CPPFLAGS"] == f"-I{prefix}/include/python3.11 -DUSER=1"
    assert env["_PYTHON_SYSCONFIGDATA_NAME"] == "_sysconfigdata__linux_aarch64-linux-gnu"
    ft = cross.env(prefix + "t", "3.13t")  # free-threaded: its own headers and sysconfigdata
    assert ft["_PYTHON_SYSCONFIGDATA_NAME"] == "_sysconfigdata_t_linux_aarch64-linux-gnu"
    assert ft["CPPFLAGS"] == f"-I{prefix}t/include/python3.13t"
    assert env["_PYTHON_HOST_PLATFORM"] == "linux-aarch64"
    assert cross.hook_env() == {"CC": "/opt/cross/bin/aarch64-linux-gnu-gcc",
                                "CXX": "/opt/cross/bin/aarch64-linux-gnu-g++",
                                "VMWHEEL_CROSS": "aarch64"}


def test_the_build_side_sees_the_aarch64_ports_and_keeps_floor_installs_builds_on_the_host(
        tmp_path):
    class Builder:  # what Side.configure sets on a real Builder
        env, ports, log_dir = {"PKG_CONFIG_LIBDIR": "mine"}, False, tmp_path / "logs"

    class Remote:  # the cross box's answer to interpreter_env's one command
        def check(self, command):
            return "cp311-cp311 /opt/_internal/cpython-3.11.2\n"

    b = Builder()
    sessions.Side(sessions.Role.CROSS, tmp_path).configure(b, Remote(), "/opt/python")
    assert b.env["LD_LIBRARY_PATH"] == "/opt/cross/ports/lib"  # auditwheel grafts from there
    assert b.env["PKG_CONFIG_LIBDIR"] == "mine"  # the user's env wins
    assert b.env["CC"] == "/opt/cross/bin/aarch64-linux-gnu-gcc"
    assert cross.ports_env()["PKG_CONFIG_LIBDIR"] == "/opt/cross/ports/lib/pkgconfig"
    # floor-install's builds go to and come from the host's cache as on a floor box, and a
    # missing header names its port
    assert b.ports and ports.wanted("floor-install libbz2-dev", b.ports)
    assert b.interp_env("cp311-cp311", "3.11")[crossfiles.PREFIX_VAR].endswith("3.11.2")


def test_a_free_threaded_interpreter_is_named_with_its_abi_flag_where_files_are_named():
    # The plan's python is "3.13" for cp313-cp313t too; its binary, headers, lib dir and
    # sysconfigdata carry the t (python3.13t-floor217, include/python3.13t, _sysconfigdata_t_).
    ft = Result(tag="cp313-cp313t", python="3.13")
    assert ft.abi == "3.13t" and Result(tag="cp313-cp313", python="3.13").abi == "3.13"
    assert "python3.13t" in crossfiles.cmake_toolchain("/opt/cross", cross.TRIPLET, "aarch64",
                                                       "/p", ft.abi)


def test_the_stages_split_so_that_only_a_tested_wheel_reaches_the_wheelhouse():
    built, tested = cross.split(build.STAGES)
    assert [s.name for s in built] == ["prepare", "cross-files", "before-build", "build-reqs",
                                       "build", "repair", "platform", "show", "hash", "fetch"]
    assert [s.name for s in tested] == ["place", "test", "floor", "hash", "fetch"]


def test_a_wheel_repaired_for_another_platform_than_the_target_fails_its_build():
    class W:
        repaired = "x-1.0-cp311-cp311-manylinux_2_28_aarch64.whl"

    class B:
        target = "manylinux_2_17_aarch64"

    with pytest.raises(StageFailed, match="not for manylinux_2_17_aarch64"):
        cross.check_platform(B, W)
    W.repaired = "x-1.0-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl"
    cross.check_platform(B, W)


def test_the_aarch64_floor_proof_runs_the_interpreters_copy_not_the_loader_by_hand():
    ran = []

    class B:
        floor, plat = Floor("2.17", "", copy="-floor217"), "manylinux_2_17_aarch64"

        def run(self, name, command, log, cwd=None, env=None):
            ran.append(command)

    w = Work("cp311-cp311", Result("cp311-cp311", "3.11"), None,
             PurePosixPath("/tmp/vmwheel/cp311-cp311"),
             PurePosixPath("/opt/python/cp311-cp311/bin"), {}, repaired="x.whl")
    floor.prove(B(), w)
    assert "/opt/python/cp311-cp311/bin/python3.11-floor217 -c" in ran[0]
    # the wheel's dependencies: wheels for the floor only (stages/floor.py platforms)
    assert "--only-binary=:all: --platform manylinux_2_17_aarch64 --platform " \
        "manylinux2014_aarch64 /tmp/vmwheel/cp311-cp311/repaired/x.whl" in ran[0]
    assert w.result.floor_proof == "imported under glibc 2.17"
    ft = Work("cp313-cp313t", Result("cp313-cp313t", "3.13"), None,
              PurePosixPath("/tmp/vmwheel/cp313-cp313t"),
              PurePosixPath("/opt/python/cp313-cp313t/bin"), {}, repaired="x.whl")
    floor.prove(B(), ft)  # free-threaded: its copy is python3.13t-floor217
    assert "/opt/python/cp313-cp313t/bin/python3.13t-floor217 -c" in ran[1]


def test_the_boxes_a_build_needs_put_each_build_machine_before_its_machine():
    table = load_table()
    chosen = [table.get("manylinux2014-x86_64"), table.get(TEST)]
    assert [m.name for m in table.with_builders(chosen)] == [
        "manylinux2014-x86_64", CROSS, TEST]
