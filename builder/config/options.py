"""Build options: the one table of what every option means, its converter, and its flags.

Precedence, highest first: command line, VMWHEEL_* environment, [tool.vmwheel] in the project's
pyproject.toml, [vmwheel] in its setup.cfg, defaults. Names follow cibuildwheel's where the
meaning is the same. Unknown keys and bad values fail early, naming the key and the value.
The CLI's flags (frontends/cli.py) and the fab task's keywords (frontends/fab.py) are generated
from OPTIONS.
"""

import configparser
import difflib
import os
import sys
import types
from dataclasses import dataclass

from .. import log
from ..errors import ConfigurationError
from ..output.logcap import DEFAULT_CAP
from .converters import (BadValue, int_in, one_of, to_archs, to_bool, to_env, to_list,
                         to_hosts, to_output_dir, to_selectors, to_size, to_str, to_targets)
from .selectors import matches

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

DEFAULT_REPAIR = "auditwheel repair --plat {plat} -w {dest_dir} {wheel}"
DEFAULT_TIMEOUT = 3600  # seconds for each user stage of each interpreter (build-timeout)


@dataclass(frozen=True)
class Option:
    name: str
    convert: object  # (raw value, where) -> typed value; raises BadValue
    default: object
    help: str
    example: str
    fab: str = ""  # the fab keyword, when it is not the name with _ for -
    project: bool = True  # False: only the command line and environment may set it

    @property
    def env_var(self):
        return "VMWHEEL_" + self.name.upper().replace("-", "_")

    @property
    def fab_keyword(self):
        return self.fab or self.name.replace("-", "_")

    @property
    def is_bool(self):
        return self.convert is to_bool


OPTIONS = [
    Option("build", to_selectors, "*", "identifiers to build (cibuildwheel selectors)",
           "cp3{11,13}-manylinux_x86_64", fab="select"),
    Option("skip", to_selectors, "", "identifiers to skip", "*-manylinux_i686 cp313t-*"),
    Option("archs", to_archs, ["x86_64"], "architectures to build for: x86_64, i686, aarch64",
           "x86_64 aarch64"),
    Option("targets", to_targets, ["manylinux_2_17"], "policies to build for (manylinux2014 "
           "= manylinux_2_17, musllinux_1_2); each (policy, arch) is built on the first "
           "machine of builder/model/machines.json that has it", "manylinux2014 musllinux_1_2"),
    Option("environment", to_env, {}, "variables set for builds and tests in the guest",
           'CFLAGS="-O2" FOO=bar'),
    Option("environment-pass", to_list, [], "host variables passed into the guest",
           "CI BUILD_NUMBER"),
    Option("before-all", to_str, "", "command run once per VM before any build",
           "sudo apt-get install -y libyaml-dev"),
    Option("before-build", to_str, "", "command run before each interpreter's build",
           "python -m pip install cython"),
    Option("repair-wheel-command", to_str, DEFAULT_REPAIR, "command that repairs {wheel} into "
           "{dest_dir} for {plat}", DEFAULT_REPAIR),
    Option("test-requires", to_list, [], "packages installed into the test venv", "pytest"),
    Option("test-command", to_str, "", "command run per repaired wheel in a fresh venv "
           "({project}, {wheel}); default: import every top-level module",
           "pytest {project}/tests"),
    Option("build-on", one_of("cross", "emulated"), "cross", "where aarch64 wheels compile: "
           "cross (on the x86_64 cross machine) or emulated (inside the aarch64 guest, always "
           "under TCG: slower, many times so where KVM runs the cross machine; for packages "
           "that run what they build while building); the cross machine repairs, the aarch64 "
           "guest tests either way",
           "emulated"),
    Option("build-frontend", one_of("pip", "build"), "pip", "pip (pip wheel) or build "
           "(python -m build)", "build"),
    Option("build-timeout", int_in(1, 7 * 86400, zero="no limit"), DEFAULT_TIMEOUT,
           "seconds each user stage may take (before-all, and per interpreter before-build, "
           "build, repair, test, floor); then its processes are killed and it fails (0: no "
           "limit)", "7200"),
    Option("output-dir", to_output_dir, "wheelhouse", "where wheels, SHA256SUMS, report.json and "
           "logs go", "dist"),
    Option("log-cap", to_size, DEFAULT_CAP, "the most each interpreter's log keeps of guest "
           "output: its head and tail, with a line saying how much was cut (0: no cap)", "50M"),
    Option("provider", one_of("libvirt"), "libvirt", "Vagrant provider (libvirt)", "libvirt"),
    Option("driver", one_of("", "kvm", "qemu"), "", "libvirt driver: kvm or qemu (default: "
           "probe)", "qemu"),
    Option("keep-vm", to_bool, False, "leave the VM running for the next build", "true"),
    Option("resume", to_bool, True, "keep wheels that an earlier run built from the same "
           "sdist (verified by sha256) instead of building them again", "false"),
    Option("memory", int_in(256, 1 << 20), 0, "guest memory in MiB (default: the machine's)", "4096"),
    Option("cpus", int_in(1, 1024), 0, "guest CPUs (default: the machine's)", "2"),
    Option("guest-network", one_of("allowlist", "full", "none"), "allowlist", "what a VM guest "
           "may reach: allowlist (the package indexes of this host's pip configuration, its "
           "apt mirror and guest-allow), full (everything, this host's loopback too), none "
           "(nothing: pip uses guest-wheels only); command line or environment only",
           "none", project=False),
    Option("guest-allow", to_hosts, [], "more host names (NAME or NAME:PORT) the guest may "
           "reach under guest-network=allowlist; command line or environment only",
           "files.example.org mirror.example.org:8443", project=False),
    Option("guest-wheels", to_str, "", "a directory of wheels on this host, uploaded to the "
           "guest as pip's only source under guest-network=none; command line or environment "
           "only", "wheels/", project=False),
    Option("parallel", int_in(0, 64), 0, "interpreters compiling at the same time on one "
           "build host (default 0: as many as the VM has CPUs; 1 on a plain SSH host)", "2"),
    Option("scheduler", to_str, "", "Dask scheduler of a build farm: loopback, or tls:// with "
           "the three tls options (README: Build farm); never from a project's config",
           "tcp://127.0.0.1:8786", project=False),
    Option("tls-ca-file", to_str, "", "CA of the farm's certificates (tls:// schedulers)",
           "farm-ca.pem", project=False),
    Option("tls-cert", to_str, "", "this client's certificate for the farm", "client.pem",
           project=False),
    Option("tls-key", to_str, "", "the key of --tls-cert", "client-key.pem", project=False),
]
BY_NAME = {o.name: o for o in OPTIONS}


