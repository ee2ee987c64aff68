"""The machine table (machines.json, shared with the Vagrantfile) as typed `MachineSpec`s.

Imports nothing above the model: every other layer may use it.
"""

import dataclasses
import functools
import json
from dataclasses import dataclass

from ..errors import ConfigurationError
from ..paths import MACHINES_JSON
from .arch import Arch

PREFIX = "/opt/floor"  # where a box's floor toolchain lives
AARCH64_COPY = "-floor217"  # the aarch64 test box's interpreter copies under glibc 2.17


@dataclass(frozen=True)
class Floor:
    """The C library floor a build host carries in /opt/floor: the glibc 2.17 sysroot or zig's
    glibc 2.17 target (manylinux2014), or musl (musllinux). Where its own loader is there
    (floor-run), wheels are proven under it; zig's floor has no 2.17 runtime at hand, so only
    the wheel's symbols prove it."""

    version: str  # "2.17", "1.2.2"
    run: str  # the guest's runner, e.g. /opt/floor/bin/floor-run PROGRAM ARGS...; "": none
    libc: str = "glibc"  # or "musl"
    toolchain: str = "gcc"  # "gcc" (a sysroot with its loader; musl's gcc wrappers) or "zig"
    # Where the loader cannot be started by hand (aarch64's 2.17 one segfaults so), each CPython
    # has a copy whose ELF interpreter is the floor's loader: bin/pythonX.Y + this suffix
    # (provision/aarch64/floor-python.sh).
    copy: str = ""

    @property
    def label(self):
        """"glibc 2.17", "musl 1.2.2": what the wheels were built and tested against."""
        return f"{self.libc} {self.version}"

    @property
    def ports(self):
        """True when floor-install builds system libraries for it (not yet with zig)."""
        return self.toolchain == "gcc"

    @property
    def loader(self):
        """True when wheels can run under the floor's own C library."""
        return bool(self.run or self.copy)

    def proof(self, ran_on=""):
        """The proof's kind, as report.json and the summary name it."""
        if self.loader:
            return f"{self.label} loader"
        return "symbols" + (f"; ran on glibc {ran_on}" if ran_on else "")

    @property
    def imported(self):
        """The floor proof's line for a wheel that imported under this floor's loader."""
        return (f"imported under musl {self.version}'s loader" if self.libc == "musl" else
                f"imported under glibc {self.version}")

    def env(self):
        """What builds need to reach the floor's compilers: nothing where the interpreters'
        sysconfig names them; zig's wrappers for interpreters built with the distro's gcc (the
        link lines are their sysconfig's, with the wrapper for gcc/g++)."""
        if self.toolchain != "zig":
            return {}
        cc, cxx = f"{PREFIX}/bin/cc", f"{PREFIX}/bin/c++"
        return {"CC": cc, "CXX": cxx, "LDSHARED": f"{cc} -pthread -shared -Wl,--strip-all",
                "LDCXXSHARED": f"{cxx} -pthread -shared -Wl,--strip-all"}


