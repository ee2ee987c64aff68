"""The KVM-or-TCG verdict cache (providers/accel.py), probed for real: QEMU is given a file that
is no kernel, so KVM "does not boot" it at once and the verdict is TCG ("qemu")."""

import json
import os
import threading

import pytest

from builder.providers import accel


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VMWHEEL_DRIVER", raising=False)
    path = tmp_path / "vmlinuz"
    path.write_bytes(b"not a kernel" * 100)
    return path


def test_an_unreadable_verdict_cache_is_probed_again_and_rewritten_whole(kernel, tmp_path):
    cache = tmp_path / "cache" / "accel.json"
    cache.parent.mkdir(parents=True)
    cache.write_text('{"half a fi')  # another run's write, cut short
    assert accel.choose_driver(kernel) == "qemu"
    assert list(json.loads(cache.read_text()).values()) == ["qemu"]
    cache.write_text("[1, 2]")
    assert accel.choose_driver(kernel) == "qemu"


def test_machines_that_boot_at_once_share_one_verdict(kernel, tmp_path):
    got, errors = [], []

    def choose():
        try:
            got.append(accel.choose_driver(kernel))
        except Exception as exc:  # a half-read cache used to raise here
            errors.append(exc)

    threads = [threading.Thread(target=choose) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and got == ["qemu"] * 4
    cache = json.loads((tmp_path / "cache" / "accel.json").read_text())
    assert list(cache.values()) == ["qemu"]
    assert not list((tmp_path / "cache").glob(".accel.*"))


def test_a_public_box_gets_the_driver_local_probes_found(tmp_path, monkeypatch):
    """A public box boots its own loader (no kernel to probe): it follows what the probes of
    local kernels found here, so a host where KVM does not boot guests never announces kvm."""
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("VMWHEEL_DRIVER", raising=False)
    (tmp_path / "accel.json").write_text(json.dumps({"/k:1": "kvm", "/k2:1": "qemu"}))
    assert accel.driver_without_kernel() == "qemu"
    assert accel.driver_without_kernel("kvm") == "kvm"
    (tmp_path / "accel.json").write_text(json.dumps({"/k:1": "kvm"}))
    assert accel.driver_without_kernel() == ("kvm" if os.path.exists("/dev/kvm") else "qemu")
