"""What the user sees while a build runs.

live   a rich display: one row per interpreter with its stage and elapsed time (a terminal);
plain  one line per event (not a terminal, or CI=true);
quiet  errors and the final table only (-q).
-v adds every guest command's output to the terminal (it always goes to the logs).
"""

import os
import sys
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table


def choose_mode(quiet=False):
    if quiet:
        return "quiet"
    if os.environ.get("CI") or not sys.stdout.isatty():
        return "plain"
    return "live"


class Progress:
    def __init__(self, mode="plain", verbose=False):
        self.mode, self.verbose = mode, verbose
        self.rows = {}  # key -> [stage, started]
        self.console = Console()
        self.live = None

    def __enter__(self):
        if self.mode == "live":
            self.live = Live(self._table(), console=self.console, refresh_per_second=2,
                             transient=True, get_renderable=self._table)
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)
            self.live = None

    def _table(self):
        t = Table(box=None, show_header=True)
        for col in ("interpreter", "stage", "elapsed"):
            t.add_column(col)
        now = time.monotonic()
        for key, (stage, started) in self.rows.items():
            t.add_row(key, stage, f"{now - started:5.0f} s")
        return t

    def say(self, msg):
        if self.mode == "quiet":
            return
        if self.live:
            self.live.console.print(f"vmwheel: {msg}", markup=False, highlight=False)
        else:
            print(f"vmwheel: {msg}", flush=True)

    def stage(self, key, stage):
        """Interpreter `key` entered `stage` (build, repair, test, ...; done/failed ends it)."""
        if key not in self.rows:
            self.rows[key] = [stage, time.monotonic()]
        self.rows[key][0] = stage
        if self.mode == "plain" and self.verbose:
            print(f"vmwheel: {key}: {stage}", flush=True)

    def echo(self):
        """A stream for guest output in -v mode, else None."""
        return sys.stdout if self.verbose and self.mode != "quiet" else None
