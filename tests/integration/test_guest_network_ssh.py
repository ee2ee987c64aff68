"""guest-network over a real sshd on 127.0.0.1, whose "guest" is this machine: the allowlist
proxy reached the way a guest reaches it, an SSH remote forward (builder/transport/tunnel.py),
where a client on the far side's loopback port talks to the proxy in this process (refused
names refused through the tunnel, several connections at once); and guest-network none's
wheel directory uploaded as pip's only source."""

import socket
import threading
import time

import pytest

from builder.host.allowlist import Allowlist
from builder.host.proxy import AllowProxy
from builder.transport.tunnel import Tunnel

pytestmark = pytest.mark.ssh


def test_connections_through_the_remote_forward_reach_the_proxy(ssh_host):
    remote = ssh_host.guest()
    proxy = AllowProxy(Allowlist(frozenset({("index.test", 443)})),
                       resolve=lambda host, port: ["127.0.0.1"])  # an allowed name gone bad
    tunnel = Tunnel(remote, proxy.serve_in_thread)
    port = tunnel.open()
    answers = []

    def client(name):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.sendall(f"CONNECT {name}:443 HTTP/1.1\r\n\r\n".encode())
            answers.append(c.recv(4096))

    try:
        threads = [threading.Thread(target=client, args=(n,))
                   for n in ("evil.test", "index.test", "other.test")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    finally:
        tunnel.close()
        remote.close()
    assert len(answers) == 3 and all(a.startswith(b"HTTP/1.1 403") for a in answers), answers
    assert sorted(proxy.refused) == [
        "evil.test:443 (not in the guest-network allowlist)",
        "index.test:443 (resolves to 127.0.0.1, an address of this host or its networks)",
        "other.test:443 (not in the guest-network allowlist)"]
    deadline = time.monotonic() + 10  # the forward ends with the tunnel (sshd closes it)
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except OSError:
            return
        time.sleep(0.2)
    pytest.fail(f"port {port} still listens after the tunnel was closed")


def test_none_uploads_the_wheel_dir_as_pips_only_source(ssh_host, offline_index, tmp_path):
    """guest-network none with guest-wheels: the wheels land in the guest's dir, and pip
    there installs from them with no index (the sshd's "guest" is this machine)."""
    import subprocess
    import sys

    from builder.orchestration.guestnet import hermetic

    remote = ssh_host.guest()
    guest_dir = str(tmp_path / "guest-wheels")
    try:
        env = hermetic(remote, str(offline_index), guest_dir)
    finally:
        remote.close()
    assert env == {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": guest_dir}
    names = sorted(p.name for p in (tmp_path / "guest-wheels").iterdir())
    assert names == sorted(p.name for p in offline_index.glob("*.whl")) and names
    target = tmp_path / "target"
    pip_env = {"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null", **env}
    res = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(target),
                          "setuptools"], env=pip_env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (target / "setuptools").is_dir()
