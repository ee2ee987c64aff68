"""`vmwheel build --scheduler ADDRESS`: the run's matrix on a Dask cluster.

The client resolves the sdist and plans as a local build does; each machine's pending
interpreters are split into as many groups as the farm has VMs for that machine (at most
one per interpreter), and each group becomes one job that requires a VM resource and the
machine's box, so only a worker with that box receives it, and carries the sdist itself (so a
job can run on any such worker, again after one died). A wheel comes back from the
worker that staged it, in chunks sent straight to this client (never through the scheduler),
and is checked by size and sha256 and renamed into place as a local build's wheel is.

A worker that dies mid-job: the scheduler gives the job to another worker, up to its
`distributed.scheduler.allowed-failures` (default 3), then the group fails with one reason.
Ctrl-C cancels every job of the run (running ones unwind on their worker, VMs destroyed).
"""

import time
import uuid

from .. import __version__, log, planner
from ..errors import BuildHostError, ConfigurationError, HostNotReady, VmwheelError, stopped_by
from ..model.result import fail_pending
from ..orchestration.executors import Executor
from . import address, job as job_mod
from .protocol import VM_RESOURCE, FarmJob, box_resource, cancel_event, topic

CONNECT_TIMEOUT = 15  # seconds to reach the scheduler
FETCH_TIMEOUT = 120  # seconds for one chunk from a worker


class WorkerFiles:
    """`Wheelhouse.fetch`'s remote for files staged on one worker."""

    def __init__(self, client, address, worker):
        self.client, self.address, self.worker = client, address, worker

    def get(self, path, local):
        offset = 0
        with open(local, "wb") as f:
            while True:
                fut = self.client.submit(job_mod.read_chunk, path, offset, pure=False,
                                         workers=[self.address], allow_other_workers=False)
                try:
                    data = fut.result(timeout=FETCH_TIMEOUT)
                except Exception as exc:  # the worker left, or its disk lost the file
                    raise BuildHostError(f"could not fetch {path.rsplit('/', 1)[-1]} from "
                                         f"worker {self.worker} ({type(exc).__name__})",
                                         "rerun; wheels already fetched are kept") from None
                finally:
                    fut.release()
                if not data:
                    return
                f.write(data)
                offset += len(data)


def connect(scheduler):
    from distributed import Client

    try:
        return Client(scheduler.address, security=scheduler.security(),
                      timeout=CONNECT_TIMEOUT, direct_to_workers=True)
    except (OSError, TimeoutError) as exc:
        raise BuildHostError(f"cannot reach the scheduler at {scheduler.address} "
                             f"({str(exc).splitlines()[0][:160] or type(exc).__name__})",
                             "start it (README: Build farm) or check --scheduler; nothing "
                             "was built") from None


def vms_by_machine(client):
    """{machine: VMs of workers with its box}, from what the workers advertise."""
    vms = {}
    for info in client.scheduler_info(n_workers=-1)["workers"].values():
        for name, amount in (info.get("resources") or {}).items():
            if name.startswith(box_resource("")):
                machine = name[len(box_resource("")):]
                vms[machine] = vms.get(machine, 0) + int(amount)
    return vms


def groups(pending, count):
    """`pending` split round-robin into at most `count` non-empty groups."""
    count = max(1, min(count, len(pending)))
    return [pending[i::count] for i in range(count)]


class Farm(Executor):
    """The farm's workers (`--scheduler`): each machine's pending interpreters as Dask jobs."""

    def __init__(self):
        self.scheduler = None  # address.Scheduler, once check has read the options

    def check(self, given):
        if given["guest-wheels"]:
            raise ConfigurationError("guest-wheels is not yet supported on a farm (the "
                                     "directory is on this host, not the workers')",
                                     "build with guest-network none locally")
        self.scheduler = address.of_options(given)

    def build(self, run):
        FarmRun(run, self.scheduler).execute(self.machines(run.opts, run.machine))


