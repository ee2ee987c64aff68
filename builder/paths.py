"""Where vmwheel keeps things: one cache dir (boxes, Vagrant state, downloads), never the repo."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROVISION_DIR = REPO_ROOT / "provision"
VAGRANTFILE = REPO_ROOT / "Vagrantfile"
# Files libvirt's QEMU must read (disk pool, kernels) live where its unprivileged user can.
LIBVIRT_DIR = Path(os.environ.get("VMWHEEL_LIBVIRT_DIR", "/var/lib/libvirt/images/vmwheel"))
STORAGE_POOL = "vmwheel"


def cache_dir():
    """$VMWHEEL_CACHE_DIR, else $XDG_CACHE_HOME/vmwheel, else ~/.cache/vmwheel."""
    explicit = os.environ.get("VMWHEEL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "vmwheel"


def vagrant_home():
    """A Vagrant home of our own, so boxes and plugins state never touch the user's."""
    return cache_dir() / "vagrant.d"
