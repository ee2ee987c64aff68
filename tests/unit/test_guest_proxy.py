"""The guest-network allowlist proxy (builder/host/proxy.py), for real: a proxy listening on
127.0.0.1, clients and an upstream server on real loopback sockets. Names are resolved by a
mapping (as a resolver would) to documentation addresses, and only the one the test server
stands for is connected, to the test server on 127.0.0.1: nothing leaves loopback."""

import socket
import threading
import time

import pytest

from builder.host import allowlist
from builder.host.allowlist import Allowlist
from builder.host.proxy import AllowProxy, forbidden_ip

NAMES = {"index.test": ["198.51.100.7"], "mirror.test": ["198.51.100.8"],
         "sneaky.test": ["127.0.0.1"], "private.test": ["198.51.100.9", "10.1.2.3"],
         "linklocal.test": ["169.254.169.254"], "six.test": ["::ffff:127.0.0.1"]}
ALLOWED = Allowlist(frozenset({("index.test", 443), ("mirror.test", None), ("sneaky.test", 443),
                               ("private.test", 443), ("linklocal.test", None),
                               ("six.test", 443), ("127.0.0.1", 443)}))


class Upstream:
    """A server on 127.0.0.1 that records what it got and answers each connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.got = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = conn.recv(65536)
            self.got.append(data)
            if data.startswith(b"GET "):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            else:
                conn.sendall(b"echo:" + data)
            conn.close()


@pytest.fixture
def proxy():
    upstream = Upstream()
    asked = []

    def connect(address, port):
        asked.append((address, port))
        assert (address, port) in {("198.51.100.7", 443), ("198.51.100.8", 80)}, \
            "the proxy connected to an address the test did not stand in for"
        return socket.create_connection(upstream.sock.getsockname(), timeout=5)

    p = AllowProxy(ALLOWED, resolve=lambda host, port: NAMES[host], connect=connect)
    with p.listen() as port:
        yield p, port, upstream, asked
    upstream.sock.close()


def ask(port, request, then=b""):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(request)
        if then:
            head = c.recv(4096)
            c.sendall(then)
            return head + recv_all(c)
        return recv_all(c)


def recv_all(c):
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_connect_to_an_allowed_name_is_a_byte_tunnel(proxy):
    p, port, upstream, asked = proxy
    got = ask(port, b"CONNECT index.test:443 HTTP/1.1\r\nHost: index.test:443\r\n\r\n",
              then=b"tls bytes")
    assert got == b"HTTP/1.1 200 Connection established\r\n\r\necho:tls bytes"
    assert asked == [("198.51.100.7", 443)] and p.passed == 1 and not p.refused


def test_plain_http_is_sent_on_as_one_origin_request(proxy):
    p, port, upstream, asked = proxy
    got = ask(port, b"GET http://mirror.test/debian/dists/x HTTP/1.1\r\nHost: mirror.test\r\n"
                    b"Proxy-Connection: keep-alive\r\nUser-Agent: apt\r\n\r\n")
    assert got.endswith(b"\r\n\r\nhello")
    sent = upstream.got[0].decode()
    assert sent.startswith("GET /debian/dists/x HTTP/1.1\r\nHost: mirror.test\r\n")
    assert "User-Agent: apt" in sent and "Connection: close" in sent
    assert "Proxy-" not in sent


@pytest.mark.parametrize("request_line, why", [
    (b"CONNECT evil.test:443", b"evil.test:443 refused: not in the guest-network allowlist"),
    (b"CONNECT index.test:22", b"index.test:22 refused: not in the guest-network allowlist"),
    (b"GET http://index.test/simple/", b"index.test:80 refused: not in the guest-network"),
    (b"CONNECT 127.0.0.1:443", b"127.0.0.1:443 refused: an IP address, not an allowed name"),
    (b"CONNECT [::1]:443", b"[::1]:443 refused: not in the guest-network allowlist"),
    (b"CONNECT sneaky.test:443", b"resolves to 127.0.0.1, an address of this host"),
    (b"CONNECT private.test:443", b"resolves to 10.1.2.3, an address of this host"),
    (b"GET http://linklocal.test/latest/meta-data", b"resolves to 169.254.169.254"),
    (b"CONNECT six.test:443", b"resolves to ::ffff:127.0.0.1"),
    (b"GET /relative", b"only CONNECT and absolute http:// requests are proxied"),
])
def test_refused_at_once_without_connecting(proxy, request_line, why):
    p, port, upstream, asked = proxy
    t0 = time.monotonic()
    got = ask(port, request_line + b" HTTP/1.1\r\n\r\n")
    took = time.monotonic() - t0
    assert got.startswith(b"HTTP/1.1 403 Forbidden\r\n") and why in got, got
    assert asked == [] and upstream.got == [] and p.passed == 0
    assert took < 1, took
    assert len(p.refused) == 1


def test_bare_lf_line_ends_are_taken_too(proxy):
    """(setuptools runs setup.py with every backslash-r-backslash-n of its source made a
    backslash-n: a probe written with them sends bare LFs.)"""
    p, port, upstream, asked = proxy
    got = ask(port, b"CONNECT evil.test:443 HTTP/1.1\nHost: evil.test\n\n")
    assert got.startswith(b"HTTP/1.1 403") and b"evil.test:443 refused" in got
    got = ask(port, b"GET http://mirror.test/x HTTP/1.1\nUser-Agent: t\n\n")
    assert got.endswith(b"hello")
    assert upstream.got[0].startswith(b"GET /x HTTP/1.1\r\nHost: mirror.test\r\nUser-Agent: t\r\n")


def test_a_request_that_is_not_http_is_refused(proxy):
    p, port, upstream, asked = proxy
    assert ask(port, b"\x16\x03\x01 hello\r\n\r\n").startswith(b"HTTP/1.1 403")
    assert asked == []


@pytest.mark.parametrize("address, forbidden", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("10.0.2.2", True), ("172.16.0.1", True),
    ("192.168.121.1", True), ("169.254.169.254", True), ("100.64.0.1", True),
    ("0.0.0.0", True), ("224.0.0.1", True), ("::1", True), ("::", True), ("fe80::1", True),
    ("fd00::1", True), ("::ffff:10.0.0.1", True), ("2002:7f00:1::1", True),
    ("198.51.100.7", False), ("203.0.113.80", False), ("2001:db8::1", False),
])
def test_forbidden_addresses(address, forbidden):
    assert forbidden_ip(address) is forbidden


DEFAULTS = ("https://index.example/simple", "files.example")


def test_allowlist_from_pip_defaults_apt_sources_and_extras():
    allowed = allowlist.from_host(["http://mirror.example/debian", "https://sec.example/x"],
                                  ["more.example", "odd.example:8443"], conf={},
                                  defaults=DEFAULTS)
    assert allowed.names() == ["files.example:443", "index.example:443", "mirror.example:80",
                               "more.example", "odd.example:8443", "sec.example:443"]
    assert allowed.permits("more.example", 80) and allowed.permits("MORE.example.", 443)
    assert not allowed.permits("odd.example", 443) and not allowed.permits("mirror.example", 443)


def test_allowlist_follows_the_hosts_pip_index_settings():
    conf = {"index-url": "https://proxy.example:8080/pypi/simple",
            "extra-index-url": "file:///opt/local http://plain.example/simple"}
    assert allowlist.pip_entries(conf, DEFAULTS) == {("proxy.example", 8080),
                                                     ("plain.example", 80)}
    # An index set to pip's own default keeps its file host.
    assert allowlist.pip_entries({"index-url": DEFAULTS[0]}, DEFAULTS) == {
        ("index.example", 443), ("files.example", 443)}


def test_connections_beyond_the_cap_are_closed_and_refusals_only_counted(proxy, monkeypatch):
    from builder.host import proxy as proxy_module
    p, port, upstream, asked = proxy
    monkeypatch.setattr(proxy_module, "KEPT", 2)
    for n in range(4):
        assert ask(port, f"CONNECT n{n}.test:443 HTTP/1.1\r\n\r\n".encode()).startswith(
            b"HTTP/1.1 403")
    assert p.refusals == 4 and len(p.refused) == 2
    held = [socket.create_connection(("127.0.0.1", port))
            for _ in range(proxy_module.MAX_CLIENTS)]
    try:
        time.sleep(0.5)  # every one of them holds a slot, waiting for its request
        try:  # closed at once, unanswered (a reset when the request was already in)
            got = ask(port, b"CONNECT index.test:443 HTTP/1.1\r\n\r\n")
        except ConnectionResetError:
            got = b""
        assert got == b"" and asked == []
    finally:
        for c in held:
            c.close()
    time.sleep(0.5)
    assert ask(port, b"CONNECT n9.test:443 HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 403")
