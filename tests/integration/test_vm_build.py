"""The real thing, as README's first command does it: a local box, `vagrant up` of a real VM,
msgpack built, repaired and tested inside it for every interpreter, and the wheels fetched,
checked and imported here.

These tests need root, libvirt (`vmwheel host setup`) and the package index; they take minutes.
"""

import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from builder.digest import sha256_of
from builder.images import boxes
from builder.providers.saved import Saved
from tests.support.hostpython import host_python
from tests.support import slimtable
from tests.support.projects import FLOOR_PROBE, write_floor_probe, write_project

pytestmark = pytest.mark.vm
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


# Every vmwheel started here reads the tests' machine table (slim i686 and musl boxes); the
# venv's vmwheel and fab may be an editable install of another checkout (a worktree): they run
# this checkout's builder.
SLIM = dict(os.environ, VMWHEEL_MACHINES=str(slimtable.TABLE))
OURS = dict(SLIM, PYTHONPATH=str(REPO))
get_machine = slimtable.get


def run(*cmd, cwd=REPO):
    ours = str(cmd[0]).startswith(str(BIN))
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          env=OURS if ours else SLIM)


def build_box(machine):
    res = run(BIN / "vmwheel", "box", "build", "--machine", machine)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    if "vmwheel: building box" in res.stdout:  # its progress: step, of how many, time so far
        last = get_machine(machine).cpythons[-1]  # a slim test box may have one
        assert re.search(rf"(?m)^build-debian-box\.sh: \[\d+/\d+\] CPython {re.escape(last)} "
                         r"\(\d+m\d\ds so far\)$", res.stdout), res.stdout[-3000:]
        assert re.search(r"(?m)^build-debian-box\.sh: done in \d+m\d\ds$", res.stdout)
        steps = re.findall(r"(?m)^build-debian-box\.sh: \[(\d+)/(\d+)\]", res.stdout)
        assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
        assert {int(total) for _, total in steps} == {len(steps)}, steps


def platform_tag_of(wheel):
    """auditwheel's verdict on the host, e.g. (2, 17)."""
    show = run(BIN / "auditwheel", "show", wheel)
    assert show.returncode == 0, show.stderr
    tag = show.stdout.split("platform tag:")[1].split('"')[1]
    return tuple(int(x) for x in tag.split("_")[1:3]), tag


def imports_on_host(wheel, version, tmp_path):
    py = host_python(version)
    if py is None:
        return None
    venv = tmp_path / f"venv{version}"
    assert run(py / "bin" / "python", "-m", "venv", venv).returncode == 0
    inst = run(venv / "bin" / "pip", "install", "--no-index", "--no-deps", wheel)
    assert inst.returncode == 0, inst.stderr
    check = run(venv / "bin" / "python", "-c",
                "import msgpack; from msgpack import _cmsgpack; "
                "print(msgpack.unpackb(msgpack.packb({'a': [1, 2]})))", cwd=tmp_path)
    assert check.stdout.strip() == "{'a': [1, 2]}", check.stderr
    return True


def domains(prefix="vmwheel-"):
    res = run("virsh", "-c", "qemu:///system", "list", "--all", "--name")
    return [d for d in res.stdout.split() if d.startswith(prefix)]


DEFAULT = "manylinux2014-x86_64"  # the table's default: the glibc 2.17 floor box
LOCAL_MSGPACK = {}  # version and {wheel: sha256} of the local build below (test_vm_farm.py)


