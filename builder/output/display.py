"""What the user sees while a build runs: one of the outputs of builder.log.

live   a rich display: one row per interpreter with its stage and elapsed time (a terminal);
plain  one line per event (not a terminal, or CI=true);
quiet  errors and the final table only (-q).
-v adds guest commands' output to the terminal (it always goes to the logs), at most RATE
lines a second: a flood is shown as a line saying how many lines were left out.
"""

import contextlib
import os
import sys
import threading
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

from .. import log


def choose_mode(quiet=False):
    if quiet:
        return "quiet"
    if os.environ.get("CI") or not sys.stdout.isatty():
        return "plain"
    return "live"


class NullDisplay:
    """No rows, no echo: for callers that want only builder.log's lines (tests, scripts)."""

    def stage(self, key, stage):
        pass

    def echo(self):
        return None

    def paused(self):
        """A context in which something else writes to the terminal (a box build)."""
        return contextlib.nullcontext()


class Display(NullDisplay):
    def __init__(self, mode="plain", verbose=False):
        self.mode, self.verbose = mode, verbose
        self.rows = {}  # key -> [stage, started]
        self.console = Console()
        self.live = None
        self._log_state = None
        self._echo = Throttle() if verbose and mode != "quiet" else None

    def __enter__(self):
        if self.mode == "live":
            self.live = Live(self._table(), console=self.console, refresh_per_second=2,
                             transient=True, get_renderable=self._table)
            self.live.__enter__()
        self._log_state = log.attach(self if self.live else None, quiet=self.mode == "quiet")
        return self

    def __exit__(self, *exc):
        log.restore(self._log_state)
        if self.live:
            self.live.__exit__(*exc)
            self.live = None

    def _table(self):
        t = Table(box=None, show_header=True)
        for col in ("interpreter", "stage", "elapsed"):
            t.add_column(col)
        now = time.monotonic()
        for key, (stage, started) in list(self.rows.items()):  # builds may add rows
            t.add_row(key, stage, f"{now - started:5.0f} s")
        return t

    @contextlib.contextmanager
    def paused(self):
        if self.live is None:
            yield
            return
        self.live.stop()
        try:
            yield
        finally:
            self.live.start()

    def line(self, text):
        """builder.log's sink while the live display is open."""
        self.live.console.print(text, markup=False, highlight=False)

    def stage(self, key, stage):
        """Interpreter `key` entered `stage` (build, repair, test, ...; built/failed ends it)."""
        if key not in self.rows:
            self.rows[key] = [stage, time.monotonic()]
        self.rows[key][0] = stage
        if self.mode == "plain" and self.verbose:
            log.say(f"{key}: {stage}")

    def echo(self):
        """A stream for guest output in -v mode (one for every build), else None."""
        return self._echo


class Throttle:
    """A text stream passed on to `stream` at most `rate` lines a second (a burst of `burst`),
    a line counted for every LINE characters: what comes faster is left out, and a line says
    how many lines were, before the next output that passes or at the next flush. No
    `stream`: sys.stdout as it is at each write (the live display redirects it)."""

    LINE = 200

    def __init__(self, stream=None, rate=50, burst=500, clock=time.monotonic):
        self.stream, self.rate, self.burst, self.clock = stream, rate, burst, clock
        self.budget, self.last, self.dropped = burst, clock(), 0
        self.lock = threading.Lock()  # builds running alongside share it

    def write(self, text):
        with self.lock:
            now = self.clock()
            self.budget = min(self.burst, self.budget + (now - self.last) * self.rate)
            self.last = now
            cost = max(text.count("\n"), len(text) // self.LINE)
            if cost > self.budget:
                self.dropped += max(cost, 1)
                return
            self.budget -= cost
            self._note()
            self.out.write(text)

    @property
    def out(self):
        return self.stream or sys.stdout

    def _note(self):
        if self.dropped:
            self.out.write(f"\n[vmwheel: {self.dropped:,} lines of output not shown (more than "
                           f"{self.rate} a second); see the log]\n")
            self.dropped = 0

    def flush(self):
        with self.lock:
            self._note()
            self.out.flush()


class Tee:
    """A log file that also copies to the terminal (-v)."""

    def __init__(self, *streams):
        self.streams = [s for s in streams if s is not None]
        self.name = getattr(self.streams[0], "name", "")

    def write(self, text):
        for s in self.streams:
            s.write(text)

    def flush(self):
        for s in self.streams:
            s.flush()
