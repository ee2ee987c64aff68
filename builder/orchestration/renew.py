"""A build host that went away in the middle of a build (errors.HostGone: the VM powered off or
crashed, its SSH server was killed, it stopped answering the keepalive, a plain SSH host's
link broke and did not come back).

The interpreters that were building then fail, each with one line that names it, what happened
and in which stage; the wheels already fetched stay; the session ends as any does (the VM is
destroyed, nothing of it left). The interpreters not yet built go on in a fresh session of the
same host: a freshly restored VM (booted, when the machine has no saved state), or a new
connection to a plain SSH host, which fails the rest in one line if the host does not answer.

A host that went away while no interpreter was building (upload, before-all) is not tried
again (it would most likely go away again): the run ends with that one error line, and the rest
fail with it. Each fresh session has settled at least one interpreter before, so a host that
goes away under every build still ends.
"""

from .. import log


def go_on(host, planned, lost, exc):
    """Say what `exc` did to the builds in `lost` [(who, reason)], one line each. True: the
    rest of `planned` go on in a fresh session of `host`; False: nothing is left to build.
    Raises `exc` when no build was under way (the host went away between builds)."""
    if not lost:
        raise exc
    rest = any(r.pending for r in planned)
    for who, reason in lost:
        log.say(f"{who}: {reason}" + (f"; the rest go on {host.renewal}" if rest else ""))
    return rest
