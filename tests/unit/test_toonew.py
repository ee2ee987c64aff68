"""Naming what makes auditwheel refuse a target: the listing the guest prints (objdump -T's
undefined symbols per ELF) read against auditwheel's own policy for the target."""

from builder.stages import toonew

LISTING = """\
@@elf wheel:pkg/_ext.cpython-311-x86_64-linux-gnu.so
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.2.5) memcpy
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.28) fcntl64
0000000000000000      DF *UND*\t0000000000000000  GLIBCXX_3.4.21 _ZNSt7__cxx1112basic_string
0000000000000000  w   D  *UND*\t0000000000000000  Base        __gmon_start__
@@elf /usr/lib/x86_64-linux-gnu/libstdc++.so.6
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.33) fstat64
@@elf /usr/lib/x86_64-linux-gnu/libffi.so.7
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.27) memfd_create
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.17) secure_getenv
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_PRIVATE) __libc_x
@@elf /usr/lib/x86_64-linux-gnu/libz.so.1
"""


def test_names_each_elf_with_its_too_new_symbols_and_skips_what_every_system_has():
    found = toonew.too_new(LISTING, "manylinux_2_17_x86_64")
    assert found == [
        ("wheel:pkg/_ext.cpython-311-x86_64-linux-gnu.so",
         ["fcntl64@GLIBC_2.28", "_ZNSt7__cxx1112basic_string@GLIBCXX_3.4.21"]),
        ("/usr/lib/x86_64-linux-gnu/libffi.so.7", ["memfd_create@GLIBC_2.27"])]


def test_the_legacy_alias_names_the_same_policy_and_a_newer_target_allows_more():
    assert toonew.too_new(LISTING, "manylinux2014_x86_64") == \
        toonew.too_new(LISTING, "manylinux_2_17_x86_64")
    assert toonew.too_new(LISTING, "manylinux_2_24_x86_64") == [
        ("wheel:pkg/_ext.cpython-311-x86_64-linux-gnu.so", ["fcntl64@GLIBC_2.28"]),
        ("/usr/lib/x86_64-linux-gnu/libffi.so.7", ["memfd_create@GLIBC_2.27"])]
    assert toonew.too_new(LISTING, "manylinux_2_28_x86_64") == []


def test_targets_without_a_manylinux_policy_name_nothing():
    assert toonew.too_new(LISTING, "musllinux_1_2_x86_64") == []
    assert toonew.too_new(LISTING, "manylinux_2_17_sparc") == []
    assert toonew.too_new("", "manylinux_2_17_x86_64") == []


def test_the_line_says_what_to_do_for_a_library_and_for_the_extension_itself():
    found = toonew.too_new(LISTING, "manylinux_2_17_x86_64")
    line = toonew.describe(found, "manylinux_2_17_x86_64")
    assert line == ("repair: _ext.cpython-311-x86_64-linux-gnu.so needs "
                    "fcntl64@GLIBC_2.28, _ZNSt7__cxx1112basic_string@GLIBCXX_3.4.21; "
                    "/usr/lib/x86_64-linux-gnu/libffi.so.7 needs memfd_create@GLIBC_2.27, "
                    "newer than manylinux_2_17_x86_64 allows: build that library from source "
                    "with the floor's $CC in before-all (README: System libraries)")
    own = toonew.describe([(found[0][0], found[0][1][:1])], "manylinux_2_17_x86_64")
    assert own.endswith("allows: compile with the machine's floor toolchain ($CC), not "
                        "another compiler")
    cxx = toonew.describe(found[:1], "manylinux_2_17_x86_64")
    assert cxx.endswith("allows: it links a shared libstdc++ newer than the target's: link C++ "
                        "with the floor's $CC or $CXX (-lstdc++ there is the static libstdc++), "
                        "not with a path to libstdc++.so or another compiler's -L")
    many = [("wheel:x.so", [f"f{i}@GLIBC_2.3{i}" for i in range(6)])]
    assert "x.so needs f0@GLIBC_2.30, f1@GLIBC_2.31, f2@GLIBC_2.32, f3@GLIBC_2.33 and 2 more" \
        in toonew.describe(many, "manylinux_2_17_x86_64")
