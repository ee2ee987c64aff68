"""The build loop over real SSH against a real sshd, with real pip, auditwheel and patchelf."""

import hashlib
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest

from builder.output.wheelhouse import Wheelhouse
from builder.sources import source
from builder.stages.build import Builder, StageFailed
from builder.stages.guest import list_interpreters
from tests.support.projects import EXT_C, make_sdist

pytestmark = pytest.mark.ssh
PLAT = "manylinux_2_36_x86_64"  # the test host is Debian 12 (glibc 2.36)


@pytest.fixture
def guest(ssh_host):
    g = ssh_host.guest()
    yield g
    g.close()


def builder_for(guest, sdist, out, python_tree, offline_index, hooks=None, env=None,
                plat=PLAT):
    src = source.from_file(sdist)
    env = dict(env or {}, PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
               PIP_NO_INDEX="1", PIP_FIND_LINKS=str(offline_index))
    b = Builder(guest, src, Wheelhouse(out), plat, Path(out) / "logs", env, hooks,
                python_root=python_tree)
    b.upload()
    return b


def test_lists_interpreters(guest, python_tree):
    assert list_interpreters(guest, python_tree) == [("cp311-cp311", "3.11"),
                                                     ("cp39-cp39", "3.9")]


def test_builds_repairs_tests_and_fetches_each_interpreter(guest, python_tree, offline_index,
                                                           tmp_path):
    out = tmp_path / "wheelhouse"
    b = builder_for(guest, make_sdist(tmp_path), out, python_tree, offline_index)
    results = [b.build_one(tag, py) for tag, py in list_interpreters(guest, python_tree)]
    assert [r.status for r in results] == ["built", "built"], [r.reason for r in results]
    for r in results:
        wheel = out / r.wheel
        short = r.tag.split("-")[0]
        assert r.wheel.startswith(f"vmwtestext-1.0-{short}-{short}-manylinux")
        assert r.wheel.endswith("_x86_64.whl")
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == r.sha256
        assert wheel.stat().st_size == r.size
        assert "consistent with the following platform tag" in r.auditwheel
        with zipfile.ZipFile(wheel) as z:  # auditwheel rewrote the tags
            wheel_meta = [n for n in z.namelist() if n.endswith(".dist-info/WHEEL")][0]
            assert "manylinux" in z.read(wheel_meta).decode()
        log = Path(r.log).read_text()
        assert "imported vmwtestext" in log
        assert {"build", "repair", "test", "fetch"} <= set(r.durations)
    assert not [p for p in os.listdir(out) if p.endswith(".part")]


def test_requires_python_skips_with_reason(guest, python_tree, offline_index, tmp_path):
    sdist = make_sdist(tmp_path, requires_python=">=3.10")
    b = builder_for(guest, sdist, tmp_path / "wh", python_tree, offline_index)
    results = {t: b.build_one(t, py) for t, py in list_interpreters(guest, python_tree)}
    assert results["cp39-cp39"].status == "skipped"
    assert "Requires-Python >=3.10 excludes Python 3.9" == results["cp39-cp39"].reason
    assert results["cp311-cp311"].status == "built"


def test_failing_build_keeps_existing_wheels(guest, python_tree, offline_index, tmp_path):
    out = tmp_path / "wheelhouse"
    out.mkdir()
    old = out / "vmwtestext-0.9-cp39-cp39-manylinux_2_17_x86_64.whl"
    old.write_bytes(b"an earlier wheel")
    broken = make_sdist(tmp_path, c_source="this is not C;\n")
    b = builder_for(guest, broken, out, python_tree, offline_index)
    r = b.build_one("cp39-cp39", "3.9")
    assert r.status == "failed"
    assert r.reason.startswith("build failed (exit 1)")
    assert "error" in Path(r.log).read_text()
    # Why, without opening the log: the compiler's own line comes first.
    assert r.why and re.search(r"vmwtestext\.c:1:\d+: error: ", r.why[0]), r.why
    assert r.durations["build"] > 0  # the failed stage's time counts
    assert old.read_bytes() == b"an earlier wheel"
    assert sorted(p.name for p in out.iterdir()) == ["logs", old.name]
    b.wheelhouse.write_report({"interpreters": [r.as_dict()]})
    reported = json.loads((out / "report.json").read_text())["interpreters"][0]
    assert reported["status"] == "failed" and reported["why"] == r.why


