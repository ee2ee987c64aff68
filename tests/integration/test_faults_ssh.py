"""Faults caused for real against the SSH test host: the link cut mid-transfer, a failing
build, a full build disk, Ctrl-C on the host process, the output dir filling up during a fetch,
a build host whose clock is decades behind. After each: wheels already fetched are intact, no
partial file is left, the report or the one error line names what failed, and a rerun finishes
the rest."""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.output.wheelhouse import Wheelhouse
from builder.sources import source
from builder.stages.build import Builder
from tests.support.projects import EXT_C, make_sdist
from tests.support.sshhost import SSHHost, vmwheel_over_ssh

pytestmark = pytest.mark.ssh
BIN = Path(sys.executable).parent
PLAT = "manylinux_2_36_x86_64"


def snapshot(out):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(out).glob("*.whl")}


def partial_files(out):
    return [p.name for p in Path(out).rglob("*") if p.name.endswith(".part")]


def env_for(offline_index):
    return {"PATH": f"{BIN}:/usr/bin:/bin", "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(offline_index)}


def builder_with_old_wheel(guest, tmp_path, python_tree, offline_index, sdist=None, **kw):
    """A Builder on the SSH test host, its sdist uploaded, writing to an output dir that
    already holds one wheel; returns (builder, output dir, snapshot of that dir)."""
    out = tmp_path / "wh"
    out.mkdir()
    (out / "old-1.0-py3-none-any.whl").write_bytes(b"kept")
    b = Builder(guest, source.from_file(sdist or make_sdist(tmp_path)), Wheelhouse(out), PLAT,
                out / "logs", env_for(offline_index), python_root=python_tree, **kw)
    b.upload()
    return b, out, snapshot(out)


def test_link_cut_mid_transfer_is_retried(ssh_host, python_tree, offline_index, tmp_path,
                                          faults):
    """The sshd serving our session is killed during the download: a real connection reset."""
    guest = ssh_host.guest()
    real_get = type(guest).get
    cuts = []

    def get_with_cut(self, remote, local):
        if not cuts:
            cuts.append(remote)
            subprocess.run(["pkill", "-KILL", "-P", str(ssh_host.proc.pid)])
        return real_get(self, remote, local)

    guest.get = get_with_cut.__get__(guest)
    b, out, before = builder_with_old_wheel(guest, tmp_path, python_tree, offline_index)
    r = b.build_one("cp311-cp311", "3.11")
    guest.close()
    assert cuts and guest.reconnects >= 1
    assert r.status == "built", r.reason
    assert hashlib.sha256((out / r.wheel).read_bytes()).hexdigest() == r.sha256
    lost = [n for n, h in before.items() if snapshot(out).get(n) != h]
    faults.record("SSH link cut mid-transfer", lost, partial_files(out))


def test_full_build_disk_fails_that_interpreter_only(ssh_host, python_tree, offline_index,
                                                    tmp_path, faults):
    """A 2 MiB tmpfs as the build dir: the build really runs out of space."""
    disk = tmp_path / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    try:
        guest = ssh_host.guest()
        b, out, before = builder_with_old_wheel(guest, tmp_path, python_tree, offline_index,
                                                work_root=disk)
        r = b.build_one("cp39-cp39", "3.9")
        guest.close()
    finally:
        subprocess.run(["umount", str(disk)], check=True)
    assert r.status == "failed" and ("build failed" in r.reason or "prepare failed" in r.reason)
    assert "the build host's disk is full (No space left on device)" in r.reason, r.reason
    assert "No space left on device" in Path(r.log).read_text()
    lost = [n for n, h in before.items() if snapshot(out).get(n) != h]
    faults.record("build disk full", lost, partial_files(out))


def test_memory_running_out_in_a_stage_is_named(ssh_host, python_tree, offline_index,
                                                tmp_path, faults):
    """The before-build allocates 1 GiB under a 300 MB address-space limit (ulimit -v): a
    real allocation failure, named in the interpreter's one line."""
    guest = ssh_host.guest()
    out = tmp_path / "wh"
    b = Builder(guest, source.from_file(make_sdist(tmp_path)), Wheelhouse(out), PLAT,
                out / "logs", env_for(offline_index),
                {"before-build": "ulimit -v 300000 && python -c 'bytearray(1 << 30)'"},
                python_root=python_tree)
    b.upload()
    r = b.build_one("cp311-cp311", "3.11")
    guest.close()
    assert r.reason.startswith("before-build failed (exit 1): the build host ran out of memory "
                               "(MemoryError); see "), r.reason
    faults.record("memory exhausted in a stage", [], partial_files(out))


def test_failing_build_is_reported_and_not_retried(ssh_host, python_tree, offline_index,
                                                  tmp_path, faults):
    guest = ssh_host.guest()
    out = tmp_path / "wh"
    b = Builder(guest, source.from_file(make_sdist(tmp_path, c_source="not C;\n")),
                Wheelhouse(out), PLAT, out / "logs", env_for(offline_index),
                python_root=python_tree)
    b.upload()
    r = b.build_one("cp39-cp39", "3.9")
    guest.close()
    assert r.status == "failed" and r.reason.startswith("build failed (exit 1)")
    assert guest.reconnects == 0
    assert Path(r.log).read_text().count("==> [build]") == 1
    faults.record("broken sdist", [], partial_files(out))


@pytest.mark.parametrize("signum, code, said", [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "terminated (SIGTERM)"),  # how CI systems cancel a job
])
def test_ctrl_c_or_sigterm_keeps_fetched_wheels_and_a_rerun_finishes(
        signum, code, said, ssh_host, python_tree, offline_index, tmp_path, faults):
    cmd, env = vmwheel_over_ssh(ssh_host, python_tree, offline_index, tmp_path, make_sdist(tmp_path))
    # cp39 waits a minute before its first build, so that it is surely still building when
    # cp311's wheel has arrived (the two build at once and take about as long); not again.
    once = tmp_path / "cp39-waited"
    cmd += ["-o", "before-build=python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))'"
            f" && [ ! -e {once} ] && touch {once} && sleep 60 || true"]
    out = tmp_path / "wheelhouse"
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("*cp311*.whl")):
        time.sleep(0.2)
    assert list(out.glob("*cp311*.whl")), "the first wheel never arrived"
    first = snapshot(out)
    proc.send_signal(signum)  # while cp39 builds
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stdout + stderr
    assert stderr == f"vmwheel: {said}; wheels already fetched are kept\n", stderr
    report = json.loads((out / "report.json").read_text())
    status = {e["tag"]: e for e in report["interpreters"]}
    assert status["cp311-cp311"]["status"] == "built"
    assert status["cp39-cp39"]["status"] == "failed"
    assert status["cp39-cp39"]["reason"].startswith(said), status["cp39-cp39"]
    assert (out / "SHA256SUMS").read_text().split() == [
        status["cp311-cp311"]["sha256"], status["cp311-cp311"]["wheel"]]
    lost = [n for n, h in first.items() if snapshot(out).get(n) != h]
    partial = partial_files(out)

    again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads((out / "report.json").read_text())
    status = {e["tag"]: e for e in report["interpreters"]}
    assert status["cp311-cp311"]["reason"] == "kept: built by an earlier run of this sdist"
    assert status["cp39-cp39"]["status"] == "built"
    assert snapshot(out)[status["cp311-cp311"]["wheel"]] == first[status["cp311-cp311"]["wheel"]]
    faults.record(f"{signal.Signals(signum).name} on the host process", lost,
                  partial + partial_files(out))