def test_fab_build_msgpack_on_the_default_box_survives_a_killed_vm(tmp_path, faults):
    """`fab build:msgpack`; the VM is killed (virsh destroy) after the first wheel arrived;
    the same command again keeps that wheel and builds the rest. Every wheel is
    manylinux2014 and was imported in the guest under the floor's glibc 2.17 loader.
    `parallel=1`: the slim box has two interpreters; built at once, both could land before
    the kill. One at a time, cp313 compiles while cp311's wheel arrives, and the kill hits it."""
    build_box(DEFAULT)
    out = tmp_path / "wheelhouse"
    cmd = [str(BIN / "fab"), f"build:msgpack,output_dir={out},parallel=1"]
    before = set(domains())
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=OURS)
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline and not list(out.glob("*.whl")) and proc.poll() is None:
        time.sleep(1)
    first = {p.name: sha256_of(p) for p in out.glob("*.whl")}
    assert len(first) == 1, proc.communicate()
    [victim] = [d for d in set(domains()) - before if d.endswith(f"-{DEFAULT}")]
    assert run("virsh", "-c", "qemu:///system", "destroy", victim).returncode == 0
    stdout, stderr = proc.communicate(timeout=600)
    # The build under way fails in one line (README: The build host goes away); it was the
    # last interpreter: nothing is left to go on.
    assert proc.returncode == 1, stdout + stderr  # BuildFailed
    assert stderr.startswith("vmwheel: build failed for ") and stderr.count("\n") == 1
    assert "the VM was destroyed (from outside) during " in stdout, stdout
    assert {p.name: sha256_of(p) for p in out.glob("*.whl")} == first
    partial = [p.name for p in out.rglob("*.part")]
    report = json.loads((out / "report.json").read_text())
    failed = [e for e in report["interpreters"] if e["status"] == "failed"]
    assert failed and all(e["reason"].startswith("the VM was destroyed (from outside) during ")
                          for e in failed), failed
    assert victim not in domains(), "the killed VM was left behind"
    faults.record("VM killed mid-build (virsh destroy)",
                  [n for n in first if not (out / n).exists()], partial)

    res = run(*cmd)  # the same command again finishes the rest
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    status = {e["tag"]: e for e in report["interpreters"]}
    version = report["package"]["version"]

    assert "cp39-cp39" not in status  # the slim test box has no 3.9 (tests/support/slimtable.py)
    built = {t: e for t, e in status.items() if e["status"] == "built"}
    assert set(built) == {"cp311-cp311", "cp313-cp313"}, status
    # The first run booted and saved the VM's state; this one restored it (providers/saved.py).
    # A few seconds: the killed VM's port, in TIME_WAIT, is reused, and libvirt does not probe
    # QEMU again once host setup gave /dev/kvm group kvm (README: Saved VM state); 75 s before.
    assert f"boot {DEFAULT}" not in report["durations"], report["durations"]
    assert 0 < report["durations"][f"restore {DEFAULT}"] < 30, report["durations"]
    assert f"restored {DEFAULT} from its saved state" in res.stdout
    assert report["machines"][0]["floor"] == "glibc 2.17"

    kept = [e for e in built.values() if e["reason"].startswith("kept")]
    assert sorted(e["wheel"] for e in kept) == sorted(first)
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 2
    imported = []
    for tag, entry in built.items():
        wheel = out / entry["wheel"]
        # auditwheel >= 6.4 sorts compressed tag sets (PEP 425): manylinux2014 comes first.
        assert wheel.name.startswith(f"msgpack-{version}-{tag}-")
        assert "manylinux_2_" in wheel.name and wheel.name.endswith("_x86_64.whl")
        assert entry["sha256"] == sha256_of(wheel)
        assert f"{entry['sha256']}  {wheel.name}" in sums
        if entry not in kept:
            assert {"build", "repair", "test", "floor", "fetch"} <= set(entry["durations"])
        assert entry["floor_proof"] == "imported under glibc 2.17"
        log = (out / "logs" / DEFAULT / f"{tag}.log").read_text()
        assert "imported msgpack" in log  # the import test in a fresh venv in the guest
        assert "==> [floor]" in log and "floor-run" in log
        (major, minor), verdict = platform_tag_of(wheel)
        assert (major, minor) <= (2, 17), verdict
        with zipfile.ZipFile(wheel) as z:
            assert any(n.startswith("msgpack/_cmsgpack") and n.endswith(".so")
                       for n in z.namelist())
        if not tag.endswith("t") and imports_on_host(wheel, entry["python"], tmp_path):
            imported.append(tag)
    assert imported, "no host CPython could import any wheel"
    LOCAL_MSGPACK.update(version=version, wheels={e["wheel"]: e["sha256"]
                                                  for e in built.values()})


I686 = "manylinux2014-i686"  # the i686 default: zig's glibc 2.17 floor on bullseye i386


