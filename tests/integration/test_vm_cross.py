"""aarch64 with real VMs (cp311 only, the slim table). A setuptools project with C and C++
parts, a system library (libbz2, floor-install's aarch64 port) and a build requirement whose
compiled part setup.py loads (cffi's backend, installed natively: stages/buildreqs.py) compiles
in the x86_64 cross VM at the glibc 2.17 floor (the cross g++ links libstdc++ statically), is
repaired for manylinux2014_aarch64, then tested on a real aarch64 kernel (the arm64 VM under
TCG, with a test-requires from the index) and imported there under glibc 2.17's loader (an
interpreter copy whose ELF interpreter it is); report.json names both machines and before-all
saw the cross compiler and the cross marker. Then a meson-python project the same way, with the
files vmwheel writes for it. Last, a package that runs what it compiles while it builds, and
links libbz2 from floor-install, with build-on = emulated: compiled in the aarch64 VM, repaired
on the cross VM, tested on aarch64. (msgpack from PyPI, numpy as a build requirement and a
scikit-build-core project the same way are measured by hand: README, aarch64; CI affords these
three runs.)
"""

import io
import json
import re
import zipfile

import pytest
from elftools.elf.elffile import ELFFile

from tests.integration import test_vm_build as vm
from tests.integration.test_vm_musl import elf_facts
from tests.support.projects import (write_backend_project, write_floor_probe,
                                    write_runs_what_it_builds)

pytestmark = pytest.mark.vm
MACHINE = "manylinux2014-aarch64"
CROSS = "manylinux2014-aarch64-cross"


def newest_glibc(versions):
    return max((tuple(int(x) for x in v[6:].split(".")) for v in versions
                if v.startswith("GLIBC_2")), default=(0,))


