"""A build host's clock, checked before anything is built on it."""

import datetime
import time

from ..errors import BuildHostError

# A build host's clock this far from ours breaks TLS (certificates not yet valid), make's
# timestamps and zip's (no dates before 1980): refuse before building anything.
MAX_CLOCK_SKEW = 24 * 3600


def check_clock(remote, name):
    try:
        their = int(remote.check("date +%s").split()[0])
    except (ValueError, IndexError):  # a `date` without %s: nothing to compare
        return
    skew = their - time.time()
    if abs(skew) > MAX_CLOCK_SKEW:
        when = datetime.datetime.fromtimestamp(their, datetime.timezone.utc)
        raise BuildHostError(
            f"the clock of {name} says {when:%Y-%m-%d %H:%M} UTC, {abs(skew) / 86400:.0f} days "
            f"{'behind' if skew < 0 else 'ahead of'} this host's",
            "set its clock (NTP, `timedatectl`, or the VM host's) and rerun; wheels already "
            "fetched are kept")
