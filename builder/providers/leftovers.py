"""What a vmwheel run that was killed outright (SIGKILL, a lost host, OOM) leaves of a machine
instance: its domain (a restored one is transient; a booted one is Vagrant's), still running or
not, and its disk in vmwheel's storage pool (a restored VM's qcow2 overlay, or Vagrant's volume),
which would make the next cold boot fail with "volume target path ... already exists".

`find` names them, `remove` removes them without Vagrant (which may have lost track of them);
builds remove an instance's leftovers before they start it, `vmwheel vm destroy` does it on
demand and `vmwheel doctor` names them. A VM kept with --keep-vm is not a leftover.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..host import prepare, vagrantcli
from ..paths import instance, libvirt_dir, storage_pool


UNKNOWN = "state unknown: libvirtd does not answer"


def domain_name(machine, slot=0):
    """The libvirt domain of an instance: Vagrant's prefix (vagrant-libvirt's default_prefix,
    set from the runtime file) plus the machine's name."""
    return domain_prefix(slot) + machine


def domain_prefix(slot=0):
    return f"vmwheel-{instance()}-" + (f"{slot}-" if slot else "")


def disk_path(machine, slot=0):
    """Where the instance's disk lies: vagrant-libvirt names it after the domain, in the pool."""
    return libvirt_dir() / f"{domain_name(machine, slot)}.img"


def _runtime(machine, slot):
    path = vagrantcli.runtime_file(machine, slot)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class Leftover:
    machine: str
    slot: int
    domain: str
    state: Optional[str]  # libvirt's word ("running", "shut off", ...), None: no such domain
    disk: Optional[Path]  # a disk file with no domain to use it
    kept: bool  # the run that made it asked to keep it (--keep-vm): not removed by a build

    def __bool__(self):
        return self.state is not None or self.disk is not None

    def describe(self):
        what = []
        if self.state is not None:
            what.append(f"VM {self.domain} ({self.state})")
        if self.disk is not None:
            what.append(f"disk {self.disk}")
        return " and ".join(what)


def find(machine, slot=0):
    """The instance's domain and disk as they are; only meaningful while its lock is held or
    no run holds it (instances.in_use)."""
    domain = domain_name(machine, slot)
    res = prepare.virsh("domstate", domain, check=False)
    if res.returncode == 0:
        state = res.stdout.strip()
    elif prepare.libvirt_reachable():  # virsh says only "failed to get domain"
        state = None
    else:  # libvirtd does not answer: the domain may well run (its disk is then in use)
        state = UNKNOWN
    disk = disk_path(machine, slot)
    orphan = disk if state is None and disk.exists() else None
    return Leftover(machine, slot, domain, state, orphan,
                    kept=bool(_runtime(machine, slot).get("kept")) and state == "running")


def remove(left):
    """Destroy and undefine the domain, delete its disk, forget Vagrant's record of it.
    True when nothing of it is left; False, touching nothing, while libvirtd does not answer."""
    if left.state == UNKNOWN:
        return False
    if left.state is not None:
        prepare.virsh("destroy", left.domain, check=False)
        prepare.virsh("undefine", left.domain, "--managed-save", "--snapshots-metadata",
                      check=False)
    disk = disk_path(left.machine, left.slot)
    if disk.exists():
        prepare.virsh("pool-refresh", storage_pool(), check=False)
        if prepare.virsh("vol-delete", "--pool", storage_pool(), disk.name,
                         check=False).returncode != 0:
            disk.unlink(missing_ok=True)
    # Vagrant's record of a VM that is gone, so that it boots a new one instead of failing.
    shutil.rmtree(vagrantcli.dotfile_dir(left.machine, left.slot) / "machines",
                  ignore_errors=True)
    gone = prepare.virsh("domstate", left.domain, check=False).returncode != 0
    return gone and not disk.exists()


def clear(machine, slot=0):
    """Remove whatever the instance has (the end of every run that does not keep its VM);
    True when nothing of it is left."""
    left = find(machine, slot)
    return remove(left) if left else True
