"""builder.output.wheelhouse: wheel names from the guest, verified fetches, SHA256SUMS, report.json."""

import hashlib
import json
import shutil
import stat

import pytest

from builder.digest import sha256_of
from builder.errors import VmwheelError
from builder.output.wheelhouse import WHEEL_NAME, Wheelhouse, atomic_write

GOOD = "msgpack-1.1.2-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


@pytest.mark.parametrize("name", [GOOD, "x-1-py3-none-any.whl", "x-1.0-1build-py3-none-any.whl"])
def test_wheel_name_accepts(name):
    assert WHEEL_NAME.fullmatch(name)


@pytest.mark.parametrize("name", [
    "../x-1-py3-none-any.whl", "a/b-1-py3-none-any.whl", "x.whl", "x-1-py3-none-any.tar.gz",
    "x y-1-py3-none-any.whl", "x-1-py3-none-any.whl ", "x-1-py3-none-any.whl\nx",
    "x-1-py3-none-any.whl\n",  # bug: `$` also matches just before a trailing newline
])
def test_wheel_name_rejects(name):
    assert not WHEEL_NAME.fullmatch(name)


class FakeGuest:
    """Stand-in for builder.transport.remote.Remote (SSH): get() copies a local file instead."""

    def __init__(self):
        self.calls = []

    def get(self, remote, local):
        self.calls.append((remote, local))
        shutil.copyfile(remote, local)


@pytest.fixture
def remote(tmp_path):
    path = tmp_path / "guest" / GOOD
    path.parent.mkdir()
    path.write_bytes(b"wheel bytes from the guest")
    return path


def sha(data):
    return hashlib.sha256(data).hexdigest()


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_fetch_verified(tmp_path, remote):
    house = Wheelhouse(tmp_path / "out")
    data = remote.read_bytes()
    final = house.fetch(FakeGuest(), remote, GOOD, sha(data), len(data))
    assert final == house.path / GOOD
    assert final.read_bytes() == data
    assert stat.S_IMODE(final.stat().st_mode) == 0o644
    assert leftovers(house.path) == []


def test_fetch_bad_sha_writes_nothing(tmp_path, remote):
    house = Wheelhouse(tmp_path / "out")
    size = remote.stat().st_size
    with pytest.raises(VmwheelError, match="arrived corrupted"):
        house.fetch(FakeGuest(), remote, GOOD, sha(b"something else"), size)
    assert sorted(p.name for p in house.path.iterdir()) == []


def test_fetch_bad_sha_keeps_existing_wheel(tmp_path, remote):
    house = Wheelhouse(tmp_path / "out")
    house.path.mkdir()
    (house.path / GOOD).write_bytes(b"the wheel from last time")
    with pytest.raises(VmwheelError):
        house.fetch(FakeGuest(), remote, GOOD, sha(b"x"), remote.stat().st_size)
    assert (house.path / GOOD).read_bytes() == b"the wheel from last time"
    assert leftovers(house.path) == []


def test_fetch_bad_size_is_rejected(tmp_path, remote):
    house = Wheelhouse(tmp_path / "out")
    data = remote.read_bytes()
    with pytest.raises(VmwheelError, match="arrived corrupted"):
        house.fetch(FakeGuest(), remote, GOOD, sha(data), len(data) + 1)
    assert list(house.path.iterdir()) == []


def test_fetch_invalid_name_fails_before_download(tmp_path, remote):
    house, guest = Wheelhouse(tmp_path / "out"), FakeGuest()
    with pytest.raises(VmwheelError, match="invalid wheel file name"):
        house.fetch(guest, remote, "../evil-1-py3-none-any.whl", "0" * 64, 1)
    assert guest.calls == []
    assert not house.path.exists()  # nothing at all was written


def test_write_sums(tmp_path):
    house = Wheelhouse(tmp_path)
    wheels = {"b-1-py3-none-any.whl": b"bbb", "a-1-py3-none-any.whl": b"aaa"}
    for name, data in wheels.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "report.json").write_text("{}")
    house.write_sums()
    assert (tmp_path / "SHA256SUMS").read_text() == (
        f"{sha(b'aaa')}  a-1-py3-none-any.whl\n{sha(b'bbb')}  b-1-py3-none-any.whl\n")


def test_write_report(tmp_path):
    house = Wheelhouse(tmp_path)
    report = {"package": {"name": "msgpack", "version": "1.1.2"}, "interpreters": []}
    house.write_report(report)
    assert json.loads((tmp_path / "report.json").read_text()) == report
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_wheelhouse_is_made_only_when_written(tmp_path):
    house = Wheelhouse(tmp_path / "never")
    assert not house.path.exists()
    house.write_sums()
    assert (house.path / "SHA256SUMS").read_text() == ""


def test_sha256_of_matches_hashlib(tmp_path):
    data = b"x" * (3 << 20)  # more than one read block
    (tmp_path / "f").write_bytes(data)
    assert sha256_of(tmp_path / "f") == sha(data)


def test_atomic_write_replaces_whole_and_leaves_no_part(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    atomic_write(target, "new")
    assert target.read_text() == "new" and leftovers(tmp_path) == []
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
