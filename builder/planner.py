"""The planner: package x machines x interpreters -> typed jobs and their verdicts. Pure: no VM,
no SSH, no files; unit-tested on its own.

Each (machine, interpreter) becomes a `Result` whose status is `pending` (a job to run),
`skipped` (Requires-Python, build/skip selectors) or `built` (kept from an earlier run of the
same sdist).
"""

from .errors import ConfigurationError
from .model.machine import load_table
from .model.result import Job, Result, Status, identifier, tag_for

# A plain SSH host's interpreters are known only once connected; for choosing the release of a
# bare package name, assume any current CPython may be there.
ANY_PYTHON = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


def select_machines(opts, machine=None, table=None):
    """[MachineSpec]: the explicit machines (`machine`: names separated by commas or spaces),
    else for each (policy, arch) of targets x archs the first machine of the table that has
    it; sized by the memory and cpus options."""
    table = table or load_table()
    if machine:
        names = dict.fromkeys(machine.replace(",", " ").split())  # in order, once each
        for n in names:
            if table.get(n).cross:
                users = [m.name for m in table.machines.values() if m.build_on == n]
                raise ConfigurationError(
                    f"machine {n} only compiles for another machine's tests",
                    f"choose {' or '.join(users) or 'the machine that names it'} instead")
        return [table.get(n).sized(opts["memory"], opts["cpus"]) for n in names]
    first = {}
    for m in table.machines.values():
        if m.cross:  # a build machine of the machine that names it
            continue
        if m.policy in opts["targets"] and m.arch.value in opts["archs"]:
            first.setdefault((m.policy, m.arch), m)
    targets = " ".join(opts["targets"])
    for arch in opts["archs"]:
        if not any(m.arch.value == arch for m in first.values()):
            others = sorted({m.policy for m in table.machines.values() if m.arch.value == arch})
            raise ConfigurationError(
                f"no machine for targets {targets} and arch {arch}",
                (f"machines for {arch} have targets {' '.join(others)}: add one, e.g. "
                 f"--targets '{targets} {others[-1]}', or drop {arch} from archs") if others else
                f"drop {arch} from archs (see builder/model/machines.json)")
    chosen = list(first.values())
    return [m.sized(opts["memory"], opts["cpus"]) for m in chosen]


def pythons_of(machines):
    """The interpreter versions ("X.Y") that the source must suit, for resolving a package."""
    if machines is None:
        return list(ANY_PYTHON)
    versions = {p.rstrip("t") for m in machines for p in m.python_versions()}
    return sorted(versions, key=lambda v: tuple(int(x) for x in v.split(".")))


def classify(r, src, opts, earlier):
    """Decide a pending Result: skipped (Requires-Python, selectors), kept (earlier run)."""
    if not src.admits(r.python):
        r.skip(f"Requires-Python {src.requires_python} excludes Python {r.python}")
    elif not opts.selected(r.identifier):
        r.skip(f"{r.identifier} is not selected by build/skip")
    elif r.identifier in earlier:
        kept = earlier[r.identifier]
        r.status, r.reason = Status.BUILT, "kept: built by an earlier run of this sdist"
        r.wheel, r.sha256, r.size = kept["wheel"], kept["sha256"], kept["size"]
        r.auditwheel, r.log = kept.get("auditwheel", ""), kept.get("log", "")
        r.floor_proof, r.proof = kept.get("floor_proof", ""), kept.get("proof", "")
        r.libc = kept.get("libc", "")
        r.built_on, r.tested_on = kept.get("built_on", ""), kept.get("tested_on", "")
    return r


def job(host_name, tag, python, policy, arch):
    return Job(machine=host_name, tag=tag, python=python.rstrip("t"),
               identifier=identifier(tag, policy, arch))


def plan(src, opts, host, earlier):
    """A decided Result per interpreter `host` is known to have (none yet for plain hosts)."""
    return [classify(Result.of(job(host.name, tag_for(p), p, host.policy, host.arch)),
                     src, opts, earlier)
            for p in host.python_versions()]


def found_on_host(tag, python, host_name, plat_policy, plat_arch, src, opts, earlier):
    """A decided Result for an interpreter the host showed but the table did not list."""
    return classify(Result.of(job(host_name, tag, python, plat_policy, plat_arch)),
                    src, opts, earlier)
