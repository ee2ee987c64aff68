"""musllinux_1_2 with a real VM of the local musl box: `vmwheel build msgpack --targets
musllinux_1_2` (cp311 only, to keep the TCG time small) gives a musllinux_1_2_x86_64 wheel whose
extension needs musl's libc (libc.musl-x86_64.so.1) and no glibc symbol version, tested in a
fresh venv of the box's musl CPython and imported under musl's own loader; report.json says so.
"""

import io
import json
import zipfile

import pytest
from elftools.elf.elffile import ELFFile

from tests.integration import test_vm_build as vm

pytestmark = pytest.mark.vm
MACHINE = "musllinux_1_2-x86_64"


def elf_facts(data):
    """(NEEDED names, symbol versions referenced) of one shared object's bytes."""
    elf = ELFFile(io.BytesIO(data))
    needed = [t.needed for t in elf.get_section_by_name(".dynamic").iter_tags()
              if t.entry.d_tag == "DT_NEEDED"]
    versions = set()
    verneed = elf.get_section_by_name(".gnu.version_r")
    if verneed is not None:
        for _, auxes in verneed.iter_versions():
            versions.update(aux.name for aux in auxes)
    return needed, versions


def test_msgpack_for_musllinux_1_2_is_built_tested_and_proven_with_musl(tmp_path):
    vm.build_box(MACHINE)
    out = tmp_path / "wheelhouse"
    res = vm.run(vm.BIN / "vmwheel", "build", "msgpack", "--targets", "musllinux_1_2",
                 "--build", "cp311-*", "--output-dir", out)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["machines"] == [{"name": MACHINE, "box": f"vmwheel/{MACHINE}",
                                   "platform": "musllinux_1_2_x86_64", "floor": "musl 1.2.2",
                                   "floor_proof": "musl 1.2.2 loader"}]
    built = [e for e in report["interpreters"] if e["status"] == "built"]
    assert [e["identifier"] for e in built] == ["cp311-musllinux_x86_64"]
    (entry,) = built
    assert entry["libc"] == "musl 1.2.2"
    assert entry["floor_proof"] == "imported under musl 1.2.2's loader"
    assert entry["proof"] == "musl 1.2.2 loader"
    assert {"test", "floor"} <= set(entry["durations"])
    assert entry["wheel"].endswith("-cp311-cp311-musllinux_1_2_x86_64.whl"), entry["wheel"]
    assert '"musllinux_1_2_x86_64"' in entry["auditwheel"]
    with zipfile.ZipFile(out / entry["wheel"]) as whl:
        objects = [n for n in whl.namelist() if n.endswith(".so")]
        assert objects and all("-x86_64-linux-musl.so" in n for n in objects), objects
        for name in objects:
            needed, versions = elf_facts(whl.read(name))
            assert "libc.musl-x86_64.so.1" in needed, (name, needed)
            assert not [v for v in versions if v.startswith("GLIBC_")], (name, versions)
    log = (out / "logs" / MACHINE / "cp311-cp311.log").read_text()
    # The test venv is the musl CPython's, and the proof ran it under musl's loader.
    assert "/opt/python/cp311-cp311/bin/python -m venv" in log
    assert "/opt/floor/bin/floor-run /opt/python/cp311-cp311/bin/python" in log
