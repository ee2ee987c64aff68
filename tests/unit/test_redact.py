"""Credentials never shown: the one redaction, and a real clone over HTTP from 127.0.0.1 with
user:secret@ in the URL (and @ref) whose note, report and errors carry no secret."""

import functools
import http.server
import subprocess
import threading

import pytest

from builder.errors import SourceError
from builder.output import report
from builder.redact import redact
from builder.sources import source
from tests.unit.test_source import _git_project, bundled_setuptools


@pytest.mark.parametrize("text, shown", [
    ("git+https://user:s3cret@127.0.0.1:1/x.git", "git+https://***@127.0.0.1:1/x.git"),
    ("pkg @ https://tok3n@host.invalid/x-1.0.tar.gz", "pkg @ https://***@host.invalid/x-1.0.tar.gz"),
    ("git+ssh://git:s3cret@host.invalid/r.git@v1", "git+ssh://***@host.invalid/r.git@v1"),
    ("https://h.invalid/simple?token=s3cret&x=1", "https://h.invalid/simple?token=***&x=1"),
    ("https://h.invalid/f?X-Amz-Signature=s3cret", "https://h.invalid/f?X-Amz-Signature=***"),
    ("Authorization: Bearer s3cret", "Authorization: ***"),
    ("msgpack==1.1.2 and ./dir@x", "msgpack==1.1.2 and ./dir@x"),  # nothing to hide
])
def test_redact(text, shown):
    assert redact(text) == shown
    assert "s3cret" not in redact(text) and "tok3n" not in redact(text)


def test_an_error_line_never_shows_a_secret():
    err = SourceError("could not clone https://u:s3cret@127.0.0.1:1/x.git", "check the URL")
    assert "s3cret" not in err.line() and "https://***@127.0.0.1:1/x.git" in err.line()


@pytest.fixture
def http_repo(tmp_path):
    """A bare clone of a tagged project, served as dumb HTTP from 127.0.0.1."""
    bare = tmp_path / "srv" / "repo.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(_git_project(tmp_path)), str(bare)],
                   check=True)
    subprocess.run(["git", "-C", str(bare), "update-server-info"], check=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path / "srv"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://user:s3cret@127.0.0.1:{server.server_port}/repo.git"
    server.shutdown()


@pytest.mark.slow
def test_a_clone_with_credentials_and_a_ref_shows_no_secret(http_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(bundled_setuptools()[0].parent))
    src = source.resolve(f"git+{http_repo}@v0.3", ["3.9"], tmp_path / "work")
    assert (src.name, src.version) == ("gitpkg", "0.3")  # the ref was used, credentials too
    assert src.note.endswith(" at v0.3")
    rep = report.make_report(src, [], {}, {})
    assert "s3cret" not in rep["package"]["how"] and "***@127.0.0.1" in rep["package"]["how"]


def test_a_failed_clone_with_credentials_shows_no_secret(tmp_path):
    with pytest.raises(SourceError) as e:
        source.resolve("git+https://user:s3cret@127.0.0.1:1/x.git@v1", ["3.9"], tmp_path)
    assert "s3cret" not in e.value.line()
    assert "@v1" in e.value.line()  # the ref was split off after the host, not at user:...@
