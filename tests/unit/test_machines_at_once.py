"""Several machines of one run at once (orchestration/machines.py): how many the host's cores
and memory allow, and how their sessions run, fail and are interrupted. The sessions here are
plain functions in threads (the real VM sessions are in test_vm_build.py, which builds two
machines at once)."""

import _thread
import threading
import time

import pytest

from builder.errors import BuildHostError
from builder.frontends import cli
from builder.model.machine import get
from builder.orchestration import machines

X86, I686 = get("manylinux2014-x86_64"), get("bullseye-i686")


def test_two_guests_of_two_vcpus_on_two_cores_run_one_at_a_time_and_say_why():
    cap = machines.at_once([X86, I686], cores=2, free_mib=lambda: 20000)
    assert cap.width == 1
    assert cap.line == ("2 machines (manylinux2014-x86_64, bullseye-i686), 1 at a time: this "
                        "host has 2 cores and each guest takes 2 (--cpus / --memory give each "
                        "guest less)")


def test_guests_that_fit_all_run_at_once():
    specs = [X86.sized(cpus=1), I686.sized(cpus=1)]
    cap = machines.at_once(specs, cores=2, free_mib=lambda: 20000)
    assert cap.width == 2 and cap.line.startswith("2 machines at once (")
    assert machines.at_once(specs, cores=2, free_mib=lambda: None).width == 2  # unknown: fits


def test_memory_caps_too_and_the_line_names_both_limits():
    specs = [X86, I686, X86.sized(memory=4096)]
    cap = machines.at_once(specs, cores=4, free_mib=lambda: 4096 + 512 + 100)
    assert cap.width == 1
    assert "4 cores and each guest takes 2 and 4708 MiB free for guests of 4096 MiB" in cap.line
    assert machines.at_once(specs, cores=64, free_mib=lambda: 9000).width == 2


class Host:
    def __init__(self, name):
        self.name = name


def test_sessions_run_at_once_up_to_the_width():
    both = threading.Barrier(2, timeout=10)  # broken unless two sessions meet here
    seen, lock, running = [], threading.Lock(), [0]

    def build_on(host, planned):
        with lock:
            running[0] += 1
            seen.append(running[0])
        if host.name in ("a", "b"):
            both.wait()
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        planned.append(host.name)

    sessions = [(Host(n), []) for n in "abc"]
    machines.build_all(sessions, 2, build_on)
    assert [p for _, p in sessions] == [["a"], ["b"], ["c"]] and max(seen) == 2


def test_a_failing_machine_lets_the_running_one_finish_and_starts_no_other():
    started = []

    def build_on(host, planned):
        started.append(host.name)
        if host.name == "a":
            raise BuildHostError("VM a did not come up with SSH", "see its log")
        time.sleep(1.5)
        planned.append("built")

    sessions = [(Host(n), []) for n in "abc"]
    with pytest.raises(BuildHostError, match="VM a did not come up"):
        machines.build_all(sessions, 2, build_on)
    assert started == ["a", "b"] and sessions[1][1] == ["built"] and sessions[2][1] == []


def test_ctrl_c_interrupts_every_running_machine_and_waits_for_them():
    unwound, lock = [], threading.Lock()

    def build_on(host, planned):
        try:
            if host.name == "a":
                time.sleep(0.5)
                _thread.interrupt_main()  # Ctrl-C reaches the main thread only
            for _ in range(200):  # 10 s: without the interrupt, the asserts below fail
                time.sleep(0.05)
        except KeyboardInterrupt:
            time.sleep(0.3)  # the VM is destroyed here: build_all waits for it
            with lock:
                unwound.append(host.name)
            raise

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        machines.build_all([(Host("a"), []), (Host("b"), [])], 2, build_on)
    assert sorted(unwound) == ["a", "b"] and time.monotonic() - t0 < 10


def test_config_show_names_the_machines_given_and_where_they_came_from(capsys):
    assert cli.main(["config", "show", "--machine", "manylinux2014-x86_64,bullseye-i686"]) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("machines ")]
    assert line and "'manylinux2014-x86_64, bullseye-i686'" in line[0]
    assert line[0].endswith("(--machine)")
