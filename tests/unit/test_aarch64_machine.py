"""The aarch64 test machine as a machine of the table: the Vagrantfile's domain for it, the
libvirt driver it gets, where its box build takes the cross-built CPythons from, and the host
packages it needs."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from builder.errors import HostNotReady
from builder.host import prepare
from builder.images import arm64, boxes
from builder.images import cross as images_cross
from builder.model.arch import Arch
from builder.providers import accel
from tests.support import slimtable

VAGRANTFILE = Path(__file__).resolve().parents[2] / "Vagrantfile"
# Plain Ruby stands in for Vagrant: every setting the Vagrantfile makes is recorded, blocks
# (define, provider) as nested objects keyed "define:NAME", and printed as JSON.
RECORDER = r'''
require "json"
class Rec
  def initialize(out) @out = out end
  def respond_to_missing?(*) true end
  def method_missing(name, *args, **kw, &blk)
    n = name.to_s
    if n.end_with?("=") then @out[n.chomp("=")] = args[0]
    elsif blk then sub = {}; @out["#{n}:#{args[0]}"] = sub; blk.call(Rec.new(sub))
    elsif args.empty? && kw.empty?
      @out.key?(n) && !@out[n].is_a?(Hash) ? @out[n] : Rec.new(@out[n] ||= {})
    else (@out[n] ||= []) << (args + [kw]) end
  end
end
module Vagrant; def self.configure(*) out = {}; yield Rec.new(out); puts JSON.dump(out) end; end
load ARGV[0]
'''


def domain(tmp_path, machine, **runtime):
    """The libvirt provider settings the Vagrantfile gives `machine` for this runtime."""
    if not shutil.which("ruby"):
        pytest.skip("no ruby (Vagrant brings it)")
    rt = tmp_path / "runtime.json"
    rt.write_text(json.dumps(dict({"machine": machine, "kernel": "/k", "initrd": "/i"},
                                  **runtime)))
    res = subprocess.run(["ruby", "-e", RECORDER, str(VAGRANTFILE)], capture_output=True,
                         text=True, env={"VMWHEEL_RUNTIME": str(rt), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["vm"][f"define:{machine}"]["vm"]["provider:libvirt"]


def test_the_aarch64_machine_boots_as_an_emulated_virt_machine(tmp_path):
    lv = domain(tmp_path, "manylinux2014-aarch64", driver="kvm")
    assert lv["driver"] == "qemu"  # whatever the runtime says: no KVM for aarch64 here
    assert (lv["emulator_path"], lv["machine_arch"], lv["machine_type"]) == (
        "/usr/bin/qemu-system-aarch64", "aarch64", "virt")
    assert (lv["cpu_mode"], lv["cpu_model"], lv["features"]) == ("custom", "cortex-a57", [])
    assert lv["input"] == [[{"type": "keyboard", "bus": "virtio"}]]
    assert "console=ttyAMA0" in lv["cmd_line"]
    values = [a[0]["value"] for a in lv["qemuargs"]]  # the same user-net NIC as x86_64's
    assert any("hostfwd=tcp:127.0.0.1:" in v for v in values), values
    assert "virtio-net-pci,netdev=vmwheel0,addr=0x1e" in values


@pytest.mark.parametrize("machine", ["manylinux2014-x86_64", "manylinux2014-aarch64-cross"])
def test_x86_64_guests_keep_their_domain(tmp_path, machine):
    """The cross machine names aarch64 as the arch it builds for, but its VM is x86_64."""
    lv = domain(tmp_path, machine, driver="qemu")
    assert (lv["driver"], lv["cpu_model"]) == ("qemu", "Nehalem")  # x86-64-v2: numpy >= 2.4
    assert "emulator_path" not in lv and "machine_arch" not in lv and "features" not in lv
    assert "console=ttyS0" in lv["cmd_line"]
    assert domain(tmp_path, machine, driver="kvm")["driver"] == "kvm"


def test_a_guest_of_another_arch_gets_tcg_without_a_probe(monkeypatch):
    monkeypatch.setattr(accel, "kvm_boots", lambda kernel: pytest.fail("probed"))
    monkeypatch.setattr(accel.platform, "machine", lambda: "x86_64")
    assert accel.choose_driver("/no/kernel", "kvm", "aarch64") == "qemu"
    assert accel.native("i686") and accel.native("x86_64") and not accel.native("aarch64")
    assert accel.native("aarch64", host_arch="aarch64")


def test_the_cross_machine_runs_an_x86_64_guest():
    assert slimtable.get("manylinux2014-aarch64").guest_arch == Arch.AARCH64
    assert slimtable.get("manylinux2014-aarch64-cross").guest_arch == Arch.X86_64
    assert slimtable.get("manylinux2014-x86_64").guest_arch == Arch.X86_64


def test_the_cpythons_come_from_the_cross_machines_directory(tmp_path, monkeypatch):
    """The contract with the cross machine's box build: cpython-VERSION.tar and its .sha256
    in interpreters/aarch64-<a hash of what makes them>."""
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path))
    spec = slimtable.get("manylinux2014-aarch64")
    cross = slimtable.get("manylinux2014-aarch64-cross")
    where = images_cross.pythons_dir(cross.suite)
    assert where.parent == tmp_path / "interpreters" and where.name.startswith("aarch64-")
    assert arm64.missing_pythons(spec, where) == ["3.11.2"]
    where.mkdir(parents=True)
    (where / "cpython-3.11.2.tar").write_bytes(b"")
    assert arm64.missing_pythons(spec, where) == ["3.11.2"]  # no checksum beside it
    with pytest.raises(HostNotReady, match="box build of manylinux2014-aarch64-cross did not"):
        arm64.require_pythons(spec, cross, where)
    (where / "cpython-3.11.2.tar.sha256").write_text("")
    assert arm64.missing_pythons(spec, where) == []


def test_the_box_command_passes_the_pinned_sysroot_and_pip(tmp_path, monkeypatch):
    spec = slimtable.get("manylinux2014-aarch64")
    monkeypatch.setattr(arm64.floor, "fetch", lambda pin: tmp_path / pin.tgz_name)
    fetched = []  # floor-install's port tarballs (from the mirror: not in a fast test)
    monkeypatch.setattr(arm64.floor, "fetch_libs", fetched.append)
    monkeypatch.setattr(arm64, "debian_mirror", lambda: "MIRROR")
    with pytest.raises(HostNotReady, match="no pip wheel in"):
        arm64.box_command(spec, tmp_path / "out", tmp_path / "py", tmp_path, "KEY")
    (tmp_path / "pip-26.0.1-py3-none-any.whl").write_bytes(b"")
    cmd = arm64.box_command(spec, tmp_path / "out", tmp_path / "py", tmp_path, "KEY")
    args = dict(zip(cmd[2::2], cmd[3::2]))
    assert cmd[1].endswith("provision/aarch64/build-arm64-box.sh")
    assert args["--pythons"] == "3.11.2" and args["--pythons-dir"] == str(tmp_path / "py")
    assert args["--floor-sha512"] == arm64.floor.AARCH64_PIN.integrity
    assert args["--floor-toolchain"].endswith("cross-toolchain-x64-target-aarch64-1.0.3.tgz")
    assert args["--pip-wheel"].endswith("pip-26.0.1-py3-none-any.whl")
    assert args["--sources"] == str(fetched[-1]) and fetched[-1].name == "sources"


def test_aarch64_host_packages_are_asked_only_for_aarch64(monkeypatch):
    monkeypatch.setattr(prepare.shutil, "which", lambda cmd: None if "aarch64" in cmd else cmd)
    monkeypatch.setattr(prepare, "EXTRA_PACKAGES", [])
    assert prepare.missing_packages() == []
    assert prepare.missing_packages(aarch64=True) == ["qemu-system-arm", "qemu-user-static"]


def test_the_box_is_rebuilt_when_the_cross_machine_writes_other_cpythons(tmp_path, monkeypatch):
    """added.json records the sha256 of each tar the box took; other tars make it stale (also a
    box added without that record), no tars at all do not (nothing to rebuild from)."""
    from builder.model.machine import load_table
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(boxes, "load_table", lambda: load_table(slimtable.TABLE))
    spec = slimtable.get("manylinux2014-aarch64")
    where = images_cross.pythons_dir(slimtable.get("manylinux2014-aarch64-cross").suite)
    boxes.box_dir(spec).mkdir(parents=True)
    added = boxes.box_dir(spec) / "added.json"
    added.write_text(json.dumps({"box": spec.box}))
    assert not boxes._stale_pythons(spec)  # no tars
    where.mkdir(parents=True)
    (where / "cpython-3.11.2.tar.sha256").write_text("ab" * 32 + "  cpython-3.11.2.tar\n")
    assert arm64.checksums(spec, where) == {"3.11.2": "ab" * 32}
    assert boxes._stale_pythons(spec)  # added without a record
    added.write_text(json.dumps({"box": spec.box, "pythons": {"3.11.2": "ab" * 32}}))
    assert not boxes._stale_pythons(spec)
    # The box as built: its boot files, Vagrant's list (replaced: it needs the vagrant CLI).
    monkeypatch.setattr(boxes, "libvirt_dir", lambda: tmp_path / "libvirt")
    monkeypatch.setattr(boxes.vagrantcli, "box_names", lambda: [spec.box])
    for boot_file in boxes.boot_files(spec):
        boot_file.parent.mkdir(parents=True, exist_ok=True)
        boot_file.write_bytes(b"kernel or initrd")
    assert boxes.is_current(spec)
    (where / "cpython-3.11.2.tar.sha256").write_text("cd" * 32 + "  cpython-3.11.2.tar\n")
    assert boxes._stale_pythons(spec)
    assert not boxes._stale_pythons(slimtable.get("manylinux2014-x86_64"))
    # Stale: not current, so a build rebuilds it first and `require_box` says why.
    assert not boxes.is_current(spec)
    with pytest.raises(HostNotReady) as err:
        boxes.require_box(spec)
    assert err.value.what == (f"box {spec.box} is not built (or its provision scripts changed, "
                              "or the cross-built CPythons it holds)")


def test_the_arm64_base_made_alongside_says_its_last_line_or_that_it_failed(
        tmp_path, monkeypatch, capsys):
    """images/arm64.base_alongside with real processes standing in for build-arm64-box.sh
    --base-only (sh -c gets the appended `--out DIR --base-only` as its arguments)."""
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path))
    with arm64.base_alongside(["sh", "-c", 'echo "making $2"; echo kept in 3s', "sh"]):
        pass
    assert capsys.readouterr().out.splitlines()[-1] == "vmwheel: kept in 3s"
    with arm64.base_alongside(["sh", "-c", "echo no space left on device; exit 3", "sh"]):
        pass
    assert capsys.readouterr().out.splitlines()[-1] == (
        "vmwheel: making the arm64 base alongside failed (exit 3: no space left on device); "
        "the box build makes it again")
    # The body failing (the cross box build, Ctrl-C) ends the background process too.
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with arm64.base_alongside(["sh", "-c", "sleep 30", "sh"]):
            raise KeyboardInterrupt
    assert time.monotonic() - t0 < 10  # not waited for: killed
    assert not list((tmp_path / "work").iterdir())  # its log and output dir are gone


def test_a_new_aarch64_box_leaves_the_cross_machines_box_alone(tmp_path):
    """Installing manylinux2014-aarch64's box removes its older builds (cache dirs, boot files),
    never those of manylinux2014-aarch64-cross, whose name starts with the same words: that
    made every build after an aarch64 box build rebuild the cross box."""
    spec = slimtable.get("manylinux2014-aarch64")
    names = ["manylinux2014-aarch64-0123456789abcdef",
             "manylinux2014-aarch64-cross-0123456789abcdef"]
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / f"{name}.vmlinuz").write_bytes(b"kernel")
    assert boxes._builds_of(spec, tmp_path) == [tmp_path / names[0]]
    assert boxes._builds_of(spec, tmp_path, ".vmlinuz") == [tmp_path / f"{names[0]}.vmlinuz"]
    cross = slimtable.get("manylinux2014-aarch64-cross")
    assert boxes._builds_of(cross, tmp_path) == [tmp_path / names[1]]
