"""The one way vmwheel tells the user something while it works.

`say` writes one `vmwheel: ...` line. While a live display (output/display.py) is open it
registers itself as the sink, so lines appear above its rows instead of tearing them; `quiet`
silences everything but errors (front ends print those).
"""

import sys
import threading

from .redact import redact

_LOCK = threading.Lock()
_sink = None  # the open display, if any: an object with .line(text)
_quiet = False


def say(msg):
    """One progress line: `vmwheel: msg`."""
    if _quiet:
        return
    text = redact(f"vmwheel: {msg}")
    if _sink is not None:
        _sink.line(text)
    else:
        with _LOCK:  # one write per line: print() from two build threads can interleave
            sys.stdout.write(text + "\n")
            sys.stdout.flush()


def warn(msg):
    """A line that is shown even with -q (on stderr)."""
    print(redact(f"vmwheel: warning: {msg}"), file=sys.stderr, flush=True)


def attach(sink, quiet=False):
    """Route `say` to `sink` (None: plain stdout) and set quiet mode; returns the old state."""
    global _sink, _quiet
    old = (_sink, _quiet)
    _sink, _quiet = sink, quiet
    return old


def restore(state):
    global _sink, _quiet
    _sink, _quiet = state
