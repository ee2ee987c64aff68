"""Runs that end badly, with a real VM of the default box restored from its saved state (as
every user's second build is): a CI system's SIGTERM mid-build, a run killed outright whose
restored VM and disk overlay are left behind, a setup.py that reaches for the host's
loopback, and a test command that powers the guest off."""

import json
import re
import socket
import subprocess
import threading
import time

import pytest

from tests.integration import test_vm_build as vm

pytestmark = pytest.mark.vm


def start_build(out, *extra):
    """`vmwheel build msgpack` for cp311 only, its before-build waiting (so that a signal
    surely arrives mid-build); returns (process, its stdout file) once it is building."""
    cmd = [str(vm.BIN / "vmwheel"), "build", "msgpack", "--build", "cp311-*",
           "--output-dir", str(out), "-o", "before-build=sleep 120", *extra]
    stdout = out.parent / f"{out.name}.stdout"
    proc = subprocess.Popen(cmd, cwd=vm.REPO, stdout=open(stdout, "w"), stderr=subprocess.PIPE,
                            text=True, env=vm.OURS)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None and \
            "cp311-cp311: building msgpack" not in stdout.read_text():
        time.sleep(0.5)
    assert proc.poll() is None, stdout.read_text()[-3000:] + proc.stderr.read()[-3000:]
    return proc, stdout


def leftovers_now():
    """vmwheel's domains, and the disk files in this cache's pool that are no box image."""
    from builder.paths import libvirt_dir  # the default cache's pool, as the runs use it
    disks = sorted(p.name for p in libvirt_dir().glob("vmwheel-*.img")
                   if "_vagrant_box_image_" not in p.name)
    return vm.domains(), disks


def test_sigterm_mid_build_destroys_the_vm_and_writes_the_report(tmp_path):
    vm.build_box(vm.DEFAULT)
    before = leftovers_now()
    out = tmp_path / "wheelhouse"
    proc, stdout = start_build(out)
    t0 = time.monotonic()
    proc.terminate()  # SIGTERM, as GitLab, Jenkins and systemd cancel a job
    _, stderr = proc.communicate(timeout=120)
    took = time.monotonic() - t0
    assert proc.returncode == 143, stdout.read_text()[-3000:] + stderr
    assert stderr == "vmwheel: terminated (SIGTERM); wheels already fetched are kept\n"
    report = json.loads((out / "report.json").read_text())
    [cp311] = [e for e in report["interpreters"] if e["tag"] == "cp311-cp311"]
    assert cp311["status"] == "failed" and cp311["reason"].startswith("terminated (SIGTERM)")
    assert (out / "SHA256SUMS").exists()
    assert leftovers_now() == before, "the VM or its overlay was left behind"
    assert took < 60, took
    print(f"SIGTERM to exit, VM destroyed: {took:.1f} s")


def test_a_run_killed_outright_leaves_a_vm_that_doctor_names_and_vm_destroy_removes(tmp_path):
    vm.build_box(vm.DEFAULT)
    before = leftovers_now()
    out = tmp_path / "wheelhouse"
    proc, stdout = start_build(out)
    assert "restored" in stdout.read_text(), "the build did not restore its VM"
    proc.kill()  # SIGKILL: no clean-up at all
    proc.wait()
    domains, disks = leftovers_now()
    [left] = set(domains) - set(before[0])
    doctor = vm.run(vm.BIN / "vmwheel", "doctor")
    assert doctor.returncode == 4, doctor.stdout
    assert f"FAIL  leftover of a killed run: VM {left} (running)" in doctor.stdout
    assert f"vmwheel vm destroy --machine {vm.DEFAULT}" in doctor.stdout

    # Its transient domain gone (libvirtd restarted, the host rebooted): the disk overlay stays
    # where the domain's disk was, which made the next cold boot fail with "volume target path
    # ... already exists" and left the machine stuck.
    assert vm.run("virsh", "-c", "qemu:///system", "destroy", left).returncode == 0
    assert leftovers_now() == (before[0], disks) and set(disks) > set(before[1])
    doctor = vm.run(vm.BIN / "vmwheel", "doctor")
    assert "FAIL  leftover of a killed run: disk " in doctor.stdout, doctor.stdout
    destroyed = vm.run(vm.BIN / "vmwheel", "vm", "destroy")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert f"{vm.DEFAULT}: removed disk " in destroyed.stdout
    assert leftovers_now() == before
    again = vm.run(vm.BIN / "vmwheel", "vm", "destroy")
    assert f"{vm.DEFAULT}: no VM to destroy" in again.stdout
    assert "leftover" not in vm.run(vm.BIN / "vmwheel", "doctor").stdout


