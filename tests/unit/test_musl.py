"""musllinux_1_2: the local musl machine is what the target selects, its identifiers, its floor
(musl's loader), the floor proof's musl failures and the box key. No VM: the table and pure code.
"""

import dataclasses
import subprocess
from pathlib import Path

from builder import planner
from builder.config.options import Options
from builder.images import boxes
from builder.model.machine import Floor, get
from builder.model.ports import floor_env
from builder.model.result import identifier
from builder.stages.floor import floor_failure

PROVISION = Path(__file__).resolve().parents[2] / "provision"


def opts(**cli):
    return Options(cli={k.replace("_", "-"): v for k, v in cli.items()}, environ={})


def test_musllinux_1_2_selects_the_local_musl_machine_not_the_public_alpine_box():
    (m,) = planner.select_machines(opts(targets="musllinux_1_2"))
    assert (m.name, m.box, m.source) == ("musllinux_1_2-x86_64", "vmwheel/musllinux_1_2-x86_64",
                                         "local")
    assert (m.policy, m.platform, m.suite) == ("musllinux_1_2", "musllinux_1_2_x86_64",
                                               "bullseye")
    assert m.python_versions() == ["3.11", "3.13"]


def test_both_targets_in_one_run_use_both_machines():
    chosen = planner.select_machines(opts(targets="manylinux2014 musllinux_1_2"))
    assert [m.name for m in chosen] == ["manylinux2014-x86_64", "musllinux_1_2-x86_64"]


def test_identifiers_are_spelled_as_cibuildwheel_spells_them():
    assert identifier("cp311-cp311", "musllinux_1_2", "x86_64") == "cp311-musllinux_x86_64"
    o = opts(build="*-musllinux_x86_64", skip="cp313-*")
    assert o.selected("cp311-musllinux_x86_64") and not o.selected("cp313-musllinux_x86_64")
    assert not o.selected("cp311-manylinux_x86_64")


def test_the_musl_floor_runs_wheels_under_musls_loader():
    floor = get("musllinux_1_2-x86_64").floor_spec
    assert floor == Floor("1.2.2", "/opt/floor/bin/floor-run", "musl")
    assert floor.label == "musl 1.2.2"
    assert floor.imported == "imported under musl 1.2.2's loader"
    assert floor.proof() == "musl 1.2.2 loader"  # the proof's kind, per wheel
    glibc = get().floor_spec
    assert (glibc.label, glibc.imported) == ("glibc 2.17", "imported under glibc 2.17")


def test_musls_loader_errors_become_one_line():
    relocating = ("Error relocating /w/floor/m/_x.cpython-311-x86_64-linux-musl.so: "
                  "__memcpy_chk: symbol not found\n")
    assert floor_failure(relocating, "1.2.2", "musl") == (
        "floor proof: __memcpy_chk is not in musl 1.2.2 (symbol not found)")
    missing = "Error loading shared library libstdc++.so.6: No such file or directory (needed by x)"
    assert floor_failure(missing, "1.2.2", "musl") == (
        "floor proof: libstdc++.so.6 is not there under musl 1.2.2's loader")
    assert floor_failure("undefined symbol: getrandom", "2.17") == (
        "floor proof: getrandom is not in glibc 2.17 (undefined symbol)")


def test_the_musl_box_has_its_own_key_and_the_glibc_boxes_keep_theirs():
    musl = get("musllinux_1_2-x86_64")
    assert musl.box_inputs()["libc"] == "musl" and musl.box_inputs()["floor"] == "1.2.2"
    assert "libc" not in get().box_inputs()
    as_glibc = dataclasses.replace(musl, libc="glibc")
    assert boxes.box_key(musl) != boxes.box_key(as_glibc)


def test_box_build_asks_for_the_musl_toolchain_alone(monkeypatch):
    monkeypatch.setattr(boxes.floor, "fetch_libs", lambda where: where)
    assert boxes._floor_inputs(get("musllinux_1_2-x86_64")) == ["--musl"]
    res = subprocess.run(["bash", str(PROVISION / "build-debian-box.sh"), "--suite", "bullseye",
                          "--arch", "amd64", "--policy", "musllinux_1_2", "--mirror", "m",
                          "--wheels", "w", "--pubkey", "k", "--out", "o", "--musl",
                          "--floor-toolchain", "t", "--floor-sha512", "s"],
                         capture_output=True, text=True, cwd="/")
    assert res.returncode == 2 and res.stderr.startswith("usage: build-debian-box.sh")


def test_the_musl_box_gets_no_ld_library_path():
    """Its glibc programs (auditwheel's Python) would load floor-install's musl libraries;
    musl's loader and auditwheel find them through /etc/ld-musl-x86_64.path instead."""
    assert "LD_LIBRARY_PATH" not in floor_env("musl")
    assert floor_env("musl")["PATH"].startswith("/opt/floor/bin:")
    assert floor_env()["LD_LIBRARY_PATH"] == "/opt/floor/ports/lib"


def test_another_machine_table_by_VMWHEEL_MACHINES_and_a_bad_one_is_one_line(tmp_path):
    """The VM tests' slim boxes come from such a table: a box's key covers its CPythons."""
    from tests.support import slimtable
    from tests.support.cli import vmwheel
    slim = slimtable.get("musllinux_1_2-x86_64")
    assert slim.cpythons == ("3.11.2",) and get(slim.name).cpythons == ("3.11.2", "3.13.5")
    assert boxes.box_key(slim) != boxes.box_key(get(slim.name))
    res = vmwheel(tmp_path, "config", "show", env={"VMWHEEL_MACHINES": str(slimtable.TABLE)})
    assert res.returncode == 0, res.stderr
    (tmp_path / "bad.json").write_text('{"default": "x"}')
    res = vmwheel(tmp_path, "build", "msgpack",
                  env={"VMWHEEL_MACHINES": str(tmp_path / "bad.json")})
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [
        f"vmwheel: cannot read the machine table {tmp_path / 'bad.json'} (KeyError: 'machines'); "
        "fix that file, or unset VMWHEEL_MACHINES to use vmwheel's own table"]