def test_link_cut_during_a_command_is_retried(ssh_host, python_tree, offline_index, tmp_path,
                                              faults):
    """The session's sshd is killed while a command runs: the channel closes with no exit
    status, which is a broken link (retried), not a failed build."""
    import threading

    guest = ssh_host.guest()
    out = tmp_path / "wh"
    b = Builder(guest, source.from_file(make_sdist(tmp_path)), Wheelhouse(out), PLAT,
                out / "logs", env_for(offline_index), {"before-build": "sleep 4"},
                python_root=python_tree)
    b.upload()

    def cut():
        time.sleep(2)  # inside `sleep 4`
        subprocess.run(["pkill", "-KILL", "-P", str(ssh_host.proc.pid)])

    threading.Thread(target=cut).start()
    r = b.build_one("cp39-cp39", "3.9")
    guest.close()
    assert guest.reconnects >= 1
    assert r.status == "built", r.reason
    faults.record("SSH link cut during a command", [], partial_files(out))


# 100 KiB of random bytes compiled in: a wheel too big for the room left in the output dir.
BLOB = random.Random(7).randbytes(100 * 1024)
BIG_EXT_C = EXT_C.replace(
    "static PyObject *answer",
    "unsigned char vmw_blob[] = {" + ",".join(map(str, BLOB)) + "};\n"
    "static PyObject *answer").replace(
    "return PyLong_FromLong(42);", "return PyLong_FromLong(42 + 0 * vmw_blob[42]);")


