"""The i686 floor: zig's compiler driver (provision/zig-cc.sh) and what the machine table and the
build make of a floor without a loader.

The driver runs for real over a stand-in for zig (a script that prints what it was given): the
real compiler is 400 MB and builds its runtime libraries for minutes; the VM test builds with it.
"""

import dataclasses
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from builder.digest import sha256_of
from builder.errors import HostNotReady
from builder.images import boxes, zig
from builder.model.machine import Floor, get
from builder.model.result import Result
from builder.output import report

DRIVER = Path(__file__).resolve().parents[2] / "provision" / "zig-cc.sh"
ECHO_ZIG = '#!/bin/sh\necho "cache=$ZIG_GLOBAL_CACHE_DIR"\nfor a; do echo "$a"; done\n'


@pytest.fixture
def prefix(tmp_path):
    """A floor prefix as install-zig-floor.sh lays it out, zig replaced by ECHO_ZIG."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "zig").mkdir()
    for name in ("gcc", "cc", "g++", "c++"):
        shutil.copy(DRIVER, tmp_path / "bin" / name)
        os.chmod(tmp_path / "bin" / name, 0o755)
    (tmp_path / "zig" / "zig").write_text(ECHO_ZIG)
    os.chmod(tmp_path / "zig" / "zig", 0o755)
    (tmp_path / "zig-target").write_text("x86-linux-gnu.2.17\n")
    return tmp_path


# What every call gets first: the target, i686's baseline, no sanitizer (zig's Debug mode, a
# compile without -O, adds UBSan calls that the -O2 link lacks: CMake's test programs did not
# link), and the floor's own headers (searched last).
FIXED = ["cc", "-target", "x86-linux-gnu.2.17", "-mcpu=i686", "-fno-sanitize=undefined",
         "-idirafter"]


def zig_args(prefix, name, *args):
    res = subprocess.run([str(prefix / "bin" / name), *args], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == f"cache={prefix}/zig-cache"
    return lines[1:]


def test_a_compile_keeps_its_optimization_and_drops_what_zig_rejects(prefix):
    got = zig_args(prefix, "gcc", "-c", "m.c", "-o", "m.o", "-O3", "-march=x86-64",
                   "-mtune=generic", "-flto=auto", "-ffat-lto-objects",
                   "-Wp,-D_FORTIFY_SOURCE=2", "-Wp,-UNDEBUG", "-DNAME=a b", "-fPIC")
    assert got == FIXED + [f"{prefix}/include", "-c", "m.c", "-o", "m.o", "-O3",
                           "-D_FORTIFY_SOURCE=2", "-UNDEBUG", "-DNAME=a b", "-fPIC"]


def test_a_link_gets_one_O2_and_loses_the_linker_flags_lld_lacks(prefix):
    """Debian's LDSHARED, as setuptools runs it for a .cpp source linked by the C driver."""
    got = zig_args(prefix, "cc", "-pthread", "-shared", "-Wl,-O1", "-Wl,-Bsymbolic-functions",
                   "-Wl,--exclude-libs,ALL", "-Wl,--strip-all", "-O0", "-g", "x.o", "-lstdc++",
                   "-o", "x.so", "-Os")
    assert got == FIXED + [f"{prefix}/include", "-pthread", "-shared", "-Wl,-O1",
                           "-Wl,--strip-all", "-g", "x.o", "-lstdc++", "-o", "x.so", "-O2"]


def kept(prefix):
    """The libc++ archives install-zig-floor.sh keeps, one set per debug-info kind."""
    for kind in ("full", "strip"):
        (prefix / "lib" / "libcxx" / kind).mkdir(parents=True)
        for lib in ("libc++.a", "libc++abi.a", "libunwind.a"):
            (prefix / "lib" / "libcxx" / kind / lib).write_text("")
    return lambda kind: ["-nostdlib++"] + [f"{prefix}/lib/libcxx/{kind}/{lib}" for lib in (
        "libc++.a", "libc++abi.a", "libunwind.a")]


def test_a_cxx_link_of_objects_takes_the_kept_libcxx_not_zigs_cache(prefix):
    """zig's own libc++ would be rebuilt in a fresh VM (minutes under emulation)."""
    libcxx = kept(prefix)
    cxx = FIXED[1:]
    assert zig_args(prefix, "c++", "-shared", "x.o", "-o", "x.so") == ["c++"] + cxx + [
        f"{prefix}/include", "-shared", "x.o", "-o", "x.so", "-O2"] + libcxx("full")
    # setuptools' C driver with -lstdc++ (zig would take -lstdc++ as its own libc++), stripped
    assert zig_args(prefix, "cc", "-shared", "-Wl,--strip-all", "x.o", "-lstdc++", "-o",
                    "x.so") == FIXED + [f"{prefix}/include", "-shared", "-Wl,--strip-all",
                                        "x.o", "-o", "x.so", "-O2"] + libcxx("strip")


