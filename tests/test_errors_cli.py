"""builder.cli: failures become one line on stderr and an exit code."""

import json

import pytest

from builder import cli
from builder.errors import VmwheelError


def one_line(err):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vmwheel: "), err
    return lines[0]


def test_build_of_a_missing_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "./does-not-exist"]) == 1
    out, err = capsys.readouterr()
    assert "./does-not-exist" in one_line(err)
    assert out == ""
    assert list((tmp_path / "cache" / "work").iterdir()) == []  # its work dir is cleaned up


def test_unknown_machine(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["build", "msgpack", "--machine", "nope"]) == 1
    assert "unknown machine 'nope'" in one_line(capsys.readouterr().err)


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
    assert cli.guarded(raiser(KeyboardInterrupt())) == 130
    assert "interrupted" in one_line(capsys.readouterr().err)


def test_guarded_bug(capsys):
    assert cli.guarded(raiser(RuntimeError("boom"))) == 70
    assert "internal error: RuntimeError: boom" in one_line(capsys.readouterr().err)


def test_guarded_vmwheel_error(capsys):
    assert cli.guarded(raiser(VmwheelError("it broke", "do this", exit_code=3))) == 3
    assert one_line(capsys.readouterr().err) == "vmwheel: it broke; do this"


def test_guarded_success_and_debug(capsys):
    assert cli.guarded(lambda: None) == 0
    with pytest.raises(RuntimeError):
        cli.guarded(raiser(RuntimeError("boom")), debug=True)
    assert capsys.readouterr().err == ""


def test_sdist_that_no_interpreter_admits_is_skipped_without_a_vm(tmp_path, capsys,
                                                                 monkeypatch):
    from tests.conftest import make_sdist

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
