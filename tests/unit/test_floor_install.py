"""provision/floor-install.sh for real, with two tiny ports of our own (a tarball, a recipe):
dependencies first, each checked by sha256 before it is unpacked, packed for the host's cache,
unpacked from that cache into a fresh prefix without building, one line for a name it does
not know, and a cross build (FLOOR_HOST) with the target's tools under keys of its own. The
real ports are built in the floor box (VM tests)."""

import hashlib
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

PROVISION = Path(__file__).resolve().parents[2] / "provision"

RECIPES = """\
# shellcheck shell=sh
port_build() {
    echo "$1" >> "$BUILD_LOG"
    echo "$1 ${FLOOR_HOST:-native} ${CC##*/} ${AR:-}" >> "$BUILD_LOG.env"
    case $1 in
        liba-dev) mkdir -p "$2/include" && cp a.h "$2/include/" ;;
        libb-dev) test -f "$2/include/a.h" && cp b.h "$2/include/" ;;
    esac
}
"""


def tarball(path, top, member, text):
    data = text.encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"{top}/{member}")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def box(tmp_path):
    """A floor box's layout in tmp_path: toolchain files, the script with its lock, recipes
    and sources, an empty ports prefix."""
    data = tmp_path / "share" / "floor-install"
    (data / "src").mkdir(parents=True)
    for name in ("floor-install.sh", "lib.sh"):
        shutil.copy(PROVISION / name, data / name)
    (data / "floor-ports-recipes.sh").write_text(RECIPES)
    a = tarball(data / "src" / "a_1.orig.tar.gz", "a-1", "a.h", "int a;\n")
    b = tarball(data / "src" / "b_1.orig.tar.gz", "b-1", "b.h", "int b;\n")
    (data / "floor-ports.lock").write_text(
        "# NAME VERSION SHA256 FILE DEBIAN_POOL_PATH DEPS HEADERS\n"
        f"libb-dev 1 {b} b_1.orig.tar.gz pool/main/b/b/b_1.orig.tar.gz liba-dev b.h\n"
        f"liba-dev 1 {a} a_1.orig.tar.gz pool/main/a/a/a_1.orig.tar.gz - a.h\n")
    floor = tmp_path / "floor"
    (floor / "sysroot").mkdir(parents=True)
    (floor / "sysroot" / ".floor-sha512").write_text("abc\n")
    (floor / "bin").mkdir()
    for cc in ("gcc", "g++", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-g++"):
        (floor / "bin" / cc).write_text("#!/bin/sh\n")
        (floor / "bin" / cc).chmod(0o755)
    return data


def binutils(box, *tools):
    """The target's binutils (Debian's binutils-aarch64-linux-gnu) on a cross box's PATH."""
    tool_dir = box.parents[1] / "tools"
    tool_dir.mkdir(exist_ok=True)
    for tool in tools:
        (tool_dir / f"aarch64-linux-gnu-{tool}").write_text("#!/bin/sh\n")
        (tool_dir / f"aarch64-linux-gnu-{tool}").chmod(0o755)
    return tool_dir


def install(box, *names, **extra):
    env = {"PATH": f"{box.parents[1] / 'tools'}:/usr/bin:/bin",
           "FLOOR_PREFIX": str(box.parents[1] / "floor"),
           "FLOOR_PORTS": str(box.parents[1] / "ports"),
           "BUILD_LOG": str(box.parents[1] / "built.log"), **extra}
    return subprocess.run(["sh", str(box / "floor-install.sh"), *names], capture_output=True,
                          text=True, env=env, cwd="/")


def built(box):
    log = box.parents[1] / "built.log"
    return log.read_text().split() if log.exists() else []


def test_dependencies_first_then_already_installed_then_from_the_hosts_cache(box):
    first = install(box, "libb-dev")
    assert first.returncode == 0, first.stderr
    assert built(box) == ["liba-dev", "libb-dev"]
    assert "floor-install: liba-dev 1 built in" in first.stdout
    ports = box.parents[1] / "ports"
    assert (ports / "include" / "a.h").exists() and (ports / "include" / "b.h").exists()
    packed = sorted(p.name for p in (box / "built").iterdir())
    assert [n.split("-")[0] for n in packed] == ["liba", "libb"]
    with tarfile.open(box / "built" / packed[1]) as tar:
        assert tar.getnames() == ["./include/b.h"]  # only what that port installed

    again = install(box, "libb-dev", "liba-dev")
    assert again.returncode == 0 and built(box) == ["liba-dev", "libb-dev"]
    assert again.stdout.count("already installed") == 2

    shutil.rmtree(ports)  # a fresh guest, its built/ filled from the host's cache
    cached = install(box, "libb-dev")
    assert cached.returncode == 0, cached.stderr
    assert built(box) == ["liba-dev", "libb-dev"]  # nothing compiled again
    assert cached.stdout.count("from the cache") == 2
    assert (ports / "include" / "b.h").read_text() == "int b;\n"


def test_an_unknown_name_is_one_line_listing_the_known_ones(box):
    res = install(box, "libffi-dev", "nope-dev")
    assert res.returncode == 2 and built(box) == []
    assert res.stderr == "floor-install: unknown package libffi-dev; it knows: liba-dev libb-dev\n"
    listed = install(box, "--list")
    assert listed.stdout.split() == ["liba-dev", "libb-dev"]


def test_a_tarball_that_does_not_match_its_sha256_is_never_unpacked(box):
    tarball(box / "src" / "a_1.orig.tar.gz", "a-1", "a.h", "int evil;\n")
    res = install(box, "libb-dev")
    assert res.returncode == 1 and built(box) == []
    assert "a_1.orig.tar.gz does not match sha256" in res.stderr
    assert not (box.parents[1] / "ports" / "include" / "a.h").exists()


def test_a_cross_install_builds_with_the_targets_tools_under_keys_of_its_own(box):
    native = install(box, "liba-dev")
    assert native.returncode == 0, native.stderr
    binutils(box, "ar", "ranlib", "strip")
    shutil.rmtree(box.parents[1] / "ports")
    cross = install(box, "liba-dev", FLOOR_HOST="aarch64-linux-gnu")
    assert cross.returncode == 0, cross.stderr
    assert "from the cache" not in cross.stdout  # the x86_64 build is not the aarch64 one
    log = (box.parents[1] / "built.log.env").read_text().splitlines()
    assert log == ["liba-dev native gcc ", "liba-dev aarch64-linux-gnu aarch64-linux-gnu-gcc "
                   "aarch64-linux-gnu-ar"]
    assert len(list((box / "built").iterdir())) == 2  # one packed build per target


def test_a_cross_install_without_the_cross_compilers_or_for_an_unknown_target_is_refused(box):
    binutils(box, "ar", "ranlib", "strip")
    cxx = box.parents[1] / "floor" / "bin" / "aarch64-linux-gnu-g++"
    cxx.unlink()  # an x86_64 floor box: no cross wrappers
    res = install(box, "liba-dev", FLOOR_HOST="aarch64-linux-gnu")
    assert res.returncode == 1 and built(box) == []
    assert res.stderr == f"floor-install: {cxx} is missing: this is not a cross box\n"
    res = install(box, "liba-dev", FLOOR_HOST="riscv64-linux-gnu")
    assert res.returncode == 2 and built(box) == []
    assert "FLOOR_HOST=riscv64-linux-gnu is not a target it cross-builds for" in res.stderr
