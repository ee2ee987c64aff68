"""What travels between a farm client and its workers (pickled by Dask): the resource names a
worker advertises and a job requires, the job, and what became of it."""

from dataclasses import dataclass, field

VM_RESOURCE = "vmwheel-vm"  # a worker has one per VM (or SSH build session) it runs at once
EXTRA_THREADS = 2  # a worker's threads beyond its VMs: wheel and log transfers


def box_resource(machine):
    """The resource a worker has for each machine it can boot (or stands for, over SSH)."""
    return f"vmwheel-box-{machine}"


def topic(run_id):
    """The Dask event topic a run's live display listens on."""
    return f"vmwheel-stage-{run_id}"


def cancel_event(run_id):
    return f"vmwheel-cancel-{run_id}"


@dataclass
class FarmJob:
    """A group of interpreters of one machine, built in one session on one worker."""

    run_id: str
    number: int
    machine: str  # a machine of the table
    results: list  # [model.result.Result], pending
    source: object  # sources.source.Source as resolved by the client (its path is theirs)
    options: object  # config.options.Options, the client's effective options
    submitted: float  # the client's time.time() when the job was submitted
    version: str  # the client's vmwheel version; a worker refuses another


@dataclass
class Outcome:
    worker: str  # the worker's name
    address: str  # its Dask address, where the staged files are fetched from
    started: float  # the worker's time.time() when the job started
    staging: str  # the job's directory on the worker (wheels under out/, logs under out/logs)
    results: list  # [Result] as the worker left them
    timings: dict = field(default_factory=dict)
    described: dict = field(default_factory=dict)  # host name -> report.json's description
    logs: dict = field(default_factory=dict)  # path under out/logs -> bytes
    error: str = ""  # the job's own failure (a VmwheelError's line), when it had one
