"""A local box is used only while Vagrant's copy of its image has the sha256 recorded at build."""

import json

import pytest

from builder.digest import sha256_of
from builder.errors import HostNotReady
from builder.images import boxes
from builder.model import machine


@pytest.fixture
def built_box(tmp_path, monkeypatch):
    """A box as `vmwheel box build` leaves it: the record, the boot files, Vagrant's image.
    Only Vagrant's box list is replaced (it needs the vagrant CLI)."""
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(boxes, "libvirt_dir", lambda: tmp_path / "libvirt")
    spec = machine.get()
    monkeypatch.setattr(boxes.vagrantcli, "box_names", lambda: [spec.box])
    for boot_file in boxes.boot_files(spec):
        boot_file.parent.mkdir(parents=True, exist_ok=True)
        boot_file.write_bytes(b"kernel or initrd")
    image = boxes.vagrant_image(spec)
    image.parent.mkdir(parents=True)
    image.write_bytes(b"qcow2 image as built")
    marker = boxes.box_dir(spec) / "added.json"
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps({"box": spec.box, "key": boxes.box_key(spec),
                                  "image_sha256": sha256_of(image)}))
    return spec, image


def test_unchanged_image_is_accepted(built_box):
    spec, image = built_box
    assert boxes.is_current(spec)
    assert boxes.require_box(spec) is None
    record = json.loads((boxes.box_dir(spec) / "added.json").read_text())
    assert record["image_sha256"] == sha256_of(image)


def test_a_box_whose_boot_files_are_gone_is_not_built(built_box):
    spec, _ = built_box
    boxes.boot_files(spec)[0].unlink()
    with pytest.raises(HostNotReady, match="is not built") as e:
        boxes.require_box(spec)
    assert e.value.todo.startswith(f"run `vmwheel box build --machine {spec.name}`")


def test_tampered_image_is_refused(built_box):
    spec, image = built_box
    image.write_bytes(b"qcow2 image with a backdoor")
    with pytest.raises(HostNotReady) as e:
        boxes.require_box(spec)
    assert e.value.exit_code == 4
    assert "is damaged or was changed: sha256 " in e.value.what
    assert e.value.todo == f"rebuild it with `vmwheel box build --machine {spec.name} --force`"


def test_a_box_that_is_not_built_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(boxes, "is_current", lambda spec: False)
    spec = machine.get()
    with pytest.raises(HostNotReady, match=f"box {spec.box} is not built"):
        boxes.require_box(spec)