def glibc_versions(wheel):
    """The GLIBC_x.y versions the wheel's extensions need, newest last."""
    found = set()
    with zipfile.ZipFile(wheel) as z:
        for name in (n for n in z.namelist() if ".so" in n.rsplit("/", 1)[-1]):
            section = ELFFile(io.BytesIO(z.read(name))).get_section_by_name(".gnu.version_r")
            for _, aux in section.iter_versions() if section else ():
                found |= {a.name for a in aux if a.name.startswith("GLIBC_2")}
    return sorted(found, key=lambda v: tuple(int(x) for x in v[6:].split(".")))


def test_two_machines_at_once_x86_64_and_i686_the_missing_box_built_first(tmp_path):
    """`--machine manylinux2014-x86_64,manylinux2014-i686 --cpus 1`: the i686 box, when missing
    (as in CI), is built by the build itself; then two 1-vCPU guests fit this host's two cores,
    so both VMs run at once (cold boots: their saved states are for 2 CPUs; the new ones are
    kept beside them). cp313 from each, both manylinux2014: the x86_64 wheel passed the floor
    proof under glibc 2.17's loader; the i686 one holds 32-bit code built by zig for glibc 2.17,
    its proof the symbols and an import on the box's glibc 2.31; rows and lines name their
    machine."""
    i686, default = get_machine(I686), get_machine(DEFAULT)
    missing, before = not boxes.is_current(i686), set(domains())
    usual = [d for d in ("kvm", "qemu") if Saved.of(default, d).recorded()]  # 2-CPU states
    out = tmp_path / "wheelhouse"
    # Files, not pipes: nobody reads a pipe while the loop polls, and a box build's output
    # fills one (the build then blocks on its next write).
    said, errs = open(tmp_path / "stdout", "w+"), open(tmp_path / "stderr", "w+")
    proc = subprocess.Popen(
        [str(BIN / "vmwheel"), "build", "msgpack", "--machine", f"{DEFAULT},{I686}",
         "--cpus", "1", "--build", "cp313-*", "--output-dir", str(out)],
        cwd=REPO, stdout=said, stderr=errs, text=True, env=OURS)
    most = 0  # VMs of the two machines seen running at the same moment
    while proc.poll() is None:
        running = run("virsh", "-c", "qemu:///system", "list", "--name").stdout.split()
        most = max(most, len([d for d in running if d.startswith("vmwheel-") and
                              d.endswith((f"-{DEFAULT}", f"-{I686}"))]))
        time.sleep(2)
    proc.wait()
    said.seek(0)
    errs.seek(0)
    stdout, stderr = said.read(), errs.read()
    assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
    if missing:
        assert f"vmwheel: box vmwheel/{I686} is not built (or provision/ changed since): " \
            "building it first" in stdout
    assert re.search(rf"vmwheel: 2 machines at once \(manylinux2014-x86_64, {I686}\): "
                     r"2 x 1 vCPUs on \d+ cores", stdout), stdout[-3000:]
    assert most == 2, "the two VMs never ran at the same time"
    assert f"cp313-manylinux_i686 on {I686}: building msgpack" in stdout
    report = json.loads((out / "report.json").read_text())
    assert {m["name"]: m["platform"] for m in report["machines"]} == {
        DEFAULT: "manylinux_2_17_x86_64", I686: "manylinux_2_17_i686"}
    built = {e["identifier"]: e for e in report["interpreters"] if e["status"] == "built"}
    assert sorted(built) == ["cp313-manylinux_i686", "cp313-manylinux_x86_64"], report
    assert built["cp313-manylinux_x86_64"]["floor_proof"] == "imported under glibc 2.17"
    assert built["cp313-manylinux_x86_64"]["proof"] == "glibc 2.17 loader"
    assert built["cp313-manylinux_i686"]["proof"] == "symbols; ran on glibc 2.31"
    wheel = out / built["cp313-manylinux_i686"]["wheel"]
    assert "manylinux2014_i686" in wheel.name, wheel.name
    (major, minor), verdict = platform_tag_of(wheel)
    assert (major, minor) <= (2, 17) and verdict.endswith("_i686"), verdict  # 2_5: GLIBC_2.0
    newest = glibc_versions(wheel)[-1]
    assert tuple(int(x) for x in newest[6:].split(".")) <= (2, 17), newest
    with zipfile.ZipFile(wheel) as z:
        so = [n for n in z.namelist() if n.endswith(".so")][0]
        assert z.read(so)[4] == 1  # ELFCLASS32: compiled for i686 in the i686 guest
    log = (out / "logs" / I686 / "cp313-cp313.log").read_text()
    assert "imported msgpack" in log
    assert all(Saved.of(default, d).recorded() for d in usual), \
        "the 1-CPU state replaced the usual one"
    assert set(domains()) <= before, "a VM was left behind"


