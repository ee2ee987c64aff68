"""provision/: shellcheck-clean, each script runnable by hand, and box keys that track them."""

import shutil
import subprocess
from pathlib import Path

import pytest

from builder import boxes, machines

PROVISION = Path(__file__).resolve().parent.parent / "provision"
SCRIPTS = sorted(PROVISION.glob("*.sh"))


def test_shellcheck_clean():
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is not installed (tests/run.sh installs it)")
    res = subprocess.run(["shellcheck", *map(str, SCRIPTS)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_strict_and_explain_their_usage(script):
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n") and "\nset -eu\n" in text
    assert "# Usage: " in text
    if "usage: $0" in text:  # scripts with required arguments refuse to run without them
        res = subprocess.run(["sh", str(script)], capture_output=True, text=True)
        assert res.returncode == 2 and "usage:" in res.stderr


def test_toolchain_dry_run_prints_the_apt_plan():
    res = subprocess.run(["sh", str(PROVISION / "install-toolchain.sh"), "--dry-run"],
                         capture_output=True, text=True)
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    assert lines[0] == "apt-get update -q"
    assert lines[1].startswith("apt-get install -y -q --no-install-recommends build-essential")
    assert "python3-dev" in lines[1]


def test_box_key_tracks_provision_scripts_and_inputs(tmp_path, monkeypatch):
    _, spec = machines.get()
    copy = tmp_path / "provision"
    shutil.copytree(PROVISION, copy)
    monkeypatch.setattr(boxes, "PROVISION_DIR", copy)
    key = boxes.box_key(spec)
    assert key == boxes.box_key(dict(spec))
    (copy / "configure-base.sh").write_text((copy / "configure-base.sh").read_text() + "\n")
    assert boxes.box_key(spec) != key
    changed = boxes.box_key(spec)
    assert boxes.box_key(dict(spec, suite="bookworm")) != changed
    assert boxes.box_key(dict(spec, memory=4096)) == changed  # run-time settings don't count


def test_unknown_machine_names_the_choices():
    from builder.errors import VmwheelError

    with pytest.raises(VmwheelError) as e:
        machines.get("no-such-machine")
    assert "bullseye-x86_64" in e.value.todo
