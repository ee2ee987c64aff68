"""Runs that end badly, with a real VM of the default box restored from its saved state (as
every user's second build is): a CI system's SIGTERM mid-build, a run killed outright whose
restored VM and disk overlay are left behind, and a test command that powers the guest off."""

import json
import os
import re
import subprocess
import threading
import time

import pytest

from tests.integration import test_vm_build as vm
from tests.support.cli import CHECKOUT

pytestmark = pytest.mark.vm


def start_build(out, *extra):
    """`vmwheel build msgpack` for cp311 only, its before-build waiting (so that a signal
    surely arrives mid-build); returns (process, its stdout file) once it is building."""
    cmd = [str(vm.BIN / "vmwheel"), "build", "msgpack", "--build", "cp311-*",
           "--output-dir", str(out), "-o", "before-build=sleep 120", *extra]
    stdout = out.parent / f"{out.name}.stdout"
    proc = subprocess.Popen(cmd, cwd=vm.REPO, stdout=open(stdout, "w"), stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None and \
            "cp311-cp311: building msgpack" not in stdout.read_text():
        time.sleep(0.5)
    assert proc.poll() is None, stdout.read_text()[-3000:] + proc.stderr.read()[-3000:]
    return proc, stdout


def leftovers_now():
    """vmwheel's domains, and the disk files in this cache's pool that are no box image."""
    from builder.paths import libvirt_dir  # the default cache's pool, as the runs use it
    disks = sorted(p.name for p in libvirt_dir().glob("vmwheel-*.img")
                   if "_vagrant_box_image_" not in p.name)
    return vm.domains(), disks


def test_sigterm_mid_build_destroys_the_vm_and_writes_the_report(tmp_path):
    vm.build_box(vm.DEFAULT)
    before = leftovers_now()
    out = tmp_path / "wheelhouse"
    proc, stdout = start_build(out)
    t0 = time.monotonic()
    proc.terminate()  # SIGTERM, as GitLab, Jenkins and systemd cancel a job
    _, stderr = proc.communicate(timeout=120)
    took = time.monotonic() - t0
    assert proc.returncode == 143, stdout.read_text()[-3000:] + stderr
    assert stderr == "vmwheel: terminated (SIGTERM); wheels already fetched are kept\n"
    report = json.loads((out / "report.json").read_text())
    [cp311] = [e for e in report["interpreters"] if e["tag"] == "cp311-cp311"]
    assert cp311["status"] == "failed" and cp311["reason"].startswith("terminated (SIGTERM)")
    assert (out / "SHA256SUMS").exists()
    assert leftovers_now() == before, "the VM or its overlay was left behind"
    assert took < 60, took
    print(f"SIGTERM to exit, VM destroyed: {took:.1f} s")


def test_a_run_killed_outright_leaves_a_vm_that_doctor_names_and_vm_destroy_removes(tmp_path):
    vm.build_box(vm.DEFAULT)
    before = leftovers_now()
    out = tmp_path / "wheelhouse"
    proc, stdout = start_build(out)
    assert "restored" in stdout.read_text(), "the build did not restore its VM"
    proc.kill()  # SIGKILL: no clean-up at all
    proc.wait()
    domains, disks = leftovers_now()
    [left] = set(domains) - set(before[0])
    doctor = vm.run(vm.BIN / "vmwheel", "doctor")
    assert doctor.returncode == 4, doctor.stdout
    assert f"FAIL  leftover of a killed run: VM {left} (running)" in doctor.stdout
    assert f"vmwheel vm destroy --machine {vm.DEFAULT}" in doctor.stdout

    # Its transient domain gone (libvirtd restarted, the host rebooted): the disk overlay stays
    # where the domain's disk was, which made the next cold boot fail with "volume target path
    # ... already exists" and left the machine stuck.
    assert vm.run("virsh", "-c", "qemu:///system", "destroy", left).returncode == 0
    assert leftovers_now() == (before[0], disks) and set(disks) > set(before[1])
    doctor = vm.run(vm.BIN / "vmwheel", "doctor")
    assert "FAIL  leftover of a killed run: disk " in doctor.stdout, doctor.stdout
    destroyed = vm.run(vm.BIN / "vmwheel", "vm", "destroy")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert f"{vm.DEFAULT}: removed disk " in destroyed.stdout
    assert leftovers_now() == before
    again = vm.run(vm.BIN / "vmwheel", "vm", "destroy")
    assert f"{vm.DEFAULT}: no VM to destroy" in again.stdout
    assert "leftover" not in vm.run(vm.BIN / "vmwheel", "doctor").stdout


def domain_of(lines):
    """(slot, domain, disk) of the run that printed `lines` (other runs may hold the first
    instances: it then says which it uses)."""
    from builder.providers.leftovers import disk_path, domain_name

    found = [re.search(r"this one uses instance (\d+)", line) for _, line in lines]
    slot = next((int(m.group(1)) - 1 for m in found if m), 0)
    return slot, domain_name(vm.DEFAULT, slot), disk_path(vm.DEFAULT, slot)


def test_a_test_command_that_powers_the_guest_off_fails_that_interpreter_and_the_rest_go_on(
        tmp_path, faults):
    """cp311's test command runs `poweroff -f` in the guest (cp313's passes): cp311 fails in
    one line within seconds, cp313 is built in a freshly restored VM, a wheel already in the
    output dir stays, and neither the domain nor its disk overlay is left. The seconds are
    counted from the guest's own last words (shown with -v, unbuffered) to that line."""
    vm.build_box(vm.DEFAULT)
    out = tmp_path / "wheelhouse"
    out.mkdir()
    (out / "old-1.0-py3-none-any.whl").write_bytes(b"kept")
    poweroff = ("python -c 'import sys; sys.exit(sys.version_info[:2] == (3, 11))' || "
                "{ echo vmwheel-test: powering off; sudo -n poweroff -f; }")
    cmd = [str(vm.BIN / "vmwheel"), "build", "msgpack", "--build", "cp311-* cp313-*", "-v",
           "--parallel", "1", "--output-dir", str(out), "--test-command", poweroff]
    env = dict(os.environ, PYTHONPATH=CHECKOUT, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=vm.REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stuck = threading.Timer(1800, proc.kill)
    stuck.start()
    lines = [(time.monotonic(), line.rstrip("\n")) for line in proc.stdout]
    stderr = proc.stderr.read()
    stuck.cancel()
    proc.wait()
    print("\n".join(line for _, line in lines if line.startswith("vmwheel: ")))
    said = [(t, line) for t, line in lines if line.startswith("vmwheel: cp311-cp311: the VM")]
    assert [line for _, line in said] == [
        "vmwheel: cp311-cp311: the VM powered off during test; the rest go on in a freshly "
        "restored VM"], (lines[-50:], stderr)
    [last_words] = [t for t, line in lines if line == "vmwheel-test: powering off"]
    noticed = said[0][0] - last_words
    print(f"seconds from the guest's poweroff to the line: {noticed:.1f}")
    assert noticed < 15
    assert proc.returncode == 1, (lines[-50:], stderr)  # cp311 failed; cp313 was built
    assert stderr.startswith("vmwheel: build failed for cp311-cp311;"), stderr
    report = json.loads((out / "report.json").read_text())
    status = {e["tag"]: e for e in report["interpreters"]}
    assert status["cp311-cp311"]["reason"] == "the VM powered off during test"
    assert status["cp313-cp313"]["status"] == "built"
    assert (out / status["cp313-cp313"]["wheel"]).exists()
    # The rest went on in a VM restored after the line (the first may have booted cold).
    assert any(t > said[0][0] and re.search(r"^vmwheel: restored \S+ from its saved state", line)
               for t, line in lines), lines
    assert (out / "old-1.0-py3-none-any.whl").read_bytes() == b"kept"
    from builder.providers.instances import in_use

    assert "could not destroy" not in stderr, stderr
    slot, mine, disk = domain_of(lines)
    if not in_use(vm.DEFAULT, slot):  # else another run took the instance since (shared host)
        assert mine not in vm.domains() and not disk.exists(), "the VM or its overlay was left"
    faults.record("guest powered off by a test command", [],
                  [p.name for p in out.rglob("*.part")])
