"""Why auditwheel refused the target: which library of the wheel's tree needs which too-new
symbol versions.

auditwheel says only "too-recent versioned symbols". The usual cause on a floor box is a
library the wheel links to that was not built with the floor toolchain: a Debian `-dev`
package installed by `before-all` was built for the distribution's own glibc. The guest lists
the wheel's ELF files and the libraries they load (`ldd`) with their undefined dynamic symbols
(`objdump -T`); this module reads that listing against auditwheel's policy for the target
(its symbol versions and the libraries every system has) and names what is too new.
"""

import functools
import json
import re
from importlib import resources

from ..transport.shell import q

MARK = "@@elf "
LISTING_KEEP = 64 << 20  # bytes of the listing read back (a wheel's tree lists far less)
UNDEFINED = re.compile(r"\*UND\*\s+\S+\s+\(?([A-Z][A-Z_]*)_([\d.]+|[A-Z_]+)\)?\s+(\S+)\s*$")


def listing_command(python, wheel):
    """A guest command that prints, for the wheel's ELF files and every library they load, a
    `@@elf PATH` line (`@@elf wheel:NAME` inside the wheel) and its undefined dynamic symbols."""
    return ("d=$(mktemp -d) && trap 'rm -rf \"$d\"' EXIT && "
            f"{q(python)} -m zipfile -e {q(wheel)} \"$d/w\" && "
            "find \"$d/w\" -type f -name '*.so*' > \"$d/elves\" && "
            "while read -r f; do ldd \"$f\" 2>/dev/null | "
            "awk '$2 == \"=>\" && $3 ~ /^\\// {print $3}'; done < \"$d/elves\" | sort -u "
            "> \"$d/libs\" && cat \"$d/elves\" \"$d/libs\" | while read -r f; do "
            f"echo \"{MARK}$f\" | sed \"s|{MARK}$d/w/|{MARK}wheel:|\"; "
            "objdump -T \"$f\" | grep -F '*UND*' || true; done")


def refusal(remote, env, python, wheel, plat):
    """Why the repair of `wheel` was refused, in one line, when its tree needs symbol versions
    the target does not allow ("too-recent versioned symbols"); None otherwise."""
    code, listing = remote.call(listing_command(python, wheel), env=env, keep=LISTING_KEEP)
    found = too_new(listing, plat) if code == 0 else []
    return describe(found, plat) if found else None


@functools.lru_cache(maxsize=None)
def _policy(plat):
    """(allowed {prefix: versions}, system libraries) of a manylinux target, or None."""
    m = re.fullmatch(r"(manylinux_\d+_\d+|manylinux\d+)_(\w+)", plat)
    if not m:
        return None
    text = resources.files("auditwheel.policy").joinpath("manylinux-policy.json").read_text()
    for p in json.loads(text):
        if m.group(1) == p["name"] or m.group(1) in p.get("aliases", []):
            allowed = p["symbol_versions"].get(m.group(2))
            return (allowed, frozenset(p["lib_whitelist"])) if allowed is not None else None
    return None


def _key(version):
    return tuple(int(x) for x in version.split(".") if x.isdigit())


def too_new(listing, plat):
    """[(ELF, [symbol@VERSION, ...])] of the ELF files that need versions the target's
    policy does not allow; [] when the listing or the target says nothing."""
    policy = _policy(plat)
    if policy is None:
        return []
    allowed, system = policy
    found, current, names = [], None, []
    for line in listing.splitlines() + [MARK]:
        if line.startswith(MARK):
            if current and names:
                found.append((current, sorted(set(names), key=lambda s: _key(s.split("_")[-1]))))
            current, names = line[len(MARK):].strip(), []
            if current.rsplit("/", 1)[-1] in system:
                current = None  # the target's systems have their own copy
            continue
        m = UNDEFINED.search(line)
        if current and m and m.group(1) in allowed and m.group(2)[0].isdigit() \
                and m.group(2) not in allowed[m.group(1)]:
            names.append(f"{m.group(3)}@{m.group(1)}_{m.group(2)}")
    return found


def describe(found, plat):
    """One line: what needs what, and what to do."""
    parts = []
    for elf, names in found:
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        where = elf[len("wheel:"):].rsplit("/", 1)[-1] if elf.startswith("wheel:") else elf
        parts.append(f"{where} needs {shown}")
    outside = any(not elf.startswith("wheel:") for elf, _ in found)
    cxx = any(n.split("@")[-1].startswith(("GLIBCXX_", "CXXABI_"))
              for _, names in found for n in names)
    if outside:
        todo = ("build that library from source with the floor's $CC in before-all (README: "
                "System libraries)")
    elif cxx:  # a shared libstdc++ other than the floor's static one was linked
        todo = ("it links a shared libstdc++ newer than the target's: link C++ with the floor's "
                "$CC or $CXX (-lstdc++ there is the static libstdc++), not with a path to "
                "libstdc++.so or another compiler's -L")
    else:
        todo = "compile with the machine's floor toolchain ($CC), not another compiler"
    return f"repair: {'; '.join(parts)}, newer than {plat} allows: {todo}"