@dataclass(frozen=True)
class MachineSpec:
    """One build machine: a box, its libc policy and arch, and the CPythons it carries."""

    name: str
    box: str
    source: str  # "local" (built by `vmwheel box build`) or "public" (fetched by Vagrant)
    family: str  # debian, centos7, alma8, alma9, alpine, ...
    arch: Arch
    policy: str  # manylinux_2_31, musllinux_1_2, ...
    memory: int
    cpus: int
    cpythons: tuple = ()
    suite: str = ""
    debian_arch: str = ""
    distro_python: str = ""
    disk_gb: int = 8
    verified: bool = False
    floor: str = ""  # "2.17", "1.2.2": the floor's C library version, toolchain in /opt/floor
    floor_toolchain: str = "gcc"  # gcc: sysroot, loader, floor CPythons; zig: wrappers only
    libc: str = "glibc"  # "musl": the floor is musl's (provision/install-musl-toolchain.sh)
    # A machine whose wheels are compiled elsewhere names that build machine (`build_on`): its
    # own VM only tests them (aarch64, on a real aarch64 kernel). A `cross` machine is such a
    # build machine: an x86_64 box that compiles for `arch` with a cross toolchain; it is
    # chosen through the machine that names it, never by targets and archs.
    build_on: str = ""
    cross: bool = False

    @property
    def floor_spec(self):
        """The Floor its box carries (provision/install-floor-toolchain.sh,
        install-musl-toolchain.sh or install-zig-floor.sh), or None."""
        if not self.floor or self.cross:  # a cross machine's wheels are proven where tested
            return None
        if self.arch == Arch.AARCH64:
            return Floor(self.floor, "", self.libc, copy=AARCH64_COPY)
        if self.floor_toolchain == "zig":
            return Floor(self.floor, "", self.libc, "zig")
        return Floor(self.floor, f"{PREFIX}/bin/floor-run", self.libc)

    @property
    def guest_arch(self):
        """The arch its VM runs: its own, but x86_64 for a cross machine (an x86_64 box that
        compiles for `arch`)."""
        return Arch.X86_64 if self.cross else self.arch

    @property
    def is_local(self):
        return self.source == "local"

    @property
    def platform(self):
        return f"{self.policy}_{self.arch.value}"

    def python_versions(self):
        """The interpreters it carries, as "X.Y" (free-threaded ones as "X.Yt")."""
        found = []
        for v in self.cpythons or (self.distro_python,):
            xy = ".".join(v.rstrip("t").split(".")[:2]) + ("t" if v.endswith("t") else "")
            if xy not in found:
                found.append(xy)
        return found

    def sized(self, memory=0, cpus=0):
        """This machine with other guest memory (MiB) or CPUs; 0 keeps the table's."""
        return dataclasses.replace(self, memory=memory or self.memory, cpus=cpus or self.cpus)

    def box_inputs(self):
        """What decides a local box's content (hashed into its key with provision/)."""
        inputs = {"family": self.family, "suite": self.suite or None,
                  "debian_arch": self.debian_arch or None, "arch": self.arch.value,
                  "policy": self.policy, "disk_gb": self.disk_gb if self.is_local else None,
                  "cpythons": list(self.cpythons)}
        if self.floor:  # only then: the keys of boxes without a floor stay as they were
            inputs["floor"] = self.floor
        if self.floor_toolchain != "gcc":
            inputs["floor_toolchain"] = self.floor_toolchain
        if self.libc != "glibc":
            inputs["libc"] = self.libc
        if self.cross or self.build_on:
            inputs.update(cross=self.cross, build_on=self.build_on)
        return inputs


@dataclass(frozen=True)
class MachineTable:
    default: str
    machines: dict  # name -> MachineSpec, in the file's order

    def get(self, name=None):
        name = name or self.default
        if name not in self.machines:
            raise ConfigurationError(f"unknown machine '{name}'",
                                     "choose one of: " + ", ".join(sorted(self.machines)))
        return self.machines[name]

    def builder_of(self, spec):
        """The machine that compiles `spec`'s wheels: itself, or the cross machine it names."""
        if not spec.build_on:
            return spec
        other = self.get(spec.build_on)
        if not other.cross or (other.arch, other.policy) != (spec.arch, spec.policy):
            raise ConfigurationError(
                f"machine {spec.name} names {other.name} as its build machine, which is not a "
                f"cross machine for {spec.policy}_{spec.arch.value}",
                "fix \"build_on\" in the machine table")
        return other

    def with_builders(self, specs):
        """`specs`, each after the machine that compiles its wheels when that is another one
        (the boxes a build of them needs, in the order they are built)."""
        return [m for s in specs for m in ([self.builder_of(s)] if s.build_on else []) + [s]]


def _spec(name, raw):
    fields = {f.name for f in dataclasses.fields(MachineSpec)}
    values = {k: v for k, v in raw.items() if k in fields}
    values["arch"] = Arch(raw["arch"])
    values["cpythons"] = tuple(raw.get("cpythons", ()))
    return MachineSpec(name=name, **values)


@functools.lru_cache(maxsize=None)
def load_table(path=MACHINES_JSON):
    try:
        raw = json.loads(path.read_text())
        return MachineTable(raw["default"],
                            {n: _spec(n, m) for n, m in raw["machines"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(
            f"cannot read the machine table {path} ({type(exc).__name__}: {exc})",
            "fix that file, or unset VMWHEEL_MACHINES to use vmwheel's own table") from None


def default_name():
    """The table's default machine, for help texts (which must not fail if the table does)."""
    try:
        return load_table().default
    except ConfigurationError:
        return "the machine table's default"


def get(name=None):
    """The machine called `name` (default: the table's default)."""
    return load_table().get(name)
