"""Compile turns of a parallel build (stages/turns.py): the build stage of a third interpreter
waits for its turn, says so once, and a Ctrl-C raised into a waiting thread ends its wait."""

import threading
import time

from builder.orchestration.parallel import raise_in
from builder.stages.turns import held


def test_a_build_waits_for_its_turn_and_says_so_once():
    turns, events, waited = threading.Semaphore(1), [], []
    first_in, release = threading.Event(), threading.Event()

    def first():
        with held(turns, lambda: waited.append("first")):
            events.append("first in")
            first_in.set()
            release.wait(5)
            events.append("first out")

    def second():
        first_in.wait(5)
        with held(turns, lambda: waited.append("second")):
            events.append("second in")

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    first_in.wait(5)
    time.sleep(1.2)  # the second one waits through more than one step meanwhile
    assert events == ["first in"]
    release.set()
    for t in threads:
        t.join(5)
    assert events == ["first in", "first out", "second in"]
    assert waited == ["second"]
    with held(None):  # no limit (a serial build): nothing to wait for
        pass


def test_ctrl_c_raised_into_a_waiting_build_ends_its_wait_and_frees_nothing_twice():
    turns, outcome = threading.BoundedSemaphore(1), []
    turns.acquire()  # another build holds the only slot

    def waiter():
        try:
            with held(turns):
                outcome.append("entered")
        except KeyboardInterrupt:
            outcome.append("interrupted")

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    raise_in(t.ident, KeyboardInterrupt)
    t.join(3)
    assert outcome == ["interrupted"] and not t.is_alive()
    turns.release()  # the holder's release; a second one would raise (BoundedSemaphore)
    assert turns.acquire(blocking=False)
