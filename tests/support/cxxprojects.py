"""C++ extension projects for the build backends other than setuptools' plain C route:
scikit-build-core (CMake), meson-python (meson) and Cython's C++ mode (setuptools). Each builds
the module `NAME` whose answer() returns 42 through std::string and a C++ exception caught
(by C++, or turned into a Python ValueError by Cython), so the extension needs libstdc++
beyond the header-only parts. Their build requirements (backend, Cython, cmake or meson,
ninja) come from the package index."""

import textwrap

from tests.support.projects import write_archive

CXX_SOURCE = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sstream>
#include <stdexcept>
#include <string>

static long compute() {
    std::ostringstream out;
    out << 4 << 2;
    std::string text = out.str();
    try {
        throw std::runtime_error(text);
    } catch (const std::exception &e) {
        return std::stol(e.what());
    }
}

static PyObject *answer(PyObject *, PyObject *) { return PyLong_FromLong(compute()); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "@NAME@", NULL, -1, methods};
PyMODINIT_FUNC PyInit_@NAME@(void) { return PyModule_Create(&mod); }
"""


def _pyproject(name, requires, backend, extra=""):
    return textwrap.dedent(f"""\
        [build-system]
        requires = {requires!r}
        build-backend = "{backend}"

        [project]
        name = "{name}"
        version = "1.0"
        requires-python = ">=3.8"
        """).replace("'", '"') + extra


def scikit_build_core_files(name="skbcxx"):
    cmake = textwrap.dedent(f"""\
        cmake_minimum_required(VERSION 3.15)
        project({name} LANGUAGES CXX)
        find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)
        python_add_library({name} MODULE {name}.cpp WITH_SOABI)
        install(TARGETS {name} DESTINATION .)
        """)
    return {"pyproject.toml": _pyproject(name, ["scikit-build-core>=0.10"],
                                         "scikit_build_core.build"),
            "CMakeLists.txt": cmake,
            f"{name}.cpp": CXX_SOURCE.replace("@NAME@", name)}


def meson_python_files(name="mesoncxx"):
    meson = textwrap.dedent(f"""\
        project('{name}', 'cpp', version: '1.0')
        py = import('python').find_installation(pure: false)
        py.extension_module('{name}', '{name}.cpp', install: true)
        """)
    return {"pyproject.toml": _pyproject(name, ["meson-python>=0.15"], "mesonpy"),
            "meson.build": meson,
            f"{name}.cpp": CXX_SOURCE.replace("@NAME@", name)}


CYTHON_CXX = """\
# cython: language_level=3
from libcpp.string cimport string, stol, to_string
from libcpp.vector cimport vector


def answer():
    cdef vector[string] parts
    parts.push_back(to_string(4))
    parts.push_back(to_string(2))
    try:
        stol(b"no number")  # std::invalid_argument, which Cython raises as ValueError
    except ValueError:
        return stol(parts[0] + parts[1])
    return -1
"""


def cython_cxx_files(name="cycxx"):
    """Cython's C++ mode: cythonize() of an Extension with language="c++" (setuptools links it
    with LDCXXSHARED, the floor's g++)."""
    setup = textwrap.dedent(f"""\
        from Cython.Build import cythonize
        from setuptools import Extension, setup
        setup(ext_modules=cythonize([Extension("{name}", ["{name}.pyx"], language="c++")]))
        """)
    return {"pyproject.toml": _pyproject(name, ["setuptools>=61", "Cython>=3"],
                                         "setuptools.build_meta"),
            "setup.py": setup,
            f"{name}.pyx": CYTHON_CXX}


def make_backend_sdist(dest, files, name):
    """dest/NAME-1.0.tar.gz holding `files` (and PKG-INFO) under NAME-1.0/."""
    members = {f"{name}-1.0/{rel}": text for rel, text in files.items()}
    members[f"{name}-1.0/PKG-INFO"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    return write_archive(dest / f"{name}-1.0.tar.gz", members)
