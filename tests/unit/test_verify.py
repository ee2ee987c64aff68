"""builder.output.verify: where two builds of one wheel differ, the differing members are named."""

from builder.output.verify import differing_members
from tests.support.projects import write_archive


def wheel(path, **members):
    return write_archive(path.with_suffix(".zip"), {"pkg/__init__.py": "same", **members})


def test_names_the_members_that_differ(tmp_path):
    a = wheel(tmp_path / "a", **{"pkg/_ext.so": b"one"})
    b = wheel(tmp_path / "b", **{"pkg/_ext.so": b"two"})
    assert differing_members(a, b) == ["pkg/_ext.so"]


def test_names_a_member_only_in_one(tmp_path):
    a = wheel(tmp_path / "a", **{"pkg/extra.py": "x"})
    b = wheel(tmp_path / "b")
    assert differing_members(a, b) == ["pkg/extra.py (only in one)"]