def floor_probe_on_host(wheel, tmp_path):
    """floorprobe's C and C++ extensions called by a host CPython of the wheel's version."""
    version = wheel.name.split("-")[2][2:]
    py = host_python(f"{version[0]}.{version[1:]}")
    if py is None:
        return False
    venv = tmp_path / "probe-venv"
    assert run(py / "bin" / "python", "-m", "venv", venv).returncode == 0
    assert run(venv / "bin" / "pip", "install", "--no-index", wheel).returncode == 0
    check = run(venv / "bin" / "python", "-c",
                "import floorprobe as f\nassert f.probe(1.0)[0] == 1\n"
                "assert f.join(['a', 'b']) == 'a,b,' and f.strict(3) == 6\n"
                "assert f.words('a b  c') == 3\n"
                "try:\n    f.words('')\nexcept ValueError as e:\n    assert str(e) == 'no words'\n"
                "try:\n    f.strict(-1)\nexcept ValueError as e:\n    print('raised', e)",
                cwd=tmp_path)
    assert check.stdout.strip() == "raised negative", check.stderr
    return True


def qemu_of(domain):
    return subprocess.run(["pgrep", "-f", f"guest={domain},"], capture_output=True).stdout


def test_floor_wheels_c_and_cxx_with_a_proof_while_libvirtd_stops_mid_build(tmp_path, faults):
    """floorprobe (tests/support/projects.py) for cp311 and cp313 at once. cp313: the C part
    (fcntl64/libm symbols with a distro compiler), the pybind11 C++ part and a C++ part that
    `gcc -shared ... -lstdc++` links (libstdc++ static at the floor) come out manylinux2014, pass the floor proof and import here. cp311: its getrandom call fails the
    floor proof by name, no wheel. Meanwhile libvirtd is stopped: the guest runs on (QEMU does
    not need it), the wheels arrive, and the teardown says what happened; after
    `vmwheel host setup` the same command again removes the leftover VM and boots a fresh one.
    """
    build_box(DEFAULT)
    project = write_floor_probe(tmp_path)
    out = tmp_path / "wheelhouse"
    cmd = [BIN / "vmwheel", "build", project, "--build", "cp311-* cp313-*", "--output-dir", out]
    before = set(domains())
    proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=OURS)
    try:
        log = out / "logs" / DEFAULT / "cp313-cp313.log"
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline and proc.poll() is None and not (
                log.exists() and "==> [build]" in log.read_text()):
            time.sleep(1)
        [domain] = [d for d in set(domains()) - before if d.endswith(f"-{DEFAULT}")]
        assert run("pkill", "-x", "libvirtd").returncode == 0
        stdout, stderr = proc.communicate(timeout=1800)
    finally:
        proc.kill()
        restarted = run(BIN / "vmwheel", "host", "setup")  # libvirtd back for every later test
    assert proc.returncode == 4, stdout[-3000:] + stderr[-3000:]  # HostNotReady
    assert stderr.strip().splitlines()[-1] == (
        f"vmwheel: libvirtd stopped during the build: VM {DEFAULT} stopped, its domain is left "
        "defined; run `vmwheel host setup` to start libvirtd; the next build removes the "
        "leftover VM (wheels fetched are kept)"), stderr
    assert not qemu_of(domain), "the guest's QEMU was left running"
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    report = json.loads((out / "report.json").read_text())
    status = {e["tag"]: e for e in report["interpreters"]}
    assert status["cp311-cp311"]["status"] == "failed"
    assert status["cp311-cp311"]["reason"].startswith(
        "floor proof: getrandom is not in glibc 2.17 (undefined symbol)"), status["cp311-cp311"]
    assert "imported floorprobe" in (out / "logs" / DEFAULT / "cp311-cp311.log").read_text()
    good = status["cp313-cp313"]
    assert good["status"] == "built" and good["floor_proof"] == "imported under glibc 2.17"
    wheel = out / good["wheel"]
    assert [p.name for p in out.glob("*.whl")] == [wheel.name]
    assert "manylinux2014_x86_64" in wheel.name and "manylinux_2_31" not in wheel.name
    (major, minor), verdict = platform_tag_of(wheel)
    assert (major, minor) <= (2, 17), verdict
    with zipfile.ZipFile(wheel) as z:
        assert {n.split(".")[0] for n in z.namelist() if n.endswith(".so")} == {
            "floorprobe/_cprobe", "floorprobe/_cxxprobe", "floorprobe/_ldprobe"}
    assert floor_probe_on_host(wheel, tmp_path), "no host CPython 3.13 to import it"
    faults.record("libvirtd stopped mid-build", [] if wheel.exists() else [wheel.name],
                  [p.name for p in out.rglob("*.part")])

    res = run(*cmd)  # the same command again, in a fresh VM
    assert res.returncode == 1, res.stdout[-3000:] + res.stderr[-3000:]  # cp311 fails again
    # A restored VM is a transient domain: once libvirtd is back it is gone with its QEMU. Either
    # way the rerun starts from the box's state, never from what was left.
    assert (", left by an earlier run" in res.stdout
            or f"restored {DEFAULT} from its saved state" in res.stdout), res.stdout
    assert domain not in domains(), "the leftover VM is still defined"
    report = json.loads((out / "report.json").read_text())
    status = {e["tag"]: e for e in report["interpreters"]}
    # A project directory is packed into a new sdist each run (another sha256), so resume does
    # not apply: cp313 is built again, in the fresh VM, and replaces its wheel atomically.
    assert status["cp313-cp313"]["status"] == "built", status["cp313-cp313"]
    assert sha256_of(wheel) == status["cp313-cp313"]["sha256"]
    assert status["cp311-cp311"]["reason"].startswith("floor proof: getrandom"), status