def test_hooks_run_in_the_guest_with_placeholders_and_environment(guest, python_tree,
                                                                  offline_index, tmp_path):
    marker = tmp_path / "hook-marker"
    hooks = {
        "before-build": f"echo \"before-build $(python --version) in $PWD $GREETING\" >> {marker}",
        "test-requires": ["setuptools"],
        "test-command": f"python -c 'import vmwtestext, sys; assert vmwtestext.answer() == 42; "
                        f"print(sys.prefix)' && ls {{project}}/vmwtestext.c && "
                        f"echo {{wheel}} >> {marker}",
    }
    b = builder_for(guest, make_sdist(tmp_path), tmp_path / "wh", python_tree, offline_index,
                    hooks, env={"GREETING": "it's \"quoted\" $HOME"})
    r = b.build_one("cp311-cp311", "3.11")
    assert r.status == "built", r.reason
    lines = marker.read_text().splitlines()
    assert lines[0].startswith("before-build Python 3.11")
    assert lines[0].endswith("/tmp/vmwheel/cp311-cp311/src it's \"quoted\" $HOME")
    assert lines[1].startswith("/tmp/vmwheel/cp311-cp311/repaired/vmwtestext-1.0-cp311")
    log = Path(r.log).read_text()
    assert "/tmp/vmwheel/cp311-cp311/venv" in log  # the test ran in the fresh venv
    assert "Successfully installed" in log or "setuptools" in log
    assert {"before-build", "test"} <= set(r.durations)


@pytest.mark.parametrize("hook, command, reason", [
    ("before-build", "echo broken >&2; exit 7", "before-build failed (exit 7)"),
    ("test-command", "python -c 'raise SystemExit(3)'", "test failed (exit 3)"),
    ("repair-wheel-command", "false", "repair failed (exit 1)"),
])
def test_a_failing_hook_fails_that_interpreter_naming_the_hook(hook, command, reason, guest,
                                                              python_tree, offline_index,
                                                              tmp_path):
    out = tmp_path / "wh"
    b = builder_for(guest, make_sdist(tmp_path), out, python_tree, offline_index,
                    {hook: command})
    r = b.build_one("cp39-cp39", "3.9")
    assert r.status == "failed" and r.reason.startswith(reason), r.reason
    assert not list(out.glob("*.whl"))
    assert f"[{hook.replace('-wheel-command', '').replace('-command', '')}]" in \
        Path(r.log).read_text()


def test_a_stages_own_guest_command_failing_fails_that_interpreter_not_the_session(
        guest, python_tree, offline_index, tmp_path):
    """A repair that removes its output dir: the stage's own `ls` of it fails in the guest.
    That fails this interpreter like a user's command (StageFailed), where Remote.check's
    BuildFailed used to end the whole session; the next interpreter still builds."""
    out = tmp_path / "wh"
    b = builder_for(guest, make_sdist(tmp_path), out, python_tree, offline_index,
                    {"repair-wheel-command": "rm -rf {dest_dir}"})
    r = b.build_one("cp39-cp39", "3.9")
    assert r.status == "failed" and r.reason.startswith("`ls -1 "), r.reason
    assert "failed in the guest (exit 2)" in r.reason
    b.hooks.pop("repair-wheel-command")
    assert b.build_one("cp39-cp39", "3.9").status == "built"


def test_before_all_failure_names_the_hook(guest, python_tree, offline_index, tmp_path):
    b = builder_for(guest, make_sdist(tmp_path), tmp_path / "wh", python_tree, offline_index)
    with open(tmp_path / "before-all.log", "w") as log:
        b.run_hook("before-all", "echo ok from before-all", log)
        with pytest.raises(StageFailed, match="before-all failed"):
            b.run_hook("before-all", "exit 4", log)
    assert "ok from before-all" in (tmp_path / "before-all.log").read_text()


