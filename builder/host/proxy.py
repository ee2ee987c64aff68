"""The guest's only way out under guest-network=allowlist: a small HTTP proxy in vmwheel's own
process that lets through only the host names of an allowlist (host/allowlist.py).

`https://` goes through `CONNECT host:port` (a byte tunnel: TLS stays between the guest and the
server); `http://` (apt's mirror) as a proxied `GET http://host/path` that is sent on with
`Connection: close`, one request per connection. A name that is not on the list is refused with
403, and so is an allowed name whose address is on this host or its networks (loopback,
private, link-local, CGNAT, multicast, unspecified: `forbidden_ip`), and every IP literal: the
guest never picks an address, this host's resolver does. Connections come from the guest over
an SSH remote forward (transport/tunnel.py), or from a loopback listener (`listen`, for tests).
"""

import contextlib
import ipaddress
import re
import socket
import threading
from dataclasses import dataclass, field

HEAD_MAX = 16 * 1024  # bytes of request line and headers a client may send
CONNECT_TIMEOUT = 30  # seconds for the upstream connection
IDLE_TIMEOUT = 900  # seconds a connection may stay silent
HEAD_TIMEOUT = 60  # seconds a client has to send its request
MAX_CLIENTS = 64  # connections served at once; more are closed at once
KEPT = 100  # refusals remembered (each distinct one); the rest are only counted
# Addresses of this host and its networks, which no allowed name may lead to.
FORBIDDEN = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8")]


def forbidden_ip(address):
    """True for loopback, private, link-local, shared (CGNAT), multicast and unspecified
    addresses, and IPv6 forms that carry such an IPv4 address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and (ip.ipv4_mapped or ip.sixtofour):
        ip = ip.ipv4_mapped or ip.sixtofour
    return any(ip in net for net in FORBIDDEN if net.version == ip.version)


def resolve(host, port):
    """This host's addresses for `host` (its resolver, as pip on this host would use)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def connect(address, port):
    sock = socket.create_connection((address, port), timeout=CONNECT_TIMEOUT)
    sock.settimeout(IDLE_TIMEOUT)
    return sock


class Refused(Exception):
    pass


@dataclass
class AllowProxy:
    allowed: object  # host.allowlist.Allowlist: .permits(host, port)
    resolve: object = resolve  # (host, port) -> [address]
    connect: object = connect  # (address, port) -> a connected socket
    refused: list = field(default_factory=list)  # "host:port (why)", in order, each once
    refusals: int = 0  # every refusal, counted
    passed: int = 0  # connections let through
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(MAX_CLIENTS))

    def upstream(self, host, port):
        """A connection to an allowed host, or Refused saying why not."""
        if not self.allowed.permits(host, port):
            raise Refused("not in the guest-network allowlist")
        try:
            ipaddress.ip_address(host.strip("[]"))
            raise Refused("an IP address, not an allowed name")
        except ValueError:
            pass
        try:
            addresses = self.resolve(host, port)
        except OSError:
            raise Refused("does not resolve on this host") from None
        bad = [a for a in addresses if forbidden_ip(a)]
        if bad or not addresses:
            raise Refused(f"resolves to {bad[0] if bad else 'nothing'}, an address of this "
                          "host or its networks")
        for address in addresses:
            try:
                return self.connect(address, port)
            except OSError:
                continue
        raise Refused("no answer from it")

    def _refuse(self, client, target, why):
        with self._lock:
            self.refusals += 1
            entry = f"{target} ({why})"
            if entry not in self.refused and len(self.refused) < KEPT:
                self.refused.append(entry)
        body = f"vmwheel guest-network: {target} refused: {why}\n".encode()
        client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                       b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def handle(self, client):
        """Serve one client connection (a socket or an SSH channel) to its end."""
        try:
            client.settimeout(HEAD_TIMEOUT)
            head, rest = _read_head(client)
            client.settimeout(IDLE_TIMEOUT)
            method, target, lines = _parse(head)
            if method == "CONNECT":
                host, port = _host_port(target, None)
            else:
                m = re.match(r"http://([^/?#]+)(.*)$", target)
                if not m:
                    raise Refused("only CONNECT and absolute http:// requests are proxied")
                host, port = _host_port(m.group(1), 80)
            shown = f"{host}:{port}"
            try:
                up = self.upstream(host, port)
            except Refused as exc:
                self._refuse(client, shown, exc)
                return
            with self._lock:
                self.passed += 1
            with contextlib.closing(up):
                if method == "CONNECT":
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                else:
                    up.sendall(_origin_request(method, m.group(2) or "/", lines, host, port))
                if rest:
                    up.sendall(rest)
                _relay(client, up)
        except Refused as exc:
            with contextlib.suppress(OSError):
                self._refuse(client, "request", exc)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError, EOFError):
                client.close()

    def serve_in_thread(self, client):
        """`handle` in a thread of its own, up to MAX_CLIENTS at once (a guest opening
        thousands of connections gets the rest closed, not as many threads)."""
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError, EOFError):
                client.close()
            return

        def run():
            try:
                self.handle(client)
            finally:
                self._slots.release()

        threading.Thread(target=run, daemon=True).start()

    @contextlib.contextmanager
    def listen(self):
        """A listener on 127.0.0.1 (a free port) serving each connection in a thread; yields
        the port."""
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(16)

        def accept():
            while True:
                try:
                    client, _ = server.accept()
                except OSError:
                    return
                self.serve_in_thread(client)

        threading.Thread(target=accept, daemon=True).start()
        try:
            yield server.getsockname()[1]
        finally:
            server.close()


def _read_head(client):
    """(request line and headers, what came after them); bare LF line ends are taken too."""
    data = b""
    while not re.search(rb"\r?\n\r?\n", data):
        if len(data) > HEAD_MAX:
            raise Refused("request head too long")
        chunk = client.recv(4096)
        if not chunk:
            raise EOFError
        data += chunk
    head, _, rest = re.split(rb"(\r?\n\r?\n)", data, maxsplit=1)
    return head.decode("latin-1").replace("\r\n", "\n"), rest


def _parse(head):
    request, *lines = head.split("\n")
    parts = request.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise Refused("not an HTTP/1 proxy request")
    return parts[0].upper(), parts[1], lines


def _host_port(text, default):
    m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?", text)
    if not m or (m.group(2) is None and default is None):
        raise Refused(f"bad target {text[:80]!r}")
    port = int(m.group(2) or default)
    if not 0 < port < 65536:
        raise Refused(f"bad port in {text[:80]!r}")
    return m.group(1).lower().rstrip("."), port


def _origin_request(method, path, lines, host, port):
    """The request as the origin server takes it: its path, no proxy headers, one request."""
    drop = ("proxy-", "connection:", "keep-alive:", "host:")
    kept = [h for h in lines if h and not h.lower().startswith(drop)]
    host_header = host if port == 80 else f"{host}:{port}"
    return "\r\n".join([f"{method} {path} HTTP/1.1", f"Host: {host_header}", *kept,
                        "Connection: close", "", ""]).encode("latin-1")


def _relay(a, b):
    """Copy bytes both ways until both directions have ended."""
    def pump(src, dst):
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                dst.sendall(chunk)
        except (OSError, EOFError):
            pass
        finally:
            with contextlib.suppress(OSError, EOFError):
                if hasattr(dst, "shutdown_write"):
                    dst.shutdown_write()  # an SSH channel
                else:
                    dst.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=pump, args=(b, a), daemon=True)
    other.start()
    pump(a, b)
    other.join()
