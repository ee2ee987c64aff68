"""SSH failures, classified and not retried when retrying cannot help: real peers on
127.0.0.1 that are not SSH servers (one answers garbage, one says nothing), a missing key
file, and (against the real sshd test host) a key it does not accept. Each is one
BuildHostError or ConfigurationError, quickly, with no paramiko traceback on stderr."""

import socket
import subprocess
import threading
import time

import pytest

from builder.errors import BuildHostError, ConfigurationError
from builder.transport.remote import Remote


@pytest.fixture
def peer():
    """A TCP server on 127.0.0.1; `behave(conn)` runs for each connection."""
    servers = []

    def start(behave):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        servers.append(srv)

        def serve():
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                threading.Thread(target=behave, args=(conn,), daemon=True).start()
        threading.Thread(target=serve, daemon=True).start()
        return srv.getsockname()[1]
    yield start
    for srv in servers:
        srv.close()


def garbage(conn):
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    conn.close()


def silent(conn):
    time.sleep(10)
    conn.close()


@pytest.mark.parametrize("behave", [garbage, silent])
def test_a_peer_that_is_not_an_ssh_server(peer, behave, capfd):
    remote = Remote("127.0.0.1", peer(behave), "nobody", connect_timeout=2)
    t0 = time.monotonic()
    with pytest.raises(BuildHostError, match="is not an SSH server") as e:
        remote.call("true")
    assert time.monotonic() - t0 < 10 and remote.reconnects == 0  # was 49 s: 3 tries
    assert e.value.exit_code == 5
    assert "Traceback" not in capfd.readouterr().err


def test_a_missing_key_file(tmp_path):
    remote = Remote("127.0.0.1", 1, "nobody", key_filename=str(tmp_path / "no-such-key"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        remote.call("true")


@pytest.mark.ssh
def test_a_key_the_host_does_not_accept_is_not_retried(ssh_host, tmp_path, capfd):
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True)
    remote = Remote("127.0.0.1", ssh_host.port, ssh_host.user, key_filename=str(other))
    with pytest.raises(BuildHostError, match="refused the login") as e:
        remote.call("true")
    assert remote.reconnects == 0 and "lost the SSH link" not in e.value.what
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.ssh
def test_no_key_at_all(ssh_host):
    remote = Remote("127.0.0.1", ssh_host.port, ssh_host.user)
    with pytest.raises(BuildHostError, match="no key to log in|refused the login"):
        remote.call("true")
    assert remote.reconnects == 0


def test_after_a_session_a_silent_peer_is_a_lost_link_and_retried(peer, monkeypatch):
    """A VM killed mid-build may still accept on its forwarded port for a moment: once this
    Remote has had a session, that is the link going away, retried, not 'not an SSH server'."""
    monkeypatch.setattr("builder.transport.remote.BACKOFF", 0.01)
    remote = Remote("127.0.0.1", peer(silent), "nobody", connect_timeout=2)
    remote.connected_once = True  # as after the first successful connection
    with pytest.raises(BuildHostError, match="lost the SSH link"):
        remote.call("true")
    assert remote.reconnects == 2
