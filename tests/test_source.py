"""builder.source: sdist metadata, Requires-Python, and what `resolve` accepts (no network)."""

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from builder import source
from builder.errors import VmwheelError
from builder.source import Source


def pkg_info(name="pkg", version="1.0", requires_python=">=3.10"):
    text = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        text += f"Requires-Python: {requires_python}\n"
    return text.encode()


def make_tar(where, name="pkg", version="1.0", requires_python=">=3.10"):
    path = Path(where) / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as t:
        for member, data in [("PKG-INFO", pkg_info(name, version, requires_python)),
                             ("setup.py", b"")]:
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


def make_zip(where, name="pkg", version="1.0", requires_python=">=3.10"):
    path = Path(where) / f"{name}-{version}.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}-{version}/PKG-INFO", pkg_info(name, version, requires_python))
        z.writestr(f"{name}-{version}/setup.py", "")
    return path


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
    path = tmp_path / "bare-1.0.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("bare-1.0/setup.py", "")
    with pytest.raises(VmwheelError, match="no PKG-INFO"):
        source.read_metadata(path)


def test_read_metadata_of_a_non_archive(tmp_path):
    path = tmp_path / "fake-1.0.tar.gz"
    path.write_bytes(b"not a tarball")
    with pytest.raises(VmwheelError, match="not a readable sdist"):
        source.read_metadata(path)


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
    with pytest.raises(VmwheelError, match=r"'\./nope' is neither"):
        source.resolve("./nope", ["3.9"], "work")


def test_resolve_invalid_requirement():
    with pytest.raises(VmwheelError) as exc:
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
    with pytest.raises(VmwheelError, match="could not make an sdist of empty"):
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
    proj = tmp_path / "proj"
    (proj / "tinypkg").mkdir(parents=True)
    (proj / "tinypkg" / "__init__.py").write_text("")
    (proj / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "tinypkg"\nversion = "0.3"\nrequires-python = ">=3.8"\n')
    src = source.resolve("proj", ["3.9"], tmp_path / "work")
    assert (src.name, src.version, src.requires_python) == ("tinypkg", "0.3", ">=3.8")
    assert src.sdist.name == "tinypkg-0.3.tar.gz" and src.sdist.is_file()
    assert src.note == "sdist built from proj"


def _git_project(tmp_path):
    """A real git repository of a tiny pure-Python setuptools project."""
    import subprocess

    repo = tmp_path / "proj"
    (repo / "gitpkg").mkdir(parents=True)
    (repo / "gitpkg" / "__init__.py").write_text("X = 1\n")
    (repo / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "gitpkg"\nversion = "0.3"\nrequires-python = ">=3.8"\n')
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
    with pytest.raises(VmwheelError) as e:
        source.resolve(f"git+file://{tmp_path}/nope.git", ["3.9"], tmp_path / "work")
    assert e.value.what.startswith(f"could not clone file://{tmp_path}/nope.git")
