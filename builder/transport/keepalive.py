"""SSH keepalive that expects an answer, as OpenSSH's ServerAliveInterval does.

A build host that dies outright closes its TCP connection, and the SSH link breaks at once. A
host that stops answering without closing it (a hung guest, a frozen sshd, a VM paused, a
network that drops everything) left vmwheel waiting forever: nothing is read, nothing fails,
and the build timeout runs in the guest, which is what stopped. So every connection has a
watch: every INTERVAL seconds it opens a session channel and closes it again (the server must
answer a channel open; paramiko's own keepalive wants no answer, and a global request would
share paramiko's one completion event with other global requests on the connection). A probe
unanswered for LIMIT seconds closes the transport: what waits on it (a command, a transfer)
fails at once as a broken link, and `gave_up` says why.
"""

import threading

import paramiko

INTERVAL = 5  # seconds between probes
LIMIT = 15  # seconds a probe may go unanswered before the link counts as lost


class Watch(threading.Thread):
    """The keepalive of one connected paramiko `transport`; `stop()` ends it."""

    def __init__(self, transport, interval=INTERVAL, limit=LIMIT):
        super().__init__(name="vmwheel-keepalive", daemon=True)
        self.transport, self.interval, self.limit = transport, interval, limit
        self.gave_up = False  # a probe went unanswered for `limit` seconds: the link was closed
        self._stopping = threading.Event()

    def stop(self):
        self._stopping.set()

    def run(self):
        while not self._stopping.wait(self.interval):
            if not self.transport.is_active():
                return
            try:
                self.transport.open_session(timeout=self.limit).close()
            except (paramiko.SSHException, OSError, EOFError):
                # Unanswered (the transport still up), or the link broke under the probe,
                # which the connection's users see for themselves.
                if self.transport.is_active() and not self._stopping.is_set():
                    self.gave_up = True
                    self.transport.close()
                return


def watch(transport, interval=INTERVAL, limit=LIMIT):
    """Start and return the keepalive of `transport`."""
    w = Watch(transport, interval, limit)
    w.start()
    return w
