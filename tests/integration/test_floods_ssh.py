"""A before-build that floods its output (300 MB of 100-character lines), against the SSH test
host with a real `vmwheel build -v`: the output streams at the link's speed, vmwheel's memory
stays bounded, the log keeps its head and tail with a line saying how much was cut, the terminal
sees a bounded number of lines, and Ctrl-C in the middle of a flood is answered in seconds."""

import json
import re
import signal
import subprocess
import threading
import time

import pytest

from tests.support.projects import make_sdist
from tests.support.sshhost import vmwheel_over_ssh

pytestmark = pytest.mark.ssh
FLOOD = 300_000_000
LINE = "x" * 99  # with its newline, 100 bytes


def flood_command(marker, size=FLOOD):
    return f"yes {LINE}{marker} | head -c {size}"


def peak_rss_mib(pid):
    """VmHWM of process `pid` (its peak resident memory so far) in MiB, or None once gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return None


def watch(proc, until=lambda: False, timeout=900):
    """Poll `proc` until it ends or `until()`; returns its highest VmHWM seen (MiB)."""
    peak, deadline = 0.0, time.monotonic() + timeout
    while proc.poll() is None and not until() and time.monotonic() < deadline:
        peak = max(peak, peak_rss_mib(proc.pid) or 0.0)
        time.sleep(0.1)
    return peak


def test_a_300_mb_flood_streams_fast_with_bounded_memory_log_and_terminal(
        ssh_host, python_tree, offline_index, tmp_path):
    cmd, env = vmwheel_over_ssh(ssh_host, python_tree, offline_index, tmp_path,
                                make_sdist(tmp_path))
    cmd += ["--build", "cp311-*", "-v", "--before-build", flood_command("")]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = []
    watcher = threading.Thread(target=lambda: peak.append(watch(proc)))
    watcher.start()
    stdout, stderr = proc.communicate(timeout=900)
    watcher.join()
    assert proc.returncode == 0, stdout[-3000:] + stderr
    out = tmp_path / "wheelhouse"
    [entry] = [e for e in json.loads((out / "report.json").read_text())["interpreters"]
               if e["status"] == "built"]
    seconds = entry["durations"]["before-build"]
    log = (out / "logs").glob("*/cp311-cp311.log").__next__().read_text()
    cut = re.search(r"\n==> \[log\] ([\d,]+) characters of output cut here: this log keeps "
                    r"its first and last 5,242,880 \(log-cap 10,485,760\)\n", log)
    print(f"\n300 MB flood: before-build {seconds} s = {FLOOD / 1e6 / seconds:.1f} MB/s; "
          f"vmwheel peak RSS {peak[0]:.0f} MiB; log {len(log):,} characters "
          f"({cut.group(1) if cut else 'nothing'} cut); terminal {len(stdout):,} characters")
    assert FLOOD / 1e6 / seconds >= 5, "the flood came in slower than 5 MB/s"
    assert peak[0] < 150
    assert cut and int(cut.group(1).replace(",", "")) >= FLOOD - 10_485_760
    assert len(log) < 10_485_760 + 1000
    assert log.startswith("\n==> [prepare]") and "==> [before-build] yes " in log
    assert "==> [build]" in log.split(cut.group(0))[1]  # the stages after the flood: in the tail
    assert len(stdout) < 1_000_000 and "lines of output not shown" in stdout


def test_ctrl_c_in_a_flood_is_answered_in_seconds_and_the_flood_stops(
        ssh_host, python_tree, offline_index, tmp_path):
    marker = f"flood{tmp_path.name}"  # names the guest's `yes` to find it afterwards
    cmd, env = vmwheel_over_ssh(ssh_host, python_tree, offline_index, tmp_path,
                                make_sdist(tmp_path))
    cmd += ["--build", "cp311-*", "-v", "--before-build", f"yes {LINE}{marker}"]  # endless
    terminal = open(tmp_path / "terminal", "w+")  # read at the end: a pipe would fill up
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=terminal,
                            stderr=subprocess.PIPE, text=True)
    logs = tmp_path / "wheelhouse" / "logs"

    def flooding():  # the head of the log (5 MiB) is full: the flood runs
        return any(p.stat().st_size >= 5 << 20 for p in logs.glob("*/cp311-cp311.log"))

    peak = watch(proc, until=flooding, timeout=300)
    assert flooding() and proc.poll() is None, "the flood never started"
    time.sleep(3)  # well into it
    peak = max(peak, peak_rss_mib(proc.pid) or 0)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    answered = time.monotonic() - t0
    stdout = (tmp_path / "terminal").read_text()
    print(f"\nCtrl-C mid-flood answered in {answered:.1f} s (exit {proc.returncode}); "
          f"peak RSS {peak:.0f} MiB")
    assert proc.returncode == 130, stdout[-3000:] + stderr
    assert stderr == "vmwheel: interrupted (Ctrl-C); wheels already fetched are kept\n", stderr
    assert answered < 10
    log = next(logs.glob("*/cp311-cp311.log")).read_text()
    head, tail = log.split("characters of output cut here")  # both ends of the flood
    assert f"{LINE}{marker}\n" * 10 in head and f"{LINE}{marker}\n" * 10 in tail
    deadline = time.monotonic() + 10  # the channel closed: the guest's `yes` dies (SIGPIPE)
    while time.monotonic() < deadline and subprocess.run(
            ["pgrep", "-f", marker], capture_output=True).returncode == 0:
        time.sleep(0.2)
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1
