"""provision/aarch64/: the aarch64 groundwork scripts (not yet wired into the build flow).

They live in a subdirectory so that the x86_64/i686 box keys, which hash the files directly in
provision/, do not change with them; they are shellcheck-clean and runnable by hand.
"""

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from builder.images import boxes
from builder.model import machine

AARCH64 = Path(__file__).resolve().parents[2] / "provision" / "aarch64"
SCRIPTS = sorted(AARCH64.glob("*.sh"))


def test_shellcheck_clean():
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is not installed (tests/run.sh installs it)")
    res = subprocess.run(["shellcheck", "-x", *map(str, SCRIPTS)], capture_output=True,
                         text=True, cwd=AARCH64)
    assert SCRIPTS and res.returncode == 0, res.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_strict_and_explain_their_usage(script):
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in text
    assert "# Usage: " in text and '. "$(dirname "$0")/../lib.sh"' in text
    res = subprocess.run(["bash", str(script)], capture_output=True, text=True, cwd="/")
    assert res.returncode == 2 and res.stderr.startswith(f"usage: {script.name} "), res.stderr


def cross_toolchain(tmp_path, tgz, integrity):
    return subprocess.run(["bash", str(AARCH64 / "install-cross-toolchain.sh"), str(tgz),
                           integrity, str(tmp_path / "prefix")], capture_output=True, text=True)


def test_cross_toolchain_checks_the_sha512_before_anything_else(tmp_path):
    tgz = tmp_path / "toolchain.tgz"
    tgz.write_bytes(b"not the pinned toolchain")
    pinned = "sha512-EMFcy/ahFsmCY3BI1tMC3wRUYZ+cDuILg7nP1micaKXW1tO1+RvUB1CC6QYe+cv2W4Tuz9wr3" \
             "qcFExWyjgWf2w=="
    res = cross_toolchain(tmp_path, tgz, pinned)
    assert res.returncode == 1 and "does not match its sha512" in res.stderr
    assert not (tmp_path / "prefix").exists()  # nothing unpacked, nothing made
    res = cross_toolchain(tmp_path, tgz, "sha512-abc")
    assert res.returncode == 1 and "is not a base64 sha512" in res.stderr


def test_aarch64_scripts_leave_the_existing_box_keys_alone(tmp_path, monkeypatch):
    spec = machine.get()
    copy = tmp_path / "provision"
    shutil.copytree(AARCH64.parent, copy)
    monkeypatch.setattr(boxes, "PROVISION_DIR", copy)
    key = boxes.box_key(spec)
    for path in (copy / "aarch64").iterdir():
        path.write_text(path.read_text() + "\n# changed\n")
    assert boxes.box_key(dataclasses.replace(spec)) == key


def load_vagrantfile(**env):
    """Run the aarch64 Vagrantfile under plain Ruby with Vagrant.configure stubbed out."""
    if not shutil.which("ruby"):
        pytest.skip("no ruby (Vagrant brings it)")
    stub = "module Vagrant; def self.configure(*); end; end; load ARGV[0]"
    return subprocess.run(["ruby", "-e", stub, str(AARCH64 / "Vagrantfile")],
                          capture_output=True, text=True, env=dict(os.environ, **env))


def test_the_aarch64_vagrantfile_takes_the_loopback_override_from_the_main_one():
    res = load_vagrantfile()
    assert res.returncode == 0, res.stderr
    res = load_vagrantfile(VMWHEEL_MAIN_VAGRANTFILE=os.devnull)
    assert res.returncode != 0 and "get_ipaddress override was not found" in res.stderr
