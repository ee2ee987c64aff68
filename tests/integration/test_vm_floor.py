"""System libraries at the floor, with a real VM of the default box: a C extension that needs
libffi fails naming `ffi.h` and the `floor-install` to use; with `before-all = "floor-install
libffi-dev"` and nothing else its wheel is manylinux2014 with that libffi grafted (built in the
guest with the floor toolchain), proven under glibc 2.17 and working here; the next run takes
the libffi build from the host's cache instead of compiling it again."""

import json
import re
import zipfile

import pytest

from builder.paths import cache_dir
from tests.integration import test_vm_build as vm
from tests.support import cxxprojects
from tests.support.hostpython import host_python
from tests.support.projects import write_ffi_probe

pytestmark = pytest.mark.vm


def cp311(out):
    return [e for e in json.loads((out / "report.json").read_text())["interpreters"]
            if e["tag"] == "cp311-cp311"]


def proven_manylinux2014_wheel(out):
    """The cp311 wheel of `out`: tagged manylinux2014, nothing above glibc 2.17 by auditwheel
    here, and proven under the 2.17 loader in the guest."""
    [entry] = cp311(out)
    wheel = out / entry["wheel"]
    assert "manylinux2014_x86_64" in wheel.name, wheel.name
    assert entry["floor_proof"] == "imported under glibc 2.17"
    (major, minor), verdict = vm.platform_tag_of(wheel)
    assert (major, minor) <= (2, 17), verdict
    return wheel


def answers_42_here(wheel, module, tmp_path):
    """The cp311 wheel installed in a fresh venv of this host's CPython 3.11 (when pyenv has
    it): `module`.answer() is 42."""
    py = host_python("3.11")
    if py is None:
        return
    venv = tmp_path / "venv"
    assert vm.run(py / "bin" / "python", "-m", "venv", venv).returncode == 0
    assert vm.run(venv / "bin" / "pip", "install", "--no-index", wheel).returncode == 0
    check = vm.run(venv / "bin" / "python", "-c", f"import {module}; print({module}.answer())",
                   cwd=tmp_path)
    assert check.stdout.strip() == "42", check.stderr


def test_floor_install_makes_libffi_one_line_and_its_build_is_kept_on_the_host(tmp_path):
    vm.build_box(vm.DEFAULT)
    for old in (cache_dir() / "ports").glob("libffi-dev-*.tar.gz"):
        old.unlink()  # the host's cache starts without a libffi build
    project = write_ffi_probe(tmp_path)
    out = tmp_path / "wheelhouse"
    base = [vm.BIN / "vmwheel", "build", project, "--build", "cp311-*", "--output-dir", out]

    bare = vm.run(*base)
    assert bare.returncode == 1, bare.stdout[-3000:] + bare.stderr[-3000:]
    assert "fatal error: ffi.h: No such file or directory" in bare.stdout, bare.stdout[-3000:]
    assert "add `floor-install libffi-dev` to before-all" in bare.stdout
    [failed] = cp311(out)
    assert any("ffi.h" in line for line in failed["why"]), failed

    one_line = [*base, "-o", "before-all=floor-install libffi-dev"]
    first = vm.run(*one_line)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "floor-install cache: 0 build(s) restored from this host, 1 new kept" in first.stdout
    wheel = proven_manylinux2014_wheel(out)
    with zipfile.ZipFile(wheel) as z:
        grafted = [n for n in z.namelist()
                   if re.fullmatch(r"ffiprobe\.libs/libffi-\w+\.so\.7.*", n)]
    assert grafted, "libffi was not grafted into the wheel"
    answers_42_here(wheel, "vmwtestext", tmp_path)

    again = vm.run(*one_line, "-o", "resume=false")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "floor-install cache: 1 build(s) restored from this host, 0 new kept" in again.stdout
    log = (out / "logs" / vm.DEFAULT / "before-all.log").read_text()
    assert "floor-install: libffi-dev 3.3 from the cache" in log, log[-2000:]
    took = re.search(r"floor-install cache: .* \((\d+) s with before-all\)", again.stdout)
    print(f"before-all with floor-install libffi-dev from the host's cache: {took.group(1)} s")


@pytest.mark.parametrize("backend", ["scikit-build-core", "meson-python", "cython-cxx"])
def test_cxx_built_by_cmake_and_meson_is_manylinux2014_and_proven(tmp_path, backend):
    """scikit-build-core (CMake) and meson-python (meson) find the compiler on PATH, not in
    sysconfig: on the floor box that is the floor's c++, so a C++ extension they build links
    libstdc++ statically and needs nothing above glibc 2.17; repaired, proven, it works here.
    So does Cython's C++ mode (cythonize, language="c++", a C++ exception as ValueError)."""
    vm.build_box(vm.DEFAULT)
    name, files = {"scikit-build-core": ("skbcxx", cxxprojects.scikit_build_core_files()),
                   "meson-python": ("mesoncxx", cxxprojects.meson_python_files()),
                   "cython-cxx": ("cycxx", cxxprojects.cython_cxx_files())}[backend]
    sdist = cxxprojects.make_backend_sdist(tmp_path, files, name)
    out = tmp_path / "wheelhouse"
    res = vm.run(vm.BIN / "vmwheel", "build", sdist, "--build", "cp311-*", "--output-dir", out)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    wheel = proven_manylinux2014_wheel(out)
    with zipfile.ZipFile(wheel) as z:
        assert not [n for n in z.namelist() if "libstdc++" in n], "libstdc++ was grafted"
    answers_42_here(wheel, name, tmp_path)
