"""builder.sources.source.pip_download against a real (offline, find-links) index."""

import shutil

from builder.sources import source
from tests.support.projects import make_sdist


def test_only_the_package_must_be_an_sdist_its_build_requirements_may_be_wheels(
        tmp_path, monkeypatch, offline_index):
    """pip prepares the sdist's metadata in an isolated build. With --no-binary=:all: its build
    requirements had to be sdists too: Cython was compiled from source on the host (minutes
    before a pyclipper build started), and an index with only wheels of them failed. Here the
    index has the package's sdist and setuptools only as a wheel."""
    links = tmp_path / "links"
    links.mkdir()
    make_sdist(links, "pkg", "1.0", ">=3.8", c_source=None)
    for wheel in offline_index.glob("setuptools-*.whl"):
        shutil.copy(wheel, links)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    got = source.pip_download("pkg==1.0", tmp_path / "download")
    assert got.name == "pkg-1.0.tar.gz"
