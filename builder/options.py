"""Build options: what every option means (as data), where its value came from, and selectors.

Precedence, highest first: command line, VMWHEEL_* environment, [tool.vmwheel] in the project's
pyproject.toml, [vmwheel] in its setup.cfg, defaults. Names follow cibuildwheel's where the
meaning is the same. Unknown keys and bad values fail early, naming the key and the value.
"""

import configparser
import fnmatch
import os
import re
import shlex
import sys
from dataclasses import dataclass

from .errors import VmwheelError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

DEFAULT_REPAIR = "auditwheel repair --plat {plat} -w {dest_dir} {wheel}"


@dataclass(frozen=True)
class Option:
    name: str
    kind: str  # str | bool | int | list | env
    default: object
    help: str
    example: str


OPTIONS = [
    Option("build", "str", "*", "selectors of identifiers to build (cibuildwheel syntax)",
           "cp3{11,13}-manylinux_x86_64"),
    Option("skip", "str", "", "selectors of identifiers to skip", "*-manylinux_i686 cp313t-*"),
    Option("archs", "list", ["x86_64"], "architectures to build for: x86_64, i686",
           "x86_64 i686"),
    Option("targets", "list", ["manylinux_2_31"], "policies to build for; each (policy, arch) "
           "is a machine of builder/machines.json", "manylinux_2_31"),
    Option("environment", "env", {}, "variables set for builds and tests in the guest",
           'CFLAGS="-O2" FOO=bar'),
    Option("environment-pass", "list", [], "host variables passed into the guest",
           "CI BUILD_NUMBER"),
    Option("before-all", "str", "", "command run once per VM before any build", "sudo apt-get "
           "install -y libyaml-dev"),
    Option("before-build", "str", "", "command run before each interpreter's build",
           "python -m pip install cython"),
    Option("repair-wheel-command", "str", DEFAULT_REPAIR, "command that repairs {wheel} into "
           "{dest_dir} for {plat}", DEFAULT_REPAIR),
    Option("test-requires", "list", [], "packages installed into the test venv", "pytest"),
    Option("test-command", "str", "", "command run per repaired wheel in a fresh venv "
           "({project}, {wheel}); default: import every top-level module",
           "pytest {project}/tests"),
    Option("build-frontend", "str", "pip", "pip (pip wheel) or build (python -m build)",
           "build"),
    Option("output-dir", "str", "wheelhouse", "where wheels, SHA256SUMS, report.json and logs "
           "go", "dist"),
    Option("provider", "str", "libvirt", "Vagrant provider (libvirt)", "libvirt"),
    Option("driver", "str", "", "libvirt driver: kvm or qemu (default: probe)", "qemu"),
    Option("keep-vm", "bool", False, "leave the VM running for the next build", "true"),
    Option("resume", "bool", True, "keep wheels that an earlier run built from the same "
           "sdist (verified by sha256) instead of building them again", "false"),
    Option("memory", "int", 0, "guest memory in MiB (default: the machine's)", "4096"),
    Option("cpus", "int", 0, "guest CPUs (default: the machine's)", "2"),
]
BY_NAME = {o.name: o for o in OPTIONS}
CHOICES = {"build-frontend": {"pip", "build"}, "provider": {"libvirt"},
           "driver": {"", "kvm", "qemu"}}
ARCHS = {"x86_64", "i686"}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def parse_env(text, where):
    """'A=1 B="x y"' -> {'A': '1', 'B': 'x y'}."""
    env = {}
    for item in shlex.split(text):
        key, eq, value = item.partition("=")
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise VmwheelError(f"bad environment entry {item!r} in {where}",
                               "write NAME=value pairs")
        env[key] = value
    return env


