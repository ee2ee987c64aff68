"""`vmwheel doctor` names each problem and the command that fixes it."""

import subprocess
import sys
from pathlib import Path

VMWHEEL = Path(sys.executable).parent / "vmwheel"


def test_doctor_without_libvirt_names_it_and_the_fix(tmp_path):
    # A libvirt URI whose socket does not exist: virsh really cannot reach a daemon.
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "VMWHEEL_CACHE_DIR": str(tmp_path / "cache"),
           "VMWHEEL_LIBVIRT_URI": f"qemu+unix:///system?socket={tmp_path}/no-libvirt.sock"}
    res = subprocess.run([str(VMWHEEL), "doctor"], capture_output=True, text=True, env=env)
    assert res.returncode == 4, res.stdout + res.stderr  # HostNotReady
    lines = res.stdout.splitlines()
    i = next(i for i, line in enumerate(lines) if "libvirtd: not running" in line)
    assert lines[i].startswith("FAIL") and f"{tmp_path}/no-libvirt.sock" in lines[i]
    assert lines[i + 1].strip().startswith("-> run: vmwheel host setup")
    # Only the boxes the selected targets need (the default: the manylinux2014 floor box).
    assert any(line.startswith("ok    box vmwheel/manylinux2014-x86_64: not built yet")
               for line in lines)  # not a problem: the first build builds it
    assert not any("box vmwheel/bullseye" in line for line in lines)
    assert lines[-1].startswith("vmwheel doctor: ") and "problem(s)" in lines[-1]


def test_doctor_checks_the_boxes_of_the_targets_it_is_given(tmp_path):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "VMWHEEL_CACHE_DIR": str(tmp_path / "cache"),
           "VMWHEEL_TARGETS": "manylinux_2_31", "VMWHEEL_ARCHS": "i686"}
    res = subprocess.run([str(VMWHEEL), "doctor"], capture_output=True, text=True, env=env)
    boxes = [line for line in res.stdout.splitlines() if line.startswith(("ok", "FAIL"))
             and " box " in line]
    assert boxes == ["ok    box vmwheel/bullseye-i686: not built yet (or provision/ changed "
                     "since): the first build builds it (minutes), or now: vmwheel box build "
                     "--machine bullseye-i686"]
