"""A real Dask farm on 127.0.0.1 for tests: a `dask scheduler` process (optionally TLS with a
CA made here) and `vmwheel worker` processes, each building over its own SSH test host."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

from builder.transport.ports import free_port
from tests.support.cli import CHECKOUT
from tests.support.sshhost import known_hosts_line

BIN = Path(sys.executable).parent


def make_tls(dest):
    """A CA and one certificate it signed for 127.0.0.1 (used by scheduler, workers and
    client alike): {"ca": path, "cert": path, "key": path}."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def cert(subject, public, is_ca, extra=()):
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name("farm-ca"))
             .public_key(public).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
        for ext in extra:
            b = b.add_extension(ext, critical=False)
        return b.sign(ca_key, hashes.SHA256())

    ca = cert("farm-ca", ca_key.public_key(), True)
    leaf = cert("127.0.0.1", key.public_key(), False, [x509.SubjectAlternativeName(
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])])
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    paths = {"ca": dest / "ca.pem", "cert": dest / "cert.pem", "key": dest / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    paths["key"].chmod(0o600)
    return {k: str(v) for k, v in paths.items()}


def tls_flags(tls):
    return ["--tls-ca-file", tls["ca"], "--tls-cert", tls["cert"], "--tls-key", tls["key"]] \
        if tls else []


class Farm:
    """Scheduler and workers as processes, stopped (killed if need be) by `stop`."""

    def __init__(self, root, tls=None, allowed_failures=None):
        self.root, self.tls = Path(root), tls
        self.env = dict(os.environ, **({"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES":
                                        str(allowed_failures)} if allowed_failures is not None
                                       else {}))
        self.port = free_port()
        self.address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{self.port}"
        self.procs, self.workers = [], {}

    def start(self):
        log = open(self.root / "scheduler.log", "w")
        cmd = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
               "--no-dashboard"] + (["--protocol", "tls"] if self.tls else []) + \
            tls_flags(self.tls)
        self.scheduler = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                          env=self.env)
        self.procs.append(self.scheduler)
        self._wait_for("Scheduler at:", self.root / "scheduler.log", self.scheduler)
        return self

    def add_worker(self, name, ssh_host, python_tree, machine):
        """`vmwheel worker` building over SSH test host `ssh_host` as `machine`."""
        known = self.root / f"known_hosts-{name}"
        known.write_text(known_hosts_line(ssh_host))
        return self.start_worker(name, [
            "vmwheel", "worker", "--scheduler", self.address, "--name", name,
            "--ssh-host", f"{ssh_host.user}@127.0.0.1:{ssh_host.port}",
            "--ssh-key", str(ssh_host.client_key), "--known-hosts", str(known),
            "--python-root", str(python_tree), "--guest-dir", self.guest_dir(name),
            "--machine", machine, *tls_flags(self.tls)],
            {"PATH": "/usr/bin:/bin", "HOME": str(self.root), "CI": "true",
             "VMWHEEL_CACHE_DIR": str(self.root / f"cache-{name}"), "PYTHONPATH": CHECKOUT})

    def add_vm_worker(self, name, machine, vms=1, env=None):
        """`vmwheel worker` booting VMs of `machine` on this host (its boxes, its cache);
        `env`: its environment (the VM tests' names their slim machine table)."""
        return self.start_worker(name, [
            "vmwheel", "worker", "--scheduler", self.address, "--name", name,
            "--machine", machine, "--vms", str(vms), *tls_flags(self.tls)],
            dict(env or os.environ, CI="true"), timeout=120)

    def start_worker(self, name, cmd, env=None, timeout=60):
        """Start `cmd` (its program from this venv's bin) as worker `name`, logging to
        worker-NAME.log; return the process once it has registered with the scheduler."""
        log_path = self.root / f"worker-{name}.log"
        proc = subprocess.Popen([str(BIN / cmd[0]), *cmd[1:]], stdout=open(log_path, "w"),
                                stderr=subprocess.STDOUT, env=env)
        self.procs.append(proc)
        self.workers[name] = proc
        self._wait_for("Registered to", log_path, proc, timeout=timeout)
        return proc

    def guest_dir(self, name):
        return f"/tmp/vmwheel-farm-{self.port}-{name}"

    def log(self, name):
        return (self.root / f"worker-{name}.log").read_text()

    @staticmethod
    def _wait_for(text, log_path, proc, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in log_path.read_text():
                return
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{log_path.name}: no {text!r}:\n{log_path.read_text()[-3000:]}")

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
