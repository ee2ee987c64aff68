"""The saved VM state's bookkeeping (providers/saved.py): what it is valid for, and how a
missing, outdated or damaged one is told apart. Saving and restoring a real VM is in the VM
tests (test_vm_build.py: every build after the first restores)."""

import json
import time

import pytest

from builder.model.machine import get
from builder.providers import saved


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setattr(saved, "saved_state_dir", lambda machine: tmp_path / "saved" / machine)
    spec = get()
    s = saved.Saved.of(spec, "qemu")
    s._new.mkdir(parents=True)
    for name in ("state.sav", "disk.qcow2"):
        (s._new / name).write_bytes(name.encode() * 1000)
    key, hosts = tmp_path / "key", tmp_path / "known_hosts"
    key.write_text("private key")
    hosts.write_text("[127.0.0.1]:2222 ssh-ed25519 AAAA")
    s.commit("/pool/vm.img", 41001, "vagrant", key, hosts)
    return spec, s


def test_a_committed_state_checks_and_records_what_it_needs(state):
    spec, s = state
    meta, why = s.check()
    assert why == "" and meta["disk"] == "/pool/vm.img" and meta["user"] == "vagrant"
    assert meta["port"] == 41001
    assert set(meta["sha256"]) == set(saved.FILES)
    assert (s.dir / "ssh_key").stat().st_mode & 0o777 == 0o600
    assert not s._new.exists() and s.recorded()


def commit_other(tmp_path, spec, slot=0):
    time.sleep(0.01)  # each commit newer than the last
    s = saved.Saved.of(spec, "qemu", slot)
    s._new.mkdir(parents=True)
    for name in ("state.sav", "disk.qcow2", "key", "hosts"):
        (s._new / name).write_text(name)
    s.commit("/pool/vm.img", 41002, "vagrant", s._new / "key", s._new / "hosts")
    return s


def test_another_driver_memory_or_cpu_count_is_another_state_kept_beside(state, tmp_path):
    spec, s = state
    assert saved.Saved.of(spec, "kvm").check() == (None, "no saved state yet")
    assert not saved.Saved.of(spec.sized(memory=spec.memory * 2), "qemu").recorded()
    one_cpu = commit_other(tmp_path, spec.sized(cpus=1))
    assert one_cpu.recorded() and one_cpu.check()[1] == ""
    assert s.check()[1] == "" and s.dir != one_cpu.dir  # the usual one is still there
    second = commit_other(tmp_path, spec, slot=1)  # instance 2 of the usual key: its own
    assert second.dir.name == f"{s.key}-2" and second.recorded() and s.check()[1] == ""
    (s.dir.parent / "state.sav").write_text("the earlier layout's single state")
    time.sleep(0.01)
    three = commit_other(tmp_path, spec.sized(cpus=3))  # a third key: the oldest key goes
    assert three.recorded() and not one_cpu.recorded()
    assert s.recorded() and second.recorded()  # used last by instance 2: a newer key
    assert sorted(p.name for p in s.dir.parent.iterdir()) == sorted(
        [three.key, s.key, second.dir.name])
    commit_other(tmp_path, spec.sized(cpus=4))
    assert not s.recorded() and not second.recorded()  # every instance of the oldest key
    (three.dir / "meta.json").write_text(json.dumps({"key": "another"}))
    assert three.check() == (None, "is not the state of this box, driver, memory and CPU count")


def test_a_damaged_file_or_meta_is_told_and_discard_removes_it(state):
    _, s = state
    with open(s.dir / "state.sav", "r+b") as f:
        f.write(b"X")
    assert s.check() == (None, "is damaged (state.sav differs from when it was saved)")
    (s.dir / "meta.json").write_text("{not json")
    assert s.check() == (None, "is unreadable (JSONDecodeError)")
    s.discard()
    assert s.check() == (None, "no saved state yet") and not s.recorded()


def test_the_disk_is_read_from_the_domain_xml():
    xml = ("<domain><devices><disk type='file' device='cdrom'><source file='/x.iso'/></disk>"
           "<disk type='file' device='disk'>\n<driver name='qemu' type='qcow2'/>\n"
           "<source file='/pool/vm.img' index='1'/></disk></devices></domain>")
    assert saved.disk_of(xml) == "/pool/vm.img"
    with pytest.raises(saved.BuildHostError, match="no file-backed disk"):
        saved.disk_of(xml.replace("device='disk'", "device='lun'"))


def test_the_pinned_host_key_follows_the_restored_vms_new_port():
    pinned = "[127.0.0.1]:41001 ssh-ed25519 AAAAC3\n[127.0.0.1]:41001 ssh-rsa AAAAB3\n"
    assert saved.repinned(pinned, 52002) == (
        "[127.0.0.1]:52002 ssh-ed25519 AAAAC3\n[127.0.0.1]:52002 ssh-rsa AAAAB3\n")
    assert saved.repinned("[::1]:2200 ssh-rsa AAAAB3\n", 52002) == \
        "[::1]:2200 ssh-rsa AAAAB3\n"  # only the forwarded loopback entries


def test_a_restricted_network_is_another_state(state):
    """guest-network full must never restore a guest saved with restrict=on, nor allowlist or
    none a guest saved without it (the netdev is part of the saved domain)."""
    spec, s = state
    full = saved.Saved.of(spec, "qemu", restricted=False)
    assert full.key != s.key and not full.recorded() and s.recorded()


def test_another_vagrantfile_is_another_state(state, tmp_path, monkeypatch):
    """A restored domain keeps the CPU model and devices it was saved with: a state saved under
    another Vagrantfile (qemu64 before Nehalem) is never restored."""
    spec, s = state
    other = tmp_path / "Vagrantfile"
    other.write_text(saved.VAGRANTFILE.read_text().replace('"Nehalem"', '"qemu64"'))
    monkeypatch.setattr(saved, "VAGRANTFILE", other)
    old = saved.Saved.of(spec, "qemu")
    assert old.key != s.key and not old.recorded() and s.recorded()
