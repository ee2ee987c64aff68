"""What became of a VM whose SSH link broke mid-build: the `checkup` its Remote calls
(transport/remote.py) before retrying.

libvirt says whether the domain still runs. A restored VM is a transient domain, which vanishes
when it stops; QEMU's log for the domain (/var/log/libvirt/qemu/DOMAIN.log, readable when
vmwheel runs as root) then says how: "shutting down, reason=shutdown" (the guest powered
itself off), "destroyed" (virsh destroy, a killed QEMU), "crashed". A VM that still runs while
its SSH server does not answer is retried as any broken link is; once the retries are over,
that is what the line says (its sshd was killed, or its network is down). Measured: a restored
guest's `poweroff -f` closes the link when libvirt stops QEMU, 2.6 s later; the reason is in the
log 1.6 s after that.
"""

import re
import time
from pathlib import Path

from ..host import prepare

QEMU_LOGS = Path("/var/log/libvirt/qemu")
# libvirt's shutdown reasons (virDomainShutoffReason, as its QEMU log writes them)
REASONS = {"shutdown": "the VM powered off", "destroyed": "the VM was destroyed (from outside)",
           "crashed": "the VM crashed", "failed": "the VM's QEMU failed",
           "saved": "the VM was saved and stopped (from outside)"}
STOPPED = "the VM stopped"  # how it stopped is not known
# Seconds to wait for libvirt to finish stopping a domain and log why: the SSH link breaks as
# QEMU exits, libvirt writes the reason a second or two later (and a destroy of ours before
# then would be logged as the reason instead).
WAIT = 5
SSH_GONE = "the VM's SSH server went away (the VM still runs: sshd killed, or its network down)"


def shutdown_reason(domain, logs=QEMU_LOGS):
    """The reason of the domain's last shutdown in its QEMU log, or None."""
    try:
        with open(logs / f"{domain}.log", "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 4096))
            tail = f.read().decode(errors="replace")
    except OSError:
        return None
    found = re.findall(r"shutting down, reason=(\w+)", tail)
    # Only when it is the log's last word: a domain that runs again has written more since.
    if found and tail.rstrip().endswith(f"reason={found[-1]}"):
        return found[-1]
    return None


def fate(domain, logs=QEMU_LOGS, wait=None):
    """What became of the domain: a phrase ("the VM powered off"), or None while it runs."""
    deadline = time.monotonic() + (WAIT if wait is None else wait)
    while True:
        res = prepare.virsh("domstate", "--reason", domain, check=False)
        state = res.stdout.strip() if res.returncode == 0 else ""
        if state.startswith("running"):
            return None
        if state.startswith("paused"):  # libvirt pauses a VM whose disk write failed
            return f"the VM was paused by libvirt ({state})"
        if state.startswith("crashed"):
            return REASONS["crashed"]
        said = re.match(r"shut off \((\w+)\)", state)  # a booted VM's domain stays defined
        if said:
            return REASONS.get(said.group(1), STOPPED)
        if res.returncode != 0 and not prepare.libvirt_reachable():
            return None  # libvirtd does not say: retried as a broken link
        # Gone, or "in shutdown" (a guest's poweroff, and a destroy too: QEMU takes SIGTERM
        # as a shutdown request): libvirt logs why once QEMU is gone.
        reason = shutdown_reason(domain, logs)
        if reason or time.monotonic() >= deadline:
            return REASONS.get(reason, STOPPED)
        time.sleep(0.2)


def checkup(domain, logs=QEMU_LOGS):
    """The Remote.checkup of the VM `domain`: (final) -> what happened, or None to retry."""
    def look(final):
        return fate(domain, logs) or (SSH_GONE if final else None)
    return look
