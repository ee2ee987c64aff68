"""stages/starved.py: a failed stage names a full disk or exhausted memory in its one line."""

import pytest

from builder.stages.starved import failure


@pytest.mark.parametrize("code, said, line", [
    (1, "cc1: fatal error: x.o: No space left on device\n",
     "build failed (exit 1): the build host's disk is full (No space left on device)"),
    (1, "Traceback ...\nMemoryError\n",
     "build failed (exit 1): the build host ran out of memory (MemoryError)"),
    (1, "cc1plus: out of memory allocating 65536 bytes\n",
     "build failed (exit 1): the build host ran out of memory (out of memory allocating)"),
    (1, "tests/test_x.py::test_raises_MemoryError FAILED\n", "build failed (exit 1)"),
    (137, "",
     "build failed (exit 137): killed (SIGKILL), as the kernel's out-of-memory killer does when "
     "the build host's memory is full"),
    (1, "error: invalid syntax\n", "build failed (exit 1)"),
    (2, "", "build failed (exit 2)"),
])
def test_disk_or_memory_is_named(code, said, line):
    assert failure("build", code, said) == line