# A setup.py that tries the host's loopback every way a guest might: the user network's host
# alias (which libslirp turns into the host's 127.0.0.1), its IPv6 form, and the proxy the
# guest is given (by IP and by name); then DNS. It writes what happened where the test command
# prints it into the log; it never fails the build itself.
PROBE_SETUP = '''
import os, socket, sys, time
from setuptools import setup, Extension

PORT = {port}
CRLF = chr(13) + chr(10)  # (setuptools turns a backslash-r-backslash-n in setup.py into one LF)
lines = []

def attempt(label, family, address, send=None):
    t0 = time.monotonic()
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(20)
            s.connect(address)
            if send:
                s.sendall(send)
            got = s.recv(200)
        outcome = "CONNECTED " + repr(got[:60])
    except OSError as exc:
        outcome = "failed (" + exc.__class__.__name__ + ")"
    lines.append("%s: %s after %.2f s" % (label, outcome, time.monotonic() - t0))

attempt("alias", socket.AF_INET, ("10.0.2.2", PORT))
attempt("alias6", socket.AF_INET6, ("fec0::2", PORT, 0, 0))
proxy = os.environ.get("https_proxy", "")
if proxy:
    where = proxy.rsplit("/", 1)[-1].split(":")
    for target in ("10.0.2.2", "127.0.0.1", "localhost"):
        attempt("proxy " + target, socket.AF_INET, (where[0], int(where[1])),
                ("CONNECT %s:%d HTTP/1.1" % (target, PORT) + CRLF * 2).encode())
# A DNS query for a name that cannot exist, to the user network's own DNS server.
query = bytes.fromhex("0b0b01000001000000000000") + bytes([7]) + b"vmwheel" + bytes([7]) \\
    + b"invalid" + bytes.fromhex("0000010001")
t0 = time.monotonic()
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(query, ("10.0.2.3", 53))
        outcome = "answered (%d bytes)" % len(s.recv(512))
except OSError as exc:
    outcome = "no answer (" + exc.__class__.__name__ + ")"
lines.append("dns: %s after %.2f s" % (outcome, time.monotonic() - t0))
with open("/tmp/vmwheel-probe.txt", "w") as f:
    f.write(CRLF[1].join(lines) + CRLF[1])
setup(ext_modules=[Extension("vmwtestext", ["vmwtestext.c"])])
'''


def vmwheel(*args):
    return vm.run(vm.BIN / "vmwheel", *args)