def convert(name, value, where):
    """Check and convert one raw value (str from CLI/env/cfg, or TOML types)."""
    if name not in BY_NAME:
        close = ", ".join(n for n in BY_NAME if n[:3] == name.replace("_", "-")[:3])
        raise VmwheelError(f"unknown option {name!r} in {where}",
                           "known options: " + (close or ", ".join(BY_NAME)))
    opt = BY_NAME[name]
    try:
        if opt.kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in TRUE | FALSE:
                return str(value).lower() in TRUE
            raise ValueError
        if opt.kind == "int":
            n = int(value)
            if n < 0:
                raise ValueError
            return n
        if opt.kind == "list":
            items = value if isinstance(value, list) else str(value).replace(",", " ").split()
            items = [str(i) for i in items]
            if name == "archs" and not set(items) <= ARCHS:
                raise ValueError
            if name == "targets" and not all(re.fullmatch(r"(many|musl)linux_\d+_\d+", t)
                                             for t in items):
                raise ValueError
            return items
        if opt.kind == "env":
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items()}
            return parse_env(str(value), where)
        if isinstance(value, list):  # TOML arrays of commands join with &&
            value = " && ".join(str(v) for v in value)
        value = str(value)
        if name in CHOICES and value not in CHOICES[name]:
            raise ValueError
        if name in ("build", "skip"):
            check_selectors(value, where)
        return value
    except (ValueError, TypeError):
        allowed = {"bool": "true or false", "int": "a whole number >= 0",
                   "archs": "x86_64 and/or i686",
                   "targets": "policies like manylinux_2_31"}.get(
            name if name in ("archs", "targets") else opt.kind,
            " or ".join(sorted(CHOICES.get(name, []))) or "a string")
        raise VmwheelError(f"bad value {value!r} for option {name!r} in {where}",
                           f"use {allowed}") from None


def read_project(pyproject_text=None, setup_cfg_text=None):
    """[(name, value, where)] from [tool.vmwheel] and [vmwheel] of a project."""
    found = []
    if setup_cfg_text:
        cp = configparser.ConfigParser()
        cp.read_string(setup_cfg_text)
        if cp.has_section("vmwheel"):
            found += [(k, v, "setup.cfg [vmwheel]") for k, v in cp.items("vmwheel")]
    if pyproject_text:
        try:
            data = tomllib.loads(pyproject_text).get("tool", {}).get("vmwheel", {})
        except tomllib.TOMLDecodeError as exc:
            raise VmwheelError(f"pyproject.toml does not parse ({exc})",
                               "fix the project's pyproject.toml") from None
        found += [(k, v, "pyproject.toml [tool.vmwheel]") for k, v in data.items()]
    return found


def env_values(environ):
    """[(name, value, where)] from VMWHEEL_<NAME> variables (BUILD, TEST_COMMAND, ...)."""
    found = []
    for opt in OPTIONS:
        var = "VMWHEEL_" + opt.name.upper().replace("-", "_")
        if var in environ:
            found.append((opt.name, environ[var], f"environment {var}"))
    return found


class Options:
    """Effective options with their origin: `values[name]`, `origin[name]`."""

    def __init__(self, cli=None, environ=None, pyproject_text=None, setup_cfg_text=None):
        environ = os.environ if environ is None else environ
        self.values = {o.name: o.default for o in OPTIONS}
        self.origin = {o.name: "default" for o in OPTIONS}
        layers = [read_project(None, setup_cfg_text), read_project(pyproject_text, None),
                  env_values(environ),
                  [(k, v, "command line") for k, v in (cli or {}).items() if v is not None]]
        for layer in layers:
            for name, value, where in layer:
                name = name.replace("_", "-")
                self.values[name] = convert(name, value, where)
                self.origin[name] = where

    def __getitem__(self, name):
        return self.values[name]

    def selected(self, identifier):
        return (matches(self["build"], identifier)
                and not (self["skip"] and matches(self["skip"], identifier)))


def expand_braces(pattern):
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    head, tail = pattern[:m.start()], pattern[m.end():]
    return [x for alt in m.group(1).split(",") for x in expand_braces(head + alt + tail)]


def check_selectors(text, where):
    for word in text.split():
        if not re.fullmatch(r"[A-Za-z0-9_*?\[\]{},.-]+", word) or word.count("{") != \
                word.count("}"):
            raise VmwheelError(f"bad selector {word!r} in {where}",
                               "use patterns like cp311-manylinux_x86_64 or *-manylinux_i686")


def matches(selectors, identifier):
    """cibuildwheel-style: space-separated fnmatch patterns with {a,b} alternatives."""
    return any(fnmatch.fnmatchcase(identifier, pat)
               for word in selectors.split() for pat in expand_braces(word))


def split_platform(plat):
    """'manylinux_2_31_x86_64' -> ('manylinux_2_31', 'x86_64')."""
    for arch in ("x86_64", "i686", "aarch64", "ppc64le", "s390x", "armv7l"):
        if plat.endswith("_" + arch):
            return plat[:-len(arch) - 1], arch
    raise VmwheelError(f"unknown platform {plat!r}", "use e.g. manylinux_2_31_x86_64")


def identifier(tag, policy, arch):
    """'cp313-cp313t', 'manylinux_2_31', 'x86_64' -> 'cp313t-manylinux_x86_64'."""
    py, abi = tag.split("-", 1)
    kind = policy.split("_")[0]
    return f"{py}{'t' if abi.endswith('t') else ''}-{kind}_{arch}"