@pytest.mark.parametrize("args", [
    ["-c", "x.cpp", "-o", "x.o"],                   # a compile: no link
    ["-shared", "x.cpp", "-o", "x.so"],             # compiles C++ too: needs zig's headers
    ["-shared", "-nostdlib++", "x.o", "-o", "x.so"],  # the user's own C++ library
])
def test_other_cxx_calls_are_zigs_own(prefix, args):
    kept(prefix)
    got = zig_args(prefix, "c++", *args)
    assert not [a for a in got if "/lib/libcxx/" in a], got
    assert got.count("-nostdlib++") == args.count("-nostdlib++")


def test_a_c_link_gets_no_libcxx(prefix):
    kept(prefix)
    assert not [a for a in zig_args(prefix, "cc", "-shared", "c.o", "-o", "c.so")
                if "/lib/libcxx/" in a or a == "-nostdlib++"]


@pytest.mark.parametrize("name, mode", [("gcc", "cc"), ("cc", "cc"), ("g++", "c++"),
                                        ("c++", "c++")])
def test_each_name_is_its_zig_driver(prefix, name, mode):
    assert zig_args(prefix, name, "-E", "-")[0] == mode


def test_the_i686_floor_has_no_loader_so_its_proof_is_the_symbols():
    spec = get("manylinux2014-i686")
    floor = spec.floor_spec
    assert floor == Floor("2.17", "", "glibc", "zig") and not floor.loader and not floor.ports
    assert floor.proof("2.31") == "symbols; ran on glibc 2.31"
    assert get("manylinux2014-x86_64").floor_spec.proof() == "glibc 2.17 loader"
    assert floor.env() == {"CC": "/opt/floor/bin/cc", "CXX": "/opt/floor/bin/c++",
                           "LDSHARED": "/opt/floor/bin/cc -pthread -shared -Wl,--strip-all",
                           "LDCXXSHARED": "/opt/floor/bin/c++ -pthread -shared -Wl,--strip-all"}
    assert get("manylinux2014-x86_64").floor_spec.env() == {}  # its CPythons' sysconfig has them
    assert spec.box_inputs()["floor_toolchain"] == "zig"
    assert "floor_toolchain" not in get("manylinux2014-x86_64").box_inputs()


def test_the_summary_names_each_wheels_proof(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    x86 = Result("cp313-cp313", "3.13", "cp313-manylinux_x86_64", status="built", wheel="a.whl",
                 proof="glibc 2.17 loader")
    i686 = Result("cp313-cp313", "3.13", "cp313-manylinux_i686", status="built", wheel="b.whl",
                  proof="symbols; ran on glibc 2.31")
    report.print_summary([x86, i686], "wheelhouse")
    out = capsys.readouterr().out
    assert "floor proof" in out and "glibc 2.17 loader" in out
    assert "symbols; ran on glibc 2.31" in out
    assert i686.as_dict()["proof"] == "symbols; ran on glibc 2.31"


def fake_ziglang(dest, version="0.17.0"):
    """A minimal valid ziglang wheel for i686 (zig itself a stand-in): (path, its sha256)."""
    name = f"ziglang-{version}-py3-none-manylinux_2_12_i686.whl"
    path = Path(dest) / name
    info = f"ziglang-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ziglang/zig", ECHO_ZIG)
        z.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: ziglang\nVersion: {version}\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
                                    "Tag: py3-none-manylinux_2_12_i686\n")
        z.writestr(f"{info}/RECORD", "")
    return path, sha256_of(path)


def test_the_zig_wheel_comes_through_pip_by_its_sha256_and_is_kept(tmp_path, monkeypatch):
    """pip download (a local find-links index, no network) with the hash required; a second
    fetch uses the cache; a wheel with other bytes is refused by pip's hash check."""
    index = tmp_path / "index"
    index.mkdir()
    path, sha = fake_ziglang(index)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    pin = dataclasses.replace(zig.PIN, file=path.name, sha256=sha)
    got = zig.fetch(pin, tmp_path / "toolchains")
    assert got == tmp_path / "toolchains" / path.name and sha256_of(got) == sha
    path.unlink()  # now only the cache has it
    assert zig.fetch(pin, tmp_path / "toolchains") == got
    fake_ziglang(index)
    with pytest.raises(HostNotReady) as info:
        zig.fetch(dataclasses.replace(pin, sha256="0" * 64), tmp_path / "t2")
    assert info.value.what == ("the ziglang 0.17.0 wheel from pip's index does not match its "
                               "pinned sha256 000000000000...")
    assert not list((tmp_path / "t2").glob("*.whl"))


def test_the_i686_box_build_gets_the_zig_wheel_not_the_x86_64_sysroot(monkeypatch):
    monkeypatch.setattr(zig, "fetch", lambda pin=zig.PIN: Path("/cache") / pin.file)
    args = boxes._floor_inputs(get("manylinux2014-i686"))
    assert args == ["--zig-floor", f"/cache/{zig.PIN.file}", "--zig-sha256", zig.PIN.sha256]
    assert boxes._floor_inputs(get("bullseye-i686")) == []