def test_a_setup_py_cannot_reach_the_hosts_loopback_yet_pip_installs_build_requirements(
        tmp_path):
    """The default guest-network (allowlist), in a VM restored from its saved state: a
    listener on this host's 127.0.0.1 (as a farm's Dask scheduler is) hears nothing from the
    guest, while pip in that guest installs setuptools from the index, and a before-all's
    apt-get its package lists from the mirror, through the proxy. The
    same holds for a farm worker's guest: the worker starts it the same way (one test
    covers the mechanism)."""
    from tests.support.projects import make_sdist
    vm.build_box(vm.DEFAULT)
    heard = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]

    def accept():
        while True:
            try:
                conn, peer = listener.accept()
            except OSError:
                return
            heard.append(peer)
            conn.sendall(b"the scheduler's secrets")
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    sdist = make_sdist(tmp_path, files={"setup.py": PROBE_SETUP.format(port=port)})
    out = tmp_path / "wheelhouse"
    t0 = time.monotonic()
    try:
        res = vmwheel("build", sdist, "--build", "cp311-*", "--output-dir", out,
                      "-o", "test-command=cat /tmp/vmwheel-probe.txt",
                      "-o", "before-all=sudo apt-get update")  # apt: its mirror, proxied
    finally:
        listener.close()
    took = time.monotonic() - t0
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert heard == [], f"the guest reached the host's loopback listener: {heard}"
    assert f"restored {vm.DEFAULT} from its saved state" in res.stdout, res.stdout[-3000:]
    assert "vmwheel: guest network: allowlist (" in res.stdout
    [refused] = [line for line in res.stdout.splitlines()
                 if line.startswith("vmwheel: guest network: refused ")]
    assert f"10.0.2.2:{port} (not in the guest-network allowlist)" in refused, refused
    log = (out / "logs" / vm.DEFAULT / "cp311-cp311.log").read_text()
    probe = dict(line.split(": ", 1) for line in log.splitlines()
                 if line.split(": ")[0] in ("alias", "alias6", "proxy 10.0.2.2",
                                            "proxy 127.0.0.1", "proxy localhost", "dns"))
    print("probe:", probe, f"build {took:.0f} s")
    assert probe["alias"].startswith("failed (ConnectionRefusedError)"), probe
    assert float(probe["alias"].split(" after ")[1].split()[0]) < 1, probe
    assert probe["alias6"].startswith("failed ("), probe
    for target in ("10.0.2.2", "127.0.0.1", "localhost"):
        assert probe[f"proxy {target}"].startswith("CONNECTED b'HTTP/1.1 403 Forbidden"), probe
    assert probe["dns"].startswith("no answer (TimeoutError)"), probe  # dropped, not routed
    report = json.loads((out / "report.json").read_text())
    assert [e["tag"] for e in report["interpreters"] if e["status"] == "built"] == \
        ["cp311-cp311"], report


def test_guest_network_none_builds_from_the_wheel_directory_alone(tmp_path, offline_index):
    """guest-network none: no route out at all, and the build requirements (setuptools) come
    from a directory of wheels on this host, uploaded (allowlist's saved state serves it too)."""
    from tests.support.projects import make_sdist
    vm.build_box(vm.DEFAULT)
    sdist = make_sdist(tmp_path)
    out = tmp_path / "wheelhouse"
    res = vmwheel("build", sdist, "--build", "cp311-*", "--output-dir", out,
                  "--guest-network", "none", "--guest-wheels", offline_index,
                  "-o", "before-build=! timeout 5 python -c \"import socket; "
                  "socket.create_connection(('10.0.2.2', 22), timeout=3)\"")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    wheels = len(list(offline_index.glob("*.whl")))
    assert f"guest-network none: the guest has no network; pip installs only from the " \
           f"{wheels} wheels of {offline_index}" in res.stdout
    report = json.loads((out / "report.json").read_text())
    assert [e["tag"] for e in report["interpreters"] if e["status"] == "built"] == \
        ["cp311-cp311"], report


def domain_of(lines):
    """(slot, domain, disk) of the run that printed `lines` (other runs may hold the first
    instances: it then says which it uses)."""
    from builder.providers.leftovers import disk_path, domain_name

    found = [re.search(r"this one uses instance (\d+)", line) for _, line in lines]
    slot = next((int(m.group(1)) - 1 for m in found if m), 0)
    return slot, domain_name(vm.DEFAULT, slot), disk_path(vm.DEFAULT, slot)