def convert(name, value, where):
    """Check and convert one raw value (str from CLI/env/cfg, or TOML types)."""
    if name not in BY_NAME:
        close = ", ".join(n for n in BY_NAME if n[:3] == name.replace("_", "-")[:3])
        raise ConfigurationError(f"unknown option {name!r} in {where}",
                                 "known options: " + (close or ", ".join(BY_NAME)))
    try:
        return BY_NAME[name].convert(value, where)
    except BadValue as exc:
        raise ConfigurationError(f"bad value {value!r} for option {name!r} in {where}",
                                 f"use {exc.allowed}") from None


def read_project(pyproject_text=None, setup_cfg_text=None):
    """[(name, value, where)] from [tool.vmwheel] and [vmwheel] of a project."""
    found = []
    if setup_cfg_text:
        cp = configparser.ConfigParser(interpolation=None)
        try:
            cp.read_string(setup_cfg_text)
        except configparser.Error as exc:
            first = str(exc).splitlines()[0]
            raise ConfigurationError(f"setup.cfg does not parse ({first})",
                                     "fix the project's setup.cfg") from None
        if cp.has_section("vmwheel"):
            found += [(k, v, "setup.cfg [vmwheel]") for k, v in cp.items("vmwheel")]
    if pyproject_text:
        try:
            data = tomllib.loads(pyproject_text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"pyproject.toml does not parse ({exc})",
                                     "fix the project's pyproject.toml") from None
        tool = data.get("tool", {})
        table = tool.get("vmwheel", {}) if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            raise ConfigurationError("pyproject.toml: [tool.vmwheel] is not a table",
                                     "write it as a [tool.vmwheel] table of options")
        found += [(k, v, "pyproject.toml [tool.vmwheel]") for k, v in table.items()]
    for name, _, where in found:
        option = BY_NAME.get(str(name).replace("_", "-"))
        if option and not option.project:
            raise ConfigurationError(
                f"option {option.name!r} in {where} may come only from the command line or "
                "the environment", "remove it from the project: a project must not choose "
                "where it is built or with which keys")
    return found


# VMWHEEL_* variables that are not options (README: How it runs on this kind of host).
SETTINGS = {"VMWHEEL_CACHE_DIR", "VMWHEEL_LIBVIRT_URI", "VMWHEEL_LIBVIRT_DIR",
            "VMWHEEL_DEBIAN_MIRROR", "VMWHEEL_CPYTHON_MIRRORS", "VMWHEEL_RUNTIME",
            "VMWHEEL_MACHINES"}
_warned = set()


def env_values(environ):
    """[(name, value, where)] from VMWHEEL_<NAME> variables (BUILD, TEST_COMMAND, ...); an
    unknown VMWHEEL_ variable is named once, with the closest known one."""
    known = {o.env_var for o in OPTIONS} | SETTINGS
    for var in sorted(v for v in environ if v.startswith("VMWHEEL_") and v not in known):
        if var not in _warned:
            _warned.add(var)
            close = difflib.get_close_matches(var, sorted(known), n=1)
            log.warn(f"{var} is not a vmwheel setting and is ignored"
                     + (f"; did you mean {close[0]}?" if close else ""))
    return [(o.name, environ[o.env_var], f"environment {o.env_var}")
            for o in OPTIONS if o.env_var in environ]


class Options:
    """Effective options, frozen once read: `opts[name]`, and `origin[name]` says where from."""

    def __init__(self, cli=None, environ=None, pyproject_text=None, setup_cfg_text=None):
        environ = os.environ if environ is None else environ
        values = {o.name: o.default for o in OPTIONS}
        origin = {o.name: "default" for o in OPTIONS}
        layers = [read_project(None, setup_cfg_text), read_project(pyproject_text, None),
                  env_values(environ),
                  [(k, v, "command line") for k, v in (cli or {}).items() if v is not None]]
        for layer in layers:
            for name, value, where in layer:
                name = name.replace("_", "-")
                values[name] = convert(name, value, where)
                origin[name] = where
        self.values = types.MappingProxyType(values)
        self.origin = types.MappingProxyType(origin)

    def __getitem__(self, name):
        return self.values[name]

    def __getstate__(self):  # a farm job carries them to its worker (pickle)
        return {"values": dict(self.values), "origin": dict(self.origin)}

    def __setstate__(self, state):
        self.values = types.MappingProxyType(state["values"])
        self.origin = types.MappingProxyType(state["origin"])

    def selected(self, identifier):
        return (matches(self["build"], identifier)
                and not (self["skip"] and matches(self["skip"], identifier)))
