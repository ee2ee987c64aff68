"""A machine of the table, booted with Vagrant (vagrant-libvirt) and reached over a forwarded
loopback port; destroyed after the run unless kept (--keep-vm)."""

import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from .. import log, paths
from ..errors import BuildHostError, HostNotReady
from ..host import prepare
from ..images import boxes
from ..transport.remote import Remote
from ..host import vagrantcli
from . import accel
from .base import BuildHost


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VagrantVM(BuildHost):
    def __init__(self, spec, log_dir, keep=False, driver=None):
        super().__init__()
        self.spec, self.name, self.keep = spec, spec.name, keep
        self.policy, self.arch, self.floor = spec.policy, spec.arch, spec.floor_spec
        self.cpus = spec.cpus
        self.driver_override = driver
        self.dot = vagrantcli.dotfile_dir(self.name)
        self.known_hosts = self.dot / "known_hosts"
        self.runtime = vagrantcli.runtime_file(self.name)
        self.log_path = Path(log_dir) / f"vagrant-{self.name}.log"
        self.serial_log = self.dot / "serial.log"
        self._lock = None

    def python_versions(self):
        return self.spec.python_versions()

    def platform(self, remote, env):
        return self.spec.platform

    def describe(self):
        described = {"name": self.name, "box": self.spec.box, "platform": self.spec.platform}
        if self.floor:
            described["floor"] = f"glibc {self.floor.glibc}"
        return described

    def _client(self):
        return vagrantcli.client(self.name, self.runtime, self.log_path)

    def _write_runtime(self, running):
        old = json.loads(self.runtime.read_text()) if self.runtime.exists() else {}
        rt = {"machine": self.name, "storage_pool": paths.storage_pool(),
              "libvirt_uri": paths.libvirt_uri(),
              "domain_prefix": f"vmwheel-{paths.instance()}-",
              "memory": self.spec.memory, "cpus": self.spec.cpus,
              "serial_log": str(self.serial_log)}
        if self.spec.is_local:
            kernel, initrd = boxes.boot_files(self.spec)
            rt.update(kernel=str(kernel), initrd=str(initrd))
            rt["driver"] = accel.choose_driver(kernel, self.driver_override)
        else:
            # Public boxes boot their own loader; there is no kernel of ours to probe with.
            rt["driver"] = self.driver_override or "kvm"
            rt["stage"] = str(boxes.stage_public(self.spec))
        # A VM that is still running (kept from an earlier run) keeps its forwarded port.
        rt["port"] = old["port"] if old.get("port") and running else free_port()
        self.dot.mkdir(parents=True, exist_ok=True)
        self.runtime.write_text(json.dumps(rt, indent=1))
        return rt

    def is_running(self):
        if not (self.dot / "machines").exists():
            return False
        res = subprocess.run(["vagrant", "status", self.name, "--machine-readable"],
                             env=vagrantcli.env(self.name, self.runtime),
                             capture_output=True, text=True)
        return ",state,running" in res.stdout

    def lock(self):
        self.dot.mkdir(parents=True, exist_ok=True)
        lock = open(self.dot / "lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise BuildHostError(f"machine {self.name} is in use by another vmwheel run",
                                 "wait for it to finish, or use another --machine") from None
        self._lock = lock

    def up(self):
        """Boot (or reuse) the VM and return a Remote connected to it."""
        prepare.check_ready()
        boxes.require_box(self.spec)
        self.lock()
        running = self.is_running()
        if self._leftover(running):
            log.say(f"removing VM {self.name} left by an earlier run (not kept with --keep-vm)")
            vagrantcli.destroy(self.name)
            running = False
        if not running:  # a new VM: its host key is learned at the first connection
            self.known_hosts.unlink(missing_ok=True)
        rt = self._write_runtime(running)
        log.say(f"starting {self.name} ({self.spec.box}, libvirt driver {rt['driver']}, ssh on "
                f"127.0.0.1:{rt['port']}); log: {self.log_path}")
        t0 = time.monotonic()
        try:
            self._client().up(vm_name=self.name, provider="libvirt")
        except subprocess.CalledProcessError:
            # The session's finish(failed=True) destroys the half-made domain.
            raise BuildHostError(
                f"VM {self.name} did not come up with SSH",
                f"see {self.log_path} and the guest console {self.serial_log}") from None
        self.timings["boot"] = time.monotonic() - t0
        conf = self._client().conf(vm_name=self.name)  # `vagrant ssh-config`, read once
        return Remote(host=conf["HostName"], port=int(conf["Port"]), user=conf["User"],
                      key_filename=conf["IdentityFile"].strip('"'),
                      known_hosts=self.known_hosts,
                      learn_host_key=not self.known_hosts.exists())

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
                self._mark_kept()
            else:
                if vagrantcli.destroy(self.name).returncode != 0:
                    if not prepare.libvirt_reachable():
                        self._stop_orphan()
                    log.warn(f"could not destroy VM {self.name}; the next build removes it")
                self.known_hosts.unlink(missing_ok=True)
        finally:
            self._lock.close()
            self._lock = None

    def _leftover(self, running):
        """A VM of this machine from an earlier run that nobody kept: a run that lost libvirtd
        or was killed. It is removed, never reused: every build starts from the box."""
        if not (self.dot / "machines" / self.name / "libvirt" / "id").exists():
            return False
        kept = self.runtime.exists() and json.loads(self.runtime.read_text()).get("kept")
        return not (running and kept)

    def _mark_kept(self):
        rt = json.loads(self.runtime.read_text())
        self.runtime.write_text(json.dumps(dict(rt, kept=True), indent=1))

    def _stop_orphan(self):
        """libvirtd went away during the build: QEMU runs on without it. Stop that QEMU so
        nothing keeps running; the domain's definition stays until libvirtd is back."""
        prefix = json.loads(self.runtime.read_text()).get("domain_prefix", "")
        pid_file = Path("/run/libvirt/qemu") / f"{prefix}{self.name}.pid"
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            stopped = "stopped"
        except (OSError, ValueError):
            stopped = "could not be stopped"
        raise HostNotReady(
            f"libvirtd stopped during the build: VM {self.name} {stopped}, its domain is left "
            "defined", "run `vmwheel host setup` to start libvirtd; the next build removes the "
            "leftover VM (wheels fetched are kept)")
