"""A stage that failed because the build host ran out of disk or memory says so in its one
line, read from the end of what the command wrote (both streams: its last 64 KiB) and its exit
status. The messages are those of the C library (strerror), Python and GCC."""

import re

DISK = ("No space left on device", "Disk quota exceeded")
MEMORY = ("Cannot allocate memory", "virtual memory exhausted", "out of memory allocating")
PYTHON_MEMORY = re.compile(r"^MemoryError\b", re.MULTILINE)  # a traceback's last line


def failure(name, code, said=""):
    """The line for stage `name` that ended with exit status `code` having written `said`."""
    line = f"{name} failed (exit {code})"
    found = next((m for m in DISK if m in said), None)
    if found:
        return f"{line}: the build host's disk is full ({found})"
    found = next((m for m in MEMORY if m in said), None) or (
        "MemoryError" if PYTHON_MEMORY.search(said) else None)
    if found:
        return f"{line}: the build host ran out of memory ({found})"
    if code == 137:
        return (f"{line}: killed (SIGKILL), as the kernel's out-of-memory killer does when "
                "the build host's memory is full")
    return line
