"""provision/: shellcheck-clean, each script runnable by hand, and box keys that track them."""

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from builder.errors import ConfigurationError
from builder.images import boxes
from builder.model import machine

PROVISION = Path(__file__).resolve().parents[2] / "provision"
SOURCED = {"lib.sh", "floor-ports-recipes.sh"}  # sourced by the scripts, never run
DRIVERS = {"zig-cc.sh"}  # compiler drivers copied into boxes: every argument is the compiler's
SCRIPTS = sorted(p for p in PROVISION.glob("*.sh") if p.name not in SOURCED | DRIVERS)
# Host-only scripts, and configure-base.sh (Debian root file systems only, where bash is Essential).
BASH_SCRIPTS = {"bootstrap-debian.sh", "build-debian-box.sh", "configure-base.sh", "pack-box.sh",
                "install-floor-install.sh",
                "run-in-chroot.sh"}


def test_shellcheck_clean():
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is not installed (tests/run.sh installs it)")
    res = subprocess.run(["shellcheck", "-x", *map(str, PROVISION.glob("*.sh"))],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_strict_and_explain_their_usage(script):
    text = script.read_text()
    if script.name in BASH_SCRIPTS:
        shell = "bash"
        assert text.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in text
    else:  # run in guests of every family, Alpine (no bash) too; each says why it is POSIX sh
        shell = "sh"
        assert text.startswith("#!/bin/sh\n") and "\nset -eu\n" in text and "# POSIX sh" in text
    assert "# Usage: " in text and '. "$(dirname "$0")/lib.sh"' in text
    # Without arguments (install-toolchain.sh: with an unknown one, as it needs none) every script
    # prints its usage and exits 2, run from another directory by the shell Vagrant/the host uses.
    args = ["--no-such-option"] if script.name == "install-toolchain.sh" else []
    res = subprocess.run([shell, str(script), *args], capture_output=True, text=True, cwd="/")
    assert res.returncode == 2 and res.stderr.startswith(f"usage: {script.name} "), res.stderr


@pytest.mark.parametrize("spec, expected", [
    ("3.11.2", "3.11.2  " + "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849 "
               "Python-3.11.2.tgz"),
    ("3.13.5t", "3.13.5 --free-threaded " + "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb"
                "96801647d640 Python-3.13.5.tar.xz"),
])
def test_lock_entry_reads_one_version_of_pythons_lock(spec, expected):
    script = '. "$0"; lock_entry "$1"; echo "$lock_version $lock_flag $lock_sha256 $lock_file"'
    res = subprocess.run(["sh", "-c", script, str(PROVISION / "lib.sh"), spec],
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == expected, res.stderr


def test_lock_entry_refuses_a_version_that_is_not_pinned():
    res = subprocess.run(["sh", "-c", '. "$0"; lock_entry 3.99.0', str(PROVISION / "lib.sh")],
                         capture_output=True, text=True)
    assert res.returncode == 1 and "CPython 3.99.0 is not in" in res.stderr


def test_floor_libs_cross_build_only_for_a_known_target_and_toolchain(tmp_path):
    """build-floor-libs.sh --host: an unknown target and a missing cross compiler are refused in
    one line each, before anything is unpacked or built."""
    script = str(PROVISION / "build-floor-libs.sh")
    res = subprocess.run(["sh", script, "--host", "riscv64-linux-gnu", str(tmp_path), "src"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr == "build-floor-libs.sh: --host: only aarch64-linux-gnu is known\n"
    res = subprocess.run(["sh", script, "--host", "aarch64-linux-gnu", str(tmp_path), "src"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr == (f"build-floor-libs.sh: no floor compiler at {tmp_path}/bin/"
                          "aarch64-linux-gnu-gcc (run aarch64/install-cross-toolchain.sh first)\n")
    assert list(tmp_path.iterdir()) == []


def plan(*args, **env):
    res = subprocess.run(["sh", str(PROVISION / "install-toolchain.sh"), "--dry-run", *args],
                         capture_output=True, text=True, env=dict(os.environ, **env))
    return res.returncode, res.stdout.splitlines(), res.stderr


def test_keep_and_cached_write_and_check_a_cache_archive(tmp_path):
    """lib.sh's cache helpers (box builds: base, floor, CPythons) under POSIX sh: nothing cached
    before keep; after it the tar and its .sha256 match; a changed tar is not cached."""
    (tmp_path / "src" / "opt" / "x").mkdir(parents=True)
    (tmp_path / "src" / "opt" / "x" / "f").write_text("hi")
    archive = tmp_path / "cache" / "sub" / "thing.tar"
    script = ('. "$0"; cached "$1" && echo before; keep "$1" -C "$2" opt/x; '
              'cached "$1" && echo kept; tar -tf "$1"; '
              'echo more >> "$1"; cached "$1" || echo changed')
    res = subprocess.run(["sh", "-c", script, str(PROVISION / "lib.sh"), str(archive),
                          str(tmp_path / "src")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["kept", "opt/x/", "opt/x/f", "changed"]
    assert sorted(p.name for p in archive.parent.iterdir()) == ["thing.tar", "thing.tar.sha256"]


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
    spec = machine.get()
    copy = tmp_path / "provision"
    shutil.copytree(PROVISION, copy)
    monkeypatch.setattr(boxes, "PROVISION_DIR", copy)
    key = boxes.box_key(spec)
    assert key == boxes.box_key(dataclasses.replace(spec))
    (copy / "configure-base.sh").write_text((copy / "configure-base.sh").read_text() + "\n")
    assert boxes.box_key(spec) != key
    changed = boxes.box_key(spec)
    (copy / "lib.sh").write_text((copy / "lib.sh").read_text() + "\n")  # sourced: counts too
    assert boxes.box_key(spec) != changed
    changed = boxes.box_key(spec)
    assert boxes.box_key(dataclasses.replace(spec, suite="bookworm")) != changed
    assert boxes.box_key(dataclasses.replace(spec, cpythons=spec.cpythons[:1])) != changed
    # run-time settings don't count
    assert boxes.box_key(spec.sized(memory=4096, cpus=7)) == changed


def test_unknown_machine_names_the_choices():
    with pytest.raises(ConfigurationError) as e:
        machine.get("no-such-machine")
    assert "bullseye-x86_64" in e.value.todo
