"""VagrantVM's lock: a second run on the same machine is refused and touches nothing."""

import pytest

from builder.errors import BuildHostError
from builder.model.machine import get
from builder.providers import vagrant_vm


@pytest.fixture
def destroyed(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    # Observed, not faked away: destroying is what must not happen for the refused run.
    monkeypatch.setattr(vagrant_vm.vagrantcli, "destroy", calls.append)
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