def test_unknown_package_fails_in_one_line_and_leaves_output_untouched(tmp_path):
    out = tmp_path / "wheelhouse"
    res = run(BIN / "vmwheel", "build", "no-such-package-xyz", "--output-dir", out)
    assert res.returncode == 6  # SourceError
    assert res.stderr.strip().count("\n") == 0
    assert res.stderr.startswith("vmwheel: no source distribution for 'no-such-package-xyz'")
    assert not out.exists()


def test_project_with_tool_vmwheel_builds_with_only_vmwheel_build_dot(tmp_path,
                                                                      installed_vmwheel, faults):
    """[tool.vmwheel] in the project's pyproject picks i686 (its default machine, the zig floor),
    one interpreter, and a test command that runs in the guest with {project} and {wheel}
    filled in; besides the C extension, C++ compiled and linked by the C driver with -lstdc++
    (zig: libc++, static, the archives the box build kept) throws an exception that arrives as
    a ValueError, with no minutes spent building libc++ in the fresh VM. The vmwheel used
    is installed as a user gets it (`pip install`, not editable, into a fresh venv): it finds
    its Vagrantfile and provision/ inside the package. First the box's image in the cache is
    corrupted: the build refuses it in one line naming the rebuild; the bytes are then put back
    (a rebuild costs minutes of CI; `vmwheel box build` itself is what build_box runs). `cpus =
    1` restores the state the two-machine test saved instead of booting."""
    build_box(I686)
    project = write_project(tmp_path, pyproject_extra=(
        '\n[tool.vmwheel]\narchs = ["i686"]\nbuild = "cp313-*"\ncpus = 1\n'
        'test-command = "python {project}/check.py && echo tested {wheel} in {project}"\n'),
        files={"setup.py": CXX_SETUP, "src/ldprobe.cpp": FLOOR_PROBE["src/ldprobe.cpp"],
               "check.py": CXX_CHECK, "MANIFEST.in": "include check.py\n"})  # in the sdist
    vmwheel = installed_vmwheel / "bin" / "vmwheel"
    corrupt_box_image_and_be_refused(vmwheel, project, faults)
    res = run(vmwheel, "build", ".", cwd=project)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads((project / "wheelhouse" / "report.json").read_text())
    built = [e for e in report["interpreters"] if e["status"] == "built"]
    assert [e["identifier"] for e in built] == ["cp313-manylinux_i686"]
    skipped = {e["identifier"]: e["reason"] for e in report["interpreters"]
               if e["status"] == "skipped"}
    others = [f"cp{''.join(v.split('.')[:2])}-manylinux_i686"  # none on the slim test box
              for v in get_machine(I686).cpythons if not v.startswith("3.13")]
    assert skipped == {i: f"{i} is not selected by build/skip" for i in others}, skipped
    assert built[0]["proof"] == "symbols; ran on glibc 2.31"
    assert "manylinux2014_i686" in built[0]["wheel"]
    log = (project / "wheelhouse" / "logs" / I686 / "cp313-cp313.log").read_text()
    assert "C++ ok" in log and "no libc++ built" in log and f"tested /tmp/vmwheel/cp313-cp313/repaired/{built[0]['wheel']} in /tmp/vmwheel/project" \
        in log


