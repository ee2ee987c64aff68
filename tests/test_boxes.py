"""A local box is used only while Vagrant's copy of its image has the sha256 recorded at build."""

import json

import pytest

from builder import boxes, machines
from builder.errors import VmwheelError
from builder.wheelhouse import sha256_of


@pytest.fixture
def built_box(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(boxes, "is_current", lambda name, spec: True)
    name, spec = machines.get()
    image = boxes.vagrant_image(spec)
    image.parent.mkdir(parents=True)
    image.write_bytes(b"qcow2 image as built")
    marker = boxes.box_dir(name, spec) / "added.json"
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps({"box": spec["box"], "key": boxes.box_key(spec),
                                  "image_sha256": sha256_of(image)}))
    return name, spec, image


def test_unchanged_image_is_accepted(built_box):
    name, spec, _ = built_box
    boxes.require_box(name, spec)


def test_tampered_image_is_refused(built_box):
    name, spec, image = built_box
    image.write_bytes(b"qcow2 image with a backdoor")
    with pytest.raises(VmwheelError) as e:
        boxes.require_box(name, spec)
    assert "is not the one that was built" in e.value.what
    assert e.value.todo == f"run `vmwheel box build --machine {name} --force`"
