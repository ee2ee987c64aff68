"""Local boxes: built offline from the Debian mirror, provisioned in a chroot, added to Vagrant.

A box is keyed by a hash of its inputs (suite, arch, policy, every file in provision/); it is
rebuilt only when that key changes. Build products live under the cache dir; the kernel and
initrd that libvirt boots directly are copied where libvirt's QEMU user can read them.
"""

import hashlib
import json
import re
import shutil
import subprocess

from .. import log
from ..errors import ConfigurationError, HostNotReady
from ..host import prepare
from ..model.arch import Arch
from ..model.machine import load_table
from ..digest import sha256_of
from ..paths import (PROVISION_DIR, cache_dir, libvirt_dir, saved_state_dir, storage_pool,
                     vagrant_home)
from ..host import vagrantcli
from . import arm64, cpython_sources, cross, floor, rootfs, zig
from .inputs import download_tool_wheels, vagrant_pubkey
from .aptsources import debian_mirror


def box_key(spec):
    """The files directly in provision/, and provision/aarch64/ for the aarch64 machines (the
    test box and the cross build box), with the machine's inputs."""
    h = hashlib.sha256()
    h.update(json.dumps(spec.box_inputs(), sort_keys=True).encode())
    dirs = [PROVISION_DIR] + ([PROVISION_DIR / "aarch64"] if spec.arch == Arch.AARCH64 else [])
    for path in sorted(p for d in dirs for p in d.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def box_dir(spec):
    return cache_dir() / "boxes" / f"{spec.name}-{box_key(spec)}"


def boot_files(spec):
    """(kernel, initrd) paths for the box's current key."""
    stem = libvirt_dir() / f"{spec.name}-{box_key(spec)}"
    return stem.with_suffix(".vmlinuz"), stem.with_suffix(".initrd")


def is_current(spec):
    """True when the box with the current key is built and added to Vagrant (and, for a
    build_on machine, holds the cross machine's current CPython tars)."""
    marker = box_dir(spec) / "added.json"
    kernel, initrd = boot_files(spec)
    return (marker.exists() and kernel.exists() and initrd.exists()
            and spec.box in vagrantcli.box_names() and not _stale_pythons(spec))


def vagrant_image(spec):
    """Vagrant's own copy of a local box's disk image."""
    return (vagrant_home() / "boxes" / spec.box.replace("/", "-VAGRANTSLASH-") / "0" /
            "libvirt" / "box.img")


def require_box(spec):
    """Raise unless the machine's local box is current and its image is the one that was
    built (sha256 recorded when the box was added)."""
    if not spec.is_local:
        return
    if not is_current(spec):
        raise HostNotReady(f"box {spec.box} is not built (or its provision scripts changed"
                           + (", or the cross-built CPythons it holds" if spec.build_on else "")
                           + ")",
                           f"run `vmwheel box build --machine {spec.name}` (about 5 minutes)")
    marker = box_dir(spec) / "added.json"
    record = json.loads(marker.read_text())
    image = vagrant_image(spec)
    got = sha256_of(image) if image.exists() else "missing"
    if "image_sha256" not in record:  # added by an older vmwheel: record it now
        record["image_sha256"] = got
        marker.write_text(json.dumps(record))
    elif got != record["image_sha256"]:
        raise HostNotReady(f"the image of box {spec.box} ({image}) is damaged or was changed: "
                           f"sha256 {got[:12]}, built as {record['image_sha256'][:12]}",
                           f"rebuild it with `vmwheel box build --machine {spec.name} --force`")


def build(spec, force=False):
    """Build and add the machine's local box unless the current one is already there."""
    if not spec.is_local:
        raise ConfigurationError(f"machine {spec.name} uses a public box; nothing to build",
                                 "vagrant fetches it at the first `vmwheel build`")
    if is_current(spec) and not force:
        log.say(f"box {spec.box} is up to date (key {box_key(spec)})")
        return
    if spec.family != "debian":
        raise ConfigurationError(f"local boxes of family {spec.family} are not supported yet",
                                 "only Debian suites can be built locally")
    out, pythons = box_dir(spec), None
    if spec.build_on:  # the aarch64 test machine: CPythons from its cross machine's box build
        builder = load_table().builder_of(spec)
        pythons = cross.pythons_dir(builder.suite)
        cmd = arm64.box_command(spec, out, pythons, download_tool_wheels(spec), vagrant_pubkey())
        # The cross box (whose build writes the CPythons) is built first when it is not
        # current, again when they are not there; the arm64 base is made meanwhile.
        if not is_current(builder) or arm64.missing_pythons(spec, pythons):
            with arm64.base_alongside(cmd):
                build(builder, force=is_current(builder))
                arm64.require_pythons(spec, builder, pythons)
    else:
        cmd = _debian_box_command(spec, out)
    log.say(f"building box {spec.box} (key {box_key(spec)}) in {out}")
    if subprocess.run(cmd, env=arm64.script_env()).returncode != 0:
        rootfs.remove(out / "rootfs")
        raise HostNotReady(f"building box {spec.box} failed",
                           "read the provision output above; fix and rerun `vmwheel box build`")
    install(spec, out, arm64.checksums(spec, pythons) if pythons else None)


def _stale_pythons(spec):
    """True when the cross machine's tars of a build_on machine's CPythons are not the ones its
    box was built with (a box added without that record counts as stale)."""
    if not spec.build_on:
        return False
    now = arm64.checksums(spec, cross.pythons_dir(load_table().builder_of(spec).suite))
    built = json.loads((box_dir(spec) / "added.json").read_text()).get("pythons")
    return bool(now) and now != built


def _debian_box_command(spec, out):
    """build-debian-box.sh's command line, its sources and wheels fetched and verified."""
    floor_args = _floor_inputs(spec)
    wheels = download_tool_wheels(spec)
    sources = cache_dir() / "sources"
    for version in spec.cpythons:
        cpython_sources.fetch(version, sources)
    return ["bash", str(PROVISION_DIR / "build-debian-box.sh"),
            "--suite", spec.suite, "--arch", spec.debian_arch, "--policy", spec.policy,
            "--mirror", debian_mirror(), "--wheels", str(wheels), "--pubkey", vagrant_pubkey(),
            "--out", str(out), "--disk-gb", str(spec.disk_gb),
            "--debs", str(cache_dir() / "debs" / f"{spec.suite}-{spec.debian_arch}"),
            "--pythons", " ".join(spec.cpythons), "--sources", str(sources),
            "--interp-cache", str(cache_dir() / "interpreters")] + floor_args


def _floor_inputs(spec):
    """build-debian-box.sh's floor arguments (toolchain and library sources fetched and
    verified on the host), or [] for a machine without a floor."""
    if not spec.floor:
        return []
    if spec.floor_toolchain == "zig":
        if (spec.floor, spec.arch.value) != (zig.PIN.glibc, zig.PIN.arch):
            raise ConfigurationError(
                f"machine {spec.name}: zig's floor is pinned for glibc {zig.PIN.glibc} on "
                f"{zig.PIN.arch}, not glibc {spec.floor} on {spec.arch.value}",
                "change the pin in builder/images/zig.py, or the machine's floor")
        return zig.box_args()
    if spec.libc == "musl":  # Debian's musl, from the box's own apt sources
        if (spec.floor, spec.suite, spec.arch.value) != ("1.2.2", "bullseye", "x86_64"):
            raise ConfigurationError(
                f"machine {spec.name}: musl {spec.floor} on {spec.suite} {spec.arch.value} is "
                "not supported yet (only musl 1.2.2 of bullseye, x86_64)",
                "use the musllinux_1_2-x86_64 machine")
        floor.fetch_libs(cache_dir() / "sources")
        return ["--musl"]
    pin = floor.PIN
    if spec.cross:  # an x86_64 floor box, plus the aarch64 cross toolchain and CPythons
        floor.fetch_libs(cache_dir() / "sources")
        return (["--floor-toolchain", str(floor.fetch(pin)), "--floor-sha512", pin.integrity]
                + cross.box_args(spec))
    if (spec.floor, spec.arch.value) != (pin.glibc, pin.arch):
        raise ConfigurationError(
            f"machine {spec.name}: no glibc {spec.floor} floor toolchain for {spec.arch.value} "
            f"yet (the pinned one is glibc {pin.glibc}, {pin.arch})",
            "build this machine without a floor (remove its \"floor\" in machines.json)")
    floor.fetch_libs(cache_dir() / "sources")
    return ["--floor-toolchain", str(floor.fetch(pin)), "--floor-sha512", pin.integrity]


def destroy_all_using(box):
    """Destroy vmwheel's VMs that run `box` (before that box is replaced)."""
    for name, spec in load_table().machines.items():
        for slot in vagrantcli.slots(name) if spec.box == box else []:
            vagrantcli.destroy(name, slot)


def install(spec, out, pythons=None):
    """Replace any older version of the box: Vagrant's copy, libvirt's volume, boot files;
    `pythons` ({version: sha256}) records the CPython tars a build_on machine's box took."""
    destroy_all_using(spec.box)
    remove_pool_volumes(spec.box)
    shutil.rmtree(saved_state_dir(spec.name), ignore_errors=True)  # it lived on the old volume
    for suffix in (".vmlinuz", ".initrd"):
        for old in _builds_of(spec, libvirt_dir(), suffix):
            old.unlink()
    kernel, initrd = boot_files(spec)
    libvirt_dir().mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "vmlinuz", kernel)
    shutil.copyfile(out / "initrd.img", initrd)
    vagrantcli.box_add(spec.box, out / "vmwheel.box")
    # Vagrant keeps its own copy; the cache keeps only the record of what was added.
    for copy in ("vmwheel.box", "box.img"):
        (out / copy).unlink(missing_ok=True)
    record = {"box": spec.box, "key": box_key(spec),
              "image_sha256": sha256_of(vagrant_image(spec))}
    (out / "added.json").write_text(json.dumps(dict(record, **({"pythons": pythons}
                                                               if pythons else {}))))
    # Only the newest build of each machine is kept.
    for stale in _builds_of(spec, cache_dir() / "boxes"):
        if stale != out:  # an older build's dir may hold a killed build's root file system
            rootfs.remove(stale)
    log.say(f"box {spec.box} added")


def _builds_of(spec, where, suffix=""):
    """The files in `where` named for a build of `spec`'s box, `NAME-KEY[suffix]`: not those of
    another machine whose name starts with NAME- (manylinux2014-aarch64-cross's, for
    manylinux2014-aarch64)."""
    pattern = re.compile(rf"{re.escape(spec.name)}-[0-9a-f]{{16}}{re.escape(suffix)}")
    return [p for p in where.glob(f"{spec.name}-*{suffix}") if pattern.fullmatch(p.name)]


def remove_pool_volumes(box):
    """vagrant-libvirt caches a box's image as a pool volume; drop it so a new box is used."""
    prefix = box.replace("/", "-VAGRANTSLASH-") + "_vagrant_box_image_"
    res = prepare.virsh("vol-list", storage_pool(), check=False)
    for line in res.stdout.splitlines()[2:]:
        vol = line.split()[0] if line.split() else ""
        if vol.startswith(prefix):
            prepare.virsh("vol-delete", "--pool", storage_pool(), vol, check=False)
