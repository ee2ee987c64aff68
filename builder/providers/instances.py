"""Instances of one machine: a vmwheel run holds one through a lock file in its Vagrant state
dir. Slot 0 is the machine's usual instance; while other runs hold it, the next run takes
slot 1, 2, ... (its own Vagrant state, domain and disk), when the host has memory for one more.
"""

import fcntl
from pathlib import Path

from .. import log
from ..errors import BuildHostError
from ..host import vagrantcli

MAX_SLOTS = 4  # VM instances of one machine at once, one per vmwheel run
HEADROOM_MIB = 512  # what the host keeps for itself when another instance boots


def try_lock(dot):
    """The open, exclusively locked lock file of a machine instance, or None if held."""
    dot.mkdir(parents=True, exist_ok=True)
    lock = open(dot / "lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def available_memory_mib(meminfo="/proc/meminfo"):
    try:
        for line in Path(meminfo).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def room_for(memory_mib, free_mib=available_memory_mib):
    """(whether a guest of `memory_mib` fits in the host's free memory with HEADROOM_MIB to
    spare, the free MiB or None when unknown); unknown counts as fitting."""
    free = free_mib()
    return free is None or free >= memory_mib + HEADROOM_MIB, free


def take(machine, memory_mib, free_mib=available_memory_mib):
    """(slot, open lock file) of the first free instance of `machine`; BuildHostError when
    all are held, or when a second instance would not fit in the host's free memory."""
    for slot in range(MAX_SLOTS):
        lock = try_lock(vagrantcli.dotfile_dir(machine, slot))
        if lock is not None:
            break
    else:
        raise BuildHostError(f"machine {machine} is in use by {MAX_SLOTS} other vmwheel runs",
                             "wait for one of them to finish")
    if slot:
        fits, free = room_for(memory_mib, free_mib)
        if not fits:
            lock.close()
            raise BuildHostError(
                f"machine {machine} is in use by another vmwheel run, and this host has {free} "
                f"MiB free for another instance of it ({memory_mib} + {HEADROOM_MIB} needed)",
                "wait for that run to finish, or give the guest less with --memory")
        log.say(f"machine {machine} is in use by another vmwheel run: this one uses instance "
                f"{slot + 1} of it")
    return slot, lock


def in_use(machine, slot):
    """True while a vmwheel run holds that instance."""
    lock = try_lock(vagrantcli.dotfile_dir(machine, slot))
    if lock is None:
        return True
    lock.close()
    return False
