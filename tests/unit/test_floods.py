"""What a flood of guest output leaves behind: a log with its head and tail and one line saying
how much was cut (output/logcap.py), a terminal that sees a bounded rate of lines
(output/display.py Throttle), and a bounded end of stdout in memory (transport/stream.py)."""

import io
import re

from builder.output.display import Throttle
from builder.output.logcap import CappedLog, capped
from builder.transport.stream import Tail


def lines(first, count, width=10):
    return "".join(f"{i:0{width - 1}d}\n" for i in range(first, first + count))


def test_a_log_within_its_cap_is_written_whole(tmp_path):
    text = "==> [build] pip wheel .\n" + lines(0, 100)
    with capped(tmp_path / "a.log", cap=10_000) as log:
        log.write(text)
    assert (tmp_path / "a.log").read_text() == text


def test_a_flood_keeps_head_and_tail_and_says_how_much_was_cut(tmp_path):
    """1,000,000 lines of 10 characters through a cap of 100,000, in chunks of mixed sizes."""
    path = tmp_path / "flood.log"
    with capped(path, cap=100_000) as log:
        log.write("==> [before-build] flood\n")
        everything = lines(0, 1_000_000)
        at = 0
        for size in (7, 65536, 1, 300_000, 123) * 1000:
            if at >= len(everything):
                break
            log.write(everything[at:at + size])
            at += size
        log.write(everything[at:])
        log.write("\n==> [build] pip wheel .\nbuilt\n")
    text = path.read_text()
    head, cut, tail = re.split(r"\n(==> \[log\] [\d,]+ characters of output cut here: this log "
                               r"keeps its first and last 50,000 \(log-cap 100,000\))\n", text)
    whole = "==> [before-build] flood\n" + everything + "\n==> [build] pip wheel .\nbuilt\n"
    assert head == whole[:50_000] and tail == whole[-50_000:]
    assert int(re.search(r"\] ([\d,]+) char", cut).group(1).replace(",", "")) == \
        len(whole) - 100_000
    assert len(text) < 100_000 + 200


def test_a_log_read_mid_flood_shows_its_head_then_at_each_flush_its_tail(tmp_path):
    path = tmp_path / "live.log"
    with capped(path, cap=2000) as log:
        log.write(lines(0, 150))  # 1,500 characters: the head is full, 500 wait in memory
        log.f.flush()
        assert path.read_text() == lines(0, 100)
        log.flush()
        first = path.read_text()
        assert first == lines(0, 150)  # nothing cut yet
        log.write(lines(150, 1000))
        log.flush()
        assert "cut here" in path.read_text() and path.read_text().endswith(lines(1050, 100))
        log.write(lines(1150, 10))
        log.flush()
        assert path.read_text().endswith(lines(1060, 100)) and len(path.read_text()) < 2200
    assert path.read_text().count("cut here") == 1


def test_no_cap_writes_everything(tmp_path):
    with capped(tmp_path / "all.log", cap=0) as log:
        for i in range(100):
            log.write(lines(i * 1000, 1000))
    assert (tmp_path / "all.log").read_text() == lines(0, 100_000)


def test_the_cap_also_names_the_file_for_a_tee():
    f = io.StringIO()
    f.name = "logs/x/cp311-cp311.log"
    assert CappedLog(f).name == "logs/x/cp311-cp311.log"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_terminal_sees_a_bounded_rate_and_a_line_saying_what_was_left_out():
    out, clock = io.StringIO(), Clock()
    t = Throttle(out, rate=50, burst=500, clock=clock)
    t.write(lines(0, 400))  # within the burst: shown
    for second in range(60):  # a minute of 5,000 lines a second
        clock.now = second + 1.0
        for k in range(10):
            t.write(lines(0, 500))
    shown = out.getvalue()
    assert shown.startswith(lines(0, 400))
    assert shown.count("\n") <= 500 + 60 * 50 + 60 * 2, shown.count("\n")
    clock.now += 10  # the flood is over; what comes next is shown, after the note
    t.write("build done\n")
    t.flush()
    notes = re.findall(r"\[vmwheel: ([\d,]+) lines of output not shown \(more than 50 a "
                       r"second\); see the log\]", out.getvalue())
    assert notes and out.getvalue().endswith("build done\n")
    shown_lines = out.getvalue().count("\n") - 2 * len(notes)
    assert sum(int(n.replace(",", "")) for n in notes) + shown_lines - 1 == 400 + 60 * 10 * 500


def test_a_flood_without_newlines_counts_as_lines_too():
    out, clock = io.StringIO(), Clock()
    t = Throttle(out, rate=50, burst=500, clock=clock)
    for _ in range(100):
        t.write("x" * 65536)
    t.flush()
    assert len(out.getvalue()) < 500 * Throttle.LINE + 200


def test_the_tail_of_stdout_is_bounded_and_exact():
    tail = Tail(1000)
    data = b"".join(b"%08d\n" % i for i in range(100_000))
    for at in range(0, len(data), 4096):
        tail.add(data[at:at + 4096])
    assert tail.text() == data[-1000:].decode()
    assert tail.size < 1000 + 4096
    whole = Tail(None)
    whole.add(b"a\n")
    whole.add(b"b\n")
    assert whole.text() == "a\nb\n"
