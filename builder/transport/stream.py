"""One command over an SSH channel, its output read as it comes in large chunks.

Both streams go to the log as text as they arrive; what the command leaves in memory is
bounded: the end of its stdout (what callers parse: `sha256sum`, `auditwheel show`, a
listing) and the end of both streams together (what says why it failed). The wait is in steps
of POLL seconds, so Ctrl-C (KeyboardInterrupt, in this thread or raised into it) and
Remote.abort from another thread are seen within one step; the channel is then closed.

(invoke's runner, which this replaces for commands, reads 1000 bytes at a time and joins its
whole capture buffer again for every chunk: a 300 MB flood came in at 28 KB/s.)
"""

import codecs
import select
import threading
from collections import deque

import paramiko

CHUNK = 1 << 16
POLL = 0.5  # seconds
JOIN = 10  # seconds an interrupted caller waits for the reader to close its channel
KEEP = 64 * 1024  # bytes of stdout returned, unless a caller asks for more
SAID = 64 * 1024  # bytes of both streams kept for saying why a command failed


class Tail:
    """The last `limit` bytes of what was added (all of it when `limit` is None); in memory
    at most `limit` plus one chunk."""

    def __init__(self, limit):
        self.limit, self.parts, self.size = limit, deque(), 0

    def add(self, data):
        self.parts.append(data)
        self.size += len(data)
        while self.limit is not None and self.size - len(self.parts[0]) >= self.limit:
            self.size -= len(self.parts.popleft())

    def text(self):
        data = b"".join(self.parts)
        if self.limit is not None:
            data = data[-self.limit:]
        return data.decode("utf-8", "replace")


def run(transport, line, log=None, keep=KEEP, stopped=lambda: False, timeout=None):
    """Run the shell line `line` on a new channel of `transport`, stdin closed. Returns (exit
    status, end of stdout, end of both streams); status -1: the channel closed without one
    (the link broke, `stopped()` became true, or the caller was interrupted, which is then
    raised again once the reader has closed the channel)."""
    done, cancel = {}, threading.Event()

    def read():
        try:
            done["value"] = _read(transport, line, log, keep,
                                  lambda: cancel.is_set() or stopped(), timeout)
        except BaseException as exc:  # handed to the caller's thread
            done["error"] = exc

    reader = threading.Thread(target=read, name="vmwheel-channel", daemon=True)
    reader.start()
    try:
        while reader.is_alive():
            reader.join(POLL)
    except BaseException:
        cancel.set()
        reader.join(JOIN)
        raise
    if "error" in done:
        raise done["error"]
    return done["value"]


def _read(transport, line, log, keep, stopped, timeout):
    chan = transport.open_session(timeout=timeout)
    try:
        chan.exec_command(line)
        chan.shutdown_write()
        out, said = Tail(keep), Tail(SAID)
        text = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in ("out", "err")}

        def take(data, stream):
            said.add(data)
            if stream == "out":
                out.add(data)
            if log is not None:
                log.write(text[stream].decode(data))

        while not stopped():
            select.select([chan], [], [], POLL)
            got = False
            if chan.recv_stderr_ready():
                take(chan.recv_stderr(CHUNK), "err")
                got = True
            if chan.recv_ready():
                take(chan.recv(CHUNK), "out")
                got = True
            if not got and (chan.eof_received or chan.closed):
                break
        while not stopped() and not chan.status_event.wait(POLL):
            pass
        if log is not None:
            log.write(text["out"].decode(b"", final=True) + text["err"].decode(b"", final=True))
        return chan.exit_status, out.text(), said.text()
    finally:
        try:
            chan.close()
        except (paramiko.SSHException, OSError, EOFError):
            pass  # the link is gone already
