"""Cross builds (aarch64): the stages split between a build machine and a test machine.

On the cross machine (an x86_64 VM), each interpreter is built by the x86_64 CPython of the same
version, pointed at the aarch64 one's sysconfigdata (the sysconfig route, README: aarch64) and at
the cross compilers; auditwheel repairs for whatever platform the wheel's ELF says (`--plat
auto`: on x86_64 it refuses an aarch64 name) and the result must be the target's; the wheel is
hashed and fetched into a staging dir on the host, never the wheelhouse. On the test machine
(the aarch64 VM), it is put back under the same name, tested, proven at the floor, hashed again
and fetched into the wheelhouse: only tested wheels reach it. With build-on = emulated the
aarch64 guest compiles with its own compilers and the cross machine only repairs (`emulated`).
"""

from ..model.ports import prefix_env
from ..transport.shell import q
from . import buildreqs, crossfiles
from .work import Stage, StageFailed

CROSS_DIR = "/opt/cross"  # the cross box's toolchain; aarch64 CPythons under CROSS_DIR/aarch64
TRIPLET = "aarch64-linux-gnu"
# The aarch64 CPython's sysconfigdata, beside the x86_64 one of its version: {abiflags} is "t"
# for a free-threaded interpreter (_sysconfigdata_t_linux_..., as sysconfig names it).
SYSCONFIGDATA = "_sysconfigdata_{abiflags}_linux_aarch64-linux-gnu"


def hook_env():
    """What every command of the build side sees (before-all too): the cross compilers and the
    marker VMWHEEL_CROSS=aarch64 (README: aarch64)."""
    return {"CC": f"{CROSS_DIR}/bin/{TRIPLET}-gcc", "CXX": f"{CROSS_DIR}/bin/{TRIPLET}-g++",
            "VMWHEEL_CROSS": "aarch64"}


def ports_env():
    """Where the cross box's floor-install puts the aarch64 libraries it cross-builds (the
    cross wrappers search it themselves): pkg-config sees only those (never the box's x86_64
    ones) and auditwheel finds them to graft (README: System libraries)."""
    return prefix_env(f"{CROSS_DIR}/ports")


def env(target_prefix, python, user_cppflags=""):
    """What an aarch64 build with the x86_64 interpreter of version `python` ("3.11"; "3.13t":
    free-threaded) needs; `target_prefix`: the aarch64 CPython's prefix on the cross box
    (CROSS_DIR/aarch64 + the x86_64 one's /opt/_internal/cpython-X.Y.Z[t])."""
    # CPPFLAGS, not CFLAGS: setuptools appends it, and its -I must come before the running
    # interpreter's (x86_64) include dir; CFLAGS would replace sysconfig's. A user's CPPFLAGS
    # (the environment option) follows.
    cppflags = f"-I{target_prefix}/include/python{python} {user_cppflags}".strip()
    return {"_PYTHON_HOST_PLATFORM": "linux-aarch64",
            "_PYTHON_SYSCONFIGDATA_NAME": SYSCONFIGDATA.format(
                abiflags="t" if python.endswith("t") else ""), "CPPFLAGS": cppflags,
            crossfiles.PREFIX_VAR: target_prefix}


def interpreter_env(remote, python_root, base):
    """A function (tag, "X.Y") -> env for the cross box's interpreters (their real prefixes
    read from the guest at once); `base`: the build's env, whose CPPFLAGS follow ours."""
    out = remote.check(f'for d in {q(python_root)}/*/; do d=${{d%/}}; '
                       f'echo "${{d##*/}} $(readlink -f "$d")"; done')
    prefixes = dict(line.split(None, 1) for line in out.splitlines() if " " in line)

    def of(tag, python):
        return env(f"{CROSS_DIR}/aarch64{prefixes.get(tag, '').strip()}", python,
                   base.get("CPPFLAGS", ""))
    return of


def native_env(floor_bin="/opt/floor/bin"):
    """What a build inside the aarch64 guest (build-on = emulated) compiles with: the guest's
    own gcc/g++ behind the glibc 2.17 wrappers of its box (install-floor-toolchain.sh). The
    CPythons' sysconfig names the cross machine's compilers, which the guest does not have."""
    cc, cxx = f"{floor_bin}/gcc", f"{floor_bin}/g++"
    return {"CC": cc, "CXX": cxx, "LDSHARED": f"{cc} -pthread -shared",
            "LDCXXSHARED": f"{cxx} -pthread -shared", "VMWHEEL_BUILD_ON": "emulated"}


def check_platform(builder, w):
    """The repaired wheel must carry the target's platform (`--plat auto` may choose another)."""
    if builder.target not in w.repaired:
        raise StageFailed(f"auditwheel repaired it as {w.repaired}, not for {builder.target}: "
                          "it needs more than glibc 2.17 has (see `auditwheel show` in the log)")


def _put_back(builder, w, name, into, other):
    """The staged wheel `name` into a fresh work dir's `into` (beside an empty `other`)."""
    d = q(w.dir)
    builder.check(f"rm -rf {d} && mkdir -p {d}/{into} {d}/{other}", w.log)
    builder.remote.put(builder.staged / name, str(w.dir / into / name))


def place(builder, w):
    """Put the wheel the cross machine built back under its name on the test machine."""
    _put_back(builder, w, w.repaired, "repaired", "test")


def unrepaired(builder, w):
    """The compiled wheel as it is, for the machine that repairs it (build-on = emulated)."""
    w.repaired = w.built
    builder.check(f"cp {q(w.dir)}/dist/{q(w.built)} {q(w.dir)}/repaired/", w.log)


def fetch_unrepaired(builder, w):
    """Into the staging dir, unchecked: the repair that follows is what checks it."""
    builder.wheelhouse.fetch(builder.remote, w.wheel, w.repaired, w.result.sha256,
                             w.result.size)


def place_built(builder, w):
    """Put the wheel the aarch64 guest compiled where the repair stage reads it."""
    w.built = w.repaired
    _put_back(builder, w, w.built, "dist", "repaired")


def split(stages):
    """(build side, test side) of the native stage list `stages`."""
    by = {s.name: s for s in stages}
    files = Stage("cross-files", lambda b, w: crossfiles.prepare(b, w, CROSS_DIR, TRIPLET,
                                                                  "aarch64"), crossfiles.wanted)
    build = [by["prepare"], files, by["before-build"], Stage("build-reqs", buildreqs.install)]
    build += [by[n] for n in ("build", "repair")]
    build += [Stage("platform", check_platform, lambda b, w: not w.pure)]
    build += [by[n] for n in ("show", "hash", "fetch")]
    test = [Stage("place", place)] + [by[n] for n in ("test", "floor", "hash", "fetch")]
    return build, test


def emulated(stages):
    """(compile side, repair side) of a build inside the aarch64 guest (build-on = emulated):
    the guest compiles with its own compilers and hands the wheel over unrepaired; the cross
    machine repairs it with its auditwheel as it repairs its own (the test side is split's)."""
    by = {s.name: s for s in stages}
    compiled = [by[n] for n in ("prepare", "before-build", "build")]
    compiled += [Stage("unrepaired", unrepaired), by["hash"], Stage("fetch", fetch_unrepaired)]
    repair = [Stage("place", place_built), by["repair"]]
    repair += [Stage("platform", check_platform, lambda b, w: not w.pure)]
    repair += [by[n] for n in ("show", "hash", "fetch")]
    return compiled, repair
