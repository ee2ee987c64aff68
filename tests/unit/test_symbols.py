"""stages/symbols.py on real ELF files made here with the host's gcc. An unversioned reference
to a glibc function newer than the wheel's floor is what a build against an old C library
gives for a hand-written prototype (`getrandom` against glibc 2.17); linking without libc
(`-nodefaultlibs`, libm only for a versioned reference) makes the same ELF here."""

import shutil
import subprocess
import zipfile

import pytest

from builder.stages import symbols

pytestmark = pytest.mark.skipif(not (shutil.which("gcc") and symbols.glibc_since()),
                                reason="needs gcc and a glibc host")

NORMAL = """
#include <string.h>
#include <math.h>
extern void *PyLong_FromLong(long);
void *f(char *d, const char *s, double x) { memcpy(d, s, 3); return PyLong_FromLong((long)exp(x)); }
"""
# A hand-written prototype (no <sys/random.h>), and cos() so that the file has symbol versions.
GETRANDOM = """
#include <math.h>
extern long getrandom(void *buf, unsigned long n, unsigned flags);
double f(double x) { char b[8]; return cos(x) + getrandom(b, sizeof b, 0); }
"""
LIB = "long getrandom(void *b, unsigned long n, unsigned f) { return 0; }\n"
PLAT = "manylinux2014_x86_64.manylinux_2_17_x86_64"


def shared(tmp_path, name, source, *extra):
    c = tmp_path / f"{name}.c"
    c.write_text(source)
    out = tmp_path / name
    res = subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(c), *extra],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return out


def unversioned_getrandom(tmp_path, *extra):
    return shared(tmp_path, "bad.so", GETRANDOM, "-nodefaultlibs", *extra, "-lm")


def wheel(tmp_path, members, plat=PLAT):
    path = tmp_path / f"pkg-1.0-cp311-cp311-{plat}.whl"
    with zipfile.ZipFile(path, "w") as z:
        for arcname, file in members.items():
            z.write(file, arcname)
    return path


def test_glibc_knows_when_functions_arrived():
    since = symbols.glibc_since()
    assert since["getrandom"] == (2, 25)
    assert since["dlopen"] <= (2, 2)  # moved into libc in 2.34, exported since 2.0/2.2.5


@pytest.mark.parametrize("name, floor", [
    ("m-1-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_31_x86_64.whl",
     (2, 17)),
    ("m-1-cp311-cp311-manylinux_2_31_i686.whl", (2, 31)),
    ("m-1-cp36-abi3-manylinux1_x86_64.whl", (2, 5)),
    ("m-1-cp311-cp311-musllinux_1_2_x86_64.whl", None),
    ("m-1-py3-none-any.whl", None),
])
def test_wheel_floor_is_the_oldest_glibc_its_tags_claim(name, floor):
    assert symbols.wheel_floor(name) == floor


def test_a_normal_extension_passes(tmp_path):
    so = shared(tmp_path, "ok.so", NORMAL, "-lm")
    assert symbols.unresolved(wheel(tmp_path, {"pkg/_ok.cpython-311-x86_64-linux-gnu.so": so})) \
        == {}


def test_an_unversioned_newer_glibc_function_is_named(tmp_path):
    so = unversioned_getrandom(tmp_path)
    member = "pkg/_bad.cpython-311-x86_64-linux-gnu.so"
    found = symbols.unresolved(wheel(tmp_path, {member: so}))
    assert found == {member: ["getrandom"]}
    line = symbols.describe(found)
    assert line.startswith("_bad.cpython-311-x86_64-linux-gnu.so calls getrandom without a "
                           "symbol version") and "\n" not in line


def test_a_floor_that_has_the_function_is_fine(tmp_path):
    """The same file tagged for glibc 2.31: getrandom (2.25) exists there."""
    so = unversioned_getrandom(tmp_path)
    whl = wheel(tmp_path, {"pkg/_bad.so": so}, plat="manylinux_2_31_x86_64")
    assert symbols.unresolved(whl) == {}


def test_the_temporary_file_is_judged_by_the_wheel_name(tmp_path):
    whl = wheel(tmp_path, {"pkg/_bad.so": unversioned_getrandom(tmp_path)})
    tmp = whl.rename(tmp_path / ".part")
    assert symbols.unresolved(tmp) == {}  # no tag, no floor
    assert symbols.unresolved(tmp, name=whl.name) == {"pkg/_bad.so": ["getrandom"]}


def test_a_library_bundled_in_the_wheel_provides_it(tmp_path):
    lib = shared(tmp_path, "libvmw-1a2b3c4d.so.1", LIB, "-Wl,-soname,libvmw-1a2b3c4d.so.1")
    so = unversioned_getrandom(tmp_path, f"-L{tmp_path}", "-l:libvmw-1a2b3c4d.so.1")
    whl = wheel(tmp_path, {"pkg/_bad.so": so, "pkg.libs/libvmw-1a2b3c4d.so.1": lib})
    assert symbols.unresolved(whl) == {}


def test_a_library_outside_the_wheel_is_not_judged(tmp_path):
    """An excluded library (auditwheel --exclude) may provide it: vmwheel cannot see into it."""
    lib = shared(tmp_path, "libvmwext.so.1", LIB, "-Wl,-soname,libvmwext.so.1")
    so = unversioned_getrandom(tmp_path, f"-L{tmp_path}", "-l:libvmwext.so.1")
    assert symbols.unresolved(wheel(tmp_path, {"pkg/_bad.so": so})) == {}


def test_a_function_glibc_never_had_is_not_judged(tmp_path):
    """Not a glibc function: the interpreter or a system library may provide it."""
    source = GETRANDOM.replace("getrandom", "vmw_own_fn")
    so = shared(tmp_path, "own.so", source, "-nodefaultlibs", "-lm")
    assert symbols.unresolved(wheel(tmp_path, {"pkg/own.so": so})) == {}


def test_a_file_without_any_symbol_version_is_judged_too(tmp_path):
    """Only Python calls and getrandom: no .gnu.version section at all."""
    source = ("extern long getrandom(void *b, unsigned long n, unsigned f);\n"
              "extern void *PyLong_FromLong(long);\n"
              "void *f(void) { char b[4]; return PyLong_FromLong(getrandom(b, 4, 0)); }\n")
    so = shared(tmp_path, "bare.so", source, "-nodefaultlibs")
    assert symbols.unresolved(wheel(tmp_path, {"pkg/bare.so": so})) == {"pkg/bare.so":
                                                                          ["getrandom"]}


def test_files_that_are_not_elf_are_ignored(tmp_path):
    fake = tmp_path / "x.so"
    fake.write_bytes(b"not an ELF file")
    assert symbols.unresolved(wheel(tmp_path, {"pkg/x.so": fake})) == {}
