"""The hostile corpus: every input of the hostile-input issue, and generated ones, through the
real `vmwheel` command, held to the same four rules:

- the exit code is one of README's (1-6), never 70 (internal) or a crash;
- stderr is at most two lines, each starting `vmwheel:`; no `Traceback` anywhere;
- the secret planted in the input appears nowhere: stdout, stderr, and every file vmwheel
  wrote (output dir, logs, report.json, its cache);
- the output dir, which already holds a wheel, SHA256SUMS and a report, is byte-identical.

No VM: each case is refused before one would start (an unreachable or non-SSH peer stands in
for a build host). Marked slow (about a minute: one vmwheel process per input); CI and
tests/run.sh run it.
"""

import hashlib
import os
import socket
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.cli import vmwheel
from builder.transport.ports import free_port
from tests.support.projects import make_sdist, tar_with_odd_pkg_info, write_archive

pytestmark = pytest.mark.slow
SECRET = "s3cr3t-Tok"
DOCUMENTED = {1, 2, 3, 4, 5, 6}


def snapshot(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file()}


@pytest.fixture
def world(tmp_path):
    """A working dir with an output dir that already holds what earlier runs left."""
    out = tmp_path / "wheelhouse"
    out.mkdir()
    (out / "old-1.0-py3-none-any.whl").write_bytes(b"an earlier wheel")
    (out / "SHA256SUMS").write_text(
        hashlib.sha256(b"an earlier wheel").hexdigest() + "  old-1.0-py3-none-any.whl\n")
    (out / "report.json").write_text('{"package": {"name": "old"}, "interpreters": []}\n')
    return tmp_path


def holds_the_rules(cwd, res, before):
    assert res.returncode in DOCUMENTED, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.splitlines()
    assert 1 <= len(lines) <= 2 and all(ln.startswith("vmwheel: ") for ln in lines), res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert SECRET not in res.stdout + res.stderr
    for path in Path(cwd).rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert SECRET.encode() not in path.read_bytes(), path
    assert snapshot(cwd / "wheelhouse") == before


