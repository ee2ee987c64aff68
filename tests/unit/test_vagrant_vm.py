"""VagrantVM's lock: a second run on the same machine is refused and touches nothing; a VM
left by an earlier run is removed unless it was kept."""

import json
import subprocess

import pytest

from builder.errors import BuildHostError
from builder.model.machine import get
from builder.providers import vagrant_vm


@pytest.fixture
def destroyed(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    # Observed, not faked away: destroying is what must not happen for the refused run.
    monkeypatch.setattr(vagrant_vm.vagrantcli, "destroy",
                        lambda name: calls.append(name) or subprocess.CompletedProcess([], 0))
    return calls


def test_a_run_without_the_lock_never_destroys_the_other_runs_vm(tmp_path, destroyed):
    first = vagrant_vm.VagrantVM(get(), tmp_path / "logs1")
    second = vagrant_vm.VagrantVM(get(), tmp_path / "logs2")
    first.lock()
    with pytest.raises(BuildHostError, match="in use by another vmwheel run") as exc:
        second.lock()
    assert exc.value.exit_code == 5
    second.finish(failed=True)
    assert destroyed == []
    first.finish(failed=True)  # the run that holds the lock cleans up its own VM
    assert destroyed == [get().name]
    second.lock()  # and the machine is free again
    second.finish()


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
