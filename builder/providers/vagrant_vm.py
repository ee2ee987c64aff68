"""A machine of the table, booted with Vagrant (vagrant-libvirt) and reached over a forwarded
loopback port; destroyed after the run unless kept (--keep-vm)."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from .. import log, paths
from ..errors import BuildHostError, ConfigurationError, HostNotReady, VmwheelError
from ..host import prepare
from ..images import boxes, inputs
from ..model.arch import Arch
from ..transport.ports import free_port, port_is_free
from ..transport.remote import Remote
from ..host import vagrantcli
from . import accel, gone, instances, leftovers
from .saved import Saved
from .base import BuildHost


class VagrantVM(BuildHost):
    def __init__(self, spec, log_dir, keep=False, driver=None, network="allowlist"):
        super().__init__()
        self.spec, self.name, self.keep = spec, spec.name, keep
        self.guest_network = network  # QEMU's restrict=on unless "full" (README: Guest network)
        self.policy, self.arch, self.floor = spec.policy, spec.arch, spec.floor_spec
        self.cpus = spec.cpus
        self.driver_override = driver
        self.log_path = Path(log_dir) / f"vagrant-{self.name}.log"
        self._lock = None
        self._use_slot(0)

    def _use_slot(self, slot):
        """Instance `slot` of the machine: 0, or 1, 2, ... while other runs hold the lower ones
        (each its own Vagrant state, domain name, disk and saved state)."""
        self.slot = slot
        self.dot = vagrantcli.dotfile_dir(self.name, slot)
        self.known_hosts = self.dot / "known_hosts"
        self.runtime = vagrantcli.runtime_file(self.name, slot)
        self.serial_log = self.dot / "serial.log"

    def python_versions(self):
        return self.spec.python_versions()

    def platform(self, remote, env):
        return self.spec.platform

    def describe(self):
        described = {"name": self.name, "box": self.spec.box, "platform": self.spec.platform}
        if self.floor:
            described["floor"] = self.floor.label
            described["floor_proof"] = self.floor.proof()  # per wheel: its "proof"
        if self.spec.build_on:  # its wheels are compiled there, tested here
            described["build_machine"] = self.spec.build_on
        return described

    def _client(self):
        return vagrantcli.client(self.name, self.runtime, self.log_path, self.slot)

    def _write_runtime(self, running):
        old = json.loads(self.runtime.read_text()) if self.runtime.exists() else {}
        rt = {"machine": self.name, "storage_pool": paths.storage_pool(),
              "libvirt_uri": paths.libvirt_uri(),
              "domain_prefix": leftovers.domain_prefix(self.slot),
              "memory": self.spec.memory, "cpus": self.spec.cpus,
              "serial_log": str(self.serial_log), "restrict": self.restricted}
        if self.spec.is_local:
            kernel, initrd = boxes.boot_files(self.spec)
            rt.update(kernel=str(kernel), initrd=str(initrd))
            rt["driver"] = accel.choose_driver(kernel, self.driver_override,
                                               self.spec.guest_arch.value)
        else:
            # Public boxes boot their own loader; there is no kernel of ours to probe with.
            rt["driver"] = accel.driver_without_kernel(self.driver_override)
            rt["stage"] = str(inputs.stage_public(self.spec))
        # A VM that is still running (kept from an earlier run) keeps its forwarded port.
        rt["port"] = old["port"] if old.get("port") and running else free_port()
        self.dot.mkdir(parents=True, exist_ok=True)
        self.runtime.write_text(json.dumps(rt, indent=1))
        return rt

    @property
    def restricted(self):
        return self.guest_network != "full"

    def lock(self):
        """Take the first instance of the machine that no other vmwheel run holds."""
        slot, self._lock = instances.take(self.name, self.spec.memory)
        self._use_slot(slot)

    def up(self):
        """`_start` the VM; its Remote looks at the domain when the link breaks (gone.py), and
        a session after a VM that went away gets one as fresh (orchestration/renew.py)."""
        remote = self._start()
        remote.checkup, remote.noun = gone.checkup(self._domain()), "the VM"
        saved = "restore" in self.timings or "save" in self.timings
        self.renewal = f"in a freshly {'restored' if saved else 'booted'} VM"
        return remote

    def _start(self):
        """Restore the machine's saved state, else boot (or reuse a kept VM); return a Remote
        connected to it."""
        if self.restricted and not self.spec.is_local:
            raise ConfigurationError(
                f"guest-network {self.guest_network} is not yet supported for the public box "
                f"{self.spec.box} (it is provisioned in the VM from its distro's mirrors)",
                "add --guest-network full for this machine")
        prepare.check_ready(aarch64=self.spec.guest_arch == Arch.AARCH64)
        boxes.require_box(self.spec)
        self.lock()
        left = leftovers.find(self.name, self.slot)
        # A VM kept with --keep-vm and still running is reused, if its network is this run's.
        running = left.kept and self._rt().get("restrict", False) == self.restricted
        if left and not running:
            log.say(f"removing {left.describe()}, " + (
                "kept with --keep-vm under another guest-network" if left.kept else
                "left by an earlier run (not kept with --keep-vm)"))
            if not leftovers.remove(left):
                raise BuildHostError(
                    f"could not remove {left.describe()}, left by an earlier run",
                    f"run `vmwheel vm destroy --machine {self.name}`; `vmwheel doctor` checks "
                    "libvirt")
        if not running:  # a new VM: its host key is learned at the first connection
            self.known_hosts.unlink(missing_ok=True)
        rt = self._write_runtime(running)
        saved = None
        if not running and self.spec.is_local and not self.keep:
            saved = Saved.of(self.spec, rt["driver"], self.slot, restricted=self.restricted)
            remote = self._restore(saved, rt)
            if remote is not None:
                return remote
        log.say(f"starting {self.name} ({self.spec.box}, libvirt driver {rt['driver']}, ssh on "
                f"127.0.0.1:{rt['port']}); log: {self.log_path}")
        t0 = time.monotonic()
        logged = self.log_path.stat().st_size if self.log_path.exists() else 0
        try:
            self._client().up(vm_name=self.name, provider="libvirt")
        except subprocess.CalledProcessError:
            # The session's finish(failed=True) destroys the half-made domain.
            with open(self.log_path, "rb") as f:
                f.seek(logged)
                why = vagrantcli.failure_reason(f.read().decode(errors="replace"))
            raise BuildHostError(
                f"VM {self.name} did not come up: Vagrant says: {why}" if why else
                f"VM {self.name} did not come up with SSH",
                f"see {self.log_path} and the guest console {self.serial_log}") from None
        self.timings["boot"] = time.monotonic() - t0
        conf = self._client().conf(vm_name=self.name)  # `vagrant ssh-config`, read once
        key = conf["IdentityFile"].strip('"')
        disk = self._save(saved) if saved is not None else None
        remote = Remote(host=conf["HostName"], port=int(conf["Port"]), user=conf["User"],
                        key_filename=key, known_hosts=self.known_hosts,
                        learn_host_key=not self.known_hosts.exists())
        if disk:
            remote.check("true")  # the host key is pinned now: keep it with the state
            saved.commit(disk, int(conf["Port"]), conf["User"], key, self.known_hosts)
            log.say(f"saved the state of {self.name}: later builds restore it")
        return remote

    def _save(self, saved):
        """Save the freshly booted VM once (providers/saved.py); None if that fails."""
        t0 = time.monotonic()
        try:
            disk = saved.capture(self._domain())
        except (BuildHostError, subprocess.CalledProcessError, OSError) as exc:
            log.say(f"could not save the state of {self.name} ({exc}); later builds boot it")
            saved.discard()
            return None
        self.timings["save"] = time.monotonic() - t0
        return disk

    def _restore(self, saved, rt):
        """A Remote to the machine resumed from its saved state, or None (then it boots)."""
        meta, why = saved.check()
        if meta is None:
            if why != "no saved state yet":
                log.say(f"the saved state of {self.name} {why}: booting it instead")
            saved.discard()
            return None
        t0 = time.monotonic()
        port = meta["port"] if port_is_free(meta["port"]) else rt["port"]
        try:
            remote = saved.resume(meta, port, self.known_hosts)
        except (VmwheelError, subprocess.CalledProcessError, OSError) as exc:
            log.say(f"could not restore the saved state of {self.name} "
                    f"({getattr(exc, 'what', exc)}): booting it instead")
            self._remove()
            saved.discard()
            self.known_hosts.unlink(missing_ok=True)  # the cold boot learns its own
            return None
        self.timings["restore"] = time.monotonic() - t0
        log.say(f"restored {self.name} from its saved state in {self.timings['restore']:.1f} s")
        return remote

    def finish(self, failed=False):
        """Destroy the VM unless asked to keep it; never leave a half-made domain behind. A run
        that did not get the machine's lock started nothing and touches nothing (the VM may be
        another run's)."""
        if self._lock is None:
            return
        try:
            if self.keep and not failed:
                log.say(f"keeping {self.name} running (--keep-vm); "
                        f"`vmwheel vm destroy --machine {self.name}` removes it")
                self._mark(kept=True)
            else:
                if not self._remove():
                    if not prepare.libvirt_reachable():
                        self._stop_orphan()
                    log.warn(f"could not destroy VM {self.name}; the next build removes it")
                self.known_hosts.unlink(missing_ok=True)
        finally:
            self._lock.close()
            self._lock = None

    def _rt(self):
        return json.loads(self.runtime.read_text()) if self.runtime.exists() else {}

    def _domain(self):
        return leftovers.domain_name(self.name, self.slot)

    def _remove(self):
        """Destroy the VM, restored (a transient domain over an overlay) or booted (Vagrant's),
        and its disk; True if nothing of it is left."""
        return leftovers.clear(self.name, self.slot)

    def _mark(self, **flags):
        self.runtime.write_text(json.dumps(dict(self._rt(), **flags), indent=1))

    def _stop_orphan(self):
        """libvirtd went away during the build: QEMU runs on without it. Stop that QEMU so
        nothing keeps running; the domain's definition stays until libvirtd is back."""
        pid_file = Path("/run/libvirt/qemu") / f"{self._domain()}.pid"
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            stopped = "stopped"
        except (OSError, ValueError):
            stopped = "could not be stopped"
        raise HostNotReady(
            f"libvirtd stopped during the build: VM {self.name} {stopped}, its domain is left "
            "defined", "run `vmwheel host setup` to start libvirtd; the next build removes the "
            "leftover VM (wheels fetched are kept)")
