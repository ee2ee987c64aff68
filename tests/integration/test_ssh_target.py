"""`vmwheel build --ssh-host`: the whole command (resolve, build, repair, test, fetch, report)
against a real sshd on 127.0.0.1, plus host-key pinning and resume."""

import json
import subprocess

import pytest

from tests.support.projects import make_sdist
from tests.support.sshhost import known_hosts_line, vmwheel_over_ssh

pytestmark = pytest.mark.ssh


@pytest.fixture
def run_build(ssh_host, python_tree, offline_index, tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text(known_hosts_line(ssh_host))

    def run(sdist, *extra, known_hosts=known, command="build", env_extra=None, **popen):
        cmd, env = vmwheel_over_ssh(ssh_host, python_tree, offline_index, tmp_path, sdist,
                                    command=command, known_hosts=known_hosts)
        cmd, env = cmd + list(extra), dict(env, **(env_extra or {}))
        if popen:
            return subprocess.Popen(cmd, env=env, cwd=tmp_path, **popen)
        return subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)

    return run


def test_full_build_over_ssh_then_resume_keeps_what_was_built(run_build, tmp_path):
    sdist = make_sdist(tmp_path)
    res = run_build(sdist)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "guest-network does not apply to a plain SSH host: its network is its own" \
        in res.stdout
    out = tmp_path / "wheelhouse"
    report = json.loads((out / "report.json").read_text())
    entries = {e["identifier"]: e for e in report["interpreters"]}
    assert set(entries) == {"cp39-manylinux_x86_64", "cp311-manylinux_x86_64"}
    assert all(e["status"] == "built" for e in entries.values())
    assert report["package"]["source_date_epoch"] > 0
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("*.whl")}

    again = run_build(sdist)  # nothing to do: both wheels are kept, verified by sha256
    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads((out / "report.json").read_text())
    assert {e["reason"] for e in report["interpreters"]} == {
        "kept: built by an earlier run of this sdist"}
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.whl")} == first
    assert "building vmwtestext" not in again.stdout.split("(local sdist)")[-1]


def test_selectors_pick_interpreters_on_a_plain_host(run_build, tmp_path):
    res = run_build(make_sdist(tmp_path), "--build", "cp311-*")
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads((tmp_path / "wheelhouse" / "report.json").read_text())
    status = {e["identifier"]: (e["status"], e["reason"]) for e in report["interpreters"]}
    assert status["cp39-manylinux_x86_64"] == (
        "skipped", "cp39-manylinux_x86_64 is not selected by build/skip")
    assert status["cp311-manylinux_x86_64"][0] == "built"


def test_unknown_host_key_is_refused(run_build, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    res = run_build(make_sdist(tmp_path), known_hosts=empty)
    assert res.returncode == 5, res.stderr  # BuildHostError
    assert res.stderr.strip().startswith("vmwheel: ")
    assert f"is not in {empty}" in res.stderr and "ssh-keyscan" in res.stderr
    assert not list((tmp_path / "wheelhouse").glob("*.whl"))


def test_changed_host_key_is_refused_and_a_rerun_finishes(run_build, ssh_host, tmp_path,
                                                          faults):
    """The host presents another key than the pinned one (as after a reinstall, or a man in the
    middle): refused in one line, nothing built; with the pin corrected, the command finishes."""
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(f"[127.0.0.1]:{ssh_host.port} " +
                     " ".join((tmp_path / "other_key.pub").read_text().split()[:2]) + "\n")
    sdist = make_sdist(tmp_path)
    res = run_build(sdist, known_hosts=wrong)
    assert res.returncode == 5, res.stderr  # BuildHostError
    assert "presented a different host key than the one pinned" in res.stderr
    assert res.stderr.count("\n") == 1
    out = tmp_path / "wheelhouse"
    assert not list(out.glob("*.whl"))

    again = run_build(sdist)  # the pin corrected
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(list(out.glob("*.whl"))) == 2
    faults.record("build host key changed", [], [p.name for p in out.rglob("*.part")])


def test_verify_builds_twice_and_finds_identical_wheels(run_build, tmp_path):
    res = run_build(make_sdist(tmp_path), command="verify")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert lines[-1] == "vmwheel verify: 2 of 2 wheels identical in two fresh builds"
    assert sum("identical sha256" in line for line in lines) == 2
    runs = tmp_path / "wheelhouse-verify"
    assert sorted(p.name for p in runs.iterdir()) == ["run-1", "run-2"]


def test_secrets_never_reach_logs_or_report(run_build, tmp_path, monkeypatch):
    """An index password (in PIP_EXTRA_INDEX_URL) and a token passed with environment-pass
    reach the build host's environment but no log line and no report field."""
    import hashlib

    token = "tok-9f8e7d6c5b4a"
    password = "pw-1a2b3c4d5e6f"
    index = f"https://user:{password}@127.0.0.1:9/simple"
    digest = hashlib.sha256((token + index).encode()).hexdigest()
    res = run_build(make_sdist(tmp_path), "-o", "environment-pass=UPLOAD_TOKEN",
                    "-o", "build=cp311-*",
                    # proves the values did reach the build host, where a hook could use them
                    "-o", "before-build=printf %s \"$UPLOAD_TOKEN$PIP_EXTRA_INDEX_URL\" | "
                          f"sha256sum | grep -q {digest}",
                    env_extra={
                        "UPLOAD_TOKEN": token,
                        "PIP_EXTRA_INDEX_URL": index})
    assert res.returncode == 0, res.stdout + res.stderr
    out = tmp_path / "wheelhouse"
    texts = [p.read_text(errors="replace") for p in out.rglob("*")
             if p.is_file() and p.suffix in (".json", ".log", "")]
    texts += [res.stdout, res.stderr]
    assert texts and not [t for t in texts if token in t or password in t]


def test_parallel_builds_overlap_and_each_keeps_its_own_log(run_build, tmp_path):
    """--parallel 2: both interpreters are inside their before-build at the same time (each
    notes when it enters and leaves), over two SSH connections; logs and wheels as usual."""
    trace = tmp_path / "trace"
    hook = f'echo "in $(date +%s.%N)" >> {trace}; sleep 3; echo "out $(date +%s.%N)" >> {trace}'
    res = run_build(make_sdist(tmp_path), "--parallel", "2", "--before-build", hook)
    assert res.returncode == 0, res.stdout + res.stderr
    events = sorted((float(t), kind) for kind, t in
                    (line.split() for line in trace.read_text().splitlines()))
    assert [kind for _, kind in events] == ["in", "in", "out", "out"], events  # overlapped
    out = tmp_path / "wheelhouse"
    assert len(list(out.glob("*.whl"))) == 2
    report = json.loads((out / "report.json").read_text())
    [wall] = [v for k, v in report["durations"].items() if k.startswith("builds ")]
    stages = sum(sum(e["durations"].values()) for e in report["interpreters"])
    assert 0 < wall < stages, (wall, stages)  # overlapped: less than one after the other
    for log in (out / "logs").rglob("cp3*.log"):
        text = log.read_text()
        assert text.count("==> [before-build]") == 1 and "imported vmwtestext" in text
