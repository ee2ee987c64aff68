"""VagrantVM's instances: a second run on the same machine takes another instance (real lock
files) and touches nothing of the first; a VM left by an earlier run is removed unless kept."""

import pytest

from builder.errors import BuildHostError
from builder.model.machine import get
from builder.host import prepare, vagrantcli
from builder.providers import instances, leftovers, vagrant_vm


@pytest.fixture
def destroyed(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    # Observed, not faked away: destroying is what must not happen for the refused run.
    monkeypatch.setattr(vagrant_vm.leftovers, "clear",
                        lambda name, slot=0: calls.append((name, slot)) or True)
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


def test_a_disk_left_by_a_killed_run_is_found_and_removed(tmp_path, monkeypatch):
    """A restored VM's overlay left at the domain's disk path (its run was killed, its transient
    domain is gone): found, named, and removed with Vagrant's record of the VM, so the next
    cold boot does not meet "volume target path ... already exists". The domain side needs
    libvirt (the VM tests kill a real one); with no such domain, virsh answers "not found"."""
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(leftovers, "libvirt_dir", lambda: tmp_path / "pool")
    if not prepare.libvirt_reachable():
        pytest.fail("libvirtd does not answer (tests/run.sh starts it with vmwheel host setup)")
    name = get().name
    assert not leftovers.find(name)  # nothing was ever created
    disk = leftovers.disk_path(name)
    assert disk.parent == tmp_path / "pool" and disk.name.endswith(f"-{name}.img")
    assert leftovers.disk_path(name, 1).name.endswith(f"-1-{name}.img")
    disk.parent.mkdir(parents=True)
    disk.write_bytes(b"QFI\xfb")
    record = vagrantcli.dotfile_dir(name) / "machines" / name / "libvirt"
    record.mkdir(parents=True)
    (record / "id").write_text("a-domain-uuid")
    left = leftovers.find(name)
    assert left and left.state is None and left.disk == disk and not left.kept
    assert left.describe() == f"disk {disk}"
    assert leftovers.remove(left)
    assert not disk.exists() and not (vagrantcli.dotfile_dir(name) / "machines").exists()
    assert not leftovers.find(name) and leftovers.clear(name)


def test_while_libvirtd_does_not_answer_nothing_is_removed(tmp_path, monkeypatch):
    """With libvirtd gone the guest runs on (its QEMU does not need it) and its disk is in use:
    the disk is not an orphan, and the end of the run stops that QEMU instead (vagrant_vm)."""
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VMWHEEL_LIBVIRT_URI", f"qemu+unix:///system?socket={tmp_path}/none")
    monkeypatch.setattr(leftovers, "libvirt_dir", lambda: tmp_path / "pool")
    disk = leftovers.disk_path(get().name)
    disk.parent.mkdir(parents=True)
    disk.write_bytes(b"in use")
    left = leftovers.find(get().name)
    assert left.state == leftovers.UNKNOWN and left.disk is None
    assert not leftovers.remove(left) and not leftovers.clear(get().name)
    assert disk.read_bytes() == b"in use"


def test_only_a_running_vm_kept_with_keep_vm_is_not_a_leftover():
    def left(state, kept):
        return leftovers.Leftover("m", 0, "vmwheel-x-m", state, None, kept)
    assert not left(None, False)
    assert left("shut off", False) and left("running", False)
    assert left("running", False).describe() == "VM vmwheel-x-m (running)"


def test_vagrants_reason_for_a_failed_up_is_quoted_in_one_line():
    volume = ("Bringing machine 'm' up with 'libvirt' provider...\n"
              "==> m: Creating image (snapshot of base box volume).\n"
              "Volume for domain is already created. Please run 'vagrant destroy' first.\n")
    assert vagrantcli.failure_reason(volume) == "Volume for domain is already created."
    catalog = ("==> m: Box 'generic/alpine319' could not be found. Attempting to find and "
               "install...\n    m: Box Provider: libvirt\n"
               "The box 'generic/alpine319' could not be found or\n"
               "could not be accessed in the remote catalog. If this is a private\n"
               "box on the catalog, please verify you're logged in.\n\n"
               "URL: [\"https://catalog.invalid/generic/alpine319\"]\n"
               "Error: Could not resolve host: catalog.invalid\n")
    assert vagrantcli.failure_reason(catalog) == (
        "The box 'generic/alpine319' could not be found or could not be accessed in the remote "
        "catalog. Error: Could not resolve host: catalog.invalid")
    assert vagrantcli.failure_reason("==> m: Booting\n") == ""
    assert len(vagrantcli.failure_reason("==> m\n" + "x" * 1000)) == 300


@pytest.mark.parametrize("network, restrict", [("allowlist", True), ("none", True),
                                               ("full", False)])
def test_the_runtime_says_whether_qemu_restricts_the_guest(tmp_path, destroyed, network,
                                                            restrict):
    """The Vagrantfile adds restrict=on (and ipv6=off) to the netdev when the runtime says so."""
    import json
    vm = vagrant_vm.VagrantVM(get(), tmp_path / "logs", driver="qemu", network=network)
    vm.lock()
    try:
        vm._write_runtime(running=False)
        assert json.loads(vm.runtime.read_text())["restrict"] is restrict
    finally:
        vm.finish(failed=True)


def test_a_public_box_under_a_restricted_network_is_not_yet_supported(tmp_path):
    from builder.errors import ConfigurationError
    vm = vagrant_vm.VagrantVM(get("alma8-x86_64"), tmp_path / "logs")
    with pytest.raises(ConfigurationError, match="guest-network allowlist is not yet supported "
                                                 "for the public box almalinux/8"):
        vm.up()
    assert vm._lock is None  # refused before it took the machine or booted anything
