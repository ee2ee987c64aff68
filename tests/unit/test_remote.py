"""builder.transport.remote: a link that broke is retried, even when closing it fails too."""

import pytest

from builder.errors import BuildHostError, HostGone
from builder.transport import remote as remote_mod
from builder.transport.remote import Remote


class DeadConnection:
    """A connection whose link is gone: every use and even close() raise EOFError."""

    def get(self, remote, local):
        raise EOFError()

    def close(self):
        raise EOFError()  # paramiko sends the SFTP close over the dead link


class GoodConnection:
    def __init__(self):
        self.got = []

    def get(self, remote, local):
        self.got.append((remote, local))

    def close(self):
        pass


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(remote_mod, "BACKOFF", 0)


def test_closing_a_broken_link_does_not_raise():
    r = Remote("127.0.0.1", 9, "nobody")
    r.conn = DeadConnection()
    r.close()
    assert r.conn is None


def test_a_broken_link_is_dropped_and_the_transfer_retried(monkeypatch, no_backoff):
    r = Remote("127.0.0.1", 9, "nobody")
    good = GoodConnection()
    connections = iter([DeadConnection(), good])
    monkeypatch.setattr(r, "_connection",
                        lambda: r.conn if r.conn else setattr(r, "conn", next(connections))
                        or r.conn)
    r.get("/remote/x.whl", "/local/x.whl")
    assert good.got == [("/remote/x.whl", "/local/x.whl")] and r.reconnects == 1


def test_a_link_that_stays_broken_is_one_build_host_error(monkeypatch, no_backoff):
    r = Remote("127.0.0.1", 9, "nobody")
    monkeypatch.setattr(r, "_connection",
                        lambda: r.conn if r.conn else setattr(r, "conn", DeadConnection())
                        or r.conn)
    with pytest.raises(BuildHostError, match="lost the SSH link to nobody@127.0.0.1:9 while "
                                             "downloading /remote/x.whl"):
        r.get("/remote/x.whl", "/local/x.whl")


def dead_link(monkeypatch, r):
    monkeypatch.setattr(r, "_connection",
                        lambda: r.conn if r.conn else setattr(r, "conn", DeadConnection())
                        or r.conn)


def test_a_host_gone_for_good_is_not_retried(monkeypatch, no_backoff):
    """The provider's checkup (a VM whose domain is shut off) ends the retries at once."""
    r = Remote("127.0.0.1", 9, "nobody")
    dead_link(monkeypatch, r)
    looks = []
    r.checkup = lambda final: looks.append(final) or "the VM powered off"
    with pytest.raises(HostGone) as e:
        r.get("/remote/x.whl", "/local/x.whl")
    assert looks == [False] and r.reconnects == 0
    assert e.value.happened == "the VM powered off" and e.value.exit_code == 5
    assert e.value.what.endswith(", 1 attempt: the VM powered off")


def test_a_link_that_stays_broken_says_so_once_the_retries_are_over(monkeypatch, no_backoff):
    r = Remote("127.0.0.1", 9, "nobody")
    dead_link(monkeypatch, r)
    with pytest.raises(HostGone) as e:
        r.get("/remote/x.whl", "/local/x.whl")
    assert r.reconnects == remote_mod.RETRIES - 1
    assert e.value.happened == "the SSH link to the build host broke"


def test_an_aborted_twin_fails_with_a_copy_of_what_the_host_did():
    r = Remote("127.0.0.1", 9, "nobody")
    cause = HostGone("lost the SSH link", "rerun", happened="the VM crashed")
    r.abort(cause)
    copy = r._stopped()
    assert copy is not cause and (copy.what, copy.todo, copy.happened) == (
        "lost the SSH link", "rerun", "the VM crashed")
