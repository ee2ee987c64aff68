"""The one place where failures become a line on stderr and an exit code, and where signals from
outside (SIGTERM, SIGHUP: a CI system cancelling the job) become the same unwinding as Ctrl-C."""

import contextlib
import signal
import sys
import threading

from ..errors import INTERNAL, Terminated, VmwheelError, note_stop, stop_exit_code, stopped_by
from ..redact import redact

STOPS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_signals():
    """While the command runs: the first SIGTERM or SIGHUP raises `Terminated` in the main
    thread (a run then writes its report and checksums and destroys its VMs, as on Ctrl-C);
    any later SIGTERM/SIGHUP, or one after a Ctrl-C, is ignored so that this clean-up is not
    cut short. A second Ctrl-C still interrupts, as the user asks. A signal that was ignored
    when vmwheel started (nohup) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    state = {"stopping": False}
    note_stop(None)  # a new command (tests run several in one process)

    def on_stop(signum, _frame):
        if state["stopping"]:
            return
        state["stopping"] = True
        exc = Terminated(signal.Signals(signum).name, signum)
        note_stop(exc)
        raise exc

    def on_int(_signum, _frame):
        state["stopping"] = True
        raise KeyboardInterrupt

    wanted = {s: on_stop for s in STOPS}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        wanted[signal.SIGINT] = on_int
    old = {}
    for signum, handler in wanted.items():
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue
        old[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)


def guarded(func, debug=False):
    """Call func(); turn failures into one line on stderr and an exit code."""
    try:
        with stop_signals():
            return func() or 0
    except VmwheelError as exc:
        if debug:
            raise
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print(f"vmwheel: {stopped_by(exc)}; wheels already fetched are kept", file=sys.stderr)
        return stop_exit_code(exc)
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a line
        if debug:
            raise
        print(redact(f"vmwheel: internal error: {type(exc).__name__}: {exc}; rerun with "
                     "--debug and report it"), file=sys.stderr)
        return INTERNAL
