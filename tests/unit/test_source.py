"""builder.sources.source: sdist metadata, Requires-Python, and what `resolve` accepts (no network)."""

import subprocess
from pathlib import Path

import pytest

from builder.errors import SourceError
from builder.sources import source
from builder.sources.source import Source
from tests.support.projects import make_sdist, write_archive, write_project


def make_tar(where, name="pkg", version="1.0", requires_python=">=3.10"):
    return make_sdist(where, name, version, requires_python, c_source=None)


def make_zip(where, name="pkg", version="1.0", requires_python=">=3.10"):
    return make_sdist(where, name, version, requires_python, c_source=None, fmt="zip")


@pytest.fixture(autouse=True)
def no_index(monkeypatch, tmp_path):
    """Nothing here may reach a package index, and relative paths start in tmp_path."""
    def refuse(*args, **kwargs):
        raise AssertionError("pip_download called")
    monkeypatch.setattr(source, "pip_download", refuse)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("make", [make_tar, make_zip])
def test_read_metadata(tmp_path, make):
    assert source.read_metadata(make(tmp_path)) == ("pkg", "1.0", ">=3.10")


def test_read_metadata_without_pkg_info(tmp_path):
    path = make_sdist(tmp_path, "bare", "1.0", c_source=None, fmt="zip", pkg_info=False)
    with pytest.raises(SourceError, match="no PKG-INFO"):
        source.read_metadata(path)


def test_read_metadata_of_a_non_archive(tmp_path):
    path = tmp_path / "fake-1.0.tar.gz"
    path.write_bytes(b"not a tarball")
    with pytest.raises(SourceError) as e:
        source.read_metadata(path)
    assert e.value.exit_code == 6
    # The whole message, so that a longer (multi-line) one fails this test.
    assert e.value.what == f"{path} is not a readable sdist (ReadError)"
    assert e.value.todo == "pass a .tar.gz or .zip source distribution"
    assert "\n" not in e.value.line()


def test_read_metadata_takes_pkg_info_over_pyproject(tmp_path):
    # PKG-INFO is what the sdist says it is; pyproject.toml of the same sdist says otherwise.
    path = make_sdist(tmp_path, "pkg", "1.0", ">=3.8", c_source=None,
                      pkg_info="Metadata-Version: 2.1\nName: pkg\nVersion: 1.0.post1\n")
    assert source.read_metadata(path) == ("pkg", "1.0.post1", "")


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_source_date_epoch_is_the_time_of_pkg_info(tmp_path, fmt):
    import time

    before = int(time.time()) - 2
    src = source.from_file(make_sdist(tmp_path, c_source=None, fmt=fmt))
    assert before <= src.source_date_epoch <= time.time() + 2


def test_read_metadata_of_a_bare_archive(tmp_path):
    path = write_archive(tmp_path / "odd-2.0.tar.gz", {
        "odd-2.0/PKG-INFO": "Metadata-Version: 2.1\nName: odd\nVersion: 2.0\n"})
    assert source.read_metadata(path) == ("odd", "2.0", "")


@pytest.mark.parametrize("requires_python, python, admitted", [
    (">=3.10", "3.9", False),
    (">=3.10", "3.11", True),
    ("", "3.9", True),
    (">=3.7,<3.10", "3.9", True),
])
def test_admits(requires_python, python, admitted):
    assert Source(Path("x.tar.gz"), "x", "1", requires_python).admits(python) is admitted


@pytest.mark.parametrize("make", [make_tar, make_zip])
def test_resolve_sdist_file(tmp_path, make):
    src = source.resolve(str(make(tmp_path, requires_python="")), ["3.9"], tmp_path / "work")
    assert (src.name, src.version, src.requires_python, src.note) == \
        ("pkg", "1.0", "", "local sdist")


def test_resolve_missing_path():
    with pytest.raises(SourceError, match=r"'\./nope' is neither"):
        source.resolve("./nope", ["3.9"], "work")


def test_resolve_invalid_requirement():
    with pytest.raises(SourceError) as exc:
        source.resolve("a b c!", ["3.9"], "work")
    assert "'a b c!'" in exc.value.what


def test_resolve_url_requirement_goes_to_pip(tmp_path, monkeypatch):
    # Bug: any '/' makes resolve treat the spec as a path, so PEP 508 URL requirements
    # (which from_requirement handles via req.url) never reach pip.
    sdist = make_tar(tmp_path, requires_python="")
    monkeypatch.setattr(source, "pip_download", lambda *a, **k: sdist)
    src = source.resolve("pkg @ https://files.example.invalid/pkg-1.0.tar.gz", ["3.9"],
                         tmp_path / "work")
    assert (src.name, src.version) == ("pkg", "1.0")


def test_resolve_directory_that_is_no_project(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="could not make an sdist of empty"):
        source.resolve("empty", ["3.9"], tmp_path / "work")


def bundled_setuptools():
    """The setuptools wheel ensurepip ships (Python <= 3.11), usable with no index at all."""
    import ensurepip
    return sorted((Path(ensurepip.__file__).parent / "_bundled").glob("setuptools-*.whl"))


@pytest.mark.skipif(not bundled_setuptools(),
                    reason="`python -m build` installs setuptools into an isolated env; with "
                           "no bundled setuptools wheel that needs a package index (network)")
@pytest.mark.slow
def test_resolve_project_directory(tmp_path, monkeypatch):
    # Offline: pip inside build's isolated env may only use ensurepip's bundled wheels.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(bundled_setuptools()[0].parent))
    write_project(tmp_path, "tinypkg", "0.3", ">=3.8", c_source=None, dirname="proj")
    src = source.resolve("proj", ["3.9"], tmp_path / "work")
    assert (src.name, src.version, src.requires_python) == ("tinypkg", "0.3", ">=3.8")
    assert src.sdist.name == "tinypkg-0.3.tar.gz" and src.sdist.is_file()
    assert src.note == "sdist built from proj"


def _git_project(tmp_path):
    """A real git repository of a tiny pure-Python setuptools project."""
    repo = write_project(tmp_path, "gitpkg", "0.3", ">=3.8", c_source=None, dirname="proj")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    subprocess.run(git + ["tag", "v0.3"], check=True)
    return repo


@pytest.mark.slow
def test_git_url_is_cloned_on_the_host_and_made_an_sdist(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(bundled_setuptools()[0].parent))
    repo = _git_project(tmp_path)
    src = source.resolve(f"git+file://{repo}@v0.3", ["3.9"], tmp_path / "work")
    assert (src.name, src.version) == ("gitpkg", "0.3")
    assert src.sdist.name == "gitpkg-0.3.tar.gz"
    assert src.note == f"sdist built from a clone of file://{repo} at v0.3"


def test_git_clone_failure_is_one_clear_error(tmp_path):
    with pytest.raises(SourceError) as e:
        source.resolve(f"git+file://{tmp_path}/nope.git", ["3.9"], tmp_path / "work")
    assert e.value.what.startswith(f"could not clone file://{tmp_path}/nope.git")
