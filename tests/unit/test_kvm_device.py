"""`vmwheel host setup` gives a root-only /dev/kvm the group and mode udev would (kvm, 0660):
libvirt otherwise probes QEMU again at every VM start. Run on a file standing in for the
device (the real one is changed only by host setup)."""

import grp
import os

import pytest

from builder.host import prepare


@pytest.fixture
def kvm_gid():
    try:
        gid = grp.getgrnam("kvm").gr_gid
    except KeyError:
        pytest.skip("no kvm group on this host")
    if os.geteuid() != 0:
        pytest.skip("changing a file's group to kvm needs root")
    return gid


def test_a_root_only_device_gets_group_kvm_and_mode_0660(tmp_path, kvm_gid):
    device = tmp_path / "kvm"
    device.touch(mode=0o600)
    os.chown(device, 0, 0)
    device.chmod(0o600)
    assert prepare.kvm_shared(device) is False
    prepare.share_kvm(device)
    st = device.stat()
    assert (st.st_gid, st.st_mode & 0o777) == (kvm_gid, 0o660)
    assert prepare.kvm_shared(device) is True
    prepare.share_kvm(device)  # idempotent
    assert device.stat().st_mode & 0o777 == 0o660


def test_no_device_is_left_alone(tmp_path):
    assert prepare.kvm_shared(tmp_path / "kvm") is None
    prepare.share_kvm(tmp_path / "kvm")
    assert not (tmp_path / "kvm").exists()
