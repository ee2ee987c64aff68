"""The floor proof, after the test: the wheel run under the floor's own loader where the box has
one (x86_64: the sysroot's glibc 2.17; musllinux: musl's), and its failure turned into one line;
where it has none (i686: zig's floor), the proof is the wheel's symbols (auditwheel's check at
the repair, the unversioned-symbol guard at the fetch) and the test that ran on the box's glibc."""

import re

from ..model.arch import POLICY_ALIASES, split_platform
from ..transport.shell import q
from .guest import IMPORT_TEST
from .work import StageFailed


def prove(builder, w):
    """The floor stage of `w` on `builder`'s host: sets the result's floor_proof and proof."""
    floor = builder.floor
    if not floor.loader:
        out = builder.run("floor", "getconf GNU_LIBC_VERSION", w.log).split()
        ran_on = out[-1] if out else "?"  # "glibc 2.31": what the test ran on
        w.result.floor_proof = (f"symbols checked against {floor.label}; imported under "
                                f"glibc {ran_on}")
        w.result.proof = floor.proof(ran_on)
        return
    target = w.dir / "floor"
    install = (f"{q(w.python)} -m pip install -q --target {q(target)} --only-binary=:all: "
               f"{' '.join(f'--platform {p}' for p in platforms(floor, builder.plat))} "
               f"{q(w.wheel)}")
    if floor.copy:  # the interpreter's copy whose ELF interpreter is the floor's loader
        runner = q(w.bindir / f"python{w.result.abi}{floor.copy}")
    else:
        runner = f"{q(floor.run)} {q(w.python)}"
    run = f"PYTHONPATH={q(target)} {runner} -c {q(IMPORT_TEST)} {q(w.wheel)} 2>&1"
    try:
        builder.run("floor", f"{install} && {run}", w.log, cwd=w.dir / "test", env=w.path_env)
    except StageFailed as exc:
        raise StageFailed(floor_failure(exc.output, floor.version, floor.libc)
                          or no_floor_wheel(exc.output, floor) or str(exc)) from None
    w.result.floor_proof = floor.imported
    w.result.proof = floor.proof()


def platforms(floor, plat):
    """The platform tags of wheels that run at `floor`, the machine's platform `plat` (its
    policy is the floor's) and its legacy alias (pip adds manylinux2010 and manylinux1 to
    manylinux2014), or musllinux_1_1 too: pip installs the wheel's dependencies beside it with
    these only. With the box's own tags it would take wheels that need a newer C library than
    the floor (numpy >= 2.3 needs glibc 2.27), and the proof would blame the wheel for it."""
    policy, arch = split_platform(plat)
    if floor.libc == "musl":
        return [plat, f"musllinux_1_1_{arch}"]
    return [plat] + [f"{alias}_{arch}" for alias, name in POLICY_ALIASES.items()
                     if name == policy]


def no_floor_wheel(output, floor):
    """The line for a dependency that has no wheel for the floor, or ""."""
    m = re.search(r"No matching distribution found for (\S+)", output)
    if not m:
        return ""
    return (f"floor proof: the dependency {m.group(1)} has no wheel that runs on {floor.label}, "
            "so this wheel cannot be imported there: pin a release of it that has one, or "
            "build for a newer policy (--targets)")


def floor_failure(output, version, libc="glibc"):
    """The one line that says why a wheel did not load under the floor's loader, or ""."""
    m = re.search(r"undefined symbol: (\w+)", output)
    if m:
        return f"floor proof: {m.group(1)} is not in {libc} {version} (undefined symbol)"
    m = re.search(r"version `(\w+_[\d.]+)' not found", output)
    if m:
        return f"floor proof: needs {m.group(1)}, newer than {libc} {version}"
    m = re.search(r"Error relocating [^:]+: (\w+): symbol not found", output)  # musl's loader
    if m:
        return f"floor proof: {m.group(1)} is not in {libc} {version} (symbol not found)"
    m = re.search(r"Error loading shared library ([^:\s]+): No such file", output)
    if m:
        return f"floor proof: {m.group(1)} is not there under {libc} {version}'s loader"
    return ""
