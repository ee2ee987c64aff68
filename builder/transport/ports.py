"""Loopback ports for the SSH forwarding of VMs (QEMU user-mode networking)."""

import socket


def port_is_free(port):
    """Whether QEMU's forwarding could listen on the port. QEMU's slirp sets SO_REUSEADDR, so a
    port held only by closed connections (TIME_WAIT, for a minute after a VM was killed) is
    free."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now (also the tests' servers')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
