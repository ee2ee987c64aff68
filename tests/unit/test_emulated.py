"""build-on = emulated (README: aarch64): the aarch64 guest compiles, the cross machine repairs,
the aarch64 guest tests. The sessions' order and hand-overs are checked here with a stand-in
for BuildRun.build_on (the VMs themselves: tests/integration/test_vm_cross.py)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from builder.config.options import Options
from builder.model.machine import load_table
from builder.model.result import Result, Status
from builder.orchestration import cross as sessions
from builder.stages import build, cross

TEST = "manylinux2014-aarch64"


def test_the_stages_of_an_emulated_build_hand_over_an_unrepaired_wheel_for_repair():
    compiled, repair = cross.emulated(build.STAGES)
    assert [s.name for s in compiled] == ["prepare", "before-build", "build", "unrepaired",
                                          "hash", "fetch"]
    assert [s.name for s in repair] == ["place", "repair", "platform", "show", "hash", "fetch"]
    env = cross.native_env()
    assert env["CC"] == "/opt/floor/bin/gcc" and env["LDCXXSHARED"].startswith(
        "/opt/floor/bin/g++ ")
    assert env["VMWHEEL_BUILD_ON"] == "emulated" and "VMWHEEL_CROSS" not in env


class Run:
    """Records each session and does what it would to the results: the wheels of `passing`
    tags reach the session's staging dir (or the wheelhouse: the test session's)."""

    def __init__(self, build_on, tmp_path, failing=(), before_all=""):
        self.opts = Options({"build-on": build_on, "before-all": before_all}, environ={})
        self.sessions, self.failing, self.tmp = [], failing, tmp_path

    def vm(self, spec):
        return spec.name

    def build_on(self, host, planned, side):
        self.sessions.append((getattr(host, "name", host), side.role,
                              sorted(r.tag for r in planned if r.pending)))
        assert side.target == "manylinux_2_17_aarch64"
        for r in planned:
            if not r.pending:
                continue
            if side.staged is not None:
                assert (side.staged / r.wheel).is_file()  # handed over by the one before
            if (r.tag, side.role) in self.failing:
                r.fail("it failed")
                continue
            r.wheel, r.status = f"{r.tag}-{side.role.name}.whl", Status.BUILT
            if side.staging is not None:
                (side.staging / r.wheel).write_text("")


class Host:
    name = TEST
    spec = load_table().get(TEST)


def results():
    return [Result(tag=t, python=p) for t, p in (("cp311-cp311", "3.11"),
                                                  ("cp313-cp313", "3.13"))]


@pytest.mark.parametrize("build_on, roles", [
    ("cross", [("manylinux2014-aarch64-cross", "CROSS"), (TEST, "TEST")]),
    ("emulated", [(TEST, "COMPILE"), ("manylinux2014-aarch64-cross", "REPAIR"),
                  (TEST, "TEST")])])
def test_each_session_gets_only_what_the_one_before_handed_over(tmp_path, build_on, roles):
    run = Run(build_on, tmp_path, failing={("cp313-cp313", sessions.Role[roles[-2][1]])})
    planned = results()
    sessions.build_and_test(run, Host(), planned)
    assert [(h, r.name) for h, r, _ in run.sessions] == roles
    # cp313 failed in the session before the test: never tested, never delivered.
    assert run.sessions[-1][2] == ["cp311-cp311"]
    assert [r.status for r in planned] == [Status.BUILT, Status.FAILED]
    assert planned[0].wheel == "cp311-cp311-TEST.whl"


def test_nothing_is_booted_for_a_session_when_the_one_before_handed_nothing_over(tmp_path):
    both = {("cp311-cp311", sessions.Role.COMPILE), ("cp313-cp313", sessions.Role.COMPILE)}
    run = Run("emulated", tmp_path, failing=both)
    sessions.build_and_test(run, Host(), results())
    assert [r.name for _, r, _ in run.sessions] == ["COMPILE"]


class Guest:
    """A guest's shell and files in a local directory (`root` stands for its /): the commands
    the hand-over sends run here for real, in sh, with tar."""

    def __init__(self, root):
        self.root = root

    def _local(self, path):
        return self.root / str(path).lstrip("/")

    def check(self, command):
        subprocess.run(["sh", "-c", command.replace("/tmp/", f"{self.root}/tmp/").replace(
            "/opt/", f"{self.root}/opt/")], check=True)

    def put(self, local, remote):
        shutil.copyfile(local, self._local(remote))

    def get(self, remote, local):
        shutil.copyfile(self._local(remote), local)


def test_floor_install_s_libraries_go_from_the_compile_session_to_the_repair_session(tmp_path):
    """before-all's floor-install builds into the aarch64 guest's /opt/floor/ports; the compile
    session hands that prefix over (not floor-install's .installed record), the repair session
    unpacks it into the cross VM's /opt/cross/ports and gives auditwheel its LD_LIBRARY_PATH."""
    aarch64, x86_64, staging = tmp_path / "aarch64", tmp_path / "x86_64", tmp_path / "staging"
    for d in (aarch64 / "tmp", aarch64 / "opt/floor/ports/lib", x86_64 / "tmp", staging):
        d.mkdir(parents=True)
    (aarch64 / "opt/floor/ports/lib/libbz2.so.1.0.8").write_bytes(b"ELF")
    (aarch64 / "opt/floor/ports/.installed").mkdir()
    (aarch64 / "opt/floor/ports/.installed/libbz2-dev").write_text("KEY\n")
    compile_side = sessions.Side(sessions.Role.COMPILE, staging)
    compile_side.after_before_all(Guest(aarch64), "echo no ports wanted")
    assert list(staging.iterdir()) == []
    compile_side.after_before_all(Guest(aarch64), "floor-install libbz2-dev")
    assert [p.name for p in staging.iterdir()] == ["floor-ports.tar.gz"]

    class Builder:
        env, log_dir = {"LD_LIBRARY_PATH": "mine"}, Path("wheelhouse/logs") / TEST

    b = Builder()
    sessions.Side(sessions.Role.REPAIR, tmp_path / "next", staging).configure(
        b, Guest(x86_64), "/opt/python")
    assert (x86_64 / "opt/cross/ports/lib/libbz2.so.1.0.8").read_bytes() == b"ELF"
    assert not (x86_64 / "opt/cross/ports/.installed").exists()
    assert b.env["PKG_CONFIG_LIBDIR"] == "/opt/cross/ports/lib/pkgconfig"
    assert b.env["LD_LIBRARY_PATH"] == "mine"  # the user's wins
    b = Builder()  # a compile session that handed nothing over: nothing to unpack
    sessions.Side(sessions.Role.REPAIR, tmp_path / "next", tmp_path / "next").configure(
        b, None, "/opt/python")
    assert b.env == {"LD_LIBRARY_PATH": "mine"}


def test_the_compile_session_logs_beside_the_test_session_s(tmp_path):
    class Builder:
        env, log_dir = {"CC": "mine"}, Path("wheelhouse/logs") / TEST

    b = Builder()
    sessions.Side(sessions.Role.COMPILE, tmp_path).configure(b, None, "/opt/python")
    assert b.log_dir == Path("wheelhouse/logs") / f"{TEST}-build"
    # and report.json's timings ("boot <session>", "builds <session>", ...) the same
    assert sessions.Side(sessions.Role.COMPILE).session(TEST) == f"{TEST}-build"
    assert sessions.Side(sessions.Role.TEST).session(TEST) == TEST
    assert b.env["CC"] == "mine" and b.env["CXX"] == "/opt/floor/bin/g++"  # the user's wins
    assert [s.name for s in b.stages][-3:] == ["unrepaired", "hash", "fetch"]
