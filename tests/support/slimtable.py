"""The machine table the VM tests run with: vmwheel's own, except that the boxes carry just
the CPythons those tests build (README: Tests). A box's key covers its CPythons,
so these slim boxes never pass for the full ones. $VMWHEEL_MACHINES names the file for every
vmwheel the tests start; `get` reads it in the test process."""

import hashlib
import json
import os
import tempfile
from pathlib import Path

from builder.model.machine import load_table
from builder.paths import PACKAGE_DIR

# machine -> the CPythons its test box gets. The default box keeps the two its tests build
# (cp311, cp313): not 3.9.2, which msgpack >= 1.2 skips by Requires-Python (the SSH tests cover
# that skip), nor the free-threaded 3.13.5t (README: Tests): two CPython builds less in CI, and
# one interpreter less in every build of the whole matrix.
SLIM = {"manylinux2014-x86_64": ["3.11.2", "3.13.5"],
        "manylinux2014-i686": ["3.13.5"], "musllinux_1_2-x86_64": ["3.11.2"],
        "manylinux2014-aarch64": ["3.11.2"], "manylinux2014-aarch64-cross": ["3.11.2"]}


def write(dest_dir):
    """The slim table as a file in dest_dir named by its content (written once, atomically:
    every test session reuses it); returns its path."""
    table = json.loads((PACKAGE_DIR / "model" / "machines.json").read_text())
    for name, versions in SLIM.items():
        assert set(versions) <= set(table["machines"][name]["cpythons"]), name
        table["machines"][name]["cpythons"] = versions
    text = json.dumps(table, indent=2)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = Path(dest_dir) / f"vmwheel-test-machines-{digest}.json"
    if not path.is_file() or path.read_text() != text:
        part = path.with_name(f"{path.name}.{os.getpid()}")
        part.write_text(text)
        part.replace(path)
    return path


TABLE = write(tempfile.gettempdir())


def get(name):
    """The machine `name` as the slim table has it."""
    return load_table(TABLE).get(name)
