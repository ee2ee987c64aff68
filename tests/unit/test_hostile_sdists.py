"""Hostile sdists: PKG-INFO that is not a regular file, too large, or without a valid Name or
Version, and archives that are not archives. Each is one SourceError line (exit 6), never a
traceback; the same through the real CLI, with nothing written."""

import subprocess
import sys
from pathlib import Path

import pytest

from builder.errors import SourceError
from builder.sources import source
from tests.support.projects import tar_with_odd_pkg_info, write_archive

GOOD = "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "directory", "fifo"])
def test_pkg_info_that_is_not_a_regular_file(tmp_path, kind):
    with pytest.raises(SourceError, match="PKG-INFO is not a regular file") as e:
        source.read_metadata(tar_with_odd_pkg_info(tmp_path / "pkg-1.0.tar.gz", kind))
    assert e.value.exit_code == 6


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_an_inflating_member_is_refused_before_it_is_read(tmp_path, fmt):
    bomb = "Name: pkg\nVersion: 1.0\n" + "x" * (2 * source.MAX_MEMBER)
    path = write_archive(tmp_path / f"pkg-1.0.{fmt}", {"pkg-1.0/PKG-INFO": bomb})
    if fmt == "tar.gz":
        assert path.stat().st_size < 100_000  # it compresses to almost nothing
    with pytest.raises(SourceError, match="PKG-INFO is larger than"):
        source.read_metadata(path)
    with pytest.raises(SourceError, match="pyproject.toml is larger than"):
        source.read_member(write_archive(tmp_path / f"q-1.0.{fmt}", {
            "q-1.0/PKG-INFO": GOOD, "q-1.0/pyproject.toml": bomb}), "pyproject.toml")


@pytest.mark.parametrize("pkg_info, what", [
    ("Metadata-Version: 2.1\nVersion: 1.0\n", "no valid Name"),
    ("Metadata-Version: 2.1\nName: pkg\n", "no valid Version"),
    ("Metadata-Version: 2.1\nName: ../../evil\nVersion: 1.0\n", "no valid Name"),
    ("Metadata-Version: 2.1\nName: pkg\nVersion: not a version\n", "no valid Version"),
])
def test_pkg_info_needs_a_valid_name_and_version(tmp_path, pkg_info, what):
    path = write_archive(tmp_path / "pkg-1.0.tar.gz", {"pkg-1.0/PKG-INFO": pkg_info})
    with pytest.raises(SourceError, match=what):
        source.read_metadata(path)


@pytest.mark.parametrize("name", ["x-1.0.tar.gz", "x-1.0.zip"])
def test_random_bytes_are_one_line_through_the_cli(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 64)
    res = subprocess.run([str(Path(sys.executable).parent / "vmwheel"), "build", str(path),
                          "--output-dir", str(tmp_path / "out")], capture_output=True,
                         text=True, env={"VMWHEEL_CACHE_DIR": str(tmp_path / "cache"),
                                         "PATH": "/usr/bin:/bin"})
    assert res.returncode == 6, res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("vmwheel: "), res.stderr
    assert "not a readable sdist" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()
