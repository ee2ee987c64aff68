"""VagrantVM's instances: a second run on the same machine takes another instance (real lock
files) and touches nothing of the first; a VM left by an earlier run is removed unless kept."""

import json
import subprocess

import pytest

from builder.errors import BuildHostError
from builder.model.machine import get
from builder.host import vagrantcli
from builder.providers import instances, vagrant_vm


@pytest.fixture
def destroyed(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    # Observed, not faked away: destroying is what must not happen for the refused run.
    monkeypatch.setattr(vagrant_vm.vagrantcli, "destroy",
                        lambda name, slot=0: calls.append((name, slot))
                        or subprocess.CompletedProcess([], 0))
    return calls


def test_a_second_run_takes_another_instance_and_never_touches_the_first_ones_vm(
        tmp_path, destroyed):
    first = vagrant_vm.VagrantVM(get(), tmp_path / "logs1", driver="qemu")
    second = vagrant_vm.VagrantVM(get(), tmp_path / "logs2", driver="qemu")
    first.lock()
    second.lock()  # real flock on the first instance's lock file: held, so the next slot
    assert (first.slot, second.slot) == (0, 1)
    assert first.dot != second.dot and first.known_hosts != second.known_hosts
    second._write_runtime(running=False)
    first._write_runtime(running=False)
    assert second._domain() == first._domain().replace("-" + get().name, "-1-" + get().name)
    assert instances.in_use(get().name, 0) and instances.in_use(get().name, 1)
    second.finish(failed=True)  # each run cleans up its own instance only
    assert destroyed == [(get().name, 1)]
    assert not instances.in_use(get().name, 1) and instances.in_use(get().name, 0)
    first.finish(failed=True)
    assert destroyed == [(get().name, 1), (get().name, 0)]
    assert vagrantcli.slots(get().name) == [0, 1]


def test_instances_are_capped_by_count_and_by_the_hosts_free_memory(tmp_path, destroyed):
    held = [instances.take("m", 2048)[1] for _ in range(instances.MAX_SLOTS)]
    with pytest.raises(BuildHostError, match="in use by 4 other vmwheel runs"):
        instances.take("m", 2048)
    held.pop().close()
    with pytest.raises(BuildHostError, match=r"has 1000 MiB free for another instance of it "
                                             r"\(2048 \+ 512 needed\)") as exc:
        instances.take("m", 2048, free_mib=lambda: 1000)
    assert exc.value.exit_code == 5
    assert not instances.in_use("m", instances.MAX_SLOTS - 1)  # the refused run let go
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 24000000 kB\nMemAvailable: 2097152 kB\n")
    assert instances.available_memory_mib(meminfo) == 2048


def test_a_vm_left_by_an_earlier_run_is_removed_unless_it_was_kept_and_runs(tmp_path, destroyed):
    vm = vagrant_vm.VagrantVM(get(), tmp_path / "logs")
    assert not vm._leftover(running=False)  # nothing was ever created
    (vm.dot / "machines" / vm.name / "libvirt").mkdir(parents=True)
    (vm.dot / "machines" / vm.name / "libvirt" / "id").write_text("a-domain-uuid")
    vm.runtime.write_text(json.dumps({"machine": vm.name}))
    assert vm._leftover(running=True)  # a run that lost libvirtd or was killed
    assert vm._leftover(running=False)
    vm._mark(kept=True)
    assert json.loads(vm.runtime.read_text()) == {"machine": vm.name, "kept": True}
    assert not vm._leftover(running=True)  # --keep-vm: the next build reuses it
    assert vm._leftover(running=False)  # kept, but stopped since: start afresh
