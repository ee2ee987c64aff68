"""CPython sources: pinned, fetched from mirrors in order, refused when they do not match.
The mirrors here are real HTTP servers on 127.0.0.1."""

import hashlib
import http.server
import threading
from functools import partial

import pytest

from builder.images import cpython_sources
from builder.images.cpython_sources import PythonSource
from builder.errors import VmwheelError

GOOD = b"pretend this is Python-3.99.0.tar.xz\n" * 100
SRC = PythonSource("3.99.0", hashlib.sha256(GOOD).hexdigest(), "Python-3.99.0.tar.xz",
                   "pool/main/p/python3.99/python3.99_3.99.0.orig.tar.xz")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path):
    """Start an HTTP server on 127.0.0.1 serving {name: bytes}; return its base URL."""
    servers = []

    def start(files):
        root = tmp_path / f"mirror{len(servers)}"
        root.mkdir()
        for name, data in files.items():
            (root / name).write_bytes(data)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=root))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in servers:
        srv.shutdown()


@pytest.fixture
def lock(monkeypatch):
    monkeypatch.setattr(cpython_sources, "lookup", lambda v: SRC)


def test_lock_pins_every_version_with_a_sha256():
    entries = cpython_sources.read_lock()
    assert {"3.9.2", "3.11.2", "3.13.5"} <= set(entries)
    for e in entries.values():
        assert len(e.sha256) == 64 and int(e.sha256, 16) >= 0
        assert e.upstream == f"Python-{e.version}" + e.upstream[len(f"Python-{e.version}"):]
        assert e.pool_path.startswith(f"pool/main/p/python{e.version.rsplit('.', 1)[0]}/")


def test_free_threaded_versions_share_the_source():
    assert cpython_sources.lookup("3.13.5t") == cpython_sources.lookup("3.13.5")
    with pytest.raises(VmwheelError, match="not pinned"):
        cpython_sources.lookup("3.1.0")


def test_mirrors_are_tried_in_order_and_a_tampered_one_is_refused(serve, lock, tmp_path,
                                                                  monkeypatch):
    tampered = serve({SRC.upstream: GOOD.replace(b"pretend", b"backdoor")})
    truncated = serve({SRC.upstream: GOOD[:100]})
    missing = serve({})
    good = serve({SRC.upstream: GOOD})
    monkeypatch.setenv("VMWHEEL_CPYTHON_MIRRORS", ",".join([tampered, truncated, missing, good]))
    path = cpython_sources.fetch("3.99.0", tmp_path / "cache")
    assert path.read_bytes() == GOOD
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [SRC.upstream]


def test_only_bad_mirrors_is_a_clear_error_and_leaves_nothing(serve, lock, tmp_path,
                                                              monkeypatch):
    tampered = serve({SRC.upstream: GOOD + b"x"})
    monkeypatch.setenv("VMWHEEL_CPYTHON_MIRRORS", tampered)
    with pytest.raises(VmwheelError) as e:
        cpython_sources.fetch("3.99.0", tmp_path / "cache")
    assert "no verified source for CPython 3.99.0" in e.value.what
    assert "expected" in e.value.what and SRC.sha256 in e.value.todo
    assert list((tmp_path / "cache").iterdir()) == []


def test_corrupted_cache_file_is_not_used(serve, lock, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / SRC.upstream).write_bytes(GOOD[:-1])  # truncated in the cache
    monkeypatch.setenv("VMWHEEL_CPYTHON_MIRRORS", serve({SRC.upstream: GOOD}))
    assert cpython_sources.fetch("3.99.0", cache).read_bytes() == GOOD


def test_debian_mirror_url_comes_from_the_host_apt_sources(monkeypatch):
    monkeypatch.setenv("VMWHEEL_DEBIAN_MIRROR", "http://mirror.example.invalid/debian/")
    assert cpython_sources.url_for("debian", SRC) == (
        "http://mirror.example.invalid/debian/pool/main/p/python3.99/python3.99_3.99.0.orig.tar.xz")
    assert cpython_sources.url_for("http://127.0.0.1:9/x/", SRC) == \
        "http://127.0.0.1:9/x/Python-3.99.0.tar.xz"


def test_build_cpython_refuses_a_tarball_that_does_not_match(tmp_path):
    import subprocess

    from builder.paths import PROVISION_DIR

    bad = tmp_path / "Python-3.99.0.tar.xz"
    bad.write_bytes(b"not the real thing")
    res = subprocess.run(["sh", str(PROVISION_DIR / "build-cpython.sh"), "3.99.0", str(bad),
                          SRC.sha256, str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 1
    assert "does not match sha256" in res.stderr and "refusing to unpack" in res.stderr
    assert not (tmp_path / "Python-3.99.0").exists()
