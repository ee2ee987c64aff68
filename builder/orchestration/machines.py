"""Several machines of one local run at the same time (x86_64 and i686, or two policies): each
machine's VM session in its own thread, as many at once as the host has cores and memory for.

`at_once` decides how many before anything starts, and says in one line why fewer than all.
`build_all` runs them: a machine failing with a VmwheelError (its VM did not come up, its link
was lost) never stops the machines already running, whose wheels are as good as ever; machines
not yet started are then not started, and the first error is raised once the running ones have
ended. Ctrl-C raises KeyboardInterrupt in each running machine's thread (as a farm job's cancel
does), so each unwinds as a lone machine does: its builds abort and its VM is destroyed.
"""

import os
import threading
from dataclasses import dataclass

from ..providers import instances
from .parallel import raise_in


@dataclass(frozen=True)
class Cap:
    width: int  # machines that run at once
    line: str  # the one line saying so (why not all, when fewer)


def host_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def at_once(specs, cores=None, free_mib=instances.available_memory_mib):
    """The Cap for machines `specs` (MachineSpec, sized): their guests' vCPUs within the host's
    cores, their memory within its free memory (less instances.HEADROOM_MIB); at least one."""
    cores = host_cores() if cores is None else cores
    free = free_mib()
    n = len(specs)
    cpus, memory = max(s.cpus for s in specs), max(s.memory for s in specs)
    by_cores = max(1, cores // cpus)
    by_memory = n if free is None else max(1, (free - instances.HEADROOM_MIB) // memory)
    width = min(n, by_cores, by_memory)
    names = ", ".join(s.name for s in specs)
    if width == n:
        return Cap(n, f"{n} machines at once ({names}): {n} x {cpus} vCPUs on {cores} cores")
    why = []
    if by_cores < n:
        why.append(f"this host has {cores} cores and each guest takes {cpus}")
    if by_memory < n:
        why.append(f"{free} MiB free for guests of {memory} MiB (+ {instances.HEADROOM_MIB})")
    return Cap(width, f"{n} machines ({names}), {width} at a time: {' and '.join(why)} "
                      "(--cpus / --memory give each guest less)")


class _Machine(threading.Thread):
    def __init__(self, host, planned, build_on, changed):
        super().__init__(name=f"vmwheel-{host.name}", daemon=True)
        self.host, self.planned, self.build_on, self.changed = host, planned, build_on, changed
        self.error = None
        self.ended = False

    def run(self):
        try:
            self.build_on(self.host, self.planned)
        except BaseException as exc:  # handed to the main thread, which raises it
            self.error = exc
        finally:
            self.ended = True
            self.changed.set()


def build_all(sessions, width, build_on):
    """Run `build_on(host, planned)` for each of `sessions` [(host, planned)], `width` at once;
    raise the first error once every started session has ended."""
    if width <= 1 or len(sessions) <= 1:
        for host, planned in sessions:
            build_on(host, planned)
        return
    waiting, running, first = list(sessions), [], None
    changed = threading.Event()
    try:
        while running or (waiting and first is None):
            while waiting and first is None and len(running) < width:
                running.append(_Machine(*waiting.pop(0), build_on, changed))
                running[-1].start()
            changed.wait(timeout=1)  # in steps, so that Ctrl-C is seen here at once
            changed.clear()
            for m in [m for m in running if m.ended]:
                m.join()
                running.remove(m)
                first = first or m.error
    except KeyboardInterrupt:
        for m in running:
            if not m.ended:
                raise_in(m.ident, KeyboardInterrupt)
        for m in running:
            m.join()
        raise
    if first is not None:
        raise first
