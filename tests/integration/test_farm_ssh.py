"""`vmwheel build --scheduler` against a real Dask farm on 127.0.0.1: a `dask scheduler`
process and `vmwheel worker` processes, each building over its own real sshd (SSH test host)
as the default machine. Never any address but 127.0.0.1."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from builder.model.machine import default_name
from tests.support.farm import BIN, Farm, make_tls, tls_flags
from builder.transport.ports import free_port
from tests.support.projects import make_sdist
from tests.support.sshhost import SSHHost, command_env, guest_environment

pytestmark = pytest.mark.ssh
MACHINE = default_name()
BOTH = "cp39-* cp311-*"  # the SSH test hosts' interpreters (python_tree)
OTHER = next(m for m in ("bullseye-x86_64", "bookworm-x86_64") if m != MACHINE)


@pytest.fixture
def hosts(tmp_path):
    started = [SSHHost(tmp_path / f"sshd-{i}").start() for i in (1, 2)]
    yield started
    for h in started:
        h.stop()


@pytest.fixture
def farm_of(tmp_path, hosts, python_tree):
    farms = []

    def make(workers=2, tls=None, allowed_failures=None, machines=(MACHINE, MACHINE)):
        farm = Farm(tmp_path, tls, allowed_failures).start()
        farms.append(farm)
        for i in range(workers):
            farm.add_worker(f"w{i + 1}", hosts[i], python_tree, machines[i])
        return farm

    yield make
    for farm in farms:
        farm.stop()
        for name in farm.workers:
            subprocess.run(["rm", "-rf", farm.guest_dir(name)])


def client(farm_address, sdist, tmp_path, offline_index, *extra, tls=None, popen=False,
           verb="build", environment=""):
    cmd = [str(BIN / "vmwheel"), verb, str(sdist), "--scheduler", farm_address, "--build",
           BOTH, "-o", f"environment={guest_environment(offline_index)} {environment}".strip(),
           *tls_flags(tls), *extra]
    env = command_env(tmp_path)
    if popen:
        return subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)


def wheels_and_report(tmp_path):
    out = tmp_path / "wheelhouse"
    report = json.loads((out / "report.json").read_text())
    return sorted(p.name for p in out.glob("*.whl")), report, out


def test_the_matrix_is_split_over_two_workers_over_tls(farm_of, tmp_path, offline_index):
    tls = make_tls(tmp_path / "tls")
    farm = farm_of(tls=tls)
    sdist = make_sdist(tmp_path)
    res = client(farm.address, sdist, tmp_path, offline_index, tls=tls)
    assert res.returncode == 0, res.stdout + res.stderr
    wheels, report, out = wheels_and_report(tmp_path)
    assert len(wheels) == 2 and not list(out.glob(".*.part"))
    entries = {e["identifier"]: e for e in report["interpreters"] if e["status"] != "skipped"}
    assert set(entries) == {"cp39-manylinux_x86_64", "cp311-manylinux_x86_64"}
    assert {e["worker"] for e in entries.values()} == {"w1", "w2"}  # one job each
    assert all(e["status"] == "built" and e["waited"] >= 0 for e in entries.values())
    sums = dict(reversed(line.split()) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert {e["wheel"]: e["sha256"] for e in entries.values()} == sums
    assert report["machines"][0]["workers"] and report["machines"][0]["platform"]
    logs = {p.name for p in (out / "logs" / MACHINE).glob("*.log")}
    assert {"cp39-cp39.log", "cp311-cp311.log"} <= logs
    # The same sdist again: resume keeps both wheels, nothing goes to the farm.
    again = client(farm.address, sdist, tmp_path, offline_index, tls=tls)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "job(s) sent" not in again.stderr + again.stdout
    _, report2, _ = wheels_and_report(tmp_path)
    assert all("kept" in e["reason"] for e in report2["interpreters"]
               if e["status"] != "skipped")


def test_verify_builds_twice_on_the_farm_and_compares(farm_of, tmp_path, offline_index):
    farm = farm_of()
    # The two test workers share this machine, so each builds under its own guest dir, and the
    # host CPythons' CFLAGS have -g: the debug info would name the dir, and a wheel would
    # differ with the worker that built it. Real workers are hosts of their own, with one dir.
    res = client(farm.address, make_sdist(tmp_path), tmp_path, offline_index, verb="verify",
                 environment="CFLAGS=-g0")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 of 2 wheels identical in two fresh builds" in res.stdout
    runs = tmp_path / "wheelhouse-verify"
    for run in ("run-1", "run-2"):
        report = json.loads((runs / run / "report.json").read_text())
        assert {e["worker"] for e in report["interpreters"] if e["wheel"]} == {"w1", "w2"}
        assert all(e["reason"] == "" for e in report["interpreters"] if e["wheel"])


def kill_a_building_worker(farm, tmp_path, offline_index, code):
    """Build, SIGKILL the first worker seen building, wait for the client to exit `code`;
    return (victim, wheel names, report, wheelhouse)."""
    proc = client(farm.address, make_sdist(tmp_path), tmp_path, offline_index, popen=True)
    victim = building_worker(farm)
    farm.workers[victim].send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == code, out + err
    return (victim, *wheels_and_report(tmp_path))


def test_a_worker_killed_mid_job_its_job_finishes_on_the_other(farm_of, tmp_path,
                                                                offline_index, faults):
    victim, wheels, report, wheelhouse = kill_a_building_worker(farm_of(), tmp_path,
                                                                offline_index, 0)
    survivor = ({"w1", "w2"} - {victim}).pop()
    assert len(wheels) == 2 and not list(wheelhouse.glob(".*.part"))  # none lost, none twice
    assert {e["worker"] for e in report["interpreters"] if e["wheel"]} == {survivor}
    faults.record("farm worker killed mid-job (SIGKILL)", lost=[] if len(wheels) == 2 else
                  wheels, partial=list(wheelhouse.glob(".*.part")))


def test_retries_are_bounded_by_the_schedulers_allowed_failures(farm_of, tmp_path,
                                                                 offline_index):
    farm = farm_of(allowed_failures=0)  # the first worker lost is the last try
    victim, wheels, report, _ = kill_a_building_worker(farm, tmp_path, offline_index, 1)
    failed = [e for e in report["interpreters"] if e["status"] == "failed"]
    assert len(wheels) == 1 and len(failed) == 1, report["interpreters"]
    assert f"lost with each of the 1 workers that ran it (last {victim})" in failed[0]["reason"]


def test_a_worker_without_the_box_never_receives_the_job(farm_of, tmp_path, offline_index):
    farm = farm_of(machines=(MACHINE, OTHER))  # w2 offers only another machine's box
    res = client(farm.address, make_sdist(tmp_path), tmp_path, offline_index)
    assert res.returncode == 0, res.stdout + res.stderr
    _, report, _ = wheels_and_report(tmp_path)
    assert {e["worker"] for e in report["interpreters"] if e["wheel"]} == {"w1"}
    assert "job " not in farm.log("w2").split("Registered to")[-1]


def test_a_job_goes_only_to_a_worker_with_its_box(farm_of, tmp_path, offline_index):
    farm = farm_of(workers=1)
    other = OTHER
    res = client(farm.address, make_sdist(tmp_path), tmp_path, offline_index,
                 "--machine", other)
    assert res.returncode == 4, res.stdout + res.stderr
    assert f"no worker of the farm at {farm.address} has the box of {other}" in res.stderr
    assert "Traceback" not in res.stderr and "job" not in farm.log("w1").split("Registered")[-1]


def test_an_unreachable_scheduler_is_one_line(tmp_path, offline_index):
    t0 = time.monotonic()
    res = client(f"tcp://127.0.0.1:{free_port()}", make_sdist(tmp_path), tmp_path,
                 offline_index)
    assert res.returncode == 5, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines[-1].startswith("vmwheel: cannot reach the scheduler at tcp://127.0.0.1:")
    assert "Traceback" not in res.stderr and time.monotonic() - t0 < 60
    assert not (tmp_path / "wheelhouse").exists() or not list(
        (tmp_path / "wheelhouse").glob("*.whl"))


def test_a_worker_whose_scheduler_does_not_answer_is_one_line(tmp_path, hosts, python_tree):
    farm = Farm(tmp_path)  # never started: nothing listens on its port
    with pytest.raises(RuntimeError, match="no 'Registered to'") as exc:
        farm.add_worker("w1", hosts[0], python_tree, MACHINE)
    assert farm.workers["w1"].wait(timeout=60) == 5
    last = farm.log("w1").strip().splitlines()[-1]
    assert last.startswith(f"vmwheel: the scheduler at {farm.address} did not answer"), last
    assert "Traceback" not in farm.log("w1") and exc


@pytest.mark.parametrize("address, extra, says", [
    ("tcp://192.0.2.7:8786", [], "refusing scheduler tcp://192.0.2.7:8786: plain tcp://"),
    ("tls://127.0.0.1:8786", [], "is tls:// but --tls-ca-file, --tls-cert, --tls-key are "
     "not given"),
    ("tcp://farm.example:8786", [], "refusing scheduler"),
])
def test_a_scheduler_that_is_neither_loopback_nor_tls_is_refused(address, extra, says,
                                                                  tmp_path):
    for cmd in (["build", "msgpack", "--scheduler", address],
                ["worker", "--scheduler", address]):
        res = subprocess.run([str(BIN / "vmwheel"), *cmd, *extra], capture_output=True,
                             text=True, env=dict(os.environ, HOME=str(tmp_path)), cwd=tmp_path,
                             timeout=60)
        assert res.returncode == 2, res.stderr
        assert says in res.stderr and "Traceback" not in res.stderr


def building_worker(farm, timeout=120):
    """The name of a worker whose SSH host is in a build stage, once one is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in farm.workers:
            if list(Path(farm.guest_dir(name)).glob("cp3*/dist")):
                return name
        time.sleep(0.2)
    raise AssertionError("no worker started a build")


