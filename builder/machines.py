"""Build machines: the machine table, and a VM's life (up, one SSH connection, destroy/keep)."""

import fcntl
import getpass
import json
import re
import socket
import subprocess
import time
from pathlib import Path

from . import accel, boxes, hostsetup, paths, vagrantcli
from .errors import VmwheelError
from .guest import Guest
from .options import split_platform

TABLE = Path(__file__).with_name("machines.json")


def load_table():
    return json.loads(TABLE.read_text())


def get(name=None):
    table = load_table()
    name = name or table["default"]
    if name not in table["machines"]:
        raise VmwheelError(f"unknown machine '{name}'",
                           "choose one of: " + ", ".join(sorted(table["machines"])))
    return name, table["machines"][name]


def python_versions(spec):
    """The interpreters a machine carries, as "X.Y" (free-threaded ones as "X.Yt")."""
    found = []
    for v in spec.get("cpythons") or [spec["distro_python"]]:
        xy = ".".join(v.rstrip("t").split(".")[:2]) + ("t" if v.endswith("t") else "")
        if xy not in found:
            found.append(xy)
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VagrantVM:
    """One machine of the table, started with Vagrant and reached over a forwarded port."""

    python_root = "/opt/python"

    def __init__(self, name, spec, log_dir, keep=False, driver=None):
        self.name, self.spec, self.keep = name, spec, keep
        self.policy, self.arch = spec["policy"], spec["arch"]
        self.driver_override = driver
        self.dot = vagrantcli.dotfile_dir(name)
        self.known_hosts = self.dot / "known_hosts"
        self.runtime = vagrantcli.runtime_file(name)
        self.log_path = Path(log_dir) / f"vagrant-{name}.log"
        self.serial_log = self.dot / "serial.log"
        self._lock = None
        self.timings = {}

    def python_versions(self):
        return python_versions(self.spec)

    def platform(self, guest, env):
        return f"{self.policy}_{self.arch}"

    def describe(self):
        return {"name": self.name, "box": self.spec["box"], "platform": self.platform(None, None)}

    def _client(self):
        return vagrantcli.client(self.name, self.runtime, self.log_path)

    def _write_runtime(self, running):
        old = json.loads(self.runtime.read_text()) if self.runtime.exists() else {}
        kernel, initrd = boxes.boot_files(self.name, self.spec)
        rt = {"machine": self.name, "storage_pool": paths.storage_pool(),
              "libvirt_uri": paths.libvirt_uri(),
              "domain_prefix": f"vmwheel-{paths.instance()}-",
              "memory": self.spec["memory"], "cpus": self.spec["cpus"],
              "serial_log": str(self.serial_log)}
        if self.spec.get("source") == "local":
            rt.update(kernel=str(kernel), initrd=str(initrd))
            rt["driver"] = accel.choose_driver(kernel, self.driver_override)
        else:
            # Public boxes boot their own loader; there is no kernel of ours to probe with.
            rt["driver"] = self.driver_override or "kvm"
            rt["stage"] = str(boxes.stage_public(self.name, self.spec))
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
        self._lock = open(self.dot / "lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VmwheelError(f"machine {self.name} is in use by another vmwheel run",
                               "wait for it to finish, or use another --machine") from None

    def up(self):
        """Boot (or reuse) the VM and return a Guest connected to it."""
        hostsetup.check_ready()
        boxes.require_box(self.name, self.spec)
        self.lock()
        running = self.is_running()
        if not running:  # a new VM: its host key is learned at the first connection
            self.known_hosts.unlink(missing_ok=True)
        rt = self._write_runtime(running)
        print(f"vmwheel: starting {self.name} ({self.spec['box']}, libvirt driver "
              f"{rt['driver']}, ssh on 127.0.0.1:{rt['port']}); log: {self.log_path}",
              flush=True)
        t0 = time.monotonic()
        try:
            self._client().up(vm_name=self.name, provider="libvirt")
        except subprocess.CalledProcessError:
            # The caller's finish(failed=True) destroys the half-made domain.
            raise VmwheelError(
                f"VM {self.name} did not come up with SSH",
                f"see {self.log_path} and the guest console {self.serial_log}") from None
        self.timings["boot"] = time.monotonic() - t0
        conf = self._client().conf(vm_name=self.name)  # `vagrant ssh-config`, read once
        return Guest(host=conf["HostName"], port=int(conf["Port"]), user=conf["User"],
                     key_filename=conf["IdentityFile"].strip('"'),
                     known_hosts=self.known_hosts, learn_host_key=not self.known_hosts.exists())

    def finish(self, failed=False):
        """Destroy the VM unless asked to keep it; never leave a half-made domain behind."""
        if self.keep and not failed:
            print(f"vmwheel: keeping {self.name} running (--keep-vm); "
                  f"`vmwheel vm destroy --machine {self.name}` removes it", flush=True)
        else:
            vagrantcli.destroy(self.name)
            self.known_hosts.unlink(missing_ok=True)
        if self._lock:
            self._lock.close()
            self._lock = None


class SSHTarget:
    """A plain SSH build host (a provisioned machine of a build farm): nothing to boot, and its
    host key must already be in `known_hosts`. Its platform is its AUDITWHEEL_PLAT."""

    policy = arch = None

    def __init__(self, address, key=None, known_hosts=None, python_root="/opt/python"):
        m = re.fullmatch(r"(?:([^@]+)@)?([^:@]+)(?::(\d+))?", address)
        if not m:
            raise VmwheelError(f"bad SSH host {address!r}", "write USER@HOST[:PORT]")
        self.user = m.group(1) or getpass.getuser()
        self.host, self.port = m.group(2), int(m.group(3) or 22)
        self.name = f"ssh-{self.host}-{self.port}"
        self.key = key
        self.known_hosts = Path(known_hosts or Path.home() / ".ssh" / "known_hosts")
        self.python_root = python_root
        self.timings = {}

    def python_versions(self):
        return []  # learned from the host itself

    def describe(self):
        return {"name": self.name, "host": f"{self.user}@{self.host}:{self.port}",
                "platform": ""}

    def up(self):
        if not self.known_hosts.exists():
            raise VmwheelError(f"no known_hosts file {self.known_hosts}",
                               "pass --known-hosts with the build host's key in it")
        return Guest(self.host, self.port, self.user, key_filename=self.key,
                     known_hosts=self.known_hosts, learn_host_key=False)

    def platform(self, guest, env):
        plat = guest.check('printf %s "${AUDITWHEEL_PLAT:-}"', env=env).strip()
        if not plat:
            raise VmwheelError(f"{self.name} does not say its platform",
                               "set AUDITWHEEL_PLAT there (provision/set-policy.sh) or in "
                               "the environment option")
        split_platform(plat)
        return plat

    def finish(self, failed=False):
        pass
