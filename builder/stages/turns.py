"""Compile turns: at most N compiles at once on one build host. In a parallel build the build
stage takes one of N turns; the stages around it (prepare and before-build; repair, test, floor
proof and fetch) do not, so one interpreter's tests overlap with the next one's compile."""

import contextlib


@contextlib.contextmanager
def held(turns, waiting=lambda: None):
    """Hold one of `turns` (a threading.Semaphore; None: no limit) while the block runs.
    `waiting()` is called once if none is free. The wait is in steps, so that Ctrl-C or a farm
    cancel raised into this thread (orchestration/parallel.py) is seen."""
    if turns is None:
        yield
        return
    if not turns.acquire(blocking=False):
        waiting()
        while not turns.acquire(timeout=0.5):
            pass
    try:
        yield
    finally:
        turns.release()
