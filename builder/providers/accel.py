"""Choose the libvirt driver: KVM when it really boots a guest here, else QEMU's TCG.

/dev/kvm existing is not enough: under some nested setups a guest kernel hangs in its
decompressor with KVM. The probe boots the box's own kernel with KVM and a serial console and
waits for "Linux version"; the verdict is cached per kernel. VMWHEEL_DRIVER=kvm|qemu overrides.
"""

import json
import os
import platform
import selectors
import shutil
import subprocess
import threading
import time

from .. import log
from ..errors import ConfigurationError
from ..paths import cache_dir

DRIVERS = ("kvm", "qemu")
_PROBING = threading.Lock()
PROBE_SECONDS = 15


def kvm_boots(kernel, seconds=PROBE_SECONDS):
    """True if `kernel` prints its banner within `seconds` under -enable-kvm."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        return False
    proc = subprocess.Popen(
        [qemu, "-enable-kvm", "-m", "256", "-display", "none", "-monitor", "none",
         "-no-reboot", "-serial", "stdio", "-kernel", str(kernel),
         "-append", "console=ttyS0 panic=-1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    deadline = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline and b"Linux version" not in seen:
            if not sel.select(timeout=0.5):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            seen = (seen + chunk)[-4096:]
    finally:
        proc.kill()
        proc.wait()
        sel.close()
    return b"Linux version" in seen


def native(guest_arch, host_arch=None):
    """True when KVM could run a guest of `guest_arch` ("x86_64", "aarch64", ...) here: the
    host's own arch (and i686 on x86_64)."""
    host_arch = host_arch or platform.machine()
    return guest_arch == host_arch or (guest_arch, host_arch) == ("i686", "x86_64")


def choose_driver(kernel, override=None, guest_arch=None):
    """Return "kvm" or "qemu" for booting `kernel`; say why once. A guest of another arch
    than the host's (aarch64 on x86_64) is emulated: "qemu", with no probe and whatever the
    override says (the Vagrantfile gives such a machine TCG too)."""
    if guest_arch and not native(guest_arch):
        return "qemu"
    override = override or os.environ.get("VMWHEEL_DRIVER")
    if override:
        if override not in DRIVERS:
            raise ConfigurationError(f"unknown libvirt driver '{override}'",
                               "use --driver kvm or --driver qemu")
        return override
    cache = cache_dir() / "accel.json"
    key = f"{kernel}:{os.stat(kernel).st_mtime_ns}"
    with _PROBING:  # machines of one run boot at once: one probe, one writer
        verdicts = _read(cache)
        if key not in verdicts:
            ok = kvm_boots(kernel)
            verdicts = dict(_read(cache), **{key: "kvm" if ok else "qemu"})
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".accel.{os.getpid()}.json")
            tmp.write_text(json.dumps(verdicts, indent=1))
            os.replace(tmp, cache)  # another vmwheel run never reads half a file
            log.say("KVM " + ("boots guests here: using it" if ok else
                    "does not boot a guest here: using QEMU software emulation (TCG, slower)"))
    return verdicts[key]


def driver_without_kernel(override=None):
    """The driver for a box whose kernel vmwheel cannot probe (a public box boots its own
    loader): the override, else what the probes of local kernels found on this host (TCG if
    any found KVM not booting guests), else KVM where /dev/kvm exists."""
    override = override or os.environ.get("VMWHEEL_DRIVER")
    if override:
        return choose_driver(None, override)
    seen = set(_read(cache_dir() / "accel.json").values())
    if "qemu" in seen or not os.path.exists("/dev/kvm"):
        return "qemu"
    return "kvm"


def _read(cache):
    """The cached verdicts; an unreadable cache is probed again."""
    try:
        verdicts = json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}
    return verdicts if isinstance(verdicts, dict) else {}
