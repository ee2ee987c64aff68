"""The farm with real VMs: two `vmwheel worker`s on this host each boot their own VM of the
default box (two instances of one machine at once, each restoring or saving its own state),
and one `vmwheel build --scheduler` gets wheels from both, identical to a local build's."""

import json
import subprocess
import threading
import time

import pytest

from builder.digest import sha256_of
from builder.providers.saved import Saved
from tests.integration import test_vm_build as vm
from tests.support.farm import BIN, Farm

pytestmark = pytest.mark.vm


def local_build(version, out):
    res = vm.run(BIN / "vmwheel", "build", f"msgpack=={version}", "--output-dir", out)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return {p.name: sha256_of(p) for p in out.glob("*.whl")}


def test_two_vm_workers_build_one_matrix_like_a_local_build(tmp_path):
    vm.build_box(vm.DEFAULT)
    version = vm.LOCAL_MSGPACK.get("version", "1.1.2")
    local = vm.LOCAL_MSGPACK.get("wheels") or local_build(version, tmp_path / "local")
    farm = Farm(tmp_path).start()
    seen, stop = set(), threading.Event()

    def watch():  # the VM domains of the default machine that run at the same time
        while not stop.is_set():
            now = {d for d in vm.domains() if d.endswith(f"-{vm.DEFAULT}")}
            if len(now) >= 2:
                seen.update(now)
            time.sleep(2)

    watcher = threading.Thread(target=watch, daemon=True)
    try:
        for name in ("v1", "v2"):
            farm.add_vm_worker(name, vm.DEFAULT, env=vm.OURS)  # the tests' slim table
        watcher.start()
        out = tmp_path / "wheelhouse"
        res = subprocess.run([str(BIN / "vmwheel"), "build", f"msgpack=={version}",
                              "--scheduler", farm.address, "--output-dir", str(out)],
                             capture_output=True, text=True, timeout=3000,
                             env=dict(vm.OURS, CI="true"))
    finally:
        stop.set()
        farm.stop()
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:] + farm.log("v1")[-2000:]
    report = json.loads((out / "report.json").read_text())
    built = [e for e in report["interpreters"] if e["status"] == "built"]
    assert {e["worker"] for e in built} == {"v1", "v2"}, built
    assert len(seen) >= 2, "the two workers' VMs never ran at the same time"
    assert report["machines"][0]["floor"] == "glibc 2.17"
    assert sorted(report["machines"][0]["workers"]) == ["v1", "v2"]
    assert all(e["floor_proof"] == "imported under glibc 2.17" for e in built)
    farm_wheels = {p.name: sha256_of(p) for p in out.glob("*.whl")}
    assert farm_wheels == local, (farm_wheels, local)
    assert not [d for d in vm.domains() if d.endswith(f"-{vm.DEFAULT}")], "a VM was left"
    # Instance 2 has its own saved state now (its first use booted it cold): the next time
    # two VMs of the machine run at once, both restore.
    spec = vm.get_machine(vm.DEFAULT)
    assert any(Saved.of(spec, d, slot=1).recorded() for d in ("kvm", "qemu"))
