"""What a build host that went away mid-build turns into: the keepalive that notices a silent
one, the look at a VM's domain (providers/gone.py) and the lines of orchestration/renew.py.
The real faults (sshd killed or frozen, a guest powering off) are in tests/integration; here
libvirt's answers are given, as they cannot be caused without a VM."""

import threading
import time

import pytest

from builder.errors import HostGone
from builder.model.result import Result
from builder.orchestration import renew
from builder.providers import gone
from builder.transport import keepalive


def qemu_log(tmp_path, domain, text):
    (tmp_path / f"{domain}.log").write_text(text)
    return tmp_path


@pytest.mark.parametrize("tail, reason", [
    ("2026-12-06 04:24:19.157+0000: shutting down, reason=shutdown\n", "shutdown"),
    ("... terminating on signal 15\n2026-12-06: shutting down, reason=destroyed\n", "destroyed"),
    # It ran again since (a restore): the old reason is not this stop's.
    ("shutting down, reason=saved\n2026-12-06 04:30:00: starting up libvirt version\n", None),
    ("", None),
])
def test_the_shutdown_reason_is_the_qemu_logs_last_word(tmp_path, tail, reason):
    assert gone.shutdown_reason("d", qemu_log(tmp_path, "d", "-msg timestamp=on\n" + tail)) == \
        reason


class Virsh:
    def __init__(self, code, out):
        self.returncode, self.stdout = code, out


@pytest.mark.parametrize("code, state, log, said", [
    (0, "running (booted)", "", None),
    (1, "", "shutting down, reason=shutdown\n", "the VM powered off"),  # a restored VM vanishes
    (1, "", "shutting down, reason=destroyed\n", "the VM was destroyed (from outside)"),
    (1, "", "", "the VM stopped"),
    (0, "shut off (shutdown)", "", "the VM powered off"),  # a booted VM's domain stays
    (0, "crashed (panicked)", "", "the VM crashed"),
    (0, "paused (ioerror)", "", "the VM was paused by libvirt (paused (ioerror))"),
    # QEMU being stopped: after a guest's poweroff and a destroy alike; the log says which.
    (0, "in shutdown (unknown)", "shutting down, reason=destroyed\n",
     "the VM was destroyed (from outside)"),
    (0, "in shutdown (unknown)", "shutting down, reason=shutdown\n", "the VM powered off"),
])
def test_the_fate_of_a_domain(monkeypatch, tmp_path, code, state, log, said):
    monkeypatch.setattr(gone.prepare, "virsh", lambda *a, check: Virsh(code, state + "\n"))
    monkeypatch.setattr(gone.prepare, "libvirt_reachable", lambda: True)
    monkeypatch.setattr(gone, "WAIT", 0)
    assert gone.fate("d", qemu_log(tmp_path, "d", log), wait=0) == said
    look = gone.checkup("d", tmp_path)
    assert look(True) == (said or gone.SSH_GONE)  # running, retries over: its sshd is gone
    assert look(False) == said  # running: retried first


def test_a_vanished_domain_waits_for_libvirt_to_log_why(monkeypatch, tmp_path):
    """The link breaks as QEMU exits; libvirt logs the reason a moment later."""
    monkeypatch.setattr(gone.prepare, "virsh", lambda *a, check: Virsh(1, ""))
    monkeypatch.setattr(gone.prepare, "libvirt_reachable", lambda: True)
    log = qemu_log(tmp_path, "d", "-msg timestamp=on\n")
    later = threading.Timer(0.5, lambda: (log / "d.log").write_text(
        "-msg timestamp=on\nshutting down, reason=shutdown\n"))
    later.start()
    assert gone.fate("d", log, wait=5) == "the VM powered off"
    assert gone.fate("e", qemu_log(tmp_path, "e", ""), wait=0.3) == "the VM stopped"


def test_a_domain_libvirt_cannot_tell_about_is_retried(monkeypatch, tmp_path):
    monkeypatch.setattr(gone.prepare, "virsh", lambda *a, check: Virsh(1, ""))
    monkeypatch.setattr(gone.prepare, "libvirt_reachable", lambda: False)
    assert gone.fate("d", tmp_path) is None


class Host:
    name, renewal = "manylinux2014-x86_64", "in a freshly restored VM"


def test_each_build_the_host_went_away_under_gets_one_line_and_the_rest_go_on(capsys):
    planned = [Result("cp39-cp39", "3.9"), Result("cp311-cp311", "3.11")]
    planned[0].fail("the VM powered off during test")
    lost = [("cp39-cp39", "the VM powered off during test")]
    assert renew.go_on(Host(), planned, lost, HostGone("lost", happened="the VM powered off"))
    assert capsys.readouterr().out == ("vmwheel: cp39-cp39: the VM powered off during test; "
                                       "the rest go on in a freshly restored VM\n")
    planned[1].fail("built elsewhere")
    assert not renew.go_on(Host(), planned, lost, HostGone("lost"))  # nothing left to build
    assert capsys.readouterr().out == "vmwheel: cp39-cp39: the VM powered off during test\n"


def test_a_host_that_went_away_between_builds_ends_the_run():
    exc = HostGone("lost the SSH link while uploading", happened="the VM powered off")
    with pytest.raises(HostGone) as e:
        renew.go_on(Host(), [Result("cp39-cp39", "3.9")], [], exc)
    assert e.value is exc


class SilentTransport:
    """A transport whose peer never answers a channel open (a frozen host)."""

    def __init__(self):
        self.active, self.closed = True, threading.Event()

    def is_active(self):
        return self.active

    def open_session(self, timeout):
        time.sleep(timeout)
        from paramiko import SSHException
        raise SSHException("Timeout opening channel.")

    def close(self):
        self.active = False
        self.closed.set()


def test_the_keepalive_closes_a_link_whose_peer_stopped_answering():
    t = SilentTransport()
    w = keepalive.watch(t, interval=0.05, limit=0.1)
    assert t.closed.wait(5) and w.gave_up


def test_a_stopped_keepalive_leaves_the_link_alone():
    t = SilentTransport()
    w = keepalive.watch(t, interval=0.05, limit=0.3)
    time.sleep(0.1)
    w.stop()
    w.join(5)
    assert not t.closed.is_set() and not w.gave_up
