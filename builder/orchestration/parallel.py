"""Several interpreters of one build host at the same time, each over its own SSH connection:
at most `width` in their build stage (the compile) at once, up to twice that many threads, so
one interpreter's repair, tests and fetch overlap with the next one's compile.

Each build keeps its own work dir, log and display row, as when they run one by one; one
failing never stops the others. A VmwheelError (a lost link after retries, a full output dir)
or Ctrl-C stops what has not started, aborts what runs (its commands fail with that same error,
or as interrupted; nothing retries), and is raised once every thread has ended.
"""

import ctypes
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from ..errors import VmwheelError


def build_all(builder, remote, jobs, width):
    """Build `jobs` [(tag, python, result)], at most `width` compiling at once."""
    if width <= 1 or len(jobs) <= 1:
        for tag, python, result in jobs:
            builder.build_one(tag, python, result)
        return
    local, lock, twins = threading.local(), threading.Lock(), []
    turns = threading.BoundedSemaphore(width)  # compile turns (stages/turns.py)

    def one(job):
        if not hasattr(local, "builder"):
            twin = remote.twin()
            with lock:
                twins.append(twin)
            local.builder = builder.on(twin)
            local.builder.turns = turns
        local.builder.build_one(*job)

    pool = ThreadPoolExecutor(max_workers=min(2 * width, len(jobs)),
                              thread_name_prefix="vmwheel-build")
    futures = [pool.submit(one, job) for job in jobs]
    cause = None  # what the aborted builds fail with; None: Ctrl-C
    try:
        while True:  # in steps, so that an exception raised in this thread (a farm job's
            # cancel, farm/job.py) is seen within a second
            done, waiting = wait(futures, timeout=1, return_when=FIRST_EXCEPTION)
            if not waiting or any(f.exception() is not None for f in done):
                break
        failed = [f for f in done if f.exception() is not None]
        if failed:
            cause = failed[0].exception()
            raise cause
    finally:
        for f in futures:
            f.cancel()
        with lock:
            for twin in twins:
                twin.abort(cause if isinstance(cause, VmwheelError) else None)
        pool.shutdown(wait=True)


def raise_in(thread_id, exc_type):
    """Raise `exc_type` in thread `thread_id` at its next Python instruction (CPython's
    PyThreadState_SetAsyncExc): how Ctrl-C or a farm cancel reaches a build in another thread."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc_type))
