"""The floor proof's verdict: one line naming what the old glibc lacks (stages/build.py).

The loader's messages are quoted as glibc 2.17's ld.so prints them; the whole proof runs for
real in the VM test (tests/integration/test_vm_build.py).
"""

from builder.stages.build import STAGES
from builder.model.machine import Floor
from builder.stages.floor import floor_failure, no_floor_wheel, platforms


def test_a_symbol_the_floor_lacks_is_named_by_the_floor_proof():
    out = ("Traceback (most recent call last):\n  ...\nImportError: /tmp/vmwheel/cp311-cp311/"
           "floor/ext/_ext.cpython-311-x86_64-linux-gnu.so: undefined symbol: getrandom\n")
    assert floor_failure(out, "2.17") == (
        "floor proof: getrandom is not in glibc 2.17 (undefined symbol)")


def test_a_symbol_version_above_the_floor_is_named_by_the_floor_proof():
    out = ("ImportError: /lib64/libc.so.6: version `GLIBC_2.28' not found (required by "
           "/tmp/vmwheel/cp311-cp311/floor/probe.so)\n")
    assert floor_failure(out, "2.17") == "floor proof: needs GLIBC_2.28, newer than glibc 2.17"


def test_other_floor_proof_failures_leave_the_stage_message():
    assert floor_failure("ModuleNotFoundError: No module named 'numpy'\n", "2.17") == ""


def test_the_floor_stage_follows_the_test_and_precedes_the_fetch():
    names = [s.name for s in STAGES]
    assert names.index("test") < names.index("floor") < names.index("hash") < names.index("fetch")


def test_dependencies_are_installed_with_the_floor_s_tags_only():
    # With the box's own tags (glibc 2.31) pip would take numpy 2.4, which needs glibc 2.27,
    # and the proof would blame the wheel; these take numpy 2.2.6 (manylinux2014).
    glibc, musl = Floor("2.17", ""), Floor("1.2.2", "", "musl")
    assert platforms(glibc, "manylinux_2_17_aarch64") == ["manylinux_2_17_aarch64",
                                                          "manylinux2014_aarch64"]
    assert platforms(musl, "musllinux_1_2_x86_64") == ["musllinux_1_2_x86_64",
                                                       "musllinux_1_1_x86_64"]


def test_a_dependency_without_a_wheel_for_the_floor_is_named():
    out = ("ERROR: Could not find a version that satisfies the requirement numpy (from npprobe) "
           "(from versions: none)\nERROR: No matching distribution found for numpy\n")
    line = no_floor_wheel(out, Floor("2.17", ""))
    assert line.startswith("floor proof: the dependency numpy has no wheel that runs on glibc "
                           "2.17, so this wheel cannot be imported there")
    assert no_floor_wheel("ImportError: bad\n", Floor("2.17", "")) == ""