def test_a_test_command_that_powers_the_guest_off_fails_that_interpreter_and_the_rest_go_on(
        tmp_path, faults):
    """cp311's test command runs `poweroff -f` in the guest (cp313's passes): cp311 fails in
    one line within seconds, cp313 is built in a freshly restored VM, a wheel already in the
    output dir stays, and neither the domain nor its disk overlay is left. The seconds are
    counted from the guest's own last words (shown with -v, unbuffered) to that line."""
    vm.build_box(vm.DEFAULT)
    out = tmp_path / "wheelhouse"
    out.mkdir()
    (out / "old-1.0-py3-none-any.whl").write_bytes(b"kept")
    poweroff = ("python -c 'import sys; sys.exit(sys.version_info[:2] == (3, 11))' || "
                "{ echo vmwheel-test: powering off; sudo -n poweroff -f; }")
    cmd = [str(vm.BIN / "vmwheel"), "build", "msgpack", "--build", "cp311-* cp313-*", "-v",
           "--parallel", "1", "--output-dir", str(out), "--test-command", poweroff]
    env = dict(vm.OURS, PYTHONUNBUFFERED="1")  # the slim table, this checkout's builder
    proc = subprocess.Popen(cmd, cwd=vm.REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stuck = threading.Timer(1800, proc.kill)
    stuck.start()
    lines = [(time.monotonic(), line.rstrip("\n")) for line in proc.stdout]
    stderr = proc.stderr.read()
    stuck.cancel()
    proc.wait()
    print("\n".join(line for _, line in lines if line.startswith("vmwheel: ")))
    said = [(t, line) for t, line in lines if line.startswith("vmwheel: cp311-cp311: the VM")]
    assert [line for _, line in said] == [
        "vmwheel: cp311-cp311: the VM powered off during test; the rest go on in a freshly "
        "restored VM"], (lines[-50:], stderr)
    [last_words] = [t for t, line in lines if line == "vmwheel-test: powering off"]
    noticed = said[0][0] - last_words
    print(f"seconds from the guest's poweroff to the line: {noticed:.1f}")
    assert noticed < 15
    assert proc.returncode == 1, (lines[-50:], stderr)  # cp311 failed; cp313 was built
    assert stderr.startswith("vmwheel: build failed for cp311-cp311;"), stderr
    report = json.loads((out / "report.json").read_text())
    status = {e["tag"]: e for e in report["interpreters"]}
    assert status["cp311-cp311"]["reason"] == "the VM powered off during test"
    assert status["cp313-cp313"]["status"] == "built"
    assert (out / status["cp313-cp313"]["wheel"]).exists()
    # The rest went on in a VM restored after the line (the first may have booted cold).
    assert any(t > said[0][0] and re.search(r"^vmwheel: restored \S+ from its saved state", line)
               for t, line in lines), lines
    assert (out / "old-1.0-py3-none-any.whl").read_bytes() == b"kept"
    from builder.providers.instances import in_use

    assert "could not destroy" not in stderr, stderr
    slot, mine, disk = domain_of(lines)
    if not in_use(vm.DEFAULT, slot):  # else another run took the instance since (shared host)
        assert mine not in vm.domains() and not disk.exists(), "the VM or its overlay was left"
    faults.record("guest powered off by a test command", [],
                  [p.name for p in out.rglob("*.part")])


def test_a_hang_a_daemon_and_a_flood_in_the_vm(tmp_path):
    """Misbehaving before-builds in the default VM, by interpreter: cp311's hangs and ends at
    a 150 s build-timeout with one line; cp313's leaves a daemon holding its output and writes
    300 MB to stdout, and its stage still ends when its command does, the log capped, the
    wheel built (its build stage, compiling alone, took 64.5 s under TCG and its flood 25.6 s
    when the limit was 240 s). Prints cp313's stage times and vmwheel's peak RSS."""
    import resource

    vm.build_box(vm.DEFAULT)
    out = tmp_path / "wheelhouse"
    hook = ('if python -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))"; '
            'then sleep 600; else (sleep 600 &); head -c 300000000 /dev/zero | tr "\\0" x; fi')
    t0 = time.monotonic()
    res = vm.run(vm.BIN / "vmwheel", "build", "msgpack", "--build", "cp311-* cp313-*",
                 "--output-dir", out, "-o", f"before-build={hook}", "-o", "build-timeout=150")
    took = time.monotonic() - t0
    assert res.returncode == 1, res.stdout[-3000:] + res.stderr[-3000:]
    status = {e["tag"]: e for e in json.loads((out / "report.json").read_text())["interpreters"]}
    log = out / "logs" / vm.DEFAULT / "cp311-cp311.log"
    assert status["cp311-cp311"]["reason"] == f"before-build timed out after 150 s; see {log}"
    assert f"cp311-cp311: before-build timed out after 150 s; see {log}" in res.stdout
    assert status["cp313-cp313"]["status"] == "built", status["cp313-cp313"]
    flood_log = (out / "logs" / vm.DEFAULT / "cp313-cp313.log").read_text()
    assert "characters of output cut here" in flood_log and len(flood_log) < 11_000_000
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    assert rss < 300, rss
    print(f"hang ended at its 150 s limit; daemon + 300 MB flood: cp313 built "
          f"({status['cp313-cp313']['durations']}); peak RSS {rss} MiB; the run {took:.0f} s")
