"""Where vmwheel finds its own files and keeps its state.

Its own files: the Vagrantfile and provision/ travel inside the installed package
(builder/_data, copied there by setup.py's build step), so `pip install .` and `pipx install .`
work from any directory; a source checkout (or an editable install) uses the tree itself.
State: one cache dir (boxes, Vagrant state, downloads), never the source tree.
"""

import hashlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_TREE = PACKAGE_DIR.parent
BUNDLED = PACKAGE_DIR / "_data"
DATA_ROOT = BUNDLED if (BUNDLED / "Vagrantfile").is_file() else SOURCE_TREE
PROVISION_DIR = DATA_ROOT / "provision"
VAGRANTFILE = DATA_ROOT / "Vagrantfile"
# The machine table: vmwheel's own, or the one $VMWHEEL_MACHINES names (e.g. a copy whose
# local machines list fewer CPythons, for quicker boxes: their keys differ, so both coexist).
MACHINES_JSON = Path(os.environ.get("VMWHEEL_MACHINES") or PACKAGE_DIR / "model" / "machines.json")
# Files libvirt's QEMU must read (disk pool, kernels) live where its unprivileged user can.
LIBVIRT_BASE = Path(os.environ.get("VMWHEEL_LIBVIRT_DIR", "/var/lib/libvirt/images/vmwheel"))


def cache_dir():
    """$VMWHEEL_CACHE_DIR, else $XDG_CACHE_HOME/vmwheel, else ~/.cache/vmwheel."""
    explicit = os.environ.get("VMWHEEL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "vmwheel"


def ensure_dir(path):
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def saved_state_dir(machine):
    """A machine's saved VM states, one dir per key (providers/saved.py), where libvirt's QEMU
    can read them."""
    return libvirt_dir() / "saved" / machine
