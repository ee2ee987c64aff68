"""A cross build's files for CMake and Meson: scikit-build-core and meson-python projects
cross-compile for aarch64 with no setting of the user's (README: aarch64).

On the build side, before the build, each interpreter gets in its work dir a CMake toolchain
file (`SKBUILD_CMAKE_TOOLCHAIN_FILE`, which scikit-build-core reads; plain CMake is not told) and
a Meson cross file (`VMWHEEL_MESON_CROSS_FILE`, handed to meson-python as
`setup-args=--cross-file=...`, only when the sdist's build backend is meson-python). Both name
the cross compilers and the aarch64 CPython: CMake's FindPython gets its headers (it would take
the running x86_64 interpreter's) and an emulator that runs the build's Python as it is (needed
once CMP0190 is NEW); Meson finds the headers by pkg-config in the aarch64 CPython's prefix
(`sys_root`). The extension suffix and the wheel tag come from the sysconfig route (stages/
cross.py). A user's `environment` that sets either variable replaces that file.

Build requirements are installed for the build machine (stages/buildreqs.py); for these two
backends a native cmake and ninja are also installed once per session (a venv under the guest
root, first on PATH), so that the backends find them and no interpreter's build asks for them.
"""

import functools

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

from ..sources.source import read_member
from ..transport.shell import q
from .work import StageFailed

CMAKE_BACKEND = "scikit_build_core.build"
MESON_BACKEND = "mesonpy"
TOOLCHAIN_VAR = "SKBUILD_CMAKE_TOOLCHAIN_FILE"
CROSS_FILE_VAR = "VMWHEEL_MESON_CROSS_FILE"
PREFIX_VAR = "VMWHEEL_CROSS_PREFIX"  # the aarch64 CPython's prefix on the cross box
NATIVE_TOOLS = ("cmake", "ninja")


@functools.lru_cache(maxsize=8)
def backend_of(sdist):
    """The sdist's build-system.build-backend ("" when it names none or cannot be read)."""
    try:
        text = read_member(sdist, "pyproject.toml")
        build_system = tomllib.loads(text or "").get("build-system", {})
    except (tomllib.TOMLDecodeError, AttributeError):
        return ""
    backend = build_system.get("build-backend", "") if isinstance(build_system, dict) else ""
    return backend if isinstance(backend, str) else ""


def cmake_toolchain(cross_dir, triplet, processor, prefix, python):
    """The CMake toolchain file for an interpreter whose target CPython is at `prefix`."""
    include = f"{prefix}/include/python{python}"
    return "\n".join([
        "# Written by vmwheel for a cross build (README: aarch64).",
        "set(CMAKE_SYSTEM_NAME Linux)",
        f"set(CMAKE_SYSTEM_PROCESSOR {processor})",
        f"set(CMAKE_C_COMPILER {cross_dir}/bin/{triplet}-gcc)",
        f"set(CMAKE_CXX_COMPILER {cross_dir}/bin/{triplet}-g++)",
        f"set(CMAKE_FIND_ROOT_PATH {cross_dir}/sysroot {cross_dir}/{processor})",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)",
        "# FindPython runs the build's (x86_64) Python, which reports the target's sysconfig.",
        'set(CMAKE_CROSSCOMPILING_EMULATOR /bin/sh -c [["$0" "$@"]])',
        "# The target's headers, not those of the interpreter running the build.",
        f"set(Python_INCLUDE_DIR {include})",
        f"set(Python3_INCLUDE_DIR {include})",
        ""])


def meson_cross_file(cross_dir, triplet, processor, prefix):
    """The Meson cross file for an interpreter whose target CPython is at `prefix`."""
    root = f"{cross_dir}/{processor}"
    return "\n".join([
        "# Written by vmwheel for a cross build (README: aarch64).",
        "[binaries]",
        f"c = '{cross_dir}/bin/{triplet}-gcc'",
        f"cpp = '{cross_dir}/bin/{triplet}-g++'",
        f"ar = '{triplet}-ar'",
        f"strip = '{triplet}-strip'",
        "pkg-config = 'pkg-config'",
        "",
        "[host_machine]",
        "system = 'linux'",
        f"cpu_family = '{processor}'",
        f"cpu = '{processor}'",
        "endian = 'little'",
        "",
        "[properties]",
        "# The Python dependency: its pkg-config file, read under this root.",
        f"sys_root = '{root}'",
        f"pkg_config_libdir = ['{prefix}/lib/pkgconfig']",
        ""])


def wanted(builder, w):
    return backend_of(builder.source.sdist) in (CMAKE_BACKEND, MESON_BACKEND)


def prepare(builder, w, cross_dir, triplet, processor):
    """The stage: the native tools (once), this interpreter's two files, the variables."""
    tools = builder.root / "cross-tools"
    install = (f"test -x {q(tools)}/bin/ninja || {{ {q(w.python)} -m venv --without-pip "
               f"{q(tools)} && {q(w.python)} -m pip --python {q(tools)}/bin/python install -q "
               f"{' '.join(NATIVE_TOOLS)}; }}")
    builder.run("cross-files", f"flock {q(tools)}.lock sh -c {q(install)}", w.log)
    prefix = w.path_env.get(PREFIX_VAR)
    if not prefix:
        raise StageFailed(f"no {PREFIX_VAR} for {w.tag}: is it a cross build?")
    d = w.dir / "cross"
    files = {TOOLCHAIN_VAR: (d / "toolchain.cmake", cmake_toolchain(
                 cross_dir, triplet, processor, prefix, w.result.abi)),
             CROSS_FILE_VAR: (d / "meson-cross.ini", meson_cross_file(
                 cross_dir, triplet, processor, prefix))}
    for path, text in files.values():
        builder.check(f"mkdir -p {q(d)} && printf %s {q(text)} > {q(path)}", w.log)
    w.log.write(f"\n==> [cross-files] {files[TOOLCHAIN_VAR][0]}, {files[CROSS_FILE_VAR][0]}\n")
    for var, (path, _) in files.items():
        if var not in builder.env:  # a user's own file wins
            w.path_env[var] = str(path)
    w.path_env["PATH"] = f"{tools}/bin:{w.path_env['PATH']}"
    if backend_of(builder.source.sdist) == MESON_BACKEND:
        option = "-C" if builder.hooks.get("build-frontend", "pip") == "build" else \
            "--config-settings="
        w.build_args = f' "{option}setup-args=--cross-file=${CROSS_FILE_VAR}"'