# An extension that calls getrandom through a hand-written prototype, linked (for cp39 only)
# without libc, as a build against a C library that lacks getrandom would link it: an
# unversioned reference that auditwheel does not see (cos from libm keeps symbol versions).
GETRANDOM_C = EXT_C.replace(
    "static PyObject *answer", "#include <math.h>\n"
    "extern long getrandom(void *b, unsigned long n, unsigned f);\nstatic PyObject *answer").replace(
    "return PyLong_FromLong(42);",
    "char b[4]; getrandom(b, 4, 0); return PyLong_FromLong(42 + (long)cos(b[0] * 0.0) - 1);")
GETRANDOM_SETUP = (
    "import sys\nfrom setuptools import setup, Extension\n"
    "link = ['-nodefaultlibs', '-lm'] if sys.version_info[:2] == (3, 9) else []\n"
    "setup(ext_modules=[Extension('vmwtestext', ['vmwtestext.c'], extra_link_args=link)])\n")


def test_an_unversioned_newer_glibc_symbol_fails_that_interpreter_only(
        guest, python_tree, offline_index, tmp_path):
    out = tmp_path / "wheelhouse"
    sdist = make_sdist(tmp_path, c_source=GETRANDOM_C, files={"setup.py": GETRANDOM_SETUP})
    b = builder_for(guest, sdist, out, python_tree, offline_index)
    results = {t: b.build_one(t, py) for t, py in list_interpreters(guest, python_tree)}
    bad, good = results["cp39-cp39"], results["cp311-cp311"]
    assert bad.status == "failed"
    assert bad.reason.startswith("vmwtestext.cpython-39-x86_64-linux-gnu.so calls getrandom "
                                 "without a symbol version"), bad.reason
    assert "imported vmwtestext" in Path(bad.log).read_text()  # it loads here: glibc 2.36
    assert good.status == "built", good.reason
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".whl") == [good.wheel]
    assert not [p for p in os.listdir(out) if p.endswith(".part")]


# A library of the kind a Debian -dev package brings: built by the system compiler, it needs
# getrandom@GLIBC_2.25; the extension links to it (rpath), so repair would graft it.
PROBE_LIB_SETUP = """\
import os, subprocess
from setuptools import setup, Extension
lib = os.path.abspath("lib")
os.makedirs(lib, exist_ok=True)
subprocess.check_call(["cc", "-shared", "-fPIC", "-Wl,-soname,libvmwprobe.so.1", "-o",
                       os.path.join(lib, "libvmwprobe.so.1"), "probe.c"])
setup(ext_modules=[Extension("vmwtestext", ["vmwtestext.c"], library_dirs=[lib],
                             libraries=[":libvmwprobe.so.1"], runtime_library_dirs=[lib])])
"""
PROBE_LIB_C = ("#include <sys/random.h>\n"
               "int vmw_probe(void) { char b[4]; return (int)getrandom(b, 4, 0); }\n")


def test_a_linked_library_too_new_for_the_target_is_named_with_its_symbols(
        guest, python_tree, offline_index, tmp_path):
    out = tmp_path / "wheelhouse"
    sdist = make_sdist(tmp_path, c_source=EXT_C.replace(
        "return PyLong_FromLong(42);", "return PyLong_FromLong(38 + vmw_probe());").replace(
        "#include <Python.h>", "#include <Python.h>\nint vmw_probe(void);"),
        files={"setup.py": PROBE_LIB_SETUP, "probe.c": PROBE_LIB_C})
    b = builder_for(guest, sdist, out, python_tree, offline_index,
                    plat="manylinux_2_17_x86_64")
    r = b.build_one("cp311-cp311", "3.11")
    assert r.status == "failed"
    assert r.reason.startswith(
        f"repair: {tmp_path.anchor}"), r.reason  # the library's path in the build host
    assert "/lib/libvmwprobe.so.1 needs getrandom@GLIBC_2.25, newer than manylinux_2_17_x86_64 " \
           "allows: build that library from source with the floor's $CC" in r.reason, r.reason
    assert "vmwtestext" not in r.reason.split(";")[0]  # the extension itself is fine
    assert "too-recent versioned symbols" in Path(r.log).read_text()  # auditwheel's own words
    assert not out.exists() or not list(out.glob("*.whl"))