def fill_leaving(directory, room):
    """Fill the file system of `directory` up, then free `room` bytes; returns the filler."""
    filler = Path(directory) / ".filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:  # full
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - room))
    finally:
        os.close(fd)
    return filler


def test_output_dir_filling_up_during_a_fetch_stops_in_one_line_and_a_rerun_finishes(
        ssh_host, python_tree, offline_index, tmp_path, faults):
    """The output dir is a 2 MiB tmpfs with 64 KiB left: the logs fit, the 100 KiB wheel does
    not. The run stops at the first fetch with one line; nothing there is lost or half-written;
    with room made, the same command finishes."""
    out = tmp_path / "wheelhouse"
    out.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(out)], check=True)
    try:
        (out / "old-1.0-py3-none-any.whl").write_bytes(b"kept")
        before = snapshot(out)
        cmd, env = vmwheel_over_ssh(ssh_host, python_tree, offline_index, tmp_path,
                       make_sdist(tmp_path, c_source=BIG_EXT_C))
        filler = fill_leaving(out, 64 * 1024)
        res = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert res.returncode == 4, res.stdout + res.stderr  # HostNotReady
        assert res.stderr.startswith(f"vmwheel: cannot write in {out} (No space left on "
                                     "device); free space in"), res.stderr
        assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
        lost = [n for n, h in before.items() if snapshot(out).get(n) != h]
        partial = partial_files(out)
        assert not list(out.glob("vmwtestext-*.whl"))

        filler.unlink()
        again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert again.returncode == 0, again.stdout + again.stderr
        assert len(list(out.glob("vmwtestext-*.whl"))) == 2
        assert snapshot(out)["old-1.0-py3-none-any.whl"] == before["old-1.0-py3-none-any.whl"]
        partial += partial_files(out)
    finally:
        subprocess.run(["umount", str(out)], check=True)
    faults.record("output dir full during a fetch", lost, partial)


def test_a_build_host_clock_decades_behind_is_refused_and_a_rerun_finishes(
        python_tree, offline_index, tmp_path, faults):
    """sshd's sessions run under libfaketime at 1990: vmwheel refuses before building, in one
    line; with the host's clock right again (same host, same key), the command finishes."""
    host = SSHHost(tmp_path / "host", fake_time="@1990-01-01 00:00:00").start()
    try:
        cmd, env = vmwheel_over_ssh(host, python_tree, offline_index, tmp_path, make_sdist(tmp_path))
        res = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert res.returncode == 5, res.stdout + res.stderr  # BuildHostError
        assert "says 1990-01-01 00:" in res.stderr and "days behind this host's" in res.stderr
        assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
        out = tmp_path / "wheelhouse"
        assert not list(out.glob("*.whl"))

        host.stop()
        host.fake_time = None
        host.start()
        again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert again.returncode == 0, again.stdout + again.stderr
        assert len(list(out.glob("*.whl"))) == 2
    finally:
        host.stop()
    faults.record("build host clock 36 years behind", [], partial_files(out))


def test_parallel_builds_that_lose_their_host_all_fail_with_that_cause(
        python_tree, offline_index, tmp_path):
    """Two interpreters at once; the build host's sshd and sessions are killed while both are
    in before-build. The first lost link stops the other build too, which fails with the same
    cause (not a vaguer one), each in one line; nothing is left to build: exit 1, as for
    interpreters that failed (tests/integration/test_host_gone_ssh.py has the rest going on)."""
    host = SSHHost(tmp_path / "host").start()
    cmd, env = vmwheel_over_ssh(host, python_tree, offline_index, tmp_path, make_sdist(tmp_path))
    cmd += ["--parallel", "2", "--before-build", "sleep 20"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out = tmp_path / "wheelhouse"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(
            "==> [before-build]" in p.read_text() for p in out.glob("logs/*/cp3*.log")) < 2:
        time.sleep(0.2)
    subprocess.run(["pkill", "-KILL", "-P", str(host.proc.pid)])  # every session
    host.stop()
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stdout + stderr
    assert stderr.startswith("vmwheel: build failed for ") and stderr.count("\n") == 1, stderr
    said = "the SSH link to the build host broke during before-build"
    assert sorted(line for line in stdout.splitlines() if said in line) == [
        f"vmwheel: {tag}: {said}" for tag in ("cp311-cp311", "cp39-cp39")], stdout
    report = json.loads((out / "report.json").read_text())
    reasons = [e["reason"] for e in report["interpreters"]]
    assert reasons == [said, said], reasons
