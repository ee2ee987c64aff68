"""builder.transport.remote: a link that broke is retried, even when closing it fails too."""

import pytest

from builder.errors import BuildHostError
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
