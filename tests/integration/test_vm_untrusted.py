"""Runs that end badly, with a real VM of the default box restored from its saved state (as
every user's second build is): a CI system's SIGTERM mid-build, and a run killed outright
whose restored VM and disk overlay are left behind."""

import json
import subprocess
import time

import pytest

from tests.integration import test_vm_build as vm

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
