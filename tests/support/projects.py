"""The one factory for sample projects: a project directory (`write_project`) and an sdist of
it (`make_sdist`, .tar.gz or .zip). Every test that needs a package to build, resolve or
upload makes it here."""

import io
import subprocess
import tarfile
import textwrap
import time
import zipfile
from pathlib import Path

# A one-function C extension module `vmwtestext` (answer() == 42); no build tool beyond
# setuptools needed.
EXT_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "vmwtestext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_vmwtestext(void) { return PyModule_Create(&mod); }
"""


def project_files(name="vmwtestext", version="1.0", requires_python=">=3.8", c_source=EXT_C,
                  pyproject_extra="", files=None):
    """{relative path: text} of a setuptools project. With `c_source` it builds the extension
    module `vmwtestext` from vmwtestext.c; with c_source=None it is pure Python: a package
    `name` whose ANSWER is 42. `files` adds or replaces files (None as a value drops one)."""
    rp = f'requires-python = "{requires_python}"\n' if requires_python else ""
    out = {"pyproject.toml": textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=64"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "{version}"
        """) + rp + pyproject_extra}
    if c_source is None:
        out[f"{name}/__init__.py"] = "ANSWER = 42\n"
    else:
        out["setup.py"] = ("from setuptools import setup, Extension\n"
                           "setup(ext_modules=[Extension('vmwtestext', ['vmwtestext.c'])])\n")
        out["vmwtestext.c"] = c_source
    for rel, text in (files or {}).items():
        if text is None:
            out.pop(rel, None)
        else:
            out[rel] = text
    return out


def pkg_info_text(name, version, requires_python):
    text = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        text += f"Requires-Python: {requires_python}\n"
    return text


def write_project(dest, name="vmwtestext", version="1.0", requires_python=">=3.8",
                  c_source=EXT_C, pyproject_extra="", files=None, dirname=None):
    """Write the project into dest/<dirname> (default '<name>-<version>-src'); return that dir."""
    root = Path(dest) / (dirname or f"{name}-{version}-src")
    for rel, text in project_files(name, version, requires_python, c_source, pyproject_extra,
                                   files).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def write_archive(path, members):
    """A .tar.gz or .zip (by `path`'s suffix) holding {member name: str or bytes}."""
    path = Path(path)
    data = {m: v.encode() if isinstance(v, str) else v for m, v in members.items()}
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as z:
            for member, blob in data.items():
                z.writestr(member, blob)
    elif path.name.endswith(".tar.gz"):
        with tarfile.open(path, "w:gz") as t:
            for member, blob in data.items():
                info = tarfile.TarInfo(member)
                info.size, info.mode, info.mtime = len(blob), 0o644, int(time.time())
                t.addfile(info, io.BytesIO(blob))
    else:
        raise ValueError(f"not .tar.gz or .zip: {path}")
    return path


def make_sdist(dest, name="vmwtestext", version="1.0", requires_python=">=3.8", c_source=EXT_C,
               pyproject_extra="", files=None, fmt="tar.gz", pkg_info=True):
    """A real sdist dest/<name>-<version>.<fmt> of `write_project`'s project (whose tree is
    left in dest/<name>-<version>-src). pkg_info: True writes PKG-INFO from the arguments, a
    str is written as PKG-INFO, False leaves it out."""
    project = write_project(dest, name, version, requires_python, c_source, pyproject_extra,
                            files)
    top = f"{name}-{version}"
    members = {f"{top}/{p.relative_to(project).as_posix()}": p.read_bytes()
               for p in sorted(project.rglob("*")) if p.is_file()}
    if pkg_info is True:
        pkg_info = pkg_info_text(name, version, requires_python)
    if pkg_info:
        members[f"{top}/PKG-INFO"] = pkg_info
    return write_archive(Path(dest) / f"{top}.{fmt}", members)


def tar_with_odd_pkg_info(path, kind):
    """A .tar.gz whose pkg-1.0/PKG-INFO is a symlink, hard link, directory or FIFO (pointing
    at a valid pkg-1.0/real where it links)."""
    good = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"
    with tarfile.open(path, "w:gz") as t:
        real = tarfile.TarInfo("pkg-1.0/real")
        real.size = len(good)
        t.addfile(real, io.BytesIO(good))
        info = tarfile.TarInfo("pkg-1.0/PKG-INFO")
        info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                     "directory": tarfile.DIRTYPE, "fifo": tarfile.FIFOTYPE}[kind]
        info.linkname = "pkg-1.0/real" if kind.endswith("link") else ""
        t.addfile(info)
    return path