def test_ctrl_c_on_the_client_cancels_its_jobs_on_the_workers(farm_of, tmp_path,
                                                              offline_index):
    farm = farm_of()
    # Each job waits 30 s before its build, so that it is surely still running at the Ctrl-C
    # (the test project builds in a few seconds).
    proc = client(farm.address, make_sdist(tmp_path), tmp_path, offline_index,
                  "-o", "before-build=sleep 30", popen=True)
    name = building_worker(farm)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == \
        "vmwheel: interrupted (Ctrl-C); wheels already fetched are kept"
    deadline = time.monotonic() + 60  # the running job unwinds on its worker
    while "cancelled by the client" not in farm.log(name) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "cancelled by the client" in farm.log(name), farm.log(name)[-2000:]
    assert all(p.poll() is None for p in farm.workers.values())  # the workers serve on
    report = json.loads((tmp_path / "wheelhouse" / "report.json").read_text())
    assert not [e for e in report["interpreters"] if e["status"] == "pending"]
    assert not list((tmp_path / "wheelhouse").glob(".*.part"))


def tcp_bytes(pid):
    """Bytes received and sent on the TCP connections process `pid` holds (`ss -tinp`)."""
    out = subprocess.run(["ss", "-H", "-tinp"], capture_output=True, text=True).stdout
    total, mine = 0, False
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):  # a connection; its counters follow on the next
            mine = f"pid={pid}," in line
        elif mine:
            for field in line.split():
                if field.startswith(("bytes_received:", "bytes_acked:")):
                    total += int(field.split(":")[1])
    return total


