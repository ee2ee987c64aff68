"""What a worker runs for the client (by reference: these functions are pickled by name).

`build` runs one FarmJob exactly as a local build runs a machine (BuildRun's session, stages,
parallel interpreters), into a staging wheelhouse on the worker; the client then pulls each
wheel with `read_chunk` straight from the worker (never through the scheduler) and `discard`s
the staging directory.

Ctrl-C on the client sets the run's cancel event; a watcher thread then raises
KeyboardInterrupt inside the job's thread (CPython's PyThreadState_SetAsyncExc), so the job
unwinds the way a local build does on Ctrl-C: builds abort, the VM is destroyed.
"""

import shutil
import threading
import time
import uuid
from pathlib import Path

from .. import __version__, log
from ..errors import BuildHostError, HostNotReady, VmwheelError
from ..model.result import fail_pending
from ..orchestration.parallel import raise_in
from ..orchestration.run import BuildRun
from ..output.wheelhouse import Wheelhouse
from ..paths import cache_dir, ensure_dir
from ..sources.source import Source
from . import worker
from .protocol import Outcome, cancel_event, topic

CHUNK = 16 << 20  # bytes per read_chunk: a wheel crosses in pieces, never whole in memory


def staging_root():
    return cache_dir() / "farm"


class TopicDisplay:
    """The worker's side of the client's live display: each stage change becomes an event on
    the run's topic (small messages; the scheduler relays them to the client)."""

    def __init__(self, dask_worker, run_id):
        self.worker, self.topic = dask_worker, topic(run_id)

    def stage(self, key, stage):
        self.worker.log_event(self.topic, {"key": key, "stage": stage,
                                           "worker": self.worker.name})

    def echo(self):
        return None


def _watch(event, thread_id, done):
    """Raise KeyboardInterrupt in thread `thread_id` once `event` is set (until `done`)."""
    while not done.is_set():
        try:
            if event.wait(timeout=2):
                break
        except Exception:  # the worker is shutting down: nothing to cancel for
            return
    if not done.is_set():
        raise_in(thread_id, KeyboardInterrupt)


def build(job, sdist_bytes):
    """Run `job` (protocol.FarmJob) on this worker; return a protocol.Outcome."""
    from distributed import Event, get_client, get_worker

    me = get_worker()
    started = time.time()
    if worker.CONFIG is None:
        raise HostNotReady(f"worker {me.name} was not started by `vmwheel worker`",
                           "start farm workers with `vmwheel worker --scheduler ...`")
    if job.version != __version__:
        raise BuildHostError(f"worker {me.name} runs vmwheel {__version__}, the client "
                             f"{job.version}", "install the same vmwheel on both")
    stage = ensure_dir(staging_root() / job.run_id / f"job-{job.number}-{uuid.uuid4().hex[:8]}")
    sdist = ensure_dir(stage / "src") / job.source.sdist.name
    sdist.write_bytes(sdist_bytes)
    run = BuildRun.for_job(Source(sdist, job.source.name, job.source.version,
                                  job.source.requires_python, job.source.note),
                           job.options, Wheelhouse(stage / "out"), TopicDisplay(me, job.run_id))
    outcome = Outcome(worker=str(me.name), address=me.address, started=started,
                      staging=str(stage), results=job.results)
    done = threading.Event()
    threading.Thread(target=_watch, daemon=True, args=(
        Event(cancel_event(job.run_id), client=get_client()), threading.get_ident(),
        done)).start()
    try:
        host = worker.CONFIG.host_for(job.machine, run.out.path / "logs" / job.machine,
                                      job.options)
        run.described[host.name] = host.describe()
        run.build_on(host, job.results)
    except VmwheelError as exc:
        outcome.error = exc.line()
    except KeyboardInterrupt:
        fail_pending(job.results, "cancelled: the client was interrupted (Ctrl-C)")
        outcome.error = "vmwheel: cancelled by the client"
    finally:
        done.set()
    log.say(f"job {job.number} of run {job.run_id}: {outcome.error or 'done'}")
    outcome.timings, outcome.described = run.timings, run.described
    logs = run.out.path / "logs"
    outcome.logs = {str(p.relative_to(logs)): p.read_bytes()
                    for p in sorted(logs.rglob("*")) if p.is_file()} if logs.is_dir() else {}
    return outcome


def read_chunk(path, offset, size=CHUNK):
    """Bytes [offset, offset+size) of a staged file on this worker."""
    _inside_staging(path)
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def discard(staging):
    """Remove a job's staging directory once the client has what it needs."""
    shutil.rmtree(_inside_staging(staging), ignore_errors=True)


def _inside_staging(path):
    path = Path(path).resolve()
    if staging_root().resolve() not in path.parents:
        raise BuildHostError(f"{path} is not a vmwheel staging path", "report this as a bug")
    return path
