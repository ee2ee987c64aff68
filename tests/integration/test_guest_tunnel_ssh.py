"""The allowlist proxy reached the way a guest reaches it: an SSH remote forward
(builder/transport/tunnel.py) through a real sshd on 127.0.0.1, whose "guest" is this machine.
A client on the far side's loopback port talks to the proxy in this process; refused names are
refused through the tunnel, several connections at once."""

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
