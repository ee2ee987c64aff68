"""A log that keeps its head and its tail: a flood of output (300 MB from a before-build)
leaves a log of at most `log-cap` characters and a line saying how much was cut between them.

The first half of the cap goes to the file as it comes; after that the last half is kept in
memory and written after the head (with the cut line) at every flush and at the end, so a log
read while a stage floods shows its head, and a finished log has both ends.
"""

import contextlib
from collections import deque

DEFAULT_CAP = 10 << 20  # characters (bytes, for ASCII output): head and tail together


class CappedLog:
    """A text stream over the open file `f`; `cap` 0 or None: no cap."""

    def __init__(self, f, cap=DEFAULT_CAP):
        self.f, self.name = f, getattr(f, "name", "")
        self.cap, self.half = cap, (cap // 2 if cap else None)
        self.head = 0  # characters of the head written so far
        self.mark = None  # where the head ends in the file, once it is full
        self.tail, self.size, self.cut = deque(), 0, 0
        self.changed = False  # the tail has news the file does not show

    def write(self, text):
        if self.mark is None:
            room = len(text) if self.half is None else self.half - self.head
            self.f.write(text[:room])
            self.head += min(room, len(text))
            if len(text) <= room:
                return
            text = text[room:]
            self.mark = self.f.tell()
        self.tail.append(text)
        self.size += len(text)
        self.changed = True
        while self.size - len(self.tail[0]) >= self.half:
            dropped = len(self.tail.popleft())
            self.size -= dropped
            self.cut += dropped

    def _tail_text(self):
        text = "".join(self.tail)
        extra = len(text) - self.half
        if extra > 0:
            self.tail, self.size, self.cut = deque([text[extra:]]), self.half, self.cut + extra
            text = text[extra:]
        return text

    def cut_line(self):
        return (f"\n==> [log] {self.cut:,} characters of output cut here: this log keeps its "
                f"first and last {self.half:,} (log-cap {self.cap:,})\n")

    def flush(self):
        if self.changed:
            tail = self._tail_text()
            self.f.seek(self.mark)
            self.f.write((self.cut_line() if self.cut else "") + tail)
            self.f.truncate()
            self.changed = False
        self.f.flush()


@contextlib.contextmanager
def capped(path, cap=DEFAULT_CAP):
    """Open `path` for writing as a CappedLog; its tail is written when the block ends."""
    with open(path, "w") as f:
        log = CappedLog(f, cap)
        try:
            yield log
        finally:
            log.flush()
