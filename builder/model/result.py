"""A build job (one interpreter on one machine) and what became of it."""

import enum
from dataclasses import asdict, dataclass, field


class Status(str, enum.Enum):
    PENDING = "pending"
    BUILT = "built"
    FAILED = "failed"
    SKIPPED = "skipped"

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class Job:
    """Build the package with interpreter `tag` (python "X.Y") on `machine`."""

    machine: str
    tag: str  # cp311-cp311, cp313-cp313t
    python: str  # "3.11"
    identifier: str  # cp311-manylinux_x86_64


@dataclass
class Result:
    tag: str
    python: str
    identifier: str = ""
    machine: str = ""
    status: Status = Status.PENDING
    reason: str = ""
    durations: dict = field(default_factory=dict)
    wheel: str = ""
    sha256: str = ""
    size: int = 0
    auditwheel: str = ""
    floor_proof: str = ""  # "imported under glibc 2.17" once the wheel ran on its floor
    proof: str = ""  # its kind: "glibc 2.17 loader", or "symbols; ran on glibc 2.31" (i686)
    libc: str = ""  # what it was built and tested against: "glibc 2.17", "musl 1.2.2", "glibc"
    built_on: str = ""  # "<machine> (<uname -m>)" where it was compiled and repaired
    tested_on: str = ""  # and where it was tested (another machine for aarch64: a real kernel)
    log: str = ""
    why: list = field(default_factory=list)  # the lines of a failed stage's log that say why
    worker: str = ""  # the farm worker that built it (farm builds only)
    waited: float = 0.0  # seconds its farm job waited for a worker

    @classmethod
    def of(cls, job):
        return cls(tag=job.tag, python=job.python, identifier=job.identifier,
                   machine=job.machine)

    @property
    def abi(self):
        """The interpreter's X.Y with its ABI flag: "3.13t" for free-threaded cp313-cp313t
        (`python` is "3.13" for both): its binary (python3.13t), headers, lib dir."""
        return self.python + ("t" if self.tag.endswith("t") else "")

    @property
    def pending(self):
        return self.status == Status.PENDING

    def fail(self, reason):
        self.status, self.reason = Status.FAILED, reason

    def skip(self, reason):
        self.status, self.reason = Status.SKIPPED, reason

    def as_dict(self):
        d = asdict(self)
        d["status"] = str(self.status)
        return d


def fail_pending(results, reason):
    """Mark every still-pending result failed with `reason` (a string, or a function of the
    result); the one place that does it."""
    for r in results:
        if r.pending:
            r.fail(reason(r) if callable(reason) else reason)


def row(result, labelled=False):
    """A result's display row: its identifier, with its machine when several machines build
    (two policies of one arch share identifiers)."""
    key = result.identifier or result.tag
    return f"{key} on {result.machine}" if labelled and result.machine else key


def tag_for(python):
    """"3.13t" -> "cp313-cp313t"."""
    short = "cp" + python.rstrip("t").replace(".", "")
    return f"{short}-{short}" + ("t" if python.endswith("t") else "")


def identifier(tag, policy, arch):
    """'cp313-cp313t', 'manylinux_2_31', 'x86_64' -> 'cp313t-manylinux_x86_64'."""
    py, abi = tag.split("-", 1)
    kind = policy.split("_")[0]
    return f"{py}{'t' if abi.endswith('t') else ''}-{kind}_{arch}"
