"""One interpreter's way through the build stages: its work dir, log and wheels."""

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..errors import HostGone
from ..model.result import Result


class StageFailed(Exception):
    """A stage failed; its message is the interpreter's one-line reason."""

    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output  # the failed command's stdout, when a stage wants to read it


@dataclass(frozen=True)
class Stage:
    name: str
    step: object  # Builder method: (builder, work) -> None
    wanted: object = lambda builder, work: True


def lost_during(exc, stage, who, lost):
    """The reason of an interpreter whose build host went away (HostGone) during `stage`, also
    noted as (who, reason) in `lost`, whence run.py says it in one line; None for another
    error."""
    if not isinstance(exc, HostGone):
        return None
    reason = f"{exc.happened} during {stage}"
    lost.append((who, reason))
    return reason


@dataclass
class Work:
    """One interpreter's way through the stages."""

    tag: str
    result: Result
    log: object  # the log file (a Tee in -v mode)
    dir: PurePosixPath  # its work dir in the guest
    bindir: PurePosixPath  # the interpreter's bin dir
    path_env: dict  # its bin dir first on PATH, for hooks and tests
    built: str = ""  # the wheel the build made
    repaired: str = ""  # the wheel after repair
    build_args: str = ""  # added to the build command (a cross build's meson cross file)
    build_env: dict = field(default_factory=dict)  # the build's own (a cross build's reqs)

    @property
    def python(self):
        return self.bindir / "python"

    @property
    def pure(self):
        return self.built.endswith("-none-any.whl")

    @property
    def wheel(self):
        return self.dir / "repaired" / self.repaired