class FarmRun:
    def __init__(self, run, scheduler):
        self.run, self.scheduler = run, scheduler  # orchestration.run.BuildRun
        self.run_id = uuid.uuid4().hex[:12]
        self.jobs = {}  # future key -> FarmJob

    def execute(self, machines):
        run = self.run
        planned = {}
        for spec in machines:
            planned[spec.name] = planner.plan(run.src, run.opts, spec, run.earlier)
            run.results += planned[spec.name]
            run.described[spec.name] = {"name": spec.name, "box": spec.box, "platform": "",
                                        "workers": []}
        if not any(r.pending for r in run.results):
            return  # everything kept or skipped: the farm is not needed
        client = connect(self.scheduler)
        try:
            vms = vms_by_machine(client)
            for name, results in planned.items():
                if any(r.pending for r in results) and not vms.get(name):
                    fail_pending(run.results, f"no farm worker has the box of {name}")
                    raise HostNotReady(
                        f"no worker of the farm at {self.scheduler.address} has the box "
                        f"of {name}", f"start `vmwheel worker --scheduler "
                        f"{self.scheduler.address}` on a host with it (`vmwheel box build "
                        f"--machine {name}`)")
            self._submit_and_collect(client, planned, vms)
        finally:
            client.close()

    def _submit_and_collect(self, client, planned, vms):
        import dask
        from distributed import Event, as_completed

        run = self.run
        client.subscribe_topic(topic(self.run_id), self._on_stage)
        # The sdist travels inside each job, not scattered: Dask sends a job to a worker that
        # holds its input whenever one does, and its memory manager keeps a scattered value
        # on one worker only, so every job queued behind the first on that worker (the other
        # idle), and killing that worker lost the sdist of every job not yet done.
        sdist = run.src.sdist.read_bytes()
        futures = []
        for name, results in planned.items():
            pending = [r for r in results if r.pending]
            for group in groups(pending, vms.get(name, 0)) if pending else []:
                number = len(self.jobs) + 1
                farm_job = FarmJob(self.run_id, number, name, group, run.src, run.opts,
                                   time.time(), __version__)
                with dask.config.set({"distributed.admin.large-graph-warning-threshold":
                                      f"{len(sdist) + (1 << 20)}B"}):  # an sdist is not large
                    fut = client.submit(job_mod.build, farm_job, sdist, pure=False,
                                        key=f"vmwheel-{self.run_id}-{number}",
                                        resources={VM_RESOURCE: 1, box_resource(name): 1})
                self.jobs[fut.key] = farm_job
                futures.append(fut)
                for r in group:
                    run.display.stage(r.identifier, "queued on the farm")
        log.say(f"farm: {len(futures)} job(s) sent to {self.scheduler.address}")
        try:
            for fut in as_completed(futures):
                self._collect(client, fut)
        except KeyboardInterrupt as exc:
            Event(cancel_event(self.run_id), client=client).set()
            client.cancel(futures)
            fail_pending(run.results, f"{stopped_by(exc)}; its farm jobs were cancelled")
            raise

    def _on_stage(self, event):
        _, msg = event
        self.run.display.stage(msg["key"], f"{msg['stage']} @ {msg['worker']}")

    def _collect(self, client, fut):
        from distributed import KilledWorker

        farm_job = self.jobs[fut.key]
        try:
            outcome = fut.result()
        except KilledWorker as exc:
            last = exc.last_worker
            fail_pending(farm_job.results, f"its farm job was lost with each of the "
                         f"{exc.allowed_failures + 1} workers that ran it (last "
                         f"{getattr(last, 'name', None) or getattr(last, 'address', last)}); "
                         "see the workers' logs")
            self._apply(farm_job.results)
            return
        except VmwheelError as exc:
            fail_pending(farm_job.results, str(exc))
            self._apply(farm_job.results)
            return
        except Exception as exc:  # noqa: BLE001 - a worker's bug fails its job, not the run
            fail_pending(farm_job.results, f"its farm job failed on the worker "
                         f"({type(exc).__name__}: {str(exc)[:200]}); see that worker's log")
            self._apply(farm_job.results)
            return
        self._take(client, farm_job, outcome)

    def _apply(self, results, worker="", waited=0.0):
        """Copy what a job made of its results into the run's own Result objects."""
        mine = {r.identifier: r for r in self.run.results}
        for theirs in results:
            r = mine[theirs.identifier]
            r.__dict__.update(theirs.__dict__)
            r.worker, r.waited = worker, round(max(0.0, waited), 1)
        return [mine[t.identifier] for t in results]

    def _take(self, client, farm_job, outcome):
        from distributed import fire_and_forget

        run = self.run
        logs = run.out.path / "logs"
        for rel, data in outcome.logs.items():
            (logs / rel).parent.mkdir(parents=True, exist_ok=True)
            (logs / rel).write_bytes(data)
        staged = f"{outcome.staging}/out"
        results = self._apply(outcome.results, outcome.worker,
                              outcome.started - farm_job.submitted)
        files = WorkerFiles(client, outcome.address, outcome.worker)
        for r in results:
            r.log = r.log.replace(staged, str(run.out.path))  # where the logs are now
            r.reason = r.reason.replace(staged, str(run.out.path))
            if r.status == "built" and r.wheel:
                try:
                    run.out.fetch(files, f"{staged}/{r.wheel}", r.wheel, r.sha256, r.size)
                except VmwheelError as exc:
                    r.fail(exc.what)
        for key, seconds in outcome.timings.items():
            run.timings[f"{key} (job {farm_job.number} on {outcome.worker})"] = seconds
        for name, described in outcome.described.items():
            mine = run.described.setdefault(name, {"workers": []})
            mine.update({k: v for k, v in described.items() if v or k not in mine})
            if outcome.worker not in mine["workers"]:
                mine["workers"].append(outcome.worker)
        if outcome.error:
            log.warn(f"farm job {farm_job.number} on {outcome.worker}: "
                     f"{outcome.error.removeprefix('vmwheel: ')}")
        fire_and_forget(client.submit(job_mod.discard, outcome.staging, pure=False,
                                      workers=[outcome.address], allow_other_workers=False))
