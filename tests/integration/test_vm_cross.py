"""aarch64 with real VMs: `vmwheel build msgpack --archs aarch64` (cp311 only, the slim table)
compiles in the x86_64 cross VM at the glibc 2.17 floor, repairs for manylinux2014_aarch64,
then tests the wheel on a real aarch64 kernel (the arm64 VM under TCG) and imports it there under
glibc 2.17's loader (an interpreter copy whose ELF interpreter it is). report.json names both
machines; before-all saw the cross compiler and the cross marker.
"""

import io
import json
import zipfile

import pytest
from elftools.elf.elffile import ELFFile

from tests.integration import test_vm_build as vm
from tests.integration.test_vm_musl import elf_facts

pytestmark = pytest.mark.vm
MACHINE = "manylinux2014-aarch64"
CROSS = "manylinux2014-aarch64-cross"


def test_msgpack_for_aarch64_is_cross_built_then_tested_and_proven_on_aarch64(tmp_path):
    vm.build_box(MACHINE)  # the cross box first, then the aarch64 box from its CPythons
    out = tmp_path / "wheelhouse"
    res = vm.run(vm.BIN / "vmwheel", "build", "msgpack", "--archs", "aarch64",
                 "--build", "cp311-*", "--output-dir", out,
                 "--before-all", 'echo "cross=$VMWHEEL_CROSS cc=$CC"')
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["machines"] == [{"name": MACHINE, "box": f"vmwheel/{MACHINE}",
                                   "platform": "manylinux_2_17_aarch64", "floor": "glibc 2.17",
                                   "floor_proof": "glibc 2.17 loader", "build_machine": CROSS}]
    built = [e for e in report["interpreters"] if e["status"] == "built"]
    assert [e["identifier"] for e in built] == ["cp311-manylinux_aarch64"]
    (entry,) = built
    assert entry["built_on"] == f"{CROSS} (x86_64)"
    assert entry["tested_on"] == f"{MACHINE} (aarch64)"
    assert entry["libc"] == "glibc 2.17"
    assert entry["proof"] == "glibc 2.17 loader"
    assert entry["floor_proof"] == "imported under glibc 2.17"
    assert {"build", "repair", "platform", "place", "test", "floor"} <= set(entry["durations"])
    assert entry["wheel"].endswith("-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64"
                                   ".whl"), entry["wheel"]
    with zipfile.ZipFile(out / entry["wheel"]) as whl:
        objects = [n for n in whl.namelist() if n.endswith(".so")]
        assert objects and all("-aarch64-linux-gnu.so" in n for n in objects), objects
        for name in objects:
            with whl.open(name) as f:
                data = f.read()
            assert ELFFile(io.BytesIO(data))["e_machine"] == "EM_AARCH64"
            _, versions = elf_facts(data)
            glibc = [tuple(int(x) for x in v[6:].split(".")) for v in versions
                     if v.startswith("GLIBC_2")]
            assert glibc and max(glibc) <= (2, 17), (name, versions)
    hook = (out / "logs" / CROSS / "before-all.log").read_text()
    assert "cross=aarch64 cc=/opt/cross/bin/aarch64-linux-gnu-gcc" in hook
    test_log = (out / "logs" / MACHINE / "cp311-cp311.log").read_text()
    assert "python3.11-floor217" in test_log
