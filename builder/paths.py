"""Where vmwheel keeps things: one cache dir (boxes, Vagrant state, downloads), never the repo."""

import hashlib
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROVISION_DIR = REPO_ROOT / "provision"
VAGRANTFILE = REPO_ROOT / "Vagrantfile"
# Files libvirt's QEMU must read (disk pool, kernels) live where its unprivileged user can.
LIBVIRT_BASE = Path(os.environ.get("VMWHEEL_LIBVIRT_DIR", "/var/lib/libvirt/images/vmwheel"))


def cache_dir():
    """$VMWHEEL_CACHE_DIR, else $XDG_CACHE_HOME/vmwheel, else ~/.cache/vmwheel."""
    explicit = os.environ.get("VMWHEEL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "vmwheel"


def libvirt_uri():
    return os.environ.get("VMWHEEL_LIBVIRT_URI", "qemu:///system")


def instance():
    """A short id of the cache dir: each cache dir gets its own libvirt pool and domain names,
    so a test run or CI with its own cache never touches a user's VMs and volumes."""
    return hashlib.sha256(str(cache_dir().resolve()).encode()).hexdigest()[:8]


def storage_pool():
    return f"vmwheel-{instance()}"


def libvirt_dir():
    return LIBVIRT_BASE / instance()


def vagrant_home():
    """A Vagrant home of our own, so boxes and plugins state never touch the user's."""
    return cache_dir() / "vagrant.d"
