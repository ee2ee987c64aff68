"""Why a stage failed, in a few lines of its output: the compiler's `error:`/`fatal error:` lines,
a backend's `error:`/`Error:` lines (setuptools, lxml's "Please make sure the libxml2 and
libxslt development packages are installed"), CMake's and meson's errors, pip's `ERROR:` lines,
the last line of a Python traceback, and a cross build's `Exec format error` and `file in wrong
format`. Shown under the failure line and kept in report.json,
so nobody has to open the log to learn that `ffi.h` was missing.
"""

import re

from ..model import ports
from ..redact import redact

LIMIT = 6  # lines shown
WIDTH = 240  # characters per line

# Strongest first: the compiler's own diagnosis says more than pip's "Failed building wheel".
KINDS = [
    re.compile(r"(^|: )(fatal error|error|Error): "),  # gcc/clang, setuptools, lxml's Error:
    re.compile(r"^CMake Error|^meson\.build:\d+:\d+: ERROR:|^ERROR: Problem encountered"),
    re.compile(r"^[A-Za-z_.]*(Error|Exception): "),  # a traceback's last line
    re.compile(r": Exec format error"),  # a shell running a cross build's target program
    re.compile(r": file in wrong format$"),  # a linker given another machine's archive
    re.compile(r"^ERROR: "),  # pip
]
NOISE = re.compile(r"^ERROR: (Failed building wheel for|Could not build wheels for|"
                   r"Failed to build )|note: This error originates from a subprocess|"
                   r"^error: subprocess-exited-with-error|^ERROR: Exception:$")
HEADER = "\n==> ["


def of_log(path, size=256 * 1024):
    """`failure_lines` of a log file's last `size` bytes (a flood's head is not the cause)."""
    with open(path, "rb") as f:
        f.seek(max(0, f.seek(0, 2) - size))
        return failure_lines(f.read().decode(errors="replace"))


def failure_lines(log_text, limit=LIMIT):
    """The few lines of the last stage's output (after its `==> [stage]` header) that say
    why it failed, strongest kind first, each once, in the log's order within a kind."""
    text = log_text[log_text.rfind(HEADER) + 1:] if HEADER in log_text else log_text
    seen, ranked = set(), []
    for number, raw in enumerate(text.splitlines()[1:]):
        line = raw.strip()
        if not line or NOISE.search(line) or line in seen:
            continue
        for rank, kind in enumerate(KINDS):
            if kind.search(line):
                seen.add(line)
                ranked.append((rank, number, line))
                break
    chosen = sorted(sorted(ranked)[:limit], key=lambda item: item[1])
    return [redact(line if len(line) <= WIDTH else line[:WIDTH - 3] + "...")
            for _, _, line in chosen]


# gcc's words, then clang's (zig, the i686 floor's compiler).
MISSING_HEADER = re.compile(r"fatal error: ([\w./+-]+\.h): No such file or directory|"
                            r"fatal error: '([\w./+-]+\.h)' file not found")


def missing_headers(lines):
    """Headers the compiler could not find (`ffi.h`), from `failure_lines`."""
    return sorted({m.group(1) or m.group(2) for line in lines
                   for m in [MISSING_HEADER.search(line)] if m})


def shown(reason, lines, floor=False):
    """The failure line, then the lines that say why and any hint, indented under it."""
    return [reason] + [f"  {line}" for line in lines + hints(lines, floor)]


# A cross build that ran one of its target's programs (a build step executing what it compiled).
EXEC_FORMAT = re.compile(r"Exec format error")
# A cross build's linker given a build machine's archive (numpy's x86_64 libnpymath.a).
WRONG_FORMAT = re.compile(r"file in wrong format")


def hints(lines, floor=False):
    """What to do about what `failure_lines` found, as extra lines ([] when nothing applies).
    On a floor box a missing header that a floor-install port provides names that port."""
    if any(EXEC_FORMAT.search(line) for line in lines):
        return ["hint: the build ran a program compiled for the target (Exec format error): "
                "this package cannot be cross-compiled as it is: build it inside the aarch64 "
                "guest with --build-on emulated (slow; README: aarch64)"]
    if any(WRONG_FORMAT.search(line) for line in lines):
        return ["hint: the link took a library built for another machine (file in wrong "
                "format), such as one a build requirement installed for the cross VM ships "
                "(numpy's libnpymath.a): build it inside the aarch64 guest with --build-on "
                "emulated (slow; README: aarch64)"]
    headers = missing_headers(lines)
    if not headers:
        return []
    found = {h: ports.providing(h) for h in headers} if floor else {}
    named = sorted({p.name for p in found.values() if p})
    if named:
        return [f"hint: {', '.join(headers)} not found: add `floor-install {' '.join(named)}` "
                "to before-all (the floor compiler does not see Debian's -dev packages, built "
                "for a newer glibc; README: System libraries)"]
    return [f"hint: {', '.join(headers)} not found: a system library's headers are missing. On "
            "a floor box the compiler does not search /usr/include (Debian's -dev packages "
            "are built for a newer glibc): build the library from source with $CC in "
            "before-all (README: System libraries)"]
