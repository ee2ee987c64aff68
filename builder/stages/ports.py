"""floor-install's results kept on the host: what a before-all built in the guest (one
NAME-KEY.tar.gz per port, KEY a content hash of its tarball, recipes, toolchain and
dependencies) is fetched into the host's cache afterwards and put back into the next guest
before its before-all, so floor-install unpacks instead of compiling. A key that matches
nothing (another toolchain, another recipe) is simply never used. With build-on = emulated the
aarch64 guest's ports prefix also goes to the cross VM that repairs (`hand_over`,
`take_over`)."""

import re
import time

from .. import log
from ..model.ports import BUILT, PREFIX, read as read_ports
from ..paths import cache_dir, ensure_dir
from ..transport.shell import q


def before_all(remote, has_ports, command, run):
    """Run the before-all (`run()`); where floor-install builds ports (`has_ports`: a floor
    box, or the cross box for the target), first a line if it installs Debian -dev packages with
    apt, and around it the host's cache when it calls floor-install."""
    hint = apt_hint(command, has_ports)
    if hint:
        log.say(hint)
    if wanted(command, has_ports):
        around(remote, run, command)
    else:
        run()


def wanted(before_all, has_ports):
    """Only boxes with floor-install's ports, and only a before-all that calls it, need this."""
    return bool(has_ports) and "floor-install" in (before_all or "")


def _cache():
    return ensure_dir(cache_dir() / "ports")


def _guest_names(remote):
    out = remote.check(f"ls -1 {q(BUILT)} 2>/dev/null || true")
    return {n for n in out.split() if n.endswith(".tar.gz")}


def named(command):
    """The ports a before-all names (`floor-install libxslt1-dev ...`) with their dependencies,
    or None when it names none that floor-install knows (say, `floor-install $LIBS`)."""
    ports = {p.name: p for p in read_ports()}
    found = [w for w in re.findall(r"[\w.+-]+", command or "") if w in ports]
    if not found:
        return None
    wanted_ports, todo = set(), list(found)
    while todo:
        name = todo.pop()
        if name not in wanted_ports:
            wanted_ports.add(name)
            todo.extend(ports[name].deps)
    return wanted_ports


def restore(remote, command=""):
    """Upload the host's cached builds the guest lacks, of the ports `command` names (all when
    it names none); how many. The builds of other ports and other targets (an aarch64 build
    never fits an x86_64 box) stay on the host."""
    have, wanted_ports = _guest_names(remote), named(command)
    sent = 0
    for path in sorted(_cache().glob("*.tar.gz")):
        port = path.name.rsplit("-", 1)[0]  # NAME-KEY.tar.gz
        if path.name not in have and (wanted_ports is None or port in wanted_ports):
            remote.put(path, BUILT / path.name)
            sent += 1
    return sent


def keep(remote):
    """Download the guest's new builds into the host's cache (atomically); how many."""
    cache, got = _cache(), 0
    for name in sorted(_guest_names(remote)):
        dest = cache / name
        if not dest.exists():
            part = dest.with_name(dest.name + ".part")
            remote.get(BUILT / name, part)
            part.replace(dest)
            got += 1
    return got


def around(remote, hook, command=""):
    """Run `hook()` (the before-all `command`) between `restore` and `keep`; say what moved."""
    t0 = time.monotonic()
    sent = restore(remote, command)
    try:
        hook()
    finally:
        got = keep(remote)
        log.say(f"floor-install cache: {sent} build(s) restored from this host, {got} new "
                f"kept in {_cache()} ({time.monotonic() - t0:.0f} s with "
                "before-all)")


def apt_hint(before_all, has_ports):
    """A line for a before-all that installs Debian -dev packages on a box with floor-install
    (their libraries need a newer glibc, or are another arch's, and the floor compiler does not
    see them), naming the ports to use instead; None when that does not apply."""
    if not has_ports or not re.search(r"\bapt(-get)?\s+(-\S+\s+)*install\b", before_all or ""):
        return None
    known = {p.name for p in read_ports()}
    devs = [w for w in re.findall(r"\b[\w.+-]+-dev\b", before_all) if w in known]
    if not devs:
        return None
    return (f"before-all installs Debian's {' '.join(devs)} with apt: on this floor box the "
            "compiler does not see Debian's -dev packages (built for a newer glibc); use "
            f"`floor-install {' '.join(devs)}` instead (README: System libraries)")


# build-on = emulated: what floor-install put into the aarch64 guest's ports prefix, handed to
# the cross VM that repairs the wheels (auditwheel grafts those libraries from there).
HANDED = "floor-ports.tar.gz"  # in the compile session's staging dir
GUEST_TAR = "/tmp/vmwheel-floor-ports.tar.gz"


def hand_over(remote, staging, prefix=PREFIX):
    """Pack the guest's ports prefix (floor-install's record of keys left out) and fetch it
    into `staging` (atomically)."""
    remote.check(f"tar -czf {GUEST_TAR} -C {q(prefix)} --exclude=./.installed .")
    part = staging / f"{HANDED}.part"
    remote.get(GUEST_TAR, part)
    part.replace(staging / HANDED)


def take_over(remote, staged, prefix):
    """Unpack the ports a compile session handed over in `staged` into this guest's `prefix`;
    False when it handed none (its before-all did not call floor-install)."""
    if staged is None or not (staged / HANDED).is_file():
        return False
    remote.put(staged / HANDED, GUEST_TAR)
    remote.check(f"mkdir -p {q(prefix)} && tar -xzf {GUEST_TAR} -C {q(prefix)}")
    log.say(f"floor-install's libraries of the compile session unpacked into {prefix}")
    return True
