"""The SSH port check before a restore: a port left in TIME_WAIT by a killed VM's connections
is free for QEMU (which listens with SO_REUSEADDR); a port something listens on is not."""

import socket

from builder.transport.ports import free_port, port_is_free


def test_a_port_held_only_by_time_wait_is_free_and_a_listened_one_is_not():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    assert not port_is_free(port)
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the listening side closes first, as a killed QEMU's does: TIME_WAIT
    client.recv(1)
    client.close()
    listener.close()
    plain = socket.socket()
    try:
        plain.bind(("127.0.0.1", port))
        raise AssertionError("no TIME_WAIT was made: the test shows nothing")
    except OSError:
        pass
    finally:
        plain.close()
    assert port_is_free(port)
    assert port_is_free(free_port())
