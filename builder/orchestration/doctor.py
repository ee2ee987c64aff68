"""`vmwheel doctor`: is this host ready to build wheels in VMs? Each problem names its fix."""

import json
import os
import shutil
import subprocess

from .. import planner
from ..errors import HostNotReady, VmwheelError
from ..host import pipconfig
from ..host import prepare, vagrantcli
from ..images import boxes
from ..model.arch import Arch
from ..model.machine import load_table
from ..providers import instances, leftovers
from ..providers.saved import Saved
from ..paths import cache_dir, libvirt_dir, libvirt_uri, storage_pool
from .options_io import effective_options

MIN_FREE_GIB = 10


def checks():
    """Yield (ok, what, fix); fix is None when ok or nothing is to be done."""
    pkgs = prepare.missing_packages(aarch64=any(spec.guest_arch == Arch.AARCH64
                                                for spec in selected_machines()))
    yield (not pkgs, "host packages: " + (f"missing {', '.join(pkgs)}" if pkgs else "present"),
           "vmwheel host setup")
    if shutil.which("vagrant"):
        res = subprocess.run(["vagrant", "--version"], capture_output=True, text=True,
                             env=dict(os.environ, VAGRANT_CHECKPOINT_DISABLE="1"))
        yield True, f"vagrant: {res.stdout.strip()}", None
    running = prepare.libvirt_reachable()
    yield (running, f"libvirtd: {'running' if running else 'not running'} ({libvirt_uri()})",
           "vmwheel host setup (or: libvirtd -d, or systemctl start libvirtd)")
    if running:
        pool = prepare.virsh("pool-info", storage_pool(), check=False)
        yield (pool.returncode == 0 and "running" in pool.stdout,
               f"storage pool {storage_pool()}: "
               + ("active" if pool.returncode == 0 else "missing"), "vmwheel host setup")
    yield from accel_check()
    netdevs = subprocess.run(["qemu-system-x86_64", "-netdev", "help"], capture_output=True,
                             text=True) if shutil.which("qemu-system-x86_64") else None
    user_net = bool(netdevs and "user" in netdevs.stdout.split())
    yield (user_net, "network: QEMU user-mode networking with SSH forwarded to 127.0.0.1 "
           + ("(no bridge or namespace needed)" if user_net else "is not available"),
           "install a QEMU with slirp support (Debian: qemu-system-x86)")
    for spec in selected_machines():
        if spec.is_local:
            ok = boxes.is_current(spec)  # not built: the first build builds it
            yield (True, f"box {spec.box}: " + ("built and added" if ok else
                   "not built yet (or provision/ changed since): the first build builds it "
                   f"(minutes), or now: vmwheel box build --machine {spec.name}"), None)
            if ok:
                yield True, f"saved VM state of {spec.name}: " + saved_state(spec), None
        if running:
            yield from leftover_check(spec)
            if spec.floor and spec.floor_toolchain == "gcc" and spec.libc == "glibc" \
                    and not ok:  # zig's comes by pip, musl's from apt
                npm = shutil.which("npm") is not None
                yield (npm, "npm (fetches the floor toolchain for that box): "
                       + ("present" if npm else "missing"), "vmwheel host setup")
    ca = pipconfig.ca_bundle()
    yield (ca is not None, f"CA bundle for guests: {ca or 'none found'}",
           "set PIP_CERT or SSL_CERT_FILE to your CA bundle")
    for label, path in (("cache", cache_dir()), ("libvirt images", libvirt_dir())):
        probe = path
        while not probe.exists():
            probe = probe.parent
        free = shutil.disk_usage(probe).free / 2**30
        yield (free >= MIN_FREE_GIB, f"free disk for {label} ({path}): {free:.0f} GiB",
               f"free at least {MIN_FREE_GIB} GiB there, or set VMWHEEL_CACHE_DIR")


def selected_machines():
    """The machines a `vmwheel build` here would use (targets x archs from the environment),
    each after the machine that compiles its wheels (aarch64's cross machine); doctor checks
    only their boxes."""
    try:
        return load_table().with_builders(planner.select_machines(effective_options({})))
    except VmwheelError:
        return []  # the build itself will say what is wrong with the options


def leftover_check(spec):
    """What killed runs left of the machine (a VM still running, a disk in the pool): a build
    removes it before it starts the machine; `vm destroy` removes it now."""
    for slot in vagrantcli.slots(spec.name) or [0]:
        if instances.in_use(spec.name, slot):
            continue
        left = leftovers.find(spec.name, slot)
        if left and not left.kept:
            yield (False, f"leftover of a killed run: {left.describe()}",
                   f"vmwheel vm destroy --machine {spec.name} (the next build removes it too)")
        elif left:
            yield True, f"{spec.name}: VM kept with --keep-vm: {left.describe()}", None


def saved_state(spec):
    """Whether a build will restore the machine (providers/saved.py) or boot it."""
    if any(Saved.of(spec, driver).recorded() for driver in ("kvm", "qemu")):
        return "ready (builds restore it in seconds instead of booting)"
    return "none yet (the next build saves one after its boot)"


def accel_check():
    if not os.path.exists("/dev/kvm"):
        yield True, "acceleration: no /dev/kvm; builds use QEMU's TCG (slower)", None
        return
    if prepare.kvm_shared() is False:
        yield True, ("/dev/kvm: only root may open it, so libvirt probes QEMU again at every VM "
                     "start (about a minute); `vmwheel host setup` gives it group kvm, mode "
                     "0660"), None
    verdicts = cache_dir() / "accel.json"
    seen = set(json.loads(verdicts.read_text()).values()) if verdicts.exists() else set()
    if "kvm" in seen:
        yield True, "acceleration: KVM boots guests here", None
    elif seen:
        yield True, ("acceleration: /dev/kvm exists but a guest kernel does not boot with it "
                     "here; builds use QEMU's TCG (slower)"), None
    else:
        yield True, "acceleration: /dev/kvm exists; probed at the first build", None


def run():
    problems = 0
    for ok, what, fix in checks():
        print(f"{'ok  ' if ok else 'FAIL'}  {what}" + ("" if ok or not fix else
                                                       f"\n      -> run: {fix}"))
        problems += not ok
    print(f"vmwheel doctor: {problems} problem(s)" if problems else "vmwheel doctor: ready")
    return HostNotReady.exit_code if problems else 0
