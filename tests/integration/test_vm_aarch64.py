"""The aarch64 test machine with a real VM: its box built (an arm64 Debian under qemu-user, the
cross-built CPython 3.11.2 of the slim table), booted under qemu-system-aarch64 (TCG) by
vagrant-libvirt, saved after that first boot and restored at the next session; in it, `uname -m`
says aarch64, the CPython runs with pip, ssl, hashlib, ctypes, bz2 and lzma, and its floor217
copy runs on glibc 2.17.

Its CPythons come from the cross machine's box build (built first when missing: builder/images/
cross.py's pythons_dir). test_vm_cross.py then builds wheels with both machines.
"""

import re
import time

import pytest

from builder.providers.vagrant_vm import VagrantVM
from tests.integration import test_vm_build as vm
from tests.support import slimtable

pytestmark = pytest.mark.vm
MACHINE = "manylinux2014-aarch64"
PYTHON = "/opt/python/cp311-cp311/bin/python"


def build_box():
    res = vm.run(vm.BIN / "vmwheel", "box", "build", "--machine", MACHINE)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    if "vmwheel: building box" in res.stdout:  # its progress: step, of how many, time so far
        steps = re.findall(r"(?m)^build-arm64-box\.sh: \[(\d+)/(\d+)\] (.*) \(\d+m\d\ds so "
                           r"far\)$", res.stdout)
        assert [int(n) for n, _, _ in steps] == list(range(1, len(steps) + 1)), steps
        assert {int(total) for _, total, _ in steps} == {len(steps)}, steps
        assert "CPython 3.11.2 (aarch64, cross-built)" in [what for _, _, what in steps]
        assert re.search(r"(?m)^build-arm64-box\.sh: done in \d+m\d\ds$", res.stdout)
        # The figures README quotes (pytest -s): each step's start, the stages' own times.
        print("\n".join(re.findall(r"(?m)^(?:build-arm64-box|bootstrap-arm64)\.sh: .*$",
                                    res.stdout)))


def test_the_aarch64_machine_boots_restores_and_runs_its_cpython(tmp_path):
    build_box()
    spec = slimtable.get(MACHINE)
    seen = []
    for round_ in (1, 2):
        machine = VagrantVM(spec, tmp_path / f"logs{round_}", driver="qemu")
        t0 = time.monotonic()
        with machine.session() as remote:
            _, arch = remote.call("uname -m")
            ready = time.monotonic() - t0
            # The modules of the floor libraries, cross-built for aarch64 with the CPython.
            _, version = remote.call(f"{PYTHON} -c 'import sys, zlib, pip, platform, ssl, "
                                     "hashlib, ctypes, bz2, lzma; ssl.create_default_context(); "
                                     "print(platform.machine(), sys.version.split()[0], "
                                     "pip.__version__, ssl.OPENSSL_VERSION, "
                                     "ctypes.CDLL(None).strlen(b\"abc\"))'")
            _, libc = remote.call(f"{PYTHON}3.11-floor217 -c 'import os; "
                                  "print(os.confstr(\"CS_GNU_LIBC_VERSION\"))'")
            _, mark = remote.call("ls /tmp/vmwheel-aarch64-mark 2>&1; "
                                  "touch /tmp/vmwheel-aarch64-mark && sync")
        seen.append(dict(machine.timings, ready=ready))
        print(f"round {round_}: {seen[-1]}")  # the figures README quotes (pytest -s)
        assert arch.strip() == "aarch64"
        assert version.split()[:2] == ["aarch64", "3.11.2"], version
        assert "OpenSSL 1.1.1w" in version and version.split()[-1] == "3", version
        assert libc.strip() == "glibc 2.17", libc
        assert "No such file" in mark  # a restored VM holds nothing of an earlier session
    assert "restore" in seen[1], seen  # the second session resumed the state the first saved