# The floor's test project `floorprobe`: a C extension using what the distro compiler would
# tag manylinux_2_28+ (fcntl under _FILE_OFFSET_BITS=64: fcntl64@GLIBC_2.28; libm exp/pow:
# GLIBC_2.29) and a pybind11 C++ extension (exceptions, strings, STL conversions). For
# CPython 3.11 only, the C extension also calls getrandom through a hand-written prototype:
# glibc 2.17 has no getrandom, so that interpreter's wheel must fail the floor proof.
FLOOR_PROBE = {
    "pyproject.toml": textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=64", "pybind11>=2.10"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "floorprobe"
        version = "1.0"
        requires-python = ">=3.9"
        """),
    "setup.py": textwrap.dedent("""\
        from setuptools import setup, Extension
        from pybind11.setup_helpers import Pybind11Extension
        setup(packages=["floorprobe"], ext_modules=[
            Extension("floorprobe._cprobe", ["src/cprobe.c"], libraries=["m"],
                      define_macros=[("_FILE_OFFSET_BITS", "64")]),
            Pybind11Extension("floorprobe._cxxprobe", ["src/cxxprobe.cpp"]),
            # C++ compiled and linked by the C driver ($CC, `gcc -shared`), with -lstdc++ by
            # name: how many popular packages link their C++.
            Extension("floorprobe._ldprobe", ["src/ldprobe.cpp"],
                      extra_link_args=["-lstdc++"]),
        ])
        """),
    "floorprobe/__init__.py": ("from ._cprobe import probe\n"
                               "from ._cxxprobe import join, strict\n"
                               "from ._ldprobe import words\n"),
    "src/cprobe.c": textwrap.dedent("""\
        #define PY_SSIZE_T_CLEAN
        #include <Python.h>
        #include <fcntl.h>
        #include <math.h>
        #include <unistd.h>
        #if PY_MINOR_VERSION == 11
        extern long getrandom(void *b, unsigned long n, unsigned f);
        #endif
        static PyObject *probe(PyObject *self, PyObject *args) {
            double a;
            if (!PyArg_ParseTuple(args, "d", &a)) return NULL;
            int fd = open("/dev/null", O_RDONLY);
            int flags = fcntl(fd, F_GETFD);
            close(fd);
        #if PY_MINOR_VERSION == 11
            char b[4]; getrandom(b, 4, 0);
        #endif
            return Py_BuildValue("(id)", flags >= 0, exp(a) + pow(a, a));
        }
        static PyMethodDef methods[] = {{"probe", probe, METH_VARARGS, ""}, {NULL}};
        static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_cprobe", NULL, -1, methods};
        PyMODINIT_FUNC PyInit__cprobe(void) { return PyModule_Create(&mod); }
        """),
    "src/cxxprobe.cpp": textwrap.dedent("""\
        #include <pybind11/pybind11.h>
        #include <pybind11/stl.h>
        #include <sstream>
        #include <stdexcept>
        #include <string>
        #include <vector>
        std::string join(const std::vector<std::string> &parts) {
            std::ostringstream out;
            for (const auto &p : parts) out << p << ",";
            return out.str();
        }
        int strict(int x) {
            if (x < 0) throw std::invalid_argument("negative");
            return 2 * x;
        }
        PYBIND11_MODULE(_cxxprobe, m) {
            m.def("join", &join);
            m.def("strict", &strict);
        }
        """),
    "src/ldprobe.cpp": textwrap.dedent("""\
        #include <Python.h>
        #include <sstream>
        #include <stdexcept>
        #include <string>
        #include <vector>
        static std::vector<std::string> split(const std::string &text) {
            if (text.empty()) throw std::invalid_argument("no words");
            std::vector<std::string> out;
            std::istringstream in(text);
            for (std::string w; in >> w;) out.push_back(w);
            return out;
        }
        static PyObject *words(PyObject *, PyObject *args) {
            const char *text;
            if (!PyArg_ParseTuple(args, "s", &text)) return NULL;
            try {
                std::vector<std::string> w = split(text);
                return PyLong_FromSize_t(w.size());
            } catch (const std::exception &e) {
                PyErr_SetString(PyExc_ValueError, e.what());
                return NULL;
            }
        }
        static PyMethodDef methods[] = {{"words", words, METH_VARARGS, ""}, {NULL}};
        static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_ldprobe", NULL, -1, methods};
        PyMODINIT_FUNC PyInit__ldprobe(void) { return PyModule_Create(&mod); }
        """),
}


def write_floor_probe(dest):
    """The floorprobe project (FLOOR_PROBE) in dest/floorprobe; returns that dir."""
    return write_project(dest, "floorprobe", c_source=None, files=FLOOR_PROBE,
                         dirname="floorprobe")


# A C extension that calls libffi (ffi_call of a three-int add): it needs the system library
# libffi, which on a floor box comes from `floor-install libffi-dev` (README: System libraries).
FFI_PROBE_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <ffi.h>
static int add3(int a, int b, int c) { return a + b + c; }
static PyObject *answer(PyObject *self, PyObject *args) {
    ffi_cif cif;
    ffi_type *types[3] = {&ffi_type_sint, &ffi_type_sint, &ffi_type_sint};
    int a = 40, b = 1, c = 1;
    void *values[3] = {&a, &b, &c};
    ffi_arg result;
    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_sint, types) != FFI_OK)
        return PyErr_Format(PyExc_RuntimeError, "ffi_prep_cif failed");
    ffi_call(&cif, FFI_FN(add3), &result, values);
    return PyLong_FromLong((long)result);
}
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "vmwtestext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_vmwtestext(void) { return PyModule_Create(&mod); }
"""


def write_ffi_probe(dest):
    """The ffiprobe project (module vmwtestext, answer() == 42 through libffi) in dest."""
    setup = ("from setuptools import setup, Extension\n"
             "setup(ext_modules=[Extension('vmwtestext', ['vmwtestext.c'], "
             "libraries=['ffi'])])\n")
    return write_project(dest, "ffiprobe", c_source=FFI_PROBE_C, files={"setup.py": setup},
                         dirname="ffiprobe")


# A package `name` whose C module `_core` is built by CMake (scikit-build-core) or Meson
# (meson-python): machine() says the architecture it was compiled for, the PY_VERSION of the
# headers it saw and the pid (a libc call, for the symbol versions).
BACKEND_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>
#ifdef __aarch64__
#define MACHINE "aarch64"
#else
#define MACHINE "other"
#endif
static PyObject *machine(PyObject *self, PyObject *args) {
    return Py_BuildValue("ssl", MACHINE, PY_VERSION, (long)getpid());
}
static PyMethodDef methods[] = {{"machine", machine, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};
PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&mod); }
"""
BACKEND_FILES = {
    "scikit-build-core": ('requires = ["scikit-build-core"]\n'
                          'build-backend = "scikit_build_core.build"\n', "CMakeLists.txt", """\
        cmake_minimum_required(VERSION 3.15...4.1)
        project({name} LANGUAGES C)
        find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)
        python_add_library(_core MODULE {name}/core.c WITH_SOABI)
        install(TARGETS _core DESTINATION {name})
        """),
    "meson-python": ('requires = ["meson-python"]\nbuild-backend = "mesonpy"\n', "meson.build",
                     """\
        project('{name}', 'c')
        py = import('python').find_installation(pure: false)
        py.extension_module('_core', '{name}/core.c', install: true, subdir: '{name}')
        py.install_sources('{name}/__init__.py', subdir: '{name}')
        """),
}


def write_backend_project(dest, backend, name):
    """Package `name` (BACKEND_C as `name._core`) built by `backend` ("scikit-build-core" or
    "meson-python") in dest/name; a git repository with one commit (meson-python's sdist is
    `meson dist`, which takes what git has). Returns the dir."""
    requires, build_file, build_text = BACKEND_FILES[backend]
    pyproject = f'[build-system]\n{requires}\n[project]\nname = "{name}"\nversion = "1.0"\n'
    root = write_project(dest, name, c_source=None, dirname=name, files={
        "pyproject.toml": pyproject, f"{name}/__init__.py": "from ._core import machine\n",
        f"{name}/core.c": BACKEND_C, build_file: textwrap.dedent(build_text).format(name=name)})
    git = ["git", "-c", "user.name=vmwheel", "-c", "user.email=vmwheel@localhost", "-C", root]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "sample"]):
        subprocess.run(git + args, check=True, capture_output=True)
    return root


# A package that runs what it compiles while it builds (as configure checks and code
# generators do): setup.py compiles gen.c with $CC and runs it, which writes the module
# `where.py` naming the machine it ran on. Cross-compiled, running it fails (Exec format error):
# it builds only where it runs (build-on = emulated for aarch64). Its C extension is cprobe's
# floor probe (fcntl64, exp, pow), so the wheel is at glibc 2.17 only if the compiler is.
RUNS_WHAT_IT_BUILDS = {  # with project_files' pyproject.toml
    "setup.py": textwrap.dedent("""\
        import os, subprocess, sys
        from setuptools import setup, Extension
        if "bdist_wheel" in sys.argv:  # not for the sdist, made on the host
            subprocess.run([os.environ.get("CC", "cc"), "-o", "gen", "src/gen.c"], check=True)
            subprocess.run(["./gen", "genprobe/where.py"], check=True)
        setup(packages=["genprobe"], ext_modules=[
            Extension("genprobe._cprobe", ["src/cprobe.c"], libraries=["m"],
                      define_macros=[("_FILE_OFFSET_BITS", "64")])])
        """),
    "genprobe/__init__.py": "from ._cprobe import probe\nfrom .where import MACHINE\n",
    "src/gen.c": textwrap.dedent("""\
        #include <stdio.h>
        #include <sys/utsname.h>
        int main(int argc, char **argv) {
            struct utsname u;
            FILE *f = fopen(argv[1], "w");
            if (!f || uname(&u) != 0) return 1;
            fprintf(f, "MACHINE = \\"%s\\"\\n", u.machine);
            return fclose(f) != 0;
        }
        """),
    "src/cprobe.c": FLOOR_PROBE["src/cprobe.c"].replace("PY_MINOR_VERSION == 11", "0"),
    "MANIFEST.in": "include src/gen.c\n",
}


def write_runs_what_it_builds(dest):
    """The genprobe project (RUNS_WHAT_IT_BUILDS) in dest/genprobe; returns that dir."""
    return write_project(dest, "genprobe", requires_python=">=3.9", c_source=None,
                         files=RUNS_WHAT_IT_BUILDS, dirname="genprobe")
