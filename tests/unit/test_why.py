"""The few lines that say why a build failed, read out of real failed builds' logs."""

from builder.stages import why

CFFI = """\
==> [prepare] rm -rf /tmp/vmwheel/cp311-cp311
==> [build] python -m pip wheel --no-deps -w dist src
Processing ./src
  Building wheel for cffi (pyproject.toml): started
  running build_ext
  building '_cffi_backend' extension
  /opt/floor/bin/gcc -fno-strict-overflow -DNDEBUG -g -O3 -Wall -fPIC -DFFI_BUILDING=1 -I/opt/python/cp311-cp311/include/python3.11 -c src/c/_cffi_backend.c -o build/temp/_cffi_backend.o
  src/c/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory
     15 | #include <ffi.h>
        |          ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~
  compilation terminated.
  error: command '/opt/floor/bin/gcc' failed with exit code 1
  error: subprocess-exited-with-error
  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for cffi
Failed to build cffi
ERROR: Failed to build one or more wheels
"""

LXML = """\
==> [build] python -m pip wheel --no-deps -w dist src
  Building lxml version 5.3.0.
  Building without Cython.
  Error: Please make sure the libxml2 and libxslt development packages are installed.
  [end of output]
  error: subprocess-exited-with-error
  ERROR: Failed building wheel for lxml
"""


def test_the_compiler_line_comes_first_and_pip_noise_is_left_out():
    lines = why.failure_lines(CFFI)
    assert lines == ["src/c/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory",
                     "error: command '/opt/floor/bin/gcc' failed with exit code 1"]
    assert why.missing_headers(lines) == ["ffi.h"]
    [hint] = why.hints(lines)
    assert hint.startswith("hint: ffi.h not found: a system library's headers are missing")


def test_a_backends_own_error_line_is_kept_and_only_the_last_stage_is_read():
    lines = why.failure_lines(CFFI.split("==> [build]")[0] + LXML)
    assert lines == ["Error: Please make sure the libxml2 and libxslt development packages are "
                     "installed."]
    assert why.hints(lines) == []


def test_capped_in_count_and_width_strongest_first_and_redacted():
    log = "==> [build] x\n" + "".join(f"ERROR: pip {i}\n" for i in range(10)) + \
        "a.c:1:1: error: " + "x" * 500 + "\nValueError: bad\n" + \
        "error: https://user:s3cret@index.example/simple failed\n"
    lines = why.failure_lines(log)
    assert len(lines) == why.LIMIT and all(len(line) <= why.WIDTH for line in lines)
    [long] = [line for line in lines if line.startswith("a.c:1:1: error: xxx")]
    assert long.endswith("...")
    assert "ValueError: bad" in lines and "ERROR: pip 0" in lines and "ERROR: pip 9" not in lines
    assert not any("s3cret" in line for line in lines)
    assert why.failure_lines("==> [build] true\nall good\n") == []


CROSS_RUN = """\
==> [build] /opt/python/cp311-cp311/bin/python -m pip wheel --no-deps -w /tmp/vmwheel/cp311-cp311/dist .
  running build_ext
  /opt/cross/bin/aarch64-linux-gnu-gcc -c gen.c -o build/gen
  /bin/sh: 1: build/gen: Exec format error
  error: command '/bin/sh' failed with exit code 126
"""


def test_a_cross_build_running_its_target_program_says_it_cannot_be_cross_compiled():
    lines = why.failure_lines(CROSS_RUN)
    assert "/bin/sh: 1: build/gen: Exec format error" in lines
    (hint,) = why.hints(lines)
    assert "cannot be cross-compiled" in hint and "--build-on emulated" in hint


# A real link's words (the host's gcc handed an archive of the other machine: numpy's
# libnpymath.a from its aarch64 wheel); a cross link given numpy's x86_64 one says the same.
WRONG_ARCHIVE = """\
==> [build] /opt/python/cp311-cp311/bin/python -m pip wheel --no-deps -w /tmp/w/dist . --no-build-isolation
  /usr/bin/ld: /tmp/x/numpy/_core/lib/libnpymath.a(src_npymath_halffloat.cpp.o): Relocations in generic ELF (EM: 183)
  /usr/bin/ld: /tmp/x/numpy/_core/lib/libnpymath.a: error adding symbols: file in wrong format
  collect2: error: ld returned 1 exit status
  error: command '/opt/cross/bin/aarch64-linux-gnu-gcc' failed with exit code 1
"""


def test_a_cross_link_of_a_build_requirements_archive_names_build_on_emulated():
    lines = why.failure_lines(WRONG_ARCHIVE)
    assert any(line.endswith("libnpymath.a: error adding symbols: file in wrong format")
               for line in lines), lines
    (hint,) = why.hints(lines)
    assert "another machine" in hint and "--build-on emulated" in hint