@pytest.mark.parametrize("direct", [True, False])
def test_a_large_wheel_never_passes_through_the_scheduler(farm_of, tmp_path, direct):
    """300 MB staged on a worker comes to the client in chunks straight from the worker: the
    scheduler's TCP connections carry a few MB of messages. The counter-case (a client told
    not to connect to workers) shows that the measure sees a relay: then 600 MB pass."""
    from distributed import Client

    from builder.digest import sha256_of
    from builder.farm.client import WorkerFiles

    farm = farm_of(workers=1)
    staged = tmp_path / "cache-w1" / "farm" / "run" / "job-1" / "out" / "big.whl"
    staged.parent.mkdir(parents=True)
    with open(staged, "wb") as f:
        for _ in range(300):
            f.write(os.urandom(1 << 20))
    with Client(farm.address, direct_to_workers=direct, timeout=30) as c:
        [addr] = list(c.scheduler_info(n_workers=-1)["workers"])
        before = tcp_bytes(farm.scheduler.pid)
        WorkerFiles(c, addr, "w1").get(str(staged), tmp_path / "got.whl")
        relayed = (tcp_bytes(farm.scheduler.pid) - before) / 2**20
    assert sha256_of(tmp_path / "got.whl") == sha256_of(staged)
    if direct:  # what vmwheel's client does (farm/client.py: direct_to_workers=True)
        assert relayed < 16, f"{relayed:.0f} MiB passed through the scheduler"
    else:
        assert relayed > 500, relayed


def test_a_worker_not_started_by_vmwheel_fails_its_job_in_one_reason(tmp_path, offline_index):
    """A bare `dask worker` that advertises the resources gets the job and refuses it."""
    farm = Farm(tmp_path).start()
    try:
        farm.start_worker("bare", ["dask", "worker", farm.address, "--name", "bare",
                                   "--nthreads", "1", "--no-nanny", "--resources",
                                   f"vmwheel-vm=1 vmwheel-box-{MACHINE}=1"])
        res = client(farm.address, make_sdist(tmp_path), tmp_path, offline_index)
    finally:
        farm.stop()
    assert res.returncode == 1, res.stdout + res.stderr
    _, report, _ = wheels_and_report(tmp_path)
    failed = [e for e in report["interpreters"] if e["status"] == "failed"]
    assert failed and all("was not started by `vmwheel worker`" in e["reason"] for e in failed)
    assert "Traceback" not in res.stderr
