"""builder.images.aptsources.debian_mirror: the host's Debian archive from its apt sources."""

import pytest

from builder.images.aptsources import debian_mirror
from builder.errors import VmwheelError

MIRROR = "http://mirror.example.invalid/debian"
SECURITY = "http://security.example.invalid/debian-security"


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv("VMWHEEL_DEBIAN_MIRROR", raising=False)


def apt_dir(tmp_path, sources_list=None, **d_files):
    (tmp_path / "sources.list.d").mkdir()
    if sources_list is not None:
        (tmp_path / "sources.list").write_text(sources_list)
    for name, text in d_files.items():
        (tmp_path / "sources.list.d" / name.replace("_", ".")).write_text(text)
    return tmp_path


def test_deb822_skips_the_security_stanza(tmp_path):
    text = (f"Types: deb\nURIs: {SECURITY}\nSuites: bookworm-security\nComponents: main\n\n"
            f"Types: deb\nURIs: {MIRROR}\nSuites: bookworm bookworm-updates\n"
            "Components: main\n")
    assert debian_mirror(apt_dir(tmp_path, x_sources=text)) == MIRROR


def test_one_line_sources_list(tmp_path):
    text = f"# a comment\ndeb {MIRROR} bullseye main\n"
    assert debian_mirror(apt_dir(tmp_path, sources_list=text)) == MIRROR


def test_one_line_with_options(tmp_path):
    # Bug: only the first word of a multi-option `[...]` block is dropped.
    text = f"deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] {MIRROR} bookworm main\n"
    assert debian_mirror(apt_dir(tmp_path, sources_list=text)) == MIRROR


def test_disabled_stanza_is_ignored(tmp_path):
    other = "http://other.example.invalid/debian"
    text = (f"Types: deb\nURIs: {MIRROR}\nSuites: bookworm\nEnabled: no\n\n"
            f"Types: deb\nURIs: {other}\nSuites: bookworm\n")
    assert debian_mirror(apt_dir(tmp_path, x_sources=text)) == other


def test_only_disabled_stanza_raises(tmp_path):
    text = f"Types: deb\nURIs: {MIRROR}\nSuites: bookworm\nEnabled: no\n"
    with pytest.raises(VmwheelError, match="no Debian mirror"):
        debian_mirror(apt_dir(tmp_path, x_sources=text))


def test_no_sources_at_all_raises(tmp_path):
    with pytest.raises(VmwheelError) as exc:
        debian_mirror(apt_dir(tmp_path))
    assert "VMWHEEL_DEBIAN_MIRROR" in exc.value.line()


def test_environment_override_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("VMWHEEL_DEBIAN_MIRROR", "http://override.example.invalid/debian")
    text = f"deb {MIRROR} bullseye main\n"
    assert debian_mirror(apt_dir(tmp_path, sources_list=text)) == \
        "http://override.example.invalid/debian"
