"""Prepare the host: Debian packages, libvirt daemons, vmwheel's storage pool. Idempotent."""

import grp
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

from .. import log
from ..errors import HostNotReady
from ..paths import libvirt_dir, libvirt_uri, storage_pool

# command -> Debian package that provides it
REQUIRED_COMMANDS = {
    "vagrant": "vagrant",
    "libvirtd": "libvirt-daemon-system",
    "virsh": "libvirt-clients",
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    "debootstrap": "debootstrap",
    "mkfs.ext4": "e2fsprogs",
}
KVM_DEVICE = Path("/dev/kvm")
# Packages needed besides the commands above (no command of their own to look for).
EXTRA_PACKAGES = ["vagrant-libvirt", "libvirt-daemon-driver-qemu", "ca-certificates"]
# Needed only to build a floor machine's box (`npm pack` fetches the pinned toolchain):
# installed by `vmwheel host setup`, not required by a build on a box that is already there.
BOX_BUILD_COMMANDS = {"npm": "npm"}
# Needed only for aarch64 machines (their box's second stage under qemu-user, their VM under
# qemu-system-aarch64): installed by `vmwheel host setup`, required only when one is used.
AARCH64_COMMANDS = {"qemu-system-aarch64": "qemu-system-arm",
                    "qemu-aarch64-static": "qemu-user-static", "update-binfmts": "binfmt-support"}


def missing_packages(for_box_builds=False, aarch64=False):
    commands = dict(REQUIRED_COMMANDS, **(BOX_BUILD_COMMANDS if for_box_builds else {}),
                    **(AARCH64_COMMANDS if aarch64 else {}))
    pkgs = [pkg for cmd, pkg in commands.items() if not shutil.which(cmd)]
    for pkg in EXTRA_PACKAGES:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                                capture_output=True, text=True)
        if "install ok installed" not in status.stdout:
            pkgs.append(pkg)
    return sorted(set(pkgs))


def install_packages():
    pkgs = missing_packages(for_box_builds=True, aarch64=True)
    if not pkgs:
        log.say("host packages: all present")
        return
    if not shutil.which("apt-get"):
        raise HostNotReady(f"missing host packages {', '.join(pkgs)} and no apt-get here",
                           "install them with your system's package manager")
    if os.geteuid() != 0:
        raise HostNotReady(f"missing host packages {', '.join(pkgs)}",
                           "run `sudo vmwheel host setup`")
    log.say(f"installing {' '.join(pkgs)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", *pkgs]):
        if subprocess.run(cmd, env=env).returncode != 0:
            raise HostNotReady(f"`{' '.join(cmd)}` failed", "see apt's output above")


def libvirt_reachable():
    return subprocess.run(["virsh", "-c", libvirt_uri(), "version"],
                          capture_output=True).returncode == 0


def start_daemons():
    """Start virtlogd and libvirtd, through systemd where it runs, else directly."""
    if libvirt_reachable():
        log.say("libvirtd: running")
        return
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
        subprocess.run(["systemctl", "start", "virtlogd", "libvirtd"], check=False)
    else:
        for daemon in ("virtlogd", "libvirtd"):
            if subprocess.run(["pgrep", "-x", daemon], capture_output=True).returncode != 0:
                log.say(f"starting {daemon} (no service manager runs it here)")
                subprocess.run([daemon, "-d"], check=False)
    for _ in range(50):
        if libvirt_reachable():
            log.say("libvirtd: running")
            return
        time.sleep(0.2)
    raise HostNotReady("libvirtd does not answer on " + libvirt_uri(),
                       "start it (`libvirtd -d` or `systemctl start libvirtd`) and retry")


def virsh(*args, check=True):
    res = subprocess.run(["virsh", "-c", libvirt_uri(), *args], capture_output=True, text=True)
    if check and res.returncode != 0:
        raise HostNotReady(f"`virsh {' '.join(args)}` failed: {res.stderr.strip()}",
                           "check that libvirtd runs (`vmwheel host setup`)")
    return res


def ensure_storage_pool():
    """vmwheel's own libvirt storage pool, so its volumes never mix with a user's."""
    pool, pool_dir = storage_pool(), libvirt_dir()
    pool_dir.mkdir(parents=True, exist_ok=True)
    if virsh("pool-info", pool, check=False).returncode != 0:
        virsh("pool-define-as", pool, "dir", "--target", str(pool_dir))
        virsh("pool-autostart", pool)
    if "running" not in virsh("pool-info", pool).stdout:
        virsh("pool-start", pool)
    log.say(f"storage pool {pool}: {pool_dir}")


def check_ready(aarch64=False):
    """Raise a one-line error naming the fix when the host cannot run a VM build (of an
    aarch64 machine with `aarch64`)."""
    pkgs = missing_packages(aarch64=aarch64)
    if pkgs:
        raise HostNotReady(f"host is missing {', '.join(pkgs)}", "run `vmwheel host setup`")
    if not libvirt_reachable():
        raise HostNotReady(f"libvirtd is not running (no answer on {libvirt_uri()})",
                           "run `vmwheel host setup`")
    if virsh("pool-info", storage_pool(), check=False).returncode != 0:
        raise HostNotReady(f"libvirt storage pool '{storage_pool()}' is missing",
                           "run `vmwheel host setup`")


def kvm_shared(device=KVM_DEVICE):
    """None without the device or a kvm group, else whether the device has the group and mode
    Debian's udev rules give it (kvm, 0660)."""
    try:
        st, gid = device.stat(), grp.getgrnam("kvm").gr_gid
    except (FileNotFoundError, KeyError):
        return None
    return st.st_gid == gid and st.st_mode & 0o060 == 0o060


def share_kvm(device=KVM_DEVICE):
    """Give /dev/kvm group kvm and mode 0660, as udev does where it runs (it does not in a
    container or without systemd). libvirt probes QEMU's capabilities as root, for whom the
    device opens, then checks it as the user its QEMU runs as (libvirt-qemu, group kvm): with a
    root-only device that check fails at every lookup, and libvirt probes QEMU again, about a
    minute of every VM start and restore (measured: restore 73 s before, 2 s after)."""
    if kvm_shared(device) is not False:
        return
    if os.geteuid() != 0:
        log.warn(f"{device} is root-only: every VM start probes QEMU again (about a minute); "
                 "run `sudo vmwheel host setup` to give it group kvm, mode 0660")
        return
    os.chown(device, -1, grp.getgrnam("kvm").gr_gid)
    os.chmod(device, stat.S_IMODE(device.stat().st_mode) | 0o060)
    log.say(f"{device}: group kvm, mode 0660 (as udev sets it), so libvirt stops probing QEMU "
            "again at every VM start")


def setup():
    install_packages()
    share_kvm()
    start_daemons()
    ensure_storage_pool()
