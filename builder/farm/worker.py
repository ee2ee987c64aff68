"""`vmwheel worker --scheduler ADDRESS [--vms N]`: one libvirt host of a farm.

Before joining, the host is checked as `doctor` would for what it offers: libvirt ready and
the boxes it has (or, with --ssh-host, that provisioned host reachable and its interpreters).
It then runs a Dask worker that advertises one VM resource per --vms and, per machine it can
build, a box resource (protocol.py): a job lands only on a worker that has its machine's box.
"""

import asyncio
import os
import socket
from dataclasses import dataclass

from .. import log
from ..errors import BuildHostError, ConfigurationError, HostNotReady
from ..host import prepare
from ..images import boxes
from ..model.machine import get as get_machine, load_table
from ..paths import cache_dir, ensure_dir
from ..providers.instances import HEADROOM_MIB, room_for
from ..providers.ssh_host import SSHHost
from ..providers.vagrant_vm import VagrantVM
from ..stages.guest import list_interpreters
from .protocol import EXTRA_THREADS, VM_RESOURCE, box_resource

CONNECT_TIMEOUT = 20  # seconds a worker waits for its scheduler at start


@dataclass(frozen=True)
class WorkerConfig:
    name: str
    vms: int
    machines: tuple  # the table's machines this worker builds
    ssh: dict = None  # a provisioned SSH host that stands for machines[0] (farms, tests)

    def host_for(self, machine, log_dir, opts):
        """The build host for one job of `machine` (a fresh VM, or the SSH host)."""
        if machine not in self.machines:
            raise HostNotReady(f"worker {self.name} has no box for {machine}",
                               "report this as a bug: jobs carry the box as a resource")
        if self.ssh:
            host = SSHHost(**self.ssh)
            host.name = machine  # its logs and timings under the machine's name, as locally
            return host
        spec = get_machine(machine).sized(opts["memory"], opts["cpus"])
        return VagrantVM(spec, log_dir, keep=False, driver=opts["driver"] or None,
                         network=opts["guest-network"])


CONFIG = None  # this process's WorkerConfig, read by the jobs it runs (job.py)


def local_machines(wanted=None):
    """The machines whose box is built and added on this host (of `wanted`, if given)."""
    table = load_table()
    names = wanted or list(table.machines)
    for name in names:
        table.get(name)  # an unknown name is a ConfigurationError here
    # A machine whose wheels another compiles (aarch64) needs that machine's box too; a cross
    # machine is never a job's machine (only a build's first side), so it is not advertised.
    return tuple(n for n in names if not table.machines[n].cross and all(
        boxes.is_current(m) for m in table.with_builders([table.machines[n]])))


def check_ssh(ssh, machines):
    if len(machines) != 1:
        raise ConfigurationError("--ssh-host stands for one machine",
                                 "add --machine NAME (the machine it was provisioned as)")
    remote = SSHHost(**ssh).up()
    try:
        found = [python for _, python in list_interpreters(remote, ssh["python_root"])]
    finally:
        remote.close()
    if not found:
        raise HostNotReady(f"{ssh['address']} has no interpreters under {ssh['python_root']}",
                           "provision it, or pass --python-root")
    return found


def configure(vms=1, machines=(), ssh=None, name=None):
    """Check this host for what it will offer; return (WorkerConfig, Dask resources)."""
    if vms < 1:
        raise ConfigurationError(f"--vms {vms}", "give 1 or more")
    if ssh:
        found = check_ssh(ssh, machines)
        log.say(f"worker: {ssh['address']} stands for {machines[0]} "
                f"(Python {' '.join(found)})")
    else:
        prepare.check_ready()
        wanted = machines
        machines = local_machines(machines or None)
        if not machines:
            which = " ".join(wanted) or get_machine().name
            raise HostNotReady(f"this host has no box for {which}",
                               f"run `vmwheel box build --machine {which.split()[0]}` first")
        need = max(get_machine(m).memory for m in machines) * vms
        fits, free = room_for(need)
        if not fits:
            raise HostNotReady(f"--vms {vms} needs {need} + {HEADROOM_MIB} MiB for guests, "
                               f"{free} MiB available", "give fewer --vms, or free memory")
    config = WorkerConfig(name or "", vms, tuple(machines), ssh)
    resources = {VM_RESOURCE: vms, **{box_resource(m): vms for m in machines}}
    return config, resources


def serve(scheduler, vms=1, machines=(), ssh=None, name=None):
    """Join `scheduler` (address.Scheduler) and run jobs until interrupted."""
    global CONFIG
    name = name or f"{socket.gethostname()}-{os.getpid()}"
    config, resources = configure(vms, machines, ssh, name)
    CONFIG = config
    log.say(f"worker: joining {scheduler.address}, building {' '.join(config.machines)}, "
            f"{vms} at a time")
    closed = asyncio.run(_run(scheduler, resources, vms + EXTRA_THREADS, name))
    raise BuildHostError(f"the scheduler at {scheduler.address} {closed}",
                         "start the worker again once the scheduler is back")


async def _run(scheduler, resources, nthreads, name):
    from distributed import Worker

    worker = Worker(scheduler.address, nthreads=nthreads, resources=resources, name=name,
                    security=scheduler.security(), death_timeout=CONNECT_TIMEOUT,
                    local_directory=str(ensure_dir(cache_dir() / "farm" / "dask")))
    try:
        await worker
    except (OSError, asyncio.TimeoutError) as exc:
        return f"did not answer ({type(exc).__name__}: {exc})"
    await worker.finished()
    return "closed the connection"