def silent_or_garbage_peer(garbage):
    """A TCP server on 127.0.0.1 that answers every connection with `garbage` (or nothing)
    and closes; its port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(60)

    def serve():
        try:
            while True:
                conn, _ = srv.accept()
                if garbage:
                    conn.sendall(garbage)
                conn.close()
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


GARBAGE = b"HTTP/1.0 400 Bad Request\r\n\r\n"


def sdist_with(cwd, **kw):
    return make_sdist(cwd / "src", **kw)


def closed_port():
    return free_port()  # nothing listens there


# (id, function of the working dir -> argv after `vmwheel`, environment)
CASES = [
    ("A git https with credentials", lambda d: (
        ["build", f"git+https://user:{SECRET}@127.0.0.1:{closed_port()}/x.git@v1"], {})),
    ("A direct URL with credentials", lambda d: (
        ["build", f"pkg @ https://user:{SECRET}@127.0.0.1:{closed_port()}/x-1.0.tar.gz"], {})),
    ("A git ssh with credentials", lambda d: (
        ["build", f"git+ssh://git:{SECRET}@127.0.0.1:{closed_port()}/x.git"], {})),
    ("A token in a query string", lambda d: (
        ["build", f"pkg @ https://127.0.0.1:{closed_port()}/x-1.0.tar.gz?token={SECRET}"], {})),
    ("B empty ssh host", lambda d: (["build", "x", "--ssh-host", ""], {})),
    ("C port out of range", lambda d: (["build", "x", "--ssh-host", "127.0.0.1:99999"], {})),
    ("C port zero", lambda d: (["build", "x", "--ssh-host", "127.0.0.1:0"], {})),
    ("D garbage peer", lambda d: (
        ["build", sdist_with(d), "--ssh-host",
         f"127.0.0.1:{silent_or_garbage_peer(GARBAGE)}",
         "--known-hosts", d / "kh"], {})),
    ("D refused connection", lambda d: (
        ["build", sdist_with(d), "--ssh-host", f"127.0.0.1:{closed_port()}",
         "--known-hosts", d / "kh"], {})),
    ("E PKG-INFO symlink", lambda d: (
        ["build", tar_with_odd_pkg_info(d / "pkg-1.0.tar.gz", "symlink")], {})),
    ("E PKG-INFO hardlink", lambda d: (
        ["build", tar_with_odd_pkg_info(d / "pkg-1.0.tar.gz", "hardlink")], {})),
    ("E PKG-INFO directory", lambda d: (
        ["build", tar_with_odd_pkg_info(d / "pkg-1.0.tar.gz", "directory")], {})),
    ("E PKG-INFO fifo", lambda d: (["build", tar_with_odd_pkg_info(d / "pkg-1.0.tar.gz", "fifo")], {})),
    ("E setup.cfg duplicate key", lambda d: (["config", "show", sdist_with(
        d, files={"setup.cfg": "[vmwheel]\narchs = x86_64\narchs = i686\n"})], {})),
    ("E setup.cfg without a section", lambda d: (["config", "show", sdist_with(
        d, files={"setup.cfg": "archs = x86_64\n"})], {})),
    ("E pyproject tool.vmwheel a string", lambda d: (["config", "show", sdist_with(
        d, pyproject_extra='\n[tool]\nvmwheel = "x"\n')], {})),
    ("E pyproject tool an integer", lambda d: (["config", "show", sdist_with(d, files={
        "pyproject.toml": 'tool = 5\n[project]\nname = "vmwtestext"\nversion = "1.0"\n'})], {})),
    ("E pyproject tool.vmwheel an array", lambda d: (["config", "show", sdist_with(
        d, pyproject_extra="\n[[tool.vmwheel]]\narchs = 1\n")], {})),
    ("E output dir is a file", lambda d: (
        ["build", sdist_with(d), "--output-dir", d / "wheelhouse" / "SHA256SUMS"], {})),
    ("E output dir under a file", lambda d: (
        ["build", sdist_with(d), "--output-dir", d / "wheelhouse" / "SHA256SUMS" / "x"], {})),
    ("E verify into /", lambda d: (["verify", "x", "--output-dir", "/"], {})),
    ("E config show on random bytes", lambda d: (
        ["config", "show", write_bytes(d / "x-1.0.tar.gz", os.urandom(4096))], {})),
    ("E known_hosts not base64", lambda d: (
        ["build", sdist_with(d), "--ssh-host", f"127.0.0.1:{closed_port()}",
         "--known-hosts", write_bytes(d / "kh", b"[127.0.0.1]:22 ssh-ed25519 !!notbase64!!\n")],
        {})),
    ("F random bytes as an sdist", lambda d: (
        ["build", write_bytes(d / "x-1.0.tar.gz", os.urandom(4096))], {})),
    ("G no Name", lambda d: (["build", sdist_with(
        d, pkg_info="Metadata-Version: 2.1\nVersion: 1.0\n")], {})),
    ("G no Version", lambda d: (["build", sdist_with(
        d, pkg_info="Metadata-Version: 2.1\nName: pkg\n")], {})),
    ("G a path as Name", lambda d: (["build", sdist_with(
        d, pkg_info="Metadata-Version: 2.1\nName: ../../evil\nVersion: 1.0\n")], {})),
    ("H inflating PKG-INFO", lambda d: (["build", write_archive(d / "pkg-1.0.tar.gz", {
        "pkg-1.0/PKG-INFO": "Name: pkg\nVersion: 1.0\n" + "x" * 50_000_000})], {})),
    ("I memory true", lambda d: (["build", "x", "-o", "memory=true"], {})),
    ("I memory 1.5", lambda d: (["build", "x", "-o", "memory=1.5"], {})),
    ("I memory huge", lambda d: (["build", "x", "--memory", str(2**63 - 1)], {})),
    ("I test-requires a table", lambda d: (["build", sdist_with(
        d, pyproject_extra="\n[tool.vmwheel]\ntest-requires = {a = 1}\n")], {})),
    ("I environment name with a space", lambda d: (["build", sdist_with(
        d, pyproject_extra='\n[tool.vmwheel]\nenvironment = {"A B" = "x"}\n')], {})),
    ("I empty output dir variable", lambda d: (["build", "x"], {"VMWHEEL_OUTPUT_DIR": ""})),
    ("I empty package", lambda d: (["build", ""], {})),
    ("I output dir /", lambda d: (["build", "x", "--output-dir", "/"], {})),
    ("I secret in an environment option", lambda d: (
        ["build", "x", "-o", f"environment=TOKEN={SECRET}", "--memory", "-1"], {})),
    ("J missing key file", lambda d: (
        ["build", sdist_with(d), "--ssh-host", f"127.0.0.1:{closed_port()}",
         "--ssh-key", d / "no-such-key"], {})),
    ("upload SHA256SUMS a directory", lambda d: (
        ["upload", "--output-dir", mkdirs(d / "up" / "SHA256SUMS").parent], {})),
    ("upload SHA256SUMS not UTF-8", lambda d: (
        ["upload", "--output-dir",
         write_bytes(mkdirs(d / "up2") / "SHA256SUMS", b"\xff\xfe\x00bad").parent], {})),
]


def write_bytes(path, data):
    Path(path).write_bytes(data)
    return path


def mkdirs(path):
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


@pytest.mark.parametrize("make", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_the_corpus(world, make):
    before = snapshot(world / "wheelhouse")
    args, env = make(world)
    holds_the_rules(world, vmwheel(world, *args, env=env), before)


# Generated input: any text as a package spec or an option value, with a secret in it.
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
               max_size=30)
OPTIONS = st.sampled_from(["memory", "cpus", "archs", "targets", "build", "skip", "environment",
                           "test-requires", "before-all", "keep-vm", "output-dir", "resume"])


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(option=OPTIONS, value=TEXT)
def test_generated_option_values(world, option, value):
    """Any value of any option, next to a credential-carrying package URL that cannot be
    fetched: refused in at most two lines, the secret never shown, the output dir untouched."""
    before = snapshot(world / "wheelhouse")
    res = vmwheel(world, "build", f"git+https://u:{SECRET}@127.0.0.1:{closed_port()}/x.git",
                  "-o", f"{option}={value}")
    holds_the_rules(world, res, before)
