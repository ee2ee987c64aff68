"""The check auditwheel cannot do: unversioned references to C library functions.

auditwheel tags a wheel by the newest symbol *versions* its extensions reference. A function
called through a hand-written prototype that the build's C library does not have (`getrandom`
against glibc 2.17) links as an undefined symbol with no version at all: auditwheel then sees
nothing newer than the floor, but the module fails to load on a system whose C library lacks
it. A wheel is refused when one of its extensions references, without a version and without a
library of the wheel providing it, a function that glibc introduced after the wheel's floor
(the oldest glibc its platform tags claim). What glibc has, and since when, is read from this
host's own glibc libraries; unversioned references to older functions (`dlopen` without
libdl, `roundf` without libm: the interpreter has loaded those) are fine.
"""

import functools
import io
import re
import zipfile
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

# Libraries whose exports are all versioned (glibc, GCC's runtime): an unversioned reference
# is never satisfied by their own version of that symbol on an older system.
VERSIONED_SYSTEM_LIBS = ("libc.so", "libm.so", "libdl.so", "librt.so", "libpthread.so",
                         "libutil.so", "libnsl.so", "libresolv.so", "libcrypt.so", "ld-linux",
                         "libgcc_s.so", "libstdc++.so")
PYTHON_PREFIXES = ("Py", "_Py")  # the interpreter provides these to every extension
GLIBC_LIBS = ("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
              "libutil.so.1", "libresolv.so.2", "libcrypt.so.1")
LIB_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64")


def _version(name):
    m = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", name or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


@functools.lru_cache(maxsize=None)
def glibc_since(lib_dirs=LIB_DIRS):
    """{function: oldest (major, minor) glibc version that exports it}, from this host's glibc
    libraries; {} where there are none (then nothing is judged)."""
    since = {}
    for lib in GLIBC_LIBS:
        path = next((Path(d) / lib for d in lib_dirs if (Path(d) / lib).is_file()), None)
        if path is None:
            continue
        with open(path, "rb") as f:
            elf = ELFFile(f)
            verdef = elf.get_section_by_name(".gnu.version_d")
            versym = elf.get_section_by_name(".gnu.version")
            if verdef is None or versym is None:
                continue
            names = {v.entry["vd_ndx"]: next(aux).name for v, aux in verdef.iter_versions()}
            for i, sym in enumerate(elf.get_section_by_name(".dynsym").iter_symbols()):
                if not sym.name or sym["st_shndx"] == "SHN_UNDEF":
                    continue
                ndx = versym.get_symbol(i)["ndx"]  # the hidden bit marks non-default versions
                version = _version(names.get(ndx & 0x7FFF if isinstance(ndx, int) else -1))
                if version and (sym.name not in since or version < since[sym.name]):
                    since[sym.name] = version
    return since


def wheel_floor(wheel):
    """The oldest glibc (major, minor) the wheel's platform tags claim, or None."""
    floors = []
    for tag in Path(wheel).name[:-4].split("-")[-1].split("."):
        m = re.match(r"manylinux_(\d+)_(\d+)_", tag)
        legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
        if m:
            floors.append((int(m.group(1)), int(m.group(2))))
        elif tag.split("_")[0] in legacy:
            floors.append(legacy[tag.split("_")[0]])
    return min(floors) if floors else None


def _dynamic(elf):
    """(needed libraries, defined names, unversioned undefined non-weak names) of one ELF."""
    dynsym = elf.get_section_by_name(".dynsym")
    versym = elf.get_section_by_name(".gnu.version")
    dynamic = elf.get_section_by_name(".dynamic")
    needed = [t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"] \
        if dynamic else []
    defined, unversioned = set(), set()
    if dynsym is None:
        return needed, defined, unversioned
    for i, sym in enumerate(dynsym.iter_symbols()):
        if not sym.name:
            continue
        if sym["st_shndx"] != "SHN_UNDEF":
            defined.add(sym.name)
        elif sym["st_info"]["bind"] == "STB_GLOBAL" and (
                versym is None  # no version information at all: every reference is bare
                or versym.get_symbol(i)["ndx"] in ("VER_NDX_LOCAL", "VER_NDX_GLOBAL")):
            unversioned.add(sym.name)
    return needed, defined, unversioned


def unresolved(wheel, name=None, since=None):
    """{member: sorted names} of the wheel's extensions that reference, unversioned, glibc
    functions newer than the wheel's floor. `name`: the wheel's file name if `wheel` is a
    temporary file; `since`: glibc_since() by default."""
    floor = wheel_floor(name or wheel)
    since = glibc_since() if since is None else since
    if floor is None or not since:
        return {}
    elves = {}
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            if ".so" not in info.filename.rsplit("/", 1)[-1]:
                continue
            try:
                elves[info.filename] = _dynamic(ELFFile(io.BytesIO(z.read(info))))
            except ELFError:
                continue
    bundled = {name.rsplit("/", 1)[-1]: d for name, (_, d, _) in elves.items()}
    found = {}
    for member, (needed, _, unversioned) in elves.items():
        known = set()
        for lib in needed:
            if lib in bundled:
                known |= bundled[lib]
            elif not lib.startswith(VERSIONED_SYSTEM_LIBS):
                break  # a library outside the wheel we cannot see into: do not judge
        else:
            missing = sorted(s for s in unversioned - known
                             if not s.startswith(PYTHON_PREFIXES) and since.get(s, (0, 0)) > floor)
            if missing:
                found[member] = missing
    return found


def describe(found):
    """One line naming the symbols, for a failed interpreter's reason."""
    parts = [f"{member.rsplit('/', 1)[-1]} calls {', '.join(names)} without a symbol version"
             for member, names in sorted(found.items())]
    return ("; ".join(parts) + ": the build's C library lacks it, so the wheel would fail to "
            "load at its glibc floor (auditwheel cannot see this); include the system header "
            "that declares it, or check for it at build time")
