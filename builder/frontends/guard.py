"""The one place where failures become a line on stderr and an exit code."""

import sys

from ..errors import INTERNAL, INTERRUPTED, VmwheelError
from ..redact import redact


def guarded(func, debug=False):
    """Call func(); turn failures into one line on stderr and an exit code."""
    try:
        return func() or 0
    except VmwheelError as exc:
        if debug:
            raise
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("vmwheel: interrupted; wheels already fetched are kept", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a line
        if debug:
            raise
        print(redact(f"vmwheel: internal error: {type(exc).__name__}: {exc}; rerun with "
                     "--debug and report it"), file=sys.stderr)
        return INTERNAL
