import glob
import os
import tarfile
import textwrap
from pathlib import Path

import pytest

from tests.sshhost import SSHHost

PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def host_python(version):
    """Prefix of a host CPython X.Y from pyenv (test fixtures only; vmwheel never uses them)."""
    found = sorted(glob.glob(str(PYENV / f"{version}.*")))
    return Path(found[-1]) if found else None


@pytest.fixture(scope="session")
def ssh_host(tmp_path_factory):
    host = SSHHost(tmp_path_factory.mktemp("sshd")).start()
    yield host
    host.stop()


@pytest.fixture(scope="session")
def python_tree(tmp_path_factory):
    """An /opt/python-style tree: cp39-cp39 and cp311-cp311 linked to the host's CPythons."""
    root = tmp_path_factory.mktemp("opt-python")
    for v in ("3.9", "3.11"):
        prefix = host_python(v)
        if prefix is None:
            pytest.skip(f"no CPython {v} on this host (pyenv) for the SSH test host")
        tag = "cp" + v.replace(".", "")
        (root / f"{tag}-{tag}").symlink_to(prefix)
    return root


@pytest.fixture(scope="session")
def offline_index():
    """Build requirements for isolated builds, offline: the wheels virtualenv embeds."""
    import virtualenv.seed.wheels.embed as embed

    return Path(embed.__file__).parent


EXT_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "vmwtestext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_vmwtestext(void) { return PyModule_Create(&mod); }
"""


def make_sdist(dest, name="vmwtestext", version="1.0", requires_python=">=3.8", c_source=EXT_C):
    """Write a real sdist of a one-function C extension (no build tool needed)."""
    top = f"{name}-{version}"
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                    f"Requires-Python: {requires_python}\n",
        "pyproject.toml": textwrap.dedent(f"""\
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "{version}"
            requires-python = "{requires_python}"
            """),
        "setup.py": "from setuptools import setup, Extension\n"
                    "setup(ext_modules=[Extension('vmwtestext', ['vmwtestext.c'])])\n",
        "vmwtestext.c": c_source,
    }
    src = Path(dest) / f"{top}-src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    path = Path(dest) / f"{top}.tar.gz"
    with tarfile.open(path, "w:gz") as t:
        t.add(src, arcname=top)
    return path


class FaultLog:
    """What the fault-injection tests saw; summarised at the end of the run."""

    def __init__(self):
        self.entries = []

    def record(self, fault, lost, partial):
        self.entries.append((fault, list(lost), list(partial)))
        assert not lost, f"{fault}: wheels lost or changed: {lost}"
        assert not partial, f"{fault}: partial files left: {partial}"


FAULTS = FaultLog()


@pytest.fixture
def faults():
    return FAULTS


def pytest_terminal_summary(terminalreporter):
    if FAULTS.entries:
        lost = sum(len(e[1]) for e in FAULTS.entries)
        partial = sum(len(e[2]) for e in FAULTS.entries)
        terminalreporter.write_line(
            f"fault injection: {len(FAULTS.entries)} faults injected, {lost} wheels lost, "
            f"{partial} partial files ({'; '.join(e[0] for e in FAULTS.entries)})")
