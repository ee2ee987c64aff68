"""builder.frontends.cli and .guard: failures become one line on stderr and an exit code."""

import json
import os
import signal
import time

import pytest

from builder.errors import VmwheelError
from builder.frontends import cli
from builder.frontends.guard import guarded
from tests.support.projects import make_sdist


def one_line(err):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vmwheel: "), err
    return lines[0]


def test_build_of_a_missing_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "./does-not-exist"]) == 6  # SourceError
    out, err = capsys.readouterr()
    assert "./does-not-exist" in one_line(err)
    assert out == ""
    assert list((tmp_path / "cache" / "work").iterdir()) == []  # its work dir is cleaned up


def test_unknown_machine(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["build", "msgpack", "--machine", "nope"]) == 2  # ConfigurationError
    assert "unknown machine 'nope'" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("argv, fragment", [
    (["-o", "archs"], "-o 'archs' is not KEY=VALUE"),
    (["-o", "colour=red"], "unknown option 'colour'"),
    (["--archs", "arm64"], "bad value 'arm64' for option 'archs'"),
    (["--archs", "x86_64 ppc64le"], "use x86_64, i686 and/or aarch64"),
    (["--memory", "-5"], "bad value '-5' for option 'memory'"),
])
def test_configuration_errors_exit_2(argv, fragment, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["config", "show", *argv]) == 2
    assert fragment in one_line(capsys.readouterr().err)


def test_every_option_is_a_flag_and_bool_options_negate():
    p = cli.parser()
    args = p.parse_args(["build", "pkg", "--test-command", "pytest {project}", "--no-keep-vm",
                         "--resume", "--memory", "4096", "-o", "archs=i686"])
    assert cli.cli_options(args) == {"test-command": "pytest {project}", "keep-vm": False,
                                     "resume": True, "memory": "4096", "archs": "i686"}
    assert cli.cli_options(p.parse_args(["build", "pkg", "--keep-vm"]))["keep-vm"] is True
    assert "keep-vm" not in cli.cli_options(p.parse_args(["build", "pkg"]))


def test_help_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    assert "usage: vmwheel" in capsys.readouterr().out


def raiser(exc):
    def func():
        raise exc
    return func


def test_guarded_interrupt(capsys):
    assert guarded(raiser(KeyboardInterrupt())) == 130
    assert "interrupted" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_or_sighup_unwinds_like_ctrl_c_and_a_second_one_does_not_cut_the_clean_up(
        signum, code, capsys):
    """A real signal to this process: the command unwinds (its finally blocks run: that is
    where a build writes its report and destroys its VMs); a second signal during that
    clean-up is ignored; the line names the signal; the exit code is 128 + its number."""
    cleaned = []

    def command():
        try:
            os.kill(os.getpid(), signum)
            time.sleep(10)
        finally:
            os.kill(os.getpid(), signum)  # CI systems send it again, or SIGTERM after SIGINT
            time.sleep(0.2)
            cleaned.append(True)

    # As a shell starts vmwheel; under nohup (SIGHUP ignored) see the next test.
    before = signal.signal(signum, signal.SIG_DFL)
    try:
        t0 = time.monotonic()
        assert guarded(command) == code
        assert time.monotonic() - t0 < 5 and cleaned == [True]
        name = signal.Signals(signum).name
        assert one_line(capsys.readouterr().err) == (
            f"vmwheel: terminated ({name}); wheels already fetched are kept")
        assert signal.getsignal(signum) is signal.SIG_DFL  # handlers are the command's only
        assert guarded(raiser(KeyboardInterrupt())) == 130  # the next command starts afresh
    finally:
        signal.signal(signum, before)


def test_a_sighup_ignored_when_vmwheel_starts_stays_ignored(capsys):
    """Under `nohup` SIGHUP arrives ignored: the command runs on through one and finishes."""
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        def command():
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(0.2)
            return 0

        assert guarded(command) == 0
        assert "terminated" not in capsys.readouterr().err
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def test_guarded_bug(capsys):
    assert guarded(raiser(RuntimeError("boom"))) == 70
    assert "internal error: RuntimeError: boom" in one_line(capsys.readouterr().err)


def test_guarded_vmwheel_error(capsys):
    assert guarded(raiser(VmwheelError("it broke", "do this", exit_code=5))) == 5
    assert one_line(capsys.readouterr().err) == "vmwheel: it broke; do this"


def test_guarded_success_and_debug(capsys):
    assert guarded(lambda: None) == 0
    with pytest.raises(RuntimeError):
        guarded(raiser(RuntimeError("boom")), debug=True)
    assert capsys.readouterr().err == ""


def test_sdist_that_no_interpreter_admits_is_skipped_without_a_vm(tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    sdist = make_sdist(tmp_path, requires_python=">=3.99")
    out = tmp_path / "wheelhouse"
    assert cli.main(["build", str(sdist), "--output-dir", str(out)]) == 3
    captured = capsys.readouterr()
    assert captured.err.startswith("vmwheel: nothing was built: every interpreter was skipped")
    report = json.loads((out / "report.json").read_text())
    assert [e["status"] for e in report["interpreters"]] == ["skipped"] * 4
    assert "Requires-Python >=3.99 excludes Python 3.9" in report["interpreters"][0]["reason"]
    assert not list(out.glob("*.whl")) and not (tmp_path / "cache" / "vagrant").exists()