CXX_SETUP = ("from setuptools import setup, Extension\n"
             "setup(ext_modules=[Extension('vmwtestext', ['vmwtestext.c']),\n"
             "                   Extension('_ldprobe', ['src/ldprobe.cpp'],\n"
             "                             extra_link_args=['-lstdc++'])])\n")
CXX_CHECK = ("import _ldprobe, vmwtestext\n"
             "assert vmwtestext.answer() == 42 and _ldprobe.words('a b  c') == 3\n"
             "try:\n    _ldprobe.words('')\nexcept ValueError as e:\n"
             "    assert str(e) == 'no words'\n    print('C++ ok')\n"
             # the C++ link took the archives the box build kept: zig built no libc++ here
             "import os, pathlib\n"
             "since = os.stat(os.path.dirname(os.path.abspath(__file__))).st_mtime\n"
             "built = [p for p in pathlib.Path('/opt/floor/zig-cache').rglob('libc++*.a')\n"
             "         if p.stat().st_mtime > since]\n"
             "assert not built, built\nprint('no libc++ built')\n")


def corrupt_box_image_and_be_refused(vmwheel, project, faults):
    image = boxes.vagrant_image(get_machine(I686))
    with open(image, "r+b") as f:  # 4 KiB of noise 1 MiB into Vagrant's copy of the disk
        f.seek(1 << 20)
        good = f.read(4096)
        f.seek(1 << 20)
        f.write(os.urandom(4096))
    (project / "wheelhouse").mkdir()
    (project / "wheelhouse" / "old-1.0-py3-none-any.whl").write_bytes(b"an earlier wheel")
    before = sha256_of(project / "wheelhouse" / "old-1.0-py3-none-any.whl")
    res = run(vmwheel, "build", ".", cwd=project)
    assert res.returncode == 4, res.stdout[-3000:] + res.stderr[-3000:]  # HostNotReady
    [line] = res.stderr.strip().splitlines()
    assert re.fullmatch(
        rf"vmwheel: the image of box vmwheel/{I686} \(\S+/box\.img\) is damaged or was "
        r"changed: sha256 \w{12}, built as \w{12}; rebuild it with `vmwheel box build "
        rf"--machine {I686} --force`", line), line
    wheels = [p.name for p in (project / "wheelhouse").glob("*.whl")]
    assert wheels == ["old-1.0-py3-none-any.whl"]  # report.json says why; no wheel touched
    assert sha256_of(project / "wheelhouse" / "old-1.0-py3-none-any.whl") == before
    with open(image, "r+b") as f:
        f.seek(1 << 20)
        f.write(good)
    boxes.require_box(get_machine(I686))  # the image is as built again
    faults.record("corrupted box image in the cache", [], [])