# A fourth extension that links the system library libbz2, which before-all cross-builds for
# aarch64 with `floor-install libbz2-dev` (zlib would not do: manylinux2014 lets a wheel use the
# system's, so auditwheel never grafts it).
BZ_PROBE_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <bzlib.h>
static PyObject *bz(PyObject *self, PyObject *args) {
    char in[64] = "aarch64 aarch64 aarch64 aarch64", out[256], back[64];
    unsigned int n = sizeof out, m = sizeof back;
    if (BZ2_bzBuffToBuffCompress(out, &n, in, 31, 9, 0, 0) != BZ_OK ||
        BZ2_bzBuffToBuffDecompress(back, &m, out, n, 0, 0) != BZ_OK)
        return PyErr_Format(PyExc_RuntimeError, "bzip2 failed");
    return Py_BuildValue("s#s", back, (Py_ssize_t)m, BZ2_bzlibVersion());
}
static PyMethodDef methods[] = {{"bz", bz, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_zprobe", NULL, -1, methods};
PyMODINIT_FUNC PyInit__zprobe(void) { return PyModule_Create(&mod); }
"""
BZ_EXTENSION = '    Extension("floorprobe._zprobe", ["src/zprobe.c"], libraries=["bz2"]),\n])'
# A build requirement whose compiled part setup.py loads (as cffi-based packages' do):
# cffi's _cffi_backend imports only as installed for the cross VM (x86_64: stages/buildreqs.py;
# pip's build isolation would take its aarch64 wheel). numpy the same way: README, aarch64.
CFFI_AT_BUILD = ("import _cffi_backend\n"
                 "print('build-time cffi backend', _cffi_backend.__version__)\n")


def test_c_and_cxx_for_aarch64_cross_built_then_tested_and_proven_on_aarch64(tmp_path):
    """floorprobe (tests/support/projects.py) without its cp311 getrandom trap: a C part, a
    pybind11 C++ part and a C++ part linked the common setuptools way (`gcc -shared ...
    -lstdc++`) by the cross g++/gcc wrappers, a C part linking libbz2, which before-all
    cross-builds with `floor-install libbz2-dev` and auditwheel grafts; setup.py loads cffi's
    compiled backend, a build requirement installed for the cross VM (x86_64; the build runs
    without isolation). All are AArch64 ELF
    needing nothing above GLIBC_2.17 and no libstdc++ (GLIBCXX/CXXABI: it is static); the
    wheel is tested on aarch64 (its C++ calls, an exception turned into a ValueError, a bzip2
    round trip; iniconfig from the index, so that CPython's ssl and hashlib work there) and
    imported under glibc 2.17's loader there."""
    vm.build_box(MACHINE)  # the cross box first, then the aarch64 box from its CPythons
    project = write_floor_probe(tmp_path)
    probe = project / "src" / "cprobe.c"
    probe.write_text(probe.read_text().replace("PY_MINOR_VERSION == 11", "0"))
    (project / "src" / "zprobe.c").write_text(BZ_PROBE_C)
    setup = project / "setup.py"
    setup.write_text(CFFI_AT_BUILD + setup.read_text().replace("\n])", "\n" + BZ_EXTENSION))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pybind11>=2.10"]',
                                                       '"pybind11>=2.10", "cffi>=1.15"]'))
    # In tests/ of the project, so that the script's directory (sys.path[0]) has no source
    # package to shadow the installed wheel.
    (project / "tests").mkdir()
    (project / "tests" / "check.py").write_text(
        "import iniconfig\n"
        "import floorprobe as f\n"
        "from floorprobe._zprobe import bz\n"
        "assert f.join(['a', 'b']) == 'a,b,' and f.strict(2) == 4 and f.words('x y z') == 3\n"
        "print('bz2', bz())\n"
        "try:\n    f.words('')\nexcept ValueError as e:\n    print('C++ ok', e)\n")
    (project / "MANIFEST.in").write_text("include tests/check.py\n")  # in the sdist
    out = tmp_path / "wheelhouse"
    res = vm.run(vm.BIN / "vmwheel", "build", project, "--archs", "aarch64",
                 "--build", "cp311-*", "--output-dir", out,
                 "--before-all", 'echo "cross=$VMWHEEL_CROSS cc=$CC" && floor-install libbz2-dev',
                 "--test-requires", "iniconfig",
                 "--test-command", "python {project}/tests/check.py")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["machines"] == [{"name": MACHINE, "box": f"vmwheel/{MACHINE}",
                                   "platform": "manylinux_2_17_aarch64", "floor": "glibc 2.17",
                                   "floor_proof": "glibc 2.17 loader", "build_machine": CROSS}]
    (entry,) = [e for e in report["interpreters"] if e["status"] == "built"]
    assert entry["identifier"] == "cp311-manylinux_aarch64"
    assert entry["built_on"] == f"{CROSS} (x86_64)"
    assert entry["tested_on"] == f"{MACHINE} (aarch64)"
    assert (entry["libc"], entry["proof"]) == ("glibc 2.17", "glibc 2.17 loader")
    assert entry["floor_proof"] == "imported under glibc 2.17"
    assert {"build", "repair", "platform", "place", "test", "floor"} <= set(entry["durations"])
    assert "cross-files" not in entry["durations"]  # setuptools: nothing written for it
    assert entry["wheel"].endswith("-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64"
                                   ".whl"), entry["wheel"]
    with zipfile.ZipFile(out / entry["wheel"]) as whl:
        objects = sorted(n for n in whl.namelist() if n.endswith(".so") or ".so." in n)
        ours = [n for n in objects if not n.startswith("floorprobe.libs/")]
        assert [n.split(".")[0] for n in ours] == [
            "floorprobe/_cprobe", "floorprobe/_cxxprobe", "floorprobe/_ldprobe",
            "floorprobe/_zprobe"], objects
        assert all("-aarch64-linux-gnu.so" in n for n in ours), objects
        # floor-install's aarch64 libbz2, grafted by auditwheel from /opt/cross/ports
        (grafted,) = [n for n in objects if n not in ours]
        assert grafted.startswith("floorprobe.libs/libbz2-") and grafted.endswith(".so.1.0.8")
        for name in objects:
            data = whl.read(name)
            assert ELFFile(io.BytesIO(data))["e_machine"] == "EM_AARCH64"
            needed, versions = elf_facts(data)
            assert not [n for n in needed if "stdc++" in n], (name, needed)
            assert not [v for v in versions if v.startswith(("GLIBCXX", "CXXABI"))], versions
            assert newest_glibc(versions) <= (2, 17), (name, versions)
    hook = (out / "logs" / CROSS / "before-all.log").read_text()
    assert "cross=aarch64 cc=/opt/cross/bin/aarch64-linux-gnu-gcc" in hook
    # cross-built in this guest, or its build from this host's cache (an earlier run's)
    assert re.search(r"floor-install: libbz2-dev 1\.0\.8 (built in|from the cache)", hook), hook
    build_log = (out / "logs" / CROSS / "cp311-cp311.log").read_text()
    # cffi for the cross VM itself (setup.py loaded its backend), the build without isolation
    assert re.search(r"cffi-\S+-cp311-cp311-\S*x86_64\S*\.whl", build_log), build_log[-3000:]
    assert "build-time cffi backend " in build_log and "--no-build-isolation" in build_log
    test_log = (out / "logs" / MACHINE / "cp311-cp311.log").read_text()
    assert "python3.11-floor217" in test_log
    assert "C++ ok no words" in test_log, test_log[-2000:]
    assert "bz2 ('aarch64 aarch64 aarch64 aarch64', '1.0.8" in test_log, test_log[-2000:]


def test_meson_python_cross_builds_with_the_files_vmwheel_writes(tmp_path):
    """A Meson (meson-python) project with a C module built for aarch64 cp311 with no setting:
    the cross VM writes a toolchain file and a cross file (README: aarch64), installs a native
    cmake and ninja, hands meson-python the cross file, and the module comes out AArch64 with
    the aarch64 extension suffix, at most GLIBC_2.17, in a manylinux2014_aarch64 wheel that
    imports and runs in the aarch64 VM and under glibc 2.17's loader there. (The same for a
    scikit-build-core project, through the toolchain file, is measured by hand: README, aarch64;
    CI affords one of the two.)"""
    vm.build_box(MACHINE)
    for backend, name in (("meson-python", "mesonprobe"),):
        project = write_backend_project(tmp_path, backend, name)
        out = tmp_path / f"wheelhouse-{name}"
        check = f"import {name}; print('machine', {name}.machine())"
        res = vm.run(vm.BIN / "vmwheel", "build", project, "--archs", "aarch64",
                     "--build", "cp311-*", "--output-dir", out,
                     "--test-command", f'python -c "{check}"')
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        report = json.loads((out / "report.json").read_text())
        (entry,) = [e for e in report["interpreters"] if e["status"] == "built"]
        assert (entry["built_on"], entry["tested_on"]) == (f"{CROSS} (x86_64)",
                                                           f"{MACHINE} (aarch64)")
        assert entry["floor_proof"] == "imported under glibc 2.17"
        assert "cross-files" in entry["durations"], entry["durations"]
        assert entry["wheel"].endswith("-cp311-cp311-manylinux2014_aarch64."
                                       "manylinux_2_17_aarch64.whl"), entry["wheel"]
        with zipfile.ZipFile(out / entry["wheel"]) as whl:
            (so,) = [n for n in whl.namelist() if n.endswith(".so")]
            data = whl.read(so)
        assert so == f"{name}/_core.cpython-311-aarch64-linux-gnu.so", so
        assert ELFFile(io.BytesIO(data))["e_machine"] == "EM_AARCH64"
        assert newest_glibc(elf_facts(data)[1]) <= (2, 17), so
        build_log = (out / "logs" / CROSS / "cp311-cp311.log").read_text()
        assert "cross/toolchain.cmake" in build_log and "meson-cross.ini" in build_log
        test_log = (out / "logs" / MACHINE / "cp311-cp311.log").read_text()
        assert "machine ('aarch64', '3.11.2'" in test_log, test_log[-2000:]


def test_a_package_that_runs_what_it_builds_is_built_inside_the_aarch64_guest(tmp_path):
    """build-on = emulated: genprobe (tests/support/projects.py) compiles a program and runs it
    while it builds, which a cross build cannot (Exec format error), and links libbz2, which
    before-all builds in the guest with `floor-install libbz2-dev`. The aarch64 VM compiles it
    with its own gcc behind the glibc 2.17 wrappers (before-all sees them and the marker) and
    hands floor-install's libraries over with the wheel, the cross VM repairs the wheel for
    manylinux2014_aarch64 (grafting that libbz2), the aarch64 VM tests it (the program ran on
    aarch64, a bzip2 round trip) and imports it under glibc 2.17; report.json says where each
    happened."""
    vm.build_box(MACHINE)
    project = write_runs_what_it_builds(tmp_path)
    (project / "src" / "zprobe.c").write_text(BZ_PROBE_C)
    setup = project / "setup.py"
    setup.write_text(setup.read_text().replace(
        '("_FILE_OFFSET_BITS", "64")])])', '("_FILE_OFFSET_BITS", "64")]),\n'
        '    Extension("genprobe._zprobe", ["src/zprobe.c"], libraries=["bz2"])])'))
    out = tmp_path / "wheelhouse"
    check = ("import genprobe as g; assert g.MACHINE == 'aarch64', g.MACHINE; "
             "from genprobe._zprobe import bz; "
             "print('generated on', g.MACHINE, g.probe(1.0), 'bz2', bz())")
    res = vm.run(vm.BIN / "vmwheel", "build", project, "--archs", "aarch64", "--build-on",
                 "emulated", "--build", "cp311-*", "--output-dir", out,
                 "--before-all", 'echo "on=$VMWHEEL_BUILD_ON cc=$CC $(uname -m)" && '
                 'floor-install libbz2-dev',
                 "--test-command", f'python -c "{check}"')
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "floor-install's libraries of the compile session unpacked into /opt/cross/ports" \
        in res.stdout, res.stdout[-3000:]
    report = json.loads((out / "report.json").read_text())
    (entry,) = [e for e in report["interpreters"] if e["status"] == "built"]
    assert (entry["built_on"], entry["tested_on"]) == (f"{MACHINE} (aarch64)",
                                                       f"{MACHINE} (aarch64)")
    assert {"build", "unrepaired", "repair", "platform", "place", "test", "floor"} <= set(
        entry["durations"]), entry["durations"]
    assert entry["floor_proof"] == "imported under glibc 2.17"
    assert entry["wheel"].endswith("-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64"
                                   ".whl"), entry["wheel"]
    with zipfile.ZipFile(out / entry["wheel"]) as whl:
        objects = sorted(n for n in whl.namelist() if n.endswith(".so") or ".so." in n)
        assert [n.split(".")[0] for n in objects] == ["genprobe", "genprobe/_cprobe",
                                                      "genprobe/_zprobe"], objects
        # floor-install's aarch64 libbz2, handed over and grafted by the cross VM's auditwheel
        assert re.fullmatch(r"genprobe\.libs/libbz2-\w+\.so\.1\.0\.8", objects[0]), objects
        for so in objects:
            data = whl.read(so)
            assert ELFFile(io.BytesIO(data))["e_machine"] == "EM_AARCH64"
            assert newest_glibc(elf_facts(data)[1]) <= (2, 17), so
    hook = (out / "logs" / f"{MACHINE}-build" / "before-all.log").read_text()
    assert "on=emulated cc=/opt/floor/bin/gcc aarch64" in hook, hook
    # built in this guest, or its build from this host's cache (an earlier run's)
    assert re.search(r"floor-install: libbz2-dev 1\.0\.8 (built in|from the cache)", hook), hook
    assert "==> [build]" in (out / "logs" / f"{MACHINE}-build" / "cp311-cp311.log").read_text()
    assert "auditwheel" in (out / "logs" / CROSS / "cp311-cp311.log").read_text()
    test_log = (out / "logs" / MACHINE / "cp311-cp311.log").read_text()
    assert "generated on aarch64" in test_log, test_log[-2000:]
    assert "bz2 ('aarch64 aarch64 aarch64 aarch64', '1.0.8" in test_log, test_log[-2000:]
