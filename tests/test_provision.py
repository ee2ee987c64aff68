"""provision/: shellcheck-clean, each script runnable by hand, and box keys that track them."""

import os
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


def plan(*args, **env):
    res = subprocess.run(["sh", str(PROVISION / "install-toolchain.sh"), "--dry-run", *args],
                         capture_output=True, text=True, env=dict(os.environ, **env))
    return res.returncode, res.stdout.splitlines(), res.stderr


def test_toolchain_plan_detects_this_debian_host():
    code, lines, _ = plan()
    assert code == 0
    assert lines[0] == "apt-get update -q"
    assert lines[1].startswith("apt-get install -y -q --no-install-recommends build-essential")
    assert "libssl-dev" in lines[1] and "python3-dev" in lines[1]


VAULT = "https://vault.example.invalid/centos"


@pytest.mark.parametrize("family, expected", [
    ("centos5", ["yum -y install gcc", "yum -y install devtoolset-2-gcc",
                 "/opt/rh/devtoolset-2/enable"]),
    ("centos7", ["yum -y install centos-release-scl", "yum -y install devtoolset-10-gcc",
                 "/opt/rh/devtoolset-10/enable"]),
    ("alma8", ["dnf -y install dnf-plugins-core", "dnf -y install gcc-toolset-12-gcc",
               "/opt/rh/gcc-toolset-12/enable"]),
    ("alma9", ["dnf -y install dnf-plugins-core", "dnf -y install gcc-toolset-14-gcc",
               "/opt/rh/gcc-toolset-14/enable"]),
    ("alpine", ["apk add --no-cache build-base linux-headers"]),
])
def test_toolchain_plan_per_family(family, expected):
    code, lines, err = plan("--family", family, YUM_VAULT_MIRROR=VAULT)
    assert code == 0, err
    for prefix in expected:
        assert any(prefix in line for line in lines), (prefix, lines)
    if family.startswith("centos"):  # end-of-life: the vault mirror replaces the mirror list
        assert any(f"baseurl={VAULT}/" in line and "#mirrorlist=" in line for line in lines)
    deps = "openssl-dev" if family == "alpine" else "openssl-devel"
    assert any(deps in line for line in lines)


def test_centos_without_a_vault_mirror_says_what_to_set():
    code, lines, err = plan("--family", "centos7", YUM_VAULT_MIRROR="")
    assert code == 3 and "set YUM_VAULT_MIRROR" in err


def test_unknown_family_is_refused():
    code, _, err = plan("--family", "gentoo")
    assert code == 3 and "supported families" in err


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
